# SPDX-License-Identifier: BSD-3-Clause
# A host that forks after C_Initialize, and one that calls C_Finalize from
# an exit handler, before or after OpenSSL's own (interop-notes.md
# pitfalls 6 and 14), against Alice's KP.
. "$top_srcdir/tests/interop/interop-lib.sh"
HOST=$top_builddir/p11-host

testbed_up
run_ok "fork after C_Initialize" at_alice "$HOST" "$MODULE" fork
expect_match "... the child is not initialized" "$T/out" \
    '^child C_GetSlotList before C_Initialize: 0x190$'
expect_match "... until it initializes again" "$T/out" '^child C_Initialize: 0x0$'
expect_match "... then draws random from the KP" "$T/out" '^child C_GenerateRandom: 0x0$'
expect_match "... the parent generates after the fork" "$T/out" '^parent C_GenerateKey after fork: 0x0$'
expect_match "... and still holds its first key" "$T/out" '^parent still holds its first key: 0x0$'
expect_no_match "... no step unexpected" "$T/out" 'unexpected'

for when in early late; do
    run_ok "C_Finalize in an exit handler registered $when" \
        at_alice "$HOST" "$MODULE" "atexit-$when"
    expect_eq "... the handler's C_Finalize returns CKR_OK last" \
        "$(tail -n 1 "$T/out")" "atexit C_Finalize: 0x0"
done
finish
