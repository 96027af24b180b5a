# SPDX-License-Identifier: BSD-3-Clause
# pkcs11-tool (OpenSC) against both sites, with the command lines of
# interop-notes.md section 1. Each pkcs11-tool run is a process of its own,
# so the multi-step part goes through skip-pkcs11-server, which keeps the
# module and its token keys loaded between runs.
. "$top_srcdir/tests/interop/interop-lib.sh"
need pkcs11-tool
need openssl

testbed_up
A="pkcs11-tool --module $MODULE"
printf 'pkcs11-tool interop message\n' > "$T/msg"
head -c 3000 /dev/zero | tr '\0' 'x' > "$T/msg3000"

# --- information calls ---
run_ok "-I: module information" at_alice $A -I
expect_match "-I: Cryptoki 3.0" "$T/out" '^Cryptoki version 3\.0$'
expect_match "-I: manufacturer" "$T/out" '^Manufacturer +skip-pkcs11$'
run_ok "-L: slots" at_alice $A -L
expect_match "-L: Alice's token" "$T/out" 'token label +: Alice$'
expect_match "-L: token flags" "$T/out" 'token flags +: rng, token initialized'
run_ok "-T: slots with tokens" at_alice $A -T
expect_match "-T: the token is present" "$T/out" 'Slot 0 \(0x0\): SKIP Key Provider Alice'
run_ok "-M: mechanisms" at_alice $A -M
expect_match "-M: key generation on the KP is hw" "$T/out" 'GENERIC-SECRET-KEY-GEN, keySize=\{128,512\}, hw, generate'
expect_match "-M: AES key generation" "$T/out" 'AES-KEY-GEN, keySize=\{16,32\}, hw, generate'
expect_match "-M: HMAC-SHA256" "$T/out" 'SHA256-HMAC, keySize=\{128,512\}, sign, verify'
expect_match "-M: HKDF derive" "$T/out" 'mechtype-0x402A, keySize=\{128,512\}, derive'

# --- key generation, one process each ---
expect_exit 1 "--keygen without --sensitive is refused" \
    at_alice $A --keygen --key-type GENERIC:32
expect_match "... and the message says to add --sensitive" "$T/err" \
    'skip-pkcs11: error: C_GenerateKey: CKA_SENSITIVE = FALSE is refused: SKIP keys never leave the token .*pkcs11-tool: add --sensitive'
expect_match "... pkcs11-tool reports TEMPLATE_INCONSISTENT" "$T/err" 'CKR_TEMPLATE_INCONSISTENT'
expect_exit 1 "--keygen with --id is refused" \
    at_alice $A --keygen --key-type GENERIC:32 --sensitive --id 0101
expect_match "... and the message says the KP names the key" "$T/err" \
    'C_GenerateKey: CKA_ID is read-only here: the Key Provider names SKIP keys .*leave out --id'
expect_exit 1 "--keygen --extractable is refused" \
    at_alice $A --keygen --key-type GENERIC:32 --sensitive --extractable

run_ok "--keygen GENERIC:32 --sensitive" at_alice $A --keygen --key-type GENERIC:32 --sensitive
expect_match "... a 32-byte generic secret" "$T/out" 'Secret Key Object; Generic secret length 32'
expect_match "... its ID is a 128-bit keyId" "$T/out" '^  ID: +[0-9a-f]{32}$'
expect_match "... labelled with the keyId" "$T/out" '^  label: +[0-9a-f]{32}$'
expect_match "... sensitive, never extractable, local" "$T/out" \
    'Access: +sensitive, always sensitive, never extractable, local'
# pkcs11-tool's default template asks ENCRYPT/DECRYPT; they grant nothing.
expect_no_match "... with no encrypt or decrypt use" "$T/out" 'Usage:.*(encrypt|decrypt)'
expect_match "... CKA_VALUE is refused as sensitive" "$T/err" 'C_GetAttributeValue\(VALUE\) failed: rv = CKR_ATTRIBUTE_SENSITIVE'
gen_id=$(sed -n 's/^  ID: *//p' "$T/out")
expect_key_nowhere "... the generated key is in no output" "$gen_id" 32 "$T/out" "$T/err"

run_ok "--keygen AES:32 --sensitive" at_alice $A --keygen --key-type AES:32 --sensitive
expect_match "... a 256-bit AES key" "$T/out" 'Secret Key Object; AES length 32'
expect_match "... its ID is a 128-bit keyId" "$T/out" '^  ID: +[0-9a-f]{32}$'

# --- a token with a PIN: SKIP keys are private ---
pin_conf=$T/alice-pin.conf
{ cat "$SKIP_TESTBED_ALICE_MODULE_CONF"; echo "pin_sha256 = $(printf 123456 | sha256sum | cut -d' ' -f1)"; } > "$pin_conf"
at_alice_pin() { SKIP_PKCS11_CONF=$pin_conf host "$@"; }
expect_exit 1 "PIN token: --keygen without --private is refused" \
    at_alice_pin $A --login --pin 123456 --keygen --key-type GENERIC:32 --sensitive
expect_match "... and the message says to add --private" "$T/err" \
    'C_GenerateKey: CKA_PRIVATE = FALSE is refused: .*pkcs11-tool: add --private'
run_ok "PIN token: --keygen --sensitive --private" \
    at_alice_pin $A --login --pin 123456 --keygen --key-type GENERIC:32 --sensitive --private
expect_match "... the KP's key" "$T/out" '^  ID: +[0-9a-f]{32}$'

# --- random and the self test ---
run_ok "--generate-random 32" at_alice $A --generate-random 32 -o "$T/r1"
at_alice $A --generate-random 32 -o "$T/r2" 2>/dev/null
expect_eq "... 32 bytes" "$(wc -c < "$T/r1")" 32
expect_ne "... two draws differ" "$(od -An -tx1 "$T/r1")" "$(od -An -tx1 "$T/r2")"
run_ok "--test" at_alice $A --test
expect_match "... No errors" "$T/out" '^No errors$'
expect_match "... the RNG test passes" "$T/out" 'seems to be OK'

# --- sign and verify across the sites, through each site's server ---
start_server alice
start_server bob
C="pkcs11-tool --module $P11KIT_CLIENT"
run_ok "via server: --keygen GENERIC:32 --sensitive --usage-sign" \
    via_alice $C --keygen --key-type GENERIC:32 --sensitive --usage-sign
key_id=$(sed -n 's/^  ID: *//p' "$T/out")
expect_match "... keyId printed" /dev/stdin '^[0-9a-f]{32}$' <<EOF
$key_id
EOF
run_ok "via server: -O lists the key a previous process made" via_alice $C -O
expect_match "... with its keyId" "$T/out" "^  ID: +$key_id\$"
run_ok "A: --sign -m SHA256-HMAC --id keyId" \
    via_alice $C --sign -m SHA256-HMAC --id "$key_id" -i "$T/msg" -o "$T/mac-a"
run_ok "A: --verify" via_alice $C --verify -m SHA256-HMAC --id "$key_id" \
    -i "$T/msg" --signature-file "$T/mac-a"
expect_match "... Signature is valid" "$T/out" '^Signature is valid$'
printf 'tampered\n' > "$T/msg-bad"
# pkcs11-tool 0.23 exits 0 on a bad signature and says so on stdout.
run_ok "A: --verify of other data" via_alice $C --verify \
    -m SHA256-HMAC --id "$key_id" -i "$T/msg-bad" --signature-file "$T/mac-a"
expect_match "... reports an invalid signature" "$T/out" '^Invalid signature$'
run_ok "A: --sign a 3000-byte input (multi-part)" \
    via_alice $C --sign -m SHA256-HMAC --id "$key_id" -i "$T/msg3000" -o "$T/mac3000-a"

run_ok "B: --sign --id keyId fetches the key from KP Bob" \
    via_bob $C --sign -m SHA256-HMAC --id "$key_id" -i "$T/msg" -o "$T/mac-b"
run_ok "B: --verify A's MAC" via_bob $C --verify -m SHA256-HMAC --id "$key_id" \
    -i "$T/msg" --signature-file "$T/mac-a"
expect_match "... Signature is valid" "$T/out" '^Signature is valid$'
run_ok "B: --sign the 3000-byte input" \
    via_bob $C --sign -m SHA256-HMAC --id "$key_id" -i "$T/msg3000" -o "$T/mac3000-b"
mac_a=$(od -An -tx1 "$T/mac-a" | tr -d ' \n')
expect_eq "the MAC is equal at both sites" "$(od -An -tx1 "$T/mac-b" | tr -d ' \n')" "$mac_a"
expect_eq "... and for the multi-part input" \
    "$(od -An -tx1 "$T/mac3000-b" | tr -d ' \n')" "$(od -An -tx1 "$T/mac3000-a" | tr -d ' \n')"
key=$(prf_key "$key_id" Alice Bob "$T/alice/peer-Bob.secret" 32)
expect_eq "... and is HMAC-SHA256 under the SKIP key" "$mac_a" \
    "$(openssl mac -digest SHA256 -macopt "hexkey:$key" -in "$T/msg" HMAC | tr A-F a-f)"
expect_eq "KP Bob was asked for the key once" \
    "$(grep -c "GET https://127.0.0.1:[0-9]*/key/$key_id" "$T/server-bob.log")" 1

expect_exit 1 "B: --encrypt -m AES-CBC-PAD is refused" via_bob $C --encrypt \
    -m AES-CBC-PAD --id "$key_id" --iv 000102030405060708090a0b0c0d0e0f -i "$T/msg"

run_ok "A: --delete-object --type secrkey --id keyId" \
    via_alice $C --delete-object --type secrkey --id "$key_id"
run_ok "A: -O after the delete" via_alice $C -O
expect_no_match "... no longer lists the key" "$T/out" "$key_id"
expect_exit 1 "A: --sign with the deleted key fails" \
    via_alice $C --sign -m SHA256-HMAC --id "$key_id" -i "$T/msg" -o "$T/mac-gone"
expect_match "... the key is not found" "$T/err" 'not find key|Could not find'

expect_key_nowhere "no log or output holds the HMAC key" "$key_id" 32 "$T/out" "$T/err"
finish
