# SPDX-License-Identifier: BSD-3-Clause
# Java's SunPKCS11 provider (interop-notes.md section 5): KeyGenerator with
# an attributes(generate, ...) config at Alice, KeyStore aliases, Mac
# HmacSHA256 and SecureRandom; the keyId found at Bob gives the same MAC.
. "$top_srcdir/tests/interop/interop-lib.sh"
need java

testbed_up
for site in Alice Bob; do
    cat > "$T/$site.cfg" <<EOF
name = Skip$site
library = $MODULE
slotListIndex = 0
attributes(generate, CKO_SECRET_KEY, *) = {
  CKA_TOKEN = true
  CKA_SENSITIVE = true
  CKA_EXTRACTABLE = false
  CKA_SIGN = true
  CKA_VERIFY = true
}
EOF
done
# SkipPeer.java reaches CKA_ID searches through the JDK's own wrapper.
JAVA="java --add-modules jdk.crypto.cryptoki
 --add-exports jdk.crypto.cryptoki/sun.security.pkcs11.wrapper=ALL-UNNAMED
 $top_srcdir/tests/interop/SkipPeer.java"
# The JVM handles SEGV itself (safepoints); a sanitizer must let it.
export ASAN_OPTIONS="handle_segv=0:allow_user_segv_handler=1"

run_ok "A: KeyGenerator HmacSHA256, Mac, KeyStore, SecureRandom" \
    at_alice $JAVA "$T/Alice.cfg" gen "java interop data"
cp "$T/out" "$T/a.out"
expect_match "... the key is not encodable (never extractable)" "$T/a.out" '^format null encoded none$'
expect_eq "... the KeyStore lists the token key by its label" \
    "$(grep -c '^alias [0-9a-f]\{32\} key$' "$T/a.out")" 1
key_id=$(p11_field keyid "$T/a.out")
expect_match "... whose alias is the keyId" /dev/stdin '^[0-9a-f]{32}$' <<EOF
$key_id
EOF
expect_eq "... the MAC by the generated key and by the KeyStore entry agree" \
    "$(grep -c "^mac $(sed -n '2s/^mac //p' "$T/a.out")\$" "$T/a.out")" 2
expect_match "... SecureRandom PKCS11 gives 32 bytes" "$T/a.out" '^random [0-9a-f]{64}$'
mac_a=$(sed -n '2s/^mac //p' "$T/a.out")

run_ok "B: finds the keyId, KeyStore lists it, Mac" \
    at_bob $JAVA "$T/Bob.cfg" find "$key_id" "java interop data" "$MODULE"
expect_match "... found once" "$T/out" '^found 1$'
expect_match "... listed by its keyId" "$T/out" "^alias $key_id key\$"
expect_match "... a Generic Secret that is not encodable" "$T/out" '^key Generic Secret not encodable$'
expect_eq "the MAC is equal at both sites" "$(p11_field mac)" "$mac_a"
key=$(prf_key "$key_id" Alice Bob "$T/alice/peer-Bob.secret" 32)
expect_eq "... and is HMAC-SHA256 under the SKIP key" "$mac_a" \
    "$(printf 'java interop data' | openssl mac -digest SHA256 -macopt "hexkey:$key" HMAC | tr A-F a-f)"

expect_exit 1 "B: a keyId KP Bob has not got" \
    at_bob $JAVA "$T/Bob.cfg" find 00112233445566778899aabbccddeeff x "$MODULE"
expect_match "... is found zero times, and the KeyStore has no entry" "$T/out" '^found 0$'
expect_key_nowhere "no log or output holds the key" "$key_id" 32 "$T/a.out" "$T/out" "$T/err"
finish
