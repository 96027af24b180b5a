# SPDX-License-Identifier: BSD-3-Clause
# When the delivery ledger cannot record a keyId, the KP answers 500 and
# sends no key. A file-size limit just above a pre-filled ledger makes the
# next record's write fail.
. "$top_srcdir/tests/integration/lib.sh"

testbed_up
"$TESTBED" stop "$T" bob > /dev/null
expiry_ms="$(date +%s)000"
expiry_ms=$((expiry_ms + 86400000))
# 309 records of 53 bytes: 16377 bytes, 7 under the 16 KiB limit below.
awk -v e="$expiry_ms" 'BEGIN { for (i = 0; i < 309; i++) printf "%s %032x Alice\n", e, i }' \
    > "$T/bob/state/delivered.log"
expect_eq "the ledger is pre-filled" "$(wc -c < "$T/bob/state/delivered.log")" 16377
mv "$T/bob/kpd.log" "$T/bob/kpd.log.1"
(ulimit -f 16 && "$TESTBED" start "$T" bob > /dev/null)
. "$T/env"

alice key Bob > "$T/k1"
id=$(json_field keyId "$T/k1")
expect_exit 0 "Bob is asked for a key he cannot record" bob raw GET "/key/$id?remoteSystemID=Alice"
expect_eq "... 500" "$(raw_status)" 500
expect_match "... with an error body and no key" "$T/out" '^body: \{"error":"internal error"\}$'
expect_match "... logged with the cause" "$T/bob/kpd.log" 'GET /key/\{keyId\} for Alice: ledger .*delivered.log: (short write|File too large)'
expect_eq "the half-written record is cut off again" "$(wc -c < "$T/bob/state/delivered.log")" 16377
expect_exit 0 "Bob still answers other requests" bob capabilities
finish
