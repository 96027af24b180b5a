# SPDX-License-Identifier: BSD-3-Clause
# docs/kpd-prf.md is exact: the key and the keyId's MAC are recomputed here
# from the shared secret with the openssl command alone.
. "$top_srcdir/tests/integration/lib.sh"

hexof() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }
unhex() { perl -e 'print pack("H*", $ARGV[0])' "$1"; }
kdf() { # keylen, then -kdfopt arguments
    len=$1
    shift
    openssl kdf -keylen "$len" -kdfopt digest:SHA256 "$@" HKDF | tr -d ':\n' |
        tr A-F a-f
}

testbed_up
expect_exit 0 "Alice issues a 256-bit key" alice key Bob --reveal-key
key_id=$(json_field keyId)
key=$(json_field key)

# The secret for the keyId's epoch: the file holds the newest epoch; step
# the ratchet forward if the id was minted later (a day boundary).
line=$(sort -n "$T/alice/peer-Bob.secret" | tail -n 1)
epoch=${line%% *}
secret=${line#* }
t_ms=$(( 0x$(echo "$key_id" | cut -c1-10) + 1704067200000 ))
id_epoch=$(( t_ms / 86400000 ))
while [ "$epoch" -lt "$id_epoch" ]; do
    secret=$(kdf 32 -kdfopt mode:EXPAND_ONLY -kdfopt "hexkey:$secret" \
        -kdfopt "hexinfo:$(hexof 'skip-kpd ratchet')")
    epoch=$((epoch + 1))
done
expect_eq "the keyId's epoch is the one the KP holds" "$epoch" "$id_epoch"

info="$(hexof 'skip-kpd key')00$(hexof Alice)00$(hexof Bob)"
recomputed=$(kdf 32 -kdfopt "hexkey:$secret" -kdfopt "hexsalt:$key_id" -kdfopt "hexinfo:$info")
if [ "$recomputed" = "$key" ]; then ok "key = HKDF(secret, keyId, Alice, Bob)"; else not_ok "key recomputation differs"; fi

k_mac=$(kdf 32 -kdfopt mode:EXPAND_ONLY -kdfopt "hexkey:$secret" \
    -kdfopt "hexinfo:$(hexof 'skip-kpd keyid mac')")
mac=$(unhex "$(echo "$key_id" | cut -c1-20)$(hexof Alice)00$(hexof Bob)" |
    openssl mac -digest SHA256 -macopt "hexkey:$k_mac" HMAC | tr A-F a-f)
expect_eq "keyId MAC = HMAC(K_mac, header, Alice, Bob)" \
    "$(echo "$mac" | cut -c1-12)" "$(echo "$key_id" | cut -c21-32)"
expect_eq "size field says 256 bits" "$(echo "$key_id" | cut -c11-12)" 1f
finish
