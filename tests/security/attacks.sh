# SPDX-License-Identifier: BSD-3-Clause
# The attack suite (attacks.c) against KP Alice: slot 0 without a PIN and
# with max_derives = 3, slot 1 with PIN 123456; three loopback keyIds minted
# at Alice for herself, for the tests that fetch.
. "$top_srcdir/tests/pkcs11/p11-lib.sh"

testbed_up --self-peer
{
    sed -e 's/^remote = .*/remote = Bob/' "$SKIP_TESTBED_ALICE_MODULE_CONF"
    echo "max_derives = 3"
    sed -e '1s/.*/[slot AlicePin]/' -e 's/^remote = .*/remote = Bob/' \
        "$SKIP_TESTBED_ALICE_MODULE_CONF"
    echo "pin_sha256 = $(printf 123456 | sha256sum | cut -d' ' -f1)"
} > "$T/attacks.conf"
for n in 1 2 3; do
    alice key Alice > "$T/k$n" || { echo "Bail out! no loopback key"; exit 1; }
    export "ATTACK_KEYID$n=$(json_field keyId "$T/k$n")"
done
export ATTACK_MODULE="$MODULE" SKIP_PKCS11_CONF="$T/attacks.conf"
export CMOCKA_MESSAGE_OUTPUT=TAP
expect_exit 0 "every attack of the catalogue meets its required outcome" \
    "$top_builddir/test-attacks"
cat "$T/out"
finish
