# SPDX-License-Identifier: BSD-3-Clause
# The chain test, in every TLS mode: site A's process generates a key in
# the HMAC role and hands only its CKA_ID to site B's process, which finds
# it (fetched from KP Bob once, though searched twice); both sign the same
# data and the MACs are equal, while CKA_VALUE stays unreadable on both. No
# log or output holds the key, recomputed here from the shared secret.
. "$top_srcdir/tests/pkcs11/p11-lib.sh"
export SKIP_PKCS11_DEBUG=all

for mode in psk13 psk12 cert13 cert12; do
    testbed_up --tls "$mode"
    expect_exit 0 "$mode: A generates, signs, draws random" \
        alice_p11 "keygen hmac" "sign - data-to-sign" "value -" "random 40" \
        "random 10000"
    cp "$T/out" "$T/a.out"
    cp "$T/err" "$T/a.err"
    key_id=$(p11_field keyid "$T/a.out")
    expect_match "$mode: CKA_ID is a 128-bit keyId" "$T/a.out" '^keyid [0-9a-f]{32}$'
    expect_match "$mode: CKA_VALUE unreadable at A" "$T/a.out" '^value: CKR_ATTRIBUTE_SENSITIVE$'
    expect_match "$mode: 40 random bytes" "$T/a.out" '^random [0-9a-f]{80}$'
    expect_eq "$mode: 10000 random bytes" \
        "$(sed -n '3,$s/^random \([0-9a-f]*\)$/\1/p' "$T/a.out" | tail -n 1 | tr -d '\n' | wc -c)" 20000
    # the DRBG's seed pool is filled ahead, 1 KiB at a time: 10040 bytes
    # drawn ask the KP once (docs/random.md)
    expect_eq "$mode: ... seeded from one 1 KiB KP sample" \
        "$(grep -c 'GET .*/entropy?minentropy=8192 ->' "$T/a.err")" 1
    expect_eq "$mode: ... and no other /entropy request" \
        "$(grep -c 'GET .*/entropy' "$T/a.err")" 1

    expect_exit 0 "$mode: B finds the keyId twice and signs" \
        bob_p11 "find $key_id" "find $key_id" "sign $key_id data-to-sign" "value $key_id"
    cp "$T/out" "$T/b.out"
    cp "$T/err" "$T/b.err"
    expect_eq "$mode: found both times" "$(grep -c '^found 1$' "$T/b.out")" 2
    expect_eq "$mode: fetched from KP Bob once" \
        "$(grep -c 'GET https://127.0.0.1:[0-9]*/key/' "$T/b.err")" 1
    expect_eq "$mode: the MACs at A and B are equal" \
        "$(p11_field mac "$T/b.out")" "$(p11_field mac "$T/a.out")"
    expect_match "$mode: CKA_VALUE unreadable at B" "$T/b.out" '^value: CKR_ATTRIBUTE_SENSITIVE$'

    key=$(prf_key "$key_id" Alice Bob "$T/alice/peer-Bob.secret" 32)
    expect_match "$mode: the key was recomputed" /dev/stdin '^[0-9a-f]{64}$' <<KEY
$key
KEY
    upper=$(echo "$key" | tr a-f A-F)
    if grep -rqiF -e "$key" -e "$upper" "$T"/a.* "$T"/b.* "$T"/*/kpd.log; then
        not_ok "$mode: the key appears in a log or output"
    else
        ok "$mode: no log or output holds the key"
    fi
    "$TESTBED" down "$T" > /dev/null
done
finish
