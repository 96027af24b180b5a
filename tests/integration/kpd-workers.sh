# SPDX-License-Identifier: BSD-3-Clause
# workers = N: N threads serve a KP's connections and hand each request to
# the main loop. Bad values are refused with their line; keys issued over
# parallel connections are whole and distinct; a keyId two clients ask
# Bob for at the same moment is delivered once; connections are spread
# over the workers, and /metrics counts every worker's. workers above 1
# are refused with the sources and ledgers that keep events on the main
# loop. (tests/integration/workers-*.sh run other tests
# of skip-kpd with two workers: reload, drain, caps, the wire, pipelining,
# ledger failures.)
. "$top_srcdir/tests/integration/lib.sh"
need curl

# --- bad values, each refused at load with its line ----------------------
for bad in 0 65 two -1 ''; do
    printf '[kpd]\nlocal_system_id = Alice\nworkers = %s\n' "$bad" > "$T/bad.conf"
    expect_exit 1 "workers = '$bad' is refused" "$KPD" -c "$T/bad.conf" --check-config
    expect_match "... with its line and the range" "$T/err" \
        'bad.conf:3: workers must be a number in 1\.\.64'
done

# The PostgreSQL ledger and the etsi014 source go with workers too: their
# calls run on the main loop's thread (workers-ha.sh, kme/workers-chain.sh).
printf '[kpd]\nlocal_system_id = Alice\nworkers = 2\nkey_source = etsi014\n' > "$T/kme.conf"
expect_exit 1 "workers = 2 with key_source = etsi014 is checked as any source" \
    "$KPD" -c "$T/kme.conf" --check-config
expect_no_match "... with no word against workers" "$T/err" 'workers'

testbed_up --tls cert13 --no-client-auth --workers 4
expect_match "Alice starts 4 workers" "$T/alice/kpd.log" '4 workers serve connections'
expect_eq "... the main loop and 3 threads, named" \
    "$(cat "/proc/$SKIP_TESTBED_ALICE_PID"/task/*/comm | grep -c '^kpd-worker-[1-3]$')" 3

# --- 4 clients at once, 250 keys each over their own connection ----------
expect_eq "4 parallel clients all succeed" \
    "$(in_parallel 4 "$T/keys" alice --repeat 250 key Bob)" 0
expect_eq "... with 1000 keys" "$(cat "$T"/keys.[1-4] | grep -c '"bits":256')" 1000
expect_eq "... under 1000 distinct keyIds" \
    "$(sed -n 's/.*"keyId":"\([0-9a-f]*\)".*/\1/p' "$T"/keys.[1-4] | sort -u | wc -l)" 1000
expect_eq "... and 1000 distinct keys" \
    "$(sed -n 's/.*"keySha256":"\([0-9a-f]*\)".*/\1/p' "$T"/keys.[1-4] | sort -u | wc -l)" 1000

# --- the same keyId asked twice at once: one delivery ---------------------
alice --repeat 20 key Bob > "$T/race.ids"
race_deliveries "$T/race.ids" "$T/race.out"
expect_eq "20 keyIds each asked by two clients at once: one 200 each" \
    "$(grep -c '^\(0 6\|6 0\)$' "$T/race.out")" 20
expect_match "... the other refused as already delivered" "$T/bob/kpd.log" \
    'keyId already delivered'

# --- /metrics sees every worker's connections -----------------------------
metrics() { curl -sf "$SKIP_TESTBED_ALICE_METRICS_URL/metrics"; }
holders=""
stop_holders() { [ -z "$holders" ] || kill $holders 2> /dev/null; holders=""; }
on_cleanup stop_holders
open_count() { metrics | sed -n 's/^skip_kpd_connections_open //p'; }
# One at a time, each counted before the next: 8 over 4 workers.
for n in 1 2 3 4 5 6 7 8; do
    # -ign_eof: the connection stays open after stdin's end
    openssl s_client -connect "127.0.0.1:$(cat "$T/alice/port")" -ign_eof \
        < /dev/null > /dev/null 2>&1 &
    holders="$holders $!"
    i=0
    until [ "$(open_count)" = "$n" ]; do
        i=$((i + 1)); [ $i -lt 100 ] || break; sleep 0.05
    done
done
metrics > "$T/m"
expect_match "8 connections held open are counted" "$T/m" '^skip_kpd_connections_open 8$'
expect_eq "... the workers' own counts add up to them" \
    "$(sed -n 's/^skip_kpd_worker_connections_open{worker="[0-3]"} //p' "$T/m" |
       awk '{ s += $1 } END { print s }')" 8
# Whichever worker wakes first accepts; one holding more than another
# passes the connection on, so none is left idle beside a busy one.
expect_eq "... spread evenly: 2 on each worker" \
    "$(sed -n 's/^skip_kpd_worker_connections_open{worker="[0-3]"} //p' "$T/m" | tr '\n' ' ')" \
    "2 2 2 2 "
stop_holders
wait 2> /dev/null

# --- a clean stop with every worker ---------------------------------------
"$TESTBED" stop "$T" alice > /dev/null
expect_match "Alice stops cleanly" "$T/alice/kpd.log" 'skip-kpd: info: stopped'
finish
