# SPDX-License-Identifier: BSD-3-Clause
# docs/kpd-prf.md is exact: the key and the keyId's MAC are recomputed here
# from the shared secret with the openssl command alone.
. "$top_srcdir/tests/integration/lib.sh"

testbed_up
expect_exit 0 "Alice issues a 256-bit key" alice key Bob --reveal-key
key_id=$(json_field keyId)
key=$(json_field key)

secret=$(prf_secret "$key_id" "$T/alice/peer-Bob.secret")
recomputed=$(prf_key "$key_id" Alice Bob "$T/alice/peer-Bob.secret" 32)
if [ "$recomputed" = "$key" ]; then ok "key = HKDF(secret, keyId, Alice, Bob)"; else not_ok "key recomputation differs"; fi
# Keys longer than one HMAC block, the last one cut: HKDF's expand chain.
for bits in 1000 2048; do
    expect_exit 0 "Alice issues a $bits-bit key" alice key Bob --size "$bits" --reveal-key
    long_key_id=$(json_field keyId)
    recomputed=$(prf_key "$long_key_id" Alice Bob "$T/alice/peer-Bob.secret" $((bits / 8)))
    expect_eq "... equal to HKDF's $((bits / 8)) bytes" "$recomputed" "$(json_field key)"
done

k_mac=$(kdf 32 -kdfopt mode:EXPAND_ONLY -kdfopt "hexkey:$secret" \
    -kdfopt "hexinfo:$(hexof 'skip-kpd keyid mac')")
mac=$(unhex "10$(echo "$key_id" | cut -c1-20)$(hexof Alice)00$(hexof Bob)" |
    openssl mac -digest SHA256 -macopt "hexkey:$k_mac" HMAC | tr A-F a-f)
expect_eq "keyId MAC = HMAC(K_mac, length, header, Alice, Bob)" \
    "$(echo "$mac" | cut -c1-12)" "$(echo "$key_id" | cut -c21-32)"
expect_eq "layout version 1" "$(echo "$key_id" | cut -c1-2)" 01
expect_eq "instance 0 by default" "$(echo "$key_id" | cut -c3-4)" 00
expect_eq "size field says 256 bits" "$(echo "$key_id" | cut -c15-16)" 1f

# 256-bit keyIds from instance 7: the MAC covers the length, so neither
# prefix verifies at Bob, and the instance is in the keyId.
"$TESTBED" stop "$T" alice > /dev/null
sed -i 's/^\[kpd\]$/[kpd]\nkey_id_bits = 256\ninstance = 7/' "$SKIP_TESTBED_ALICE_KPD_CONF"
"$TESTBED" start "$T" alice > /dev/null
. "$T/env"
expect_exit 0 "Alice, instance 7, issues a 256-bit keyId" alice key Bob
long_id=$(json_field keyId)
expect_eq "... 64 hex digits, instance 07" "${#long_id} $(echo "$long_id" | cut -c3-4)" "64 07"
for n in 32 48; do
    expect_exit 6 "its $n-digit prefix is refused" bob key-by-id "$(echo "$long_id" | cut -c1-$n)" Alice
done
expect_match "... as a MAC that does not verify" "$T/bob/kpd.log" 'keyId MAC does not verify'
expect_exit 0 "the whole keyId is served" bob key-by-id "$long_id" Alice
finish
