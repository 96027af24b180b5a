# SPDX-License-Identifier: BSD-3-Clause
# Once-only delivery under concurrency, through the real ledger and its
# group commit: kpd-load (our load generator, TLS-PSK like an encryptor)
# asks Bob for 3000 keyIds over 16 connections from two processes at once,
# each process asking every keyId. Exactly one answer per keyId is a key;
# after a kill -9 and a restart none is delivered again.
. "$top_srcdir/tests/integration/lib.sh"

LOAD=$(built kpd-load)
testbed_up
load() { # SITE then kpd-load arguments
    site=$1; shift
    if [ "$site" = alice ]; then url=$SKIP_TESTBED_ALICE_URL; else url=$SKIP_TESTBED_BOB_URL; fi
    "$LOAD" --url "$url" --connections 8 --psk-identity "$site-encryptor" \
        --psk-file "$T/$site/encryptor.psk" "$@"
}
count() { sed -n "s/.* \([0-9]*\) $1,.*/\1/p" "$2"; }

expect_exit 0 "Alice issues 3000 keys" load alice issue Bob 3000 "$T/ids"
expect_eq "... 3000 keyIds" "$(sort -u "$T/ids" | wc -l)" 3000
load bob deliver Alice "$T/ids" > "$T/r1" 2> "$T/e1" &
first=$!
load bob deliver Alice "$T/ids" > "$T/r2" 2> "$T/e2"
second=$?
wait "$first"
expect_eq "both loads ran without a transport error" "$?$second" 00
expect_eq "each keyId was delivered exactly once across both" \
    "$(( $(count ok "$T/r1") + $(count ok "$T/r2") ))" 3000
expect_eq "... and refused once" \
    "$(( $(count refused "$T/r1") + $(count refused "$T/r2") ))" 3000
expect_eq "every delivery is on disk" \
    "$(wc -l < "$T/bob/state/delivered.log")" 3000

kill -9 "$SKIP_TESTBED_BOB_PID"
"$TESTBED" start "$T" bob > /dev/null
. "$T/env"
expect_exit 0 "after kill -9 and restart, all asked again" load bob deliver Alice "$T/ids"
expect_match "... none delivered twice" "$T/out" '3000 requests, 0 ok, 3000 refused'
finish
