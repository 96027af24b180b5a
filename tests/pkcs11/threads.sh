# SPDX-License-Identifier: BSD-3-Clause
# Several threads in one process generate, sign, find and draw random at
# once through one loaded module (under the sanitizers in CI); then they
# sign and verify on one shared session while its key is replaced and
# sessions come and go (the MAC calls hold the module lock shared). `make tsan`
# runs it with a ThreadSanitizer build of the module and of p11-threads
# (SKIP_TEST_MODULE, SKIP_TEST_P11_THREADS) and more rounds.
. "$top_srcdir/tests/pkcs11/p11-lib.sh"

set -- ${SKIP_TEST_THREADS:-4 8}
threads=$1 rounds=$2
testbed_up
expect_exit 0 "$threads threads x $rounds rounds of keygen, HMAC, find and random" \
    env SKIP_PKCS11_CONF="$SKIP_TESTBED_ALICE_MODULE_CONF" \
    "${SKIP_TEST_P11_THREADS:-$(built p11-threads)}" "$MODULE" "$threads" "$rounds"
expect_match "... $((threads * rounds)) distinct keys" "$T/out" "^ok $((threads * rounds))\$"
expect_match "... a shared session raced: right MACs, no wrong answer" "$T/out" \
    "^race: [1-9][0-9]* right MACs and verifications, 0 wrong answers\$"
finish
