# SPDX-License-Identifier: BSD-3-Clause
# p11tool (GnuTLS) against both sites, with the command lines of
# interop-notes.md section 2: tokens, URLs, mechanisms, objects by id and by
# label, random. p11tool cannot generate secret keys; pkcs11-tool does that
# through Alice's skip-pkcs11-server.
. "$top_srcdir/tests/interop/interop-lib.sh"
need p11tool
need pkcs11-tool

testbed_up
P="p11tool --provider $MODULE"
pct() { echo "$1" | sed 's/../%&/g'; } # keyId hex -> URI id=
colons() { echo "$1" | sed 's/../&:/g; s/:$//'; }

run_ok "--list-tokens" at_alice $P --list-tokens
expect_match "... Alice's token" "$T/out" 'Label: Alice$'
expect_match "... with an RNG" "$T/out" 'Flags: RNG'
expect_match "... manufacturer" "$T/out" 'Manufacturer: skip-pkcs11$'
run_ok "--list-token-urls" at_alice $P --list-token-urls
expect_match "... the token's URI" "$T/out" \
    '^pkcs11:model=SKIP%20KP;manufacturer=skip-pkcs11;serial=[0-9a-f]{16};token=Alice$'
run_ok "--list-mechanisms" at_alice $P --list-mechanisms "pkcs11:token=Alice"
expect_match "... HMAC-SHA256" "$T/out" 'CKM_SHA256_HMAC keysize range \(128, 512\) sign verify'
expect_match "... KP key generation" "$T/out" 'CKM_GENERIC_SECRET_KEY_GEN keysize range \(128, 512\) hw generate'
run_ok "--generate-random=32" at_alice $P --generate-random=32 "pkcs11:token=Alice"
expect_eq "... 32 bytes" "$(wc -c < "$T/out")" 32

# Two keys made at Alice; her server keeps them for p11tool's processes.
start_server alice
C="pkcs11-tool --module $P11KIT_CLIENT"
via_alice $C --keygen --key-type GENERIC:32 --sensitive --usage-sign > "$T/k1" 2>&1
via_alice $C --keygen --key-type GENERIC:32 --sensitive > "$T/k2" 2>&1
id1=$(sed -n 's/^  ID: *//p' "$T/k1")
id2=$(sed -n 's/^  ID: *//p' "$T/k2")
expect_ne "two keys made at Alice" "$id1" "$id2"

PC="p11tool --provider $P11KIT_CLIENT"
run_ok "A: --list-all type=secret-key" via_alice $PC --list-all "pkcs11:token=Alice;type=secret-key"
expect_eq "... lists both keys" "$(grep -c 'Type: Secret key' "$T/out")" 2
expect_match "... key 1 with its ID" "$T/out" "ID: $(colons "$id1")\$"
expect_match "... never extractable, sensitive" "$T/out" 'Flags: CKA_NEVER_EXTRACTABLE; CKA_SENSITIVE;'
run_ok "A: --only-urls --list-all" via_alice $PC --only-urls --list-all "pkcs11:token=Alice;type=secret-key"
expect_match "... the URL of key 2" "$T/out" \
    "token=Alice;id=$(pct "$id2" | sed 's/[a-f]/\U&/g');object=$id2;type=secret-key\$"
run_ok "A: --list-all by object label" via_alice $PC --list-all "pkcs11:token=Alice;object=$id1"
expect_eq "... finds that key only" "$(grep -c 'Type: Secret key' "$T/out")" 1
expect_match "... key 1" "$T/out" "Label: $id1\$"

# At Bob, in one process each: a search by id or by the keyId label
# fetches the key from KP Bob.
export SKIP_PKCS11_DEBUG=http
run_ok "B: --list-all by id fetches the key" \
    at_bob $P --list-all "pkcs11:token=Bob;id=$(pct "$id1");type=secret-key"
expect_match "... a secret key" "$T/out" 'Type: Secret key'
expect_match "... with the keyId as ID" "$T/out" "ID: $(colons "$id1")\$"
expect_eq "... asked KP Bob once" "$(grep -c "GET https://127.0.0.1:[0-9]*/key/$id1" "$T/err")" 1
run_ok "B: --list-all by the keyId as label fetches the key" \
    at_bob $P --list-all "pkcs11:token=Bob;object=$id2"
expect_match "... a secret key labelled with its keyId" "$T/out" "Label: $id2\$"
expect_eq "... asked KP Bob once" "$(grep -c "GET https://127.0.0.1:[0-9]*/key/$id2" "$T/err")" 1
expect_exit 2 "B: a label that is no keyId finds nothing (exit 2)" \
    at_bob $P --list-all "pkcs11:token=Bob;object=gen32"
expect_no_match "... and asks the KP nothing" "$T/err" 'GET https://[^ ]*/key'
upper=$(echo "$id1" | tr a-f A-F)
expect_exit 2 "B: an upper-case keyId label is a search by that keyId" \
    at_bob $P --list-all "pkcs11:token=Bob;object=$upper"
expect_eq "... which asks KP Bob for it (delivered already, so nothing found)" \
    "$(grep -c "GET https://127.0.0.1:[0-9]*/key/$id1" "$T/err")" 1
unset SKIP_PKCS11_DEBUG

expect_key_nowhere "no log or output holds key 1" "$id1" 32 "$T/out" "$T/err" "$T/k1"
finish
