# SPDX-License-Identifier: BSD-3-Clause
# kill -9 never makes a KP deliver a keyId twice, and keys issued before a
# crash stay deliverable.
. "$top_srcdir/tests/integration/lib.sh"

testbed_up
for n in 1 2 3; do
    alice key Bob > "$T/k$n" || not_ok "Alice key $n"
done
id() { json_field keyId "$T/k$1"; }
expect_exit 0 "Bob fetches key 1" bob key-by-id "$(id 1)" Alice

kill -9 "$SKIP_TESTBED_BOB_PID"
"$TESTBED" start "$T" bob > /dev/null
. "$T/env"
expect_exit 6 "after kill -9 and restart, key 1 is not delivered again" bob key-by-id "$(id 1)" Alice
expect_exit 0 "key 2 (not yet delivered) still is" bob key-by-id "$(id 2)" Alice
expect_eq "... and it is Alice's key" "$(json_field keySha256)" "$(json_field keySha256 "$T/k2")"

kill -9 "$SKIP_TESTBED_ALICE_PID"
"$TESTBED" start "$T" alice > /dev/null
. "$T/env"
expect_exit 0 "Bob serves key 3, issued before Alice crashed" bob key-by-id "$(id 3)" Alice
expect_eq "... with the same value" "$(json_field keySha256)" "$(json_field keySha256 "$T/k3")"
alice key Bob > "$T/k4"
expect_ne "Alice's new keyId after her restart is fresh" "$(id 4)" "$(id 3)"
expect_exit 0 "and Bob serves it" bob key-by-id "$(id 4)" Alice
finish
