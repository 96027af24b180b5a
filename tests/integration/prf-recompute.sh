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

k_mac=$(kdf 32 -kdfopt mode:EXPAND_ONLY -kdfopt "hexkey:$secret" \
    -kdfopt "hexinfo:$(hexof 'skip-kpd keyid mac')")
mac=$(unhex "$(echo "$key_id" | cut -c1-20)$(hexof Alice)00$(hexof Bob)" |
    openssl mac -digest SHA256 -macopt "hexkey:$k_mac" HMAC | tr A-F a-f)
expect_eq "keyId MAC = HMAC(K_mac, header, Alice, Bob)" \
    "$(echo "$mac" | cut -c1-12)" "$(echo "$key_id" | cut -c21-32)"
expect_eq "size field says 256 bits" "$(echo "$key_id" | cut -c11-12)" 1f
finish
