# SPDX-License-Identifier: BSD-3-Clause
# The IKEv2 PPK example, as docs/ikev2-ppk.md runs it: initiator at site A,
# responder at site B, the same SK_d, SK_pi and SK_pr on both sides.
. "$top_srcdir/tests/pkcs11/p11-lib.sh"

testbed_up
d=$(openssl rand -hex 32) pi=$(openssl rand -hex 32) pr=$(openssl rand -hex 32)
expect_exit 0 "initiator" env SKIP_PKCS11_CONF="$SKIP_TESTBED_ALICE_MODULE_CONF" \
    "$top_builddir/ikev2-ppk" "$MODULE" initiator "$d" "$pi" "$pr"
cp "$T/out" "$T/i.out"
key_id=$(sed -n 's/^keyid //p' "$T/i.out")
expect_exit 0 "responder" env SKIP_PKCS11_CONF="$SKIP_TESTBED_BOB_MODULE_CONF" \
    "$top_builddir/ikev2-ppk" "$MODULE" responder "$key_id" "$d" "$pi" "$pr"
expect_eq "SK_d, SK_pi, SK_pr agree" "$(grep '^SK_' "$T/out" | tr '\n' ' ')" \
    "$(grep '^SK_' "$T/i.out" | tr '\n' ' ')"
expect_match "the PPK is unreadable at the initiator" "$T/i.out" '^ppk_value unreadable$'
expect_match "... and at the responder" "$T/out" '^ppk_value unreadable$'
expect_eq "... three 32-byte keys" "$(grep -cE '^SK_(d|pi|pr) [0-9a-f]{64}$' "$T/out")" 3
finish
