# SPDX-License-Identifier: BSD-3-Clause
# A search whose session closes while Bob's KP answers. The KP gives each
# key once, so the module keeps the key it was given (a token key) and the
# next search finds it without asking again; dropping it would lose it for
# good. Bob's KP is held stopped until the session is closed, so the close
# always lands while the request is out. Then two searches for one keyId
# at once: the KP is asked once, and both find the key.
. "$top_srcdir/tests/pkcs11/p11-lib.sh"

testbed_up
expect_exit 0 "Alice generates a key for Bob and signs with it" \
    alice_p11 "keygen" "sign - data"
id=$(p11_field keyid)
alice_mac=$(p11_field mac)

kill -STOP "$SKIP_TESTBED_BOB_PID"
resume_bob() { kill -CONT "$SKIP_TESTBED_BOB_PID" 2>/dev/null; }
on_cleanup resume_bob
bob_p11 "orphan $id" "find $id" "sign $id data" > "$T/orphan.out" 2> "$T/orphan.err" &
client=$!
wait_for "$T/orphan.out" '^closed$' 400
kill -CONT "$SKIP_TESTBED_BOB_PID"
rc=0; wait "$client" || rc=$?
expect_eq "Bob's client runs to the end" "$rc" 0
expect_match "... the closed session's search ends in CKR_SESSION_HANDLE_INVALID" \
    "$T/orphan.out" '^orphan: CKR_SESSION_HANDLE_INVALID$'
expect_match "... and the next search finds the key the KP gave" \
    "$T/orphan.out" '^found 1$'
expect_eq "Bob's KP delivered the keyId once" \
    "$(grep -c "$id" "$T/bob/state/delivered.log")" 1

expect_eq "... and Bob's MAC with the key kept is Alice's" \
    "$(p11_field mac "$T/orphan.out")" "$alice_mac"

# Two searches for one keyId at once: the second waits for the first's
# answer instead of asking the KP again (which would be refused as already
# delivered, and find nothing). Bob's KP is held stopped until both search.
expect_exit 0 "Alice generates a second key for Bob" alice_p11 "keygen"
id2=$(p11_field keyid)
kill -STOP "$SKIP_TESTBED_BOB_PID"
bob_p11 "twin $id2" > "$T/twin.out" 2> "$T/twin.err" &
client=$!
wait_for "$T/twin.out" '^both searching$' 400
kill -CONT "$SKIP_TESTBED_BOB_PID"
rc=0; wait "$client" || rc=$?
expect_eq "Bob's two searches run to the end" "$rc" 0
expect_match "... and both find the key" "$T/twin.out" '^twin: CKR_OK 1 CKR_OK 1$'
expect_eq "... which Bob's KP delivered once" \
    "$(grep -c "$id2" "$T/bob/state/delivered.log")" 1
expect_no_match "... and was asked for once: no refusal for it" "$T/bob/kpd.log" \
    "keyId $id2: "
finish
