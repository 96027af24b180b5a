# SPDX-License-Identifier: BSD-3-Clause
# KP faults seen through the module: each gives its CKR and one log line
# naming call, slot, path and cause. fallback_url is used when the KP is
# down. A hostile KP (openssl s_server -WWW) answers with bad bodies.
. "$top_srcdir/tests/pkcs11/p11-lib.sh"
need perl

testbed_up
dead=$(free_port)

# KP down.
sed "s|^url = .*|url = https://127.0.0.1:$dead|" "$SKIP_TESTBED_ALICE_MODULE_CONF" > "$T/down.conf"
expect_exit 1 "KP down: C_GenerateKey fails" \
    env SKIP_PKCS11_CONF="$T/down.conf" "$P11" "$MODULE" "keygen hmac"
expect_match "... with CKR_DEVICE_ERROR" "$T/out" '^error: C_GenerateKey: CKR_DEVICE_ERROR$'
expect_match "... and one log line: call, slot, path, cause" "$T/err" \
    "error: C_GenerateKey: slot Alice: https://127.0.0.1:$dead /capabilities: transport: "
expect_exit 1 "KP down: C_GenerateRandom fails" \
    env SKIP_PKCS11_CONF="$T/down.conf" "$P11" "$MODULE" "random 8"
expect_match "... with CKR_DEVICE_ERROR" "$T/out" '^error: C_GenerateRandom: CKR_DEVICE_ERROR$'

# fallback_url takes over.
printf 'fallback_url = %s\n' "$SKIP_TESTBED_ALICE_URL" >> "$T/down.conf"
expect_exit 0 "KP down, fallback_url up: C_GenerateKey works" \
    env SKIP_PKCS11_CONF="$T/down.conf" "$P11" "$MODULE" "keygen hmac"
expect_match "... and says it used the fallback" "$T/err" \
    "slot Alice: https://[^ ]* failed \\(transport: .*\\); trying $SKIP_TESTBED_ALICE_URL"

# A KP that accepts and never answers (a short timeout in a config of its
# own, so the checks after it keep the testbed's).
cp "$SKIP_TESTBED_ALICE_MODULE_CONF" "$T/silent.conf"
printf 'timeout_ms = 700\n' >> "$T/silent.conf"
kill -STOP "$SKIP_TESTBED_ALICE_PID"
expect_exit 1 "a silent KP: C_GenerateKey fails" \
    env SKIP_PKCS11_CONF="$T/silent.conf" "$P11" "$MODULE" "keygen hmac"
kill -CONT "$SKIP_TESTBED_ALICE_PID"
expect_match "... with CKR_DEVICE_ERROR" "$T/out" '^error: C_GenerateKey: CKR_DEVICE_ERROR$'
expect_match "... logged as a timeout" "$T/err" 'C_GenerateKey: slot Alice: .* timeout: '

# 503: the KP's entropy source fails.
: > "$T/empty-hwrng"
printf '[kpd]\nentropy_file = %s\n' "$T/empty-hwrng" >> "$SKIP_TESTBED_ALICE_KPD_CONF"
"$TESTBED" stop "$T" alice > /dev/null
"$TESTBED" start "$T" alice > /dev/null
. "$T/env"
expect_exit 1 "503 from /entropy: C_GenerateRandom fails" alice_p11 "random 16"
expect_match "... with CKR_DEVICE_ERROR" "$T/out" '^error: C_GenerateRandom: CKR_DEVICE_ERROR$'
expect_match "... logged with the status and the KP's own words" "$T/err" \
    'C_GenerateRandom: slot Alice: .* /entropy: http-503: HTTP 503 from [^ ]*: entropy source unavailable$'

# 500: Bob's ledger cannot record the delivery (a file-size limit just
# above a pre-filled ledger, as in kpd-500.sh).
expect_exit 0 "A generates a key for B" alice_p11 "keygen hmac"
id500=$(p11_field keyid)
"$TESTBED" stop "$T" bob > /dev/null
expiry_ms="$(date +%s)000"
awk -v e="$((expiry_ms + 86400000))" \
    'BEGIN { for (i = 0; i < 309; i++) printf "%s %032x Alice\n", e, i }' \
    > "$T/bob/state/delivered.log"
mv "$T/bob/kpd.log" "$T/bob/kpd.log.1"
(ulimit -f 16 && "$TESTBED" start "$T" bob > /dev/null)
. "$T/env"
expect_exit 1 "500 from /key/{keyId}: the search fails" bob_p11 "find $id500"
expect_match "... with CKR_DEVICE_ERROR" "$T/out" '^error: C_FindObjectsInit: CKR_DEVICE_ERROR$'
expect_match "... logged with the status" "$T/err" 'C_FindObjectsInit: slot Bob: .* /key/\{keyId\}: http-5xx: HTTP 500'
"$TESTBED" down "$T" > /dev/null

# A hostile KP: every path answers with the file of that name.
start_hostile_kp
port=$hostile_port
printf '[slot Hostile]\nurl = https://127.0.0.1:%s\ntls = cert\nca_file = %s\nremote = Bob\n' \
    "$port" "$T/kp.crt" > "$T/hostile.conf"
hostile_p11() { SKIP_PKCS11_CONF="$T/hostile.conf" "$P11" "$MODULE" "$@"; }
printf '{"entropy":true,"key":true,"algorithm":"x","localSystemID":"Evil","remoteSystemID":["Bob"]}' \
    > "$T/www/capabilities"

K=ad229dfb8a276e74c1f3b6c09349a69fb2fed73c541270663f0e5cbbfb031670
ID=00112233445566778899aabbccddeeff
bad_answer() { # description, body ('' for a 100 MB body)
    if [ -n "$2" ]; then
        printf '%s' "$2" > "$T/www/key?remoteSystemID=Bob&size=256"
    else
        truncate -s 100M "$T/www/key?remoteSystemID=Bob&size=256"
    fi
    expect_exit 1 "hostile KP, $1: C_GenerateKey fails" hostile_p11 "keygen hmac"
    expect_match "... with CKR_DEVICE_ERROR" "$T/out" '^error: C_GenerateKey: CKR_DEVICE_ERROR$'
    expect_match "... logged: slot, path, cause" "$T/err" \
        "C_GenerateKey: slot Hostile: https://127.0.0.1:$port /key: (malformed-answer|too-large): "
    expect_no_match "... without the key bytes" "$T/err" "$K"
}
bad_answer "bad JSON" "{\"keyId\":\"$ID\",\"key\":\"$K\""
bad_answer "a missing field" "{\"keyId\":\"$ID\"}"
bad_answer "non-hex key" "{\"keyId\":\"$ID\",\"key\":\"zz${K#zz}\"}"
bad_answer "wrong key length" "{\"keyId\":\"$ID\",\"key\":\"${K%????????}\"}"
bad_answer "a 100 MB body" ''

printf '{"keyId":"ffff","key":"%s"}' "$K" > "$T/www/key/$ID?remoteSystemID=Bob"
expect_exit 1 "hostile KP, another keyId: C_FindObjects fails" hostile_p11 "find $ID"
expect_match "... with CKR_DEVICE_ERROR" "$T/out" '^error: C_FindObjectsInit: CKR_DEVICE_ERROR$'
expect_match "... logged" "$T/err" "C_FindObjectsInit: slot Hostile: .* /key/\{keyId\}: malformed-answer: keyId other than asked"
rm -f "$T/www/capabilities"
expect_exit 1 "hostile KP, no capabilities: C_GenerateKey fails" hostile_p11 "keygen hmac"
expect_match "... logged" "$T/err" "C_GenerateKey: slot Hostile: .* /capabilities: "
finish
