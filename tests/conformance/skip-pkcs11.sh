# SPDX-License-Identifier: BSD-3-Clause
# The conformance suite against skip-pkcs11, on Alice's slot with a user PIN
# (pin_sha256): the same assertions as for SoftHSM2, and no TODO.
. "$top_srcdir/tests/pkcs11/p11-lib.sh"

testbed_up
cp "$SKIP_TESTBED_ALICE_MODULE_CONF" "$T/pin.conf"
echo "pin_sha256 = $(printf 123456 | sha256sum | cut -c1-64)" >> "$T/pin.conf"
SKIP_PKCS11_CONF=$T/pin.conf "$top_builddir/conformance" "$MODULE" 123456
