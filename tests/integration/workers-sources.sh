# SPDX-License-Identifier: BSD-3-Clause
# Four workers in front of a key source or ledger whose sockets and timers
# are the main loop's (SKIP_TESTBED_ARGS picks it: tests/kme/workers.sh for
# etsi014, workers-pg.sh for PostgreSQL). Calls that reach the source from
# the other workers run on the main loop's thread (worker.c's to_main):
# keys issued and delivered through every worker are right, a keyId asked
# twice at once is delivered once, and the KP stops cleanly.
. "$top_srcdir/tests/integration/lib.sh"
case " ${SKIP_TESTBED_ARGS:-} " in
*" postgresql "*) need_postgresql ;;
esac
testbed_up --workers 4

metrics() { curl -sf "$1/metrics"; }
# Requests answered by the workers that are not the main loop.
off_main() {
    metrics "$1" | sed -n 's/^skip_kpd_worker_requests_total{worker="[1-3]"} //p' |
        awk '{ s += $1 } END { print s + 0 }'
}

# --- 4 clients at once on each side, each over its own connection --------
expect_eq "4 parallel clients get keys" \
    "$(in_parallel 4 "$T/keys" alice --repeat 25 key Bob)" 0
expect_eq "... 100 distinct keyIds" \
    "$(sed -n 's/.*"keyId":"\([0-9a-f]*\)".*/\1/p' "$T"/keys.[1-4] | sort -u | wc -l)" 100
sed -n 's/.*"keyId":"\([0-9a-f]*\)".*"keySha256":"\([0-9a-f]*\)".*/\1 \2/p' \
    "$T"/keys.[1-4] > "$T/issued"
expect_eq "... each with its key's digest" "$(wc -l < "$T/issued")" 100
split -n l/4 "$T/issued" "$T/part."
for p in "$T"/part.*; do
    (
        while read -r id sha; do
            bob key-by-id "$id" Alice > "$p.got" || exit 1
            [ "$(json_field keySha256 "$p.got")" = "$sha" ] || exit 2
        done < "$p"
    ) &
done
failed=0
for job in $(jobs -p); do
    wait "$job" || failed=$((failed + 1))
done
expect_eq "4 parallel responders get the same 100 keys by keyId" "$failed" 0
expect_ne "Alice's workers besides the main loop answered some" \
    "$(off_main "$SKIP_TESTBED_ALICE_METRICS_URL")" 0
expect_ne "... and so did Bob's" "$(off_main "$SKIP_TESTBED_BOB_METRICS_URL")" 0

# --- the same keyId asked twice at once: one delivery ---------------------
alice --repeat 10 key Bob > "$T/race.ids"
race_deliveries "$T/race.ids" "$T/race.out"
expect_eq "10 keyIds each asked by two clients at once: one 200 each" \
    "$(grep -c '^\(0 6\|6 0\)$' "$T/race.out")" 10

# --- a clean stop ----------------------------------------------------------
"$TESTBED" stop "$T" bob > /dev/null
expect_match "Bob stops cleanly" "$T/bob/kpd.log" 'skip-kpd: info: stopped'
finish
