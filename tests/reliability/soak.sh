#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# `make soak`: skip-testbed's two KPs under SOAK_CONNECTIONS keep-alive
# connections each (wrk; 1000 by default) for SOAK_SECONDS (60) on a mix of
# /key, /key/{id} with a forged keyId (400 expected), /entropy and
# /capabilities, while two encryptor processes (soak-encryptor, 2 threads
# each) generate at Alice and find at Bob through the module, MACs compared.
#
# Prints every count and passes when: no answer but the forged keyId's is
# other than 200, no forged keyId is answered 200, no socket error, every
# key the initiator shared was found with an equal MAC, and no process's
# RSS grew by 5% or more from "start" (SOAK_WARMUP seconds into the load,
# once every connection is open and the pools are filled) to the end.
# Keys live SOAK_LIFETIME seconds (15), less than the warm-up: Bob's
# ledger holds a record per delivered keyId until the key expires, so it
# grows with the lifetime's deliveries and is then flat.
. "$top_srcdir/tests/integration/lib.sh"

SECONDS_TOTAL=${SOAK_SECONDS:-60}
CONNECTIONS=${SOAK_CONNECTIONS:-1000}
WARMUP=${SOAK_WARMUP:-20}
LIFETIME=${SOAK_LIFETIME:-15}
MODULE=$top_builddir/.libs/skip-pkcs11.so
ENCRYPTOR=$(built soak-encryptor)
paths=4 # wrk runs per KP, one per path of the mix

"$top_srcdir/tests/ensure-tools.sh" soak wrk:wrk || exit 1
# Each connection is a descriptor in wrk and in a KP.
ulimit -n "$(ulimit -Hn)"

# wrk speaks TLS with certificates; each KP takes every connection.
testbed_up --tls cert13 --key-lifetime "$LIFETIME"
for site in alice bob; do
    sed -i "/^\[kpd\]/a max_connections = $((CONNECTIONS + 64))" \
        "$T/$site/kpd.conf"
    "$TESTBED" stop "$T" $site > /dev/null && "$TESTBED" start "$T" $site > /dev/null
done
. "$T/env"

# A keyId Alice issued, one hex digit changed: Bob must refuse it with 400.
alice key Bob --reveal-key > "$T/out" || { echo "Bail out! no key from Alice"; exit 1; }
real_id=$(json_field keyId)
real_key=$(json_field key)
last=${real_id#"${real_id%?}"}
if [ "$last" = 0 ]; then forged_id=${real_id%?}1; else forged_id=${real_id%?}0; fi

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }

# wrk NAME URL: one wrk process for one path, in the background.
per_path=$((CONNECTIONS / paths))
load() {
    wrk -t1 -c"$per_path" -d"${SECONDS_TOTAL}s" --timeout 30s \
        -s "$top_srcdir/tests/reliability/soak.lua" "$2" > "$T/wrk-$1" 2>&1 &
    echo $! >> "$T/wrk-pids"
}
: > "$T/wrk-pids"
for site in alice bob; do
    if [ $site = alice ]; then url=$SKIP_TESTBED_ALICE_URL peer=Bob
    else url=$SKIP_TESTBED_BOB_URL peer=Alice; fi
    load "$site-key" "$url/key?remoteSystemID=$peer"
    load "$site-entropy" "$url/entropy?minentropy=256"
    load "$site-capabilities" "$url/capabilities"
done
# Alice's keyIds are for Bob, so only Bob is asked for a forged one; Alice
# gets a second /key load instead, so each KP has the same connections.
load bob-forged "$SKIP_TESTBED_BOB_URL/key/$forged_id?remoteSystemID=Alice"
load alice-key2 "$SKIP_TESTBED_ALICE_URL/key?remoteSystemID=Bob"

mkfifo "$T/shared-ids"
SKIP_PKCS11_CONF=$SKIP_TESTBED_ALICE_MODULE_CONF \
    "$ENCRYPTOR" "$MODULE" generate "$SECONDS_TOTAL" 2 > "$T/shared-ids" 2> "$T/gen.err" &
gen_pid=$!
SKIP_PKCS11_CONF=$SKIP_TESTBED_BOB_MODULE_CONF \
    "$ENCRYPTOR" "$MODULE" find 0 2 < "$T/shared-ids" 2> "$T/find.err" &
find_pid=$!

watched="alice-kpd:$SKIP_TESTBED_ALICE_PID bob-kpd:$SKIP_TESTBED_BOB_PID"
watched="$watched initiator:$gen_pid responder:$find_pid"
sleep "$WARMUP"
for w in $watched; do echo "${w%%:*} $(rss_kb "${w#*:}")"; done > "$T/rss-start"
sleep $((SECONDS_TOTAL - WARMUP - 2))
for w in $watched; do echo "${w%%:*} $(rss_kb "${w#*:}")"; done > "$T/rss-end"

for pid in $(cat "$T/wrk-pids"); do wait "$pid"; done
wait "$gen_pid"; gen_status=$?
wait "$find_pid"; find_status=$?

echo "# soak: $SECONDS_TOTAL s, $((per_path * paths)) connections per KP, $(nproc) cores"
total=0
for f in "$T"/wrk-*; do
    case $f in *wrk-pids) continue ;; esac
    name=${f##*/wrk-}
    requests=$(sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' "$f")
    statuses=$(sed -n 's/^statuses: //p' "$f")
    socket=$(sed -n 's/^ *Socket errors: //p' "$f")
    echo "# $name: ${requests:-?} requests, $statuses${socket:+, socket errors: $socket}"
    total=$((total + ${requests:-0}))
    ok200=$(echo "$statuses" | sed -n 's/.*200=\([0-9]*\).*/\1/p')
    ok400=$(echo "$statuses" | sed -n 's/.*400=\([0-9]*\).*/\1/p')
    other=$(echo "$statuses" | sed -n 's/.*other=\([0-9]*\).*/\1/p')
    if [ -z "$requests" ] || [ -z "$statuses" ] || [ "$requests" -eq 0 ]; then
        not_ok "$name: wrk reported nothing: $(head -c 300 "$f")"
        continue
    fi
    expect_eq "$name: no socket error" "${socket:-none}" none
    expect_eq "$name: no status but 200 and 400" "$other" 0
    case $name in
    *forged) expect_eq "$name: every forged keyId refused with 400" "$ok200" 0 ;;
    *) expect_eq "$name: every answer 200" "$ok400" 0 ;;
    esac
done
echo "# requests in all: $total"

echo "# $(cat "$T/gen.err" | tail -n 1)"
echo "# $(cat "$T/find.err" | tail -n 1)"
expect_eq "the initiator had no error" "$gen_status" 0
expect_eq "the responder found every shared key with an equal MAC" "$find_status" 0
shared=$(sed -n 's/^generate: \([0-9]*\) done.*/\1/p' "$T/gen.err")
found=$(sed -n 's/^find: \([0-9]*\) done.*/\1/p' "$T/find.err")
expect_eq "as many keys found at Bob as shared by Alice (${shared:-0})" "${found:-none}" "${shared:-0}"
[ "${shared:-0}" -gt 0 ] && ok "the encryptors shared keys" || not_ok "no key shared"

echo "# RSS in KiB, from ${WARMUP} s into the load to its end:"
while read -r name start; do
    end=$(sed -n "s/^$name //p" "$T/rss-end")
    growth=$(awk -v a="$end" -v b="$start" 'BEGIN { printf "%.3f", (b > 0) ? a / b : 0 }')
    echo "# $name: $start -> $end ($growth)"
    if awk -v g="$growth" 'BEGIN { exit !(g > 0 && g < 1.05) }'; then
        ok "$name RSS flat ($growth)"
    else
        not_ok "$name RSS grew $growth (start $start, end $end KiB)"
    fi
done < "$T/rss-start"
expect_no_match "the key Alice issued is in no KP log" "$T/alice/kpd.log" "$real_key"
expect_no_match "... nor in Bob's" "$T/bob/kpd.log" "$real_key"
finish
