# SPDX-License-Identifier: BSD-3-Clause
# PyKCS11 (interop-notes.md section 6): the basics, then HKDF, IKEv2 prf+
# and SP 800-108 derivation with hand-packed parameters, at both sites; the
# derived keys are equal at A and B and equal to what OpenSSL computes from
# the SKIP key recomputed from the testbed's shared secret.
. "$top_srcdir/tests/interop/interop-lib.sh"
PYTHON=/usr/bin/python3 # Debian's interpreter, which has PyKCS11
[ -x "$PYTHON" ] && "$PYTHON" -c 'import PyKCS11' 2>/dev/null ||
    { echo "SKIP: python3-pykcs11 not installed"; exit 77; }
PEER="$PYTHON $top_srcdir/tests/interop/skip_peer.py $MODULE"
# Python's own allocations are not ours to report.
export ASAN_OPTIONS="detect_leaks=0"

testbed_up
run_ok "A: info, generate, find, derive, HMAC, random" at_alice $PEER gen
cp "$T/out" "$T/a.out"
expect_match "... library" "$T/a.out" '^library skip-pkcs11$'
expect_match "... token flags" "$T/a.out" '^token Alice CKF_RNG'
expect_match "... all three KDFs listed" "$T/a.out" \
    'CKM_HKDF_DERIVE CKM_IKE2_PRF_PLUS_DERIVE .*CKM_SP800_108_COUNTER_KDF'
expect_match "... the label asked for is kept" "$T/a.out" '^label pykcs11 kdf key$'
expect_match "... a 32-byte key" "$T/a.out" '^length 32$'
expect_match "... found by CKA_ID" "$T/a.out" '^found 1$'
expect_match "... HMAC verifies" "$T/a.out" '^verify True$'
expect_match "... and fails on other data" "$T/a.out" '^verify-other False$'
expect_match "... 32 random bytes" "$T/a.out" '^random [0-9a-f]{64}$'
key_id=$(p11_field keyid "$T/a.out")

run_ok "B: find by keyId and derive" at_bob $PEER find "$key_id"
expect_match "... found" "$T/out" '^found 1$'
for kdf in hkdf prfplus kbkdf; do
    expect_eq "$kdf: equal at both sites" "$(p11_field $kdf)" "$(p11_field $kdf "$T/a.out")"
done

key=$(prf_key "$key_id" Alice Bob "$T/alice/peer-Bob.secret" 32)
info=$(hexof 'skip pykcs11 info')
expand=$(kdf 32 -kdfopt mode:EXPAND_ONLY -kdfopt "hexkey:$key" -kdfopt "hexinfo:$info")
expect_eq "hkdf: HKDF-Expand(SKIP key, info) by OpenSSL" "$(p11_field hkdf)" "$expand"
expect_eq "prfplus: prf+ is HKDF-Expand for one 32-byte block run" "$(p11_field prfplus)" "$expand"
kbkdf=$(openssl kdf -keylen 32 -kdfopt mac:HMAC -kdfopt digest:SHA256 \
    -kdfopt "hexkey:$key" -kdfopt "hexsalt:$(hexof 'skip label')" \
    -kdfopt "hexinfo:$(hexof 'skip context')" KBKDF | tr -d ':\n' | tr A-F a-f)
expect_eq "kbkdf: SP 800-108 counter mode by OpenSSL's KBKDF" "$(p11_field kbkdf)" "$kbkdf"

run_ok "B: a keyId KP Bob has not got" at_bob $PEER find 00112233445566778899aabbccddeeff
expect_match "... is found zero times" "$T/out" '^found 0$'
expect_key_nowhere "no log or output holds the key" "$key_id" 32 "$T/a.out" "$T/out" "$T/err"
finish
