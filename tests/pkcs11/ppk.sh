# SPDX-License-Identifier: BSD-3-Clause
# RFC 8784 end to end: site A generates the PPK (KDF role), site B fetches
# it by keyId; each derives SK_d, SK_pi and SK_pr = prf+(PPK, SK_x') from
# the same SK_x' bytes as extractable keys (prf+ at A, HKDF-Expand at B: the
# same function). The values match on both sides and match the value
# recomputed from the testbed's shared secret; the PPK stays unreadable.
. "$top_srcdir/tests/pkcs11/p11-lib.sh"

testbed_up
sk_d=$(openssl rand -hex 32)
sk_pi=$(openssl rand -hex 32)
sk_pr=$(openssl rand -hex 32)

expect_exit 0 "A: generate the PPK, derive SK_d, SK_pi, SK_pr" \
    alice_p11 "keygen kdf" "derive - $sk_d" "derive - $sk_pi" "derive - $sk_pr" "value -"
cp "$T/out" "$T/a.out"
key_id=$(p11_field keyid "$T/a.out")
expect_match "A: the PPK stays unreadable" "$T/a.out" '^value: CKR_ATTRIBUTE_SENSITIVE$'
expect_exit 0 "B: fetch the PPK by keyId, derive the same three" \
    bob_p11 "derive $key_id $sk_d hkdf" "derive $key_id $sk_pi hkdf" \
    "derive $key_id $sk_pr hkdf" "value $key_id"
cp "$T/out" "$T/b.out"
expect_match "B: the PPK stays unreadable" "$T/b.out" '^value: CKR_ATTRIBUTE_SENSITIVE$'
expect_eq "SK_d, SK_pi, SK_pr equal at A and B" \
    "$(p11_field derived "$T/a.out" | tr '\n' ' ')" \
    "$(p11_field derived "$T/b.out" | tr '\n' ' ')"

ppk=$(prf_key "$key_id" Alice Bob "$T/alice/peer-Bob.secret" 32)
want=""
for sk in "$sk_d" "$sk_pi" "$sk_pr"; do
    want="$want$(kdf 32 -kdfopt mode:EXPAND_ONLY -kdfopt "hexkey:$ppk" -kdfopt "hexinfo:$sk") "
done
expect_eq "... and equal prf+(PPK, SK_x') recomputed from the shared secret" \
    "$(p11_field derived "$T/a.out" | tr '\n' ' ')" "$want"
expect_exit 1 "A's HMAC on the KDF-role PPK is refused" alice_p11 "keygen kdf" "sign - x"
expect_match "... CKR_KEY_FUNCTION_NOT_PERMITTED" "$T/out" 'C_SignInit: CKR_KEY_FUNCTION_NOT_PERMITTED'
finish
