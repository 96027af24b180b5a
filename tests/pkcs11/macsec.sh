# SPDX-License-Identifier: BSD-3-Clause
# MACsec with SKIP: site A generates an AES-128 CAK (KDF role), site B
# fetches it as an AES key by keyId; both derive the IEEE 802.1X ICK and KEK
# through CKM_SP800_108_COUNTER_KDF (AES-CMAC, 8-bit counter) and get the
# same bytes, which equal a direct 802.1X computation on the CAK recomputed
# from the shared secret: K(1) = AES-CMAC(CAK, 01 | label | 00 | CKN | 0080).
. "$top_srcdir/tests/pkcs11/p11-lib.sh"

testbed_up
ckn=$(openssl rand -hex 16)

expect_exit 0 "A: AES-128 CAK, ICK and KEK" \
    alice_p11 "keygen aes len=16 kdf" "macsec - $ckn ick" "macsec - $ckn kek"
cp "$T/out" "$T/a.out"
key_id=$(p11_field keyid "$T/a.out")
expect_exit 0 "B: fetch the CAK as AES, ICK and KEK" \
    bob_p11 "find $key_id kdf type=aes" "macsec $key_id $ckn ick" "macsec $key_id $ckn kek"
cp "$T/out" "$T/b.out"
expect_eq "ICK and KEK equal at A and B" \
    "$(p11_field derived "$T/a.out" | tr '\n' ' ')" \
    "$(p11_field derived "$T/b.out" | tr '\n' ' ')"

cak=$(prf_key "$key_id" Alice Bob "$T/alice/peer-Bob.secret" 16)
want=""
for label in "IEEE8021 ICK" "IEEE8021 KEK"; do
    want="$want$(unhex "01$(hexof "$label")00${ckn}0080" |
        openssl mac -cipher AES-128-CBC -macopt "hexkey:$cak" CMAC | tr A-F a-f) "
done
expect_eq "... and equal 802.1X on the CAK recomputed from the shared secret" \
    "$(p11_field derived "$T/a.out" | tr '\n' ' ')" "$want"
finish
