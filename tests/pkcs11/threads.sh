# SPDX-License-Identifier: BSD-3-Clause
# Several threads in one process generate, sign, find and draw random at
# once through one loaded module (under the sanitizers in CI).
. "$top_srcdir/tests/pkcs11/p11-lib.sh"

testbed_up
expect_exit 0 "4 threads x 8 rounds of keygen, HMAC, find and random" \
    env SKIP_PKCS11_CONF="$SKIP_TESTBED_ALICE_MODULE_CONF" \
    "$top_builddir/p11-threads" "$MODULE" 4 8
expect_match "... 32 distinct keys" "$T/out" '^ok 32$'
finish
