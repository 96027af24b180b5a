# SPDX-License-Identifier: BSD-3-Clause
# When the delivery ledger cannot record a keyId, the KP answers 500 and
# sends no key. A file-size limit just above a pre-filled ledger makes the
# next record's write fail. The ledger never cuts its file in place: the
# next flush rewrites it whole from memory, so the torn tail goes and every
# earlier record stays.
. "$top_srcdir/tests/integration/lib.sh"

testbed_up
"$TESTBED" stop "$T" bob > /dev/null
expiry_ms="$(date +%s)000"
expiry_ms=$((expiry_ms + 86400000))
# 309 records of 53 bytes: 16377 bytes, 7 under the 16 KiB limit below.
awk -v e="$expiry_ms" 'BEGIN { for (i = 0; i < 309; i++) printf "%s %032x Alice\n", e, i }' \
    > "$T/bob/state/delivered.log"
expect_eq "the ledger is pre-filled" "$(wc -c < "$T/bob/state/delivered.log")" 16377
sort "$T/bob/state/delivered.log" > "$T/before"
mv "$T/bob/kpd.log" "$T/bob/kpd.log.1"
(ulimit -f 16 && "$TESTBED" start "$T" bob > /dev/null)
. "$T/env"

alice key Bob > "$T/k1"
id=$(json_field keyId "$T/k1")
expect_exit 0 "Bob is asked for a key he cannot record" bob raw GET "/key/$id?remoteSystemID=Alice"
expect_eq "... 500" "$(raw_status)" 500
expect_match "... with an error body and no key" "$T/out" '^body: \{"error":"internal error"\}$'
expect_match "... logged with the cause and the client" "$T/bob/kpd.log" 'GET /key/\{keyId\} for Alice \(client psk:[^)]*\): keyId [0-9a-f]+: ledger .*delivered.log: (No space left on device|File too large) \(write\)'
# Bob's start rewrote the file (live records only, in its own order).
expect_eq "the 309 records before the failure are untouched" \
    "$(head -c 16377 "$T/bob/state/delivered.log" | sort | cmp - "$T/before" && echo same)" same
expect_exit 0 "Bob still answers other requests" bob capabilities
expect_exit 0 "the same keyId asked again" bob raw GET "/key/$id?remoteSystemID=Alice"
expect_eq "... 500 again (still no room)" "$(raw_status)" 500
# Each failed append leaves a torn tail; the one-second tick rewrites the
# file from memory without it (and no record is lost on the way).
i=0
until [ "$(wc -c < "$T/bob/state/delivered.log")" = 16377 ]; do
    i=$((i + 1)); [ $i -lt 50 ] || break; sleep 0.1
done
expect_eq "... the tick rewrote the file from memory: torn tail gone" \
    "$(wc -c < "$T/bob/state/delivered.log")" 16377
expect_eq "... the same 309 records" \
    "$(sort "$T/bob/state/delivered.log" | cmp - "$T/before" && echo same)" same
finish
