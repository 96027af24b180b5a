# SPDX-License-Identifier: BSD-3-Clause
# The module's key rules against real KPs: attributes of generated and
# fetched keys, remote selection, roles from templates, session keys in a
# read-only session, the capabilities cache, and no fetch before login.
. "$top_srcdir/tests/pkcs11/p11-lib.sh"

testbed_up --self-peer
attr() { sed -n "s/^$1 //p" "$T/out"; }

expect_exit 0 "keygen with the slot's remote" alice_p11 "keygen hmac" "attrs -"
key_id=$(p11_field keyid)
expect_eq "CKA_TOKEN TRUE by default" "$(attr token)" 1
expect_eq "CKA_LOCAL TRUE" "$(attr local)" 1
expect_eq "sensitive, never extractable" "$(attr sensitive)$(attr extractable)$(attr always_sensitive)$(attr never_extractable)" 1011
expect_eq "CKA_KEY_GEN_MECHANISM" "$(attr keygen_mechanism)" 0x350
expect_eq "default CKA_LABEL is the keyId" "$(attr label)" "$key_id"
expect_eq "CKA_SKIP_REMOTE_SYSTEM_ID is the slot's remote" "$(attr remote)" Bob
expect_eq "HMAC role: sign, not derive" "$(attr sign)$(attr derive)" 10
expect_eq "CKA_ALLOWED_MECHANISMS lists the six HMACs" "$(attr allowed_mechanisms)" 6

expect_exit 0 "an AES-128 key" alice_p11 "keygen aes len=16" "attrs -"
expect_eq "... of type CKK_AES" "$(attr key_type)" 0x1f
expect_eq "... 16 bytes" "$(attr value_len)" 16
expect_eq "... whose keyId carries the size" "$(p11_field keyid | cut -c15-16)" 0f
expect_exit 0 "a 64-byte generic key" alice_p11 "keygen len=64" "attrs -"
expect_eq "... 64 bytes" "$(attr value_len)" 64
expect_exit 0 "a label from the template" alice_p11 "keygen label=vpn-ppk" "attrs -" \
    "relabel - other" "relabel - 0123456789abcdef0123456789abcdef" "attrs -"
expect_eq "... is kept" "$(attr label | head -n 1)" vpn-ppk
expect_match "... and may change, as every key's (NSS names keys after making them)" \
    "$T/out" '^relabel: CKR_OK$'
expect_eq "... to the new label" "$(attr label | tail -n 1)" other
expect_match "... but not to one in keyId form" "$T/out" '^relabel: CKR_ATTRIBUTE_VALUE_INVALID$'

# Remote selection.
expect_exit 0 "CKA_SKIP_REMOTE_SYSTEM_ID picks the remote" alice_p11 "keygen remote=Alice" "attrs -"
expect_eq "... Alice (a loopback key)" "$(attr remote)" Alice
expect_exit 1 "a remote the KP does not list" alice_p11 "keygen remote=Carol"
expect_match "... is CKR_ATTRIBUTE_VALUE_INVALID" "$T/out" 'CKR_ATTRIBUTE_VALUE_INVALID'
expect_match "... logged" "$T/err" 'remote "Carol" matches no remoteSystemID'
grep -v '^remote' "$SKIP_TESTBED_ALICE_MODULE_CONF" > "$T/noremote.conf"
expect_exit 1 "no remote anywhere and two on the KP" \
    env SKIP_PKCS11_CONF="$T/noremote.conf" "$P11" "$MODULE" "keygen"
expect_match "... is CKR_TEMPLATE_INCOMPLETE" "$T/out" 'CKR_TEMPLATE_INCOMPLETE'
expect_match "... logged with the fix" "$T/err" 'set remote in the slot or CKA_SKIP_REMOTE_SYSTEM_ID'

# A session key in a read-only public session.
expect_exit 0 "session key in a RO session" alice_p11 "ro" "keygen hmac session" "sign - x" "attrs -"
expect_eq "... CKA_TOKEN FALSE" "$(attr token)" 0
expect_exit 1 "token key in a RO session" alice_p11 "ro" "keygen hmac"
expect_match "... is CKR_SESSION_READ_ONLY" "$T/out" 'CKR_SESSION_READ_ONLY'

# The role a search asks for sticks to the fetched key.
expect_exit 0 "A makes a key with no role" alice_p11 "keygen"
open_id=$(p11_field keyid)
expect_exit 1 "B fetches it for a KDF, then tries an HMAC" \
    bob_p11 "find $open_id kdf" "attrs $open_id" "sign $open_id x"
expect_eq "... sign FALSE, derive TRUE" "$(attr sign)$(attr derive)" 01
expect_eq "... fetched keys are token, local, sensitive" "$(attr token)$(attr local)$(attr sensitive)" 111
expect_match "... and the HMAC is refused" "$T/out" '^error: C_SignInit: CKR_KEY_FUNCTION_NOT_PERMITTED$'

# Capabilities are fetched once per process (cached), not per key.
expect_exit 0 "three keys in one process" env SKIP_PKCS11_DEBUG=http \
    SKIP_PKCS11_CONF="$SKIP_TESTBED_ALICE_MODULE_CONF" "$P11" "$MODULE" keygen keygen keygen
expect_eq "... one GET /capabilities" "$(grep -c 'GET .*/capabilities ->' "$T/err")" 1
expect_eq "... three GET /key" "$(grep -c 'GET .*/key?remoteSystemID=Bob&size=256 ->' "$T/err")" 3

# With a PIN, no KP request before login.
expect_exit 0 "A makes a key for B" alice_p11 "keygen hmac"
pin_id=$(p11_field keyid)
{ cat "$SKIP_TESTBED_BOB_MODULE_CONF"
  echo "pin_sha256 = $(printf 123456 | sha256sum | cut -d' ' -f1)"; } > "$T/pin.conf"
expect_exit 0 "search before login" env SKIP_PKCS11_DEBUG=http \
    SKIP_PKCS11_CONF="$T/pin.conf" "$P11" "$MODULE" "find $pin_id" "login 123456" "find $pin_id"
expect_eq "... finds nothing, then the key after login" "$(sed -n 's/^found //p' "$T/out" | tr '\n' ' ')" "0 1 "
expect_eq "... and asked the KP only once" "$(grep -c 'GET .*/key/' "$T/err")" 1
expect_exit 1 "keygen before login" env SKIP_PKCS11_CONF="$T/pin.conf" "$P11" "$MODULE" "keygen"
expect_match "... is CKR_USER_NOT_LOGGED_IN" "$T/out" 'CKR_USER_NOT_LOGGED_IN'

# A delivered key is kept whatever the search asked: an AES search for a
# 64-byte key finds nothing, and the next search finds the key here (the
# KP gives it once).
expect_exit 0 "A makes a 64-byte key and signs with it" alice_p11 "keygen len=64" "sign - x"
long_id=$(p11_field keyid)
long_mac=$(p11_field mac)
expect_exit 0 "B searches it as AES, then as any key" \
    bob_p11 "find $long_id type=aes" "find $long_id" "attrs $long_id" "sign $long_id x"
expect_eq "... the AES search finds nothing, the next finds it" \
    "$(sed -n 's/^found //p' "$T/out" | tr '\n' ' ')" "0 1 "
expect_eq "... a generic secret of 64 bytes" "$(attr key_type) $(attr value_len)" "0x10 64"
expect_eq "... the key Alice holds" "$(p11_field mac)" "$long_mac"

# A label in keyId form, in either case, is a search by that CKA_ID: it
# asks the KP for the key, and finds the SKIP key, not a key named so.
expect_exit 0 "A makes a key" alice_p11 "keygen" "sign - x"
label_id=$(p11_field keyid)
label_mac=$(p11_field mac)
upper_id=$(printf %s "$label_id" | tr a-f A-F)
expect_exit 0 "B finds it by its label in upper case" \
    bob_p11 "findlabel $upper_id" "sign $label_id x"
expect_eq "... found, by the KP" "$(p11_field found)" 1
expect_eq "... and it is Alice's key" "$(p11_field mac)" "$label_mac"

# fetch_limit counts the slot's searches that ask the KP, in every session
# ("ro" opens a new one): the third of three unknown keyIds is refused.
{ cat "$SKIP_TESTBED_BOB_MODULE_CONF"; echo "fetch_limit = 2"; } > "$T/limit.conf"
expect_exit 1 "three searches in three sessions with fetch_limit = 2" \
    env SKIP_PKCS11_CONF="$T/limit.conf" "$P11" "$MODULE" \
    "find $(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')" "ro" \
    "find $(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')" "ro" \
    "find $(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
expect_eq "... two asked the KP and found nothing" \
    "$(sed -n 's/^found //p' "$T/out" | tr '\n' ' ')" "0 0 "
expect_match "... the third is CKR_DEVICE_ERROR" "$T/out" '^error: C_FindObjectsInit: CKR_DEVICE_ERROR$'
expect_match "... logged with the setting" "$T/err" \
    'slot Bob: more than fetch_limit = 2 searches asked the KP within 10 s'

# random = kp gives the KP's bytes alone, fetched in 4 KiB pieces; the
# default DRBG (docs/random.md) never outputs them as they are. A KP whose
# entropy source is a file of 'A's shows the difference.
head -c 4096 /dev/zero | tr '\0' A > "$T/hwrng"
printf '[kpd]\nentropy_file = %s\n' "$T/hwrng" >> "$SKIP_TESTBED_ALICE_KPD_CONF"
"$TESTBED" stop "$T" alice > /dev/null
"$TESTBED" start "$T" alice > /dev/null
. "$T/env"
expect_exit 0 "random, from the DRBG" alice_p11 "random 16"
expect_ne "... is not the KP's bytes" "$(p11_field random)" 41414141414141414141414141414141
{ cat "$SKIP_TESTBED_ALICE_MODULE_CONF"; echo "random = kp"; } > "$T/kp-random.conf"
expect_exit 0 "random = kp" env SKIP_PKCS11_CONF="$T/kp-random.conf" \
    SKIP_PKCS11_DEBUG=all "$P11" "$MODULE" "random 16" "random 10000"
expect_eq "... is exactly the KP's bytes" "$(p11_field random | head -n 1)" 41414141414141414141414141414141
expect_eq "... one request per call, in 4 KiB pieces" \
    "$(grep -o 'GET .*/entropy?minentropy=[0-9]* ->' "$T/err" | sed 's/.*=//' | tr '\n' ' ')" \
    "128 -> 32768 -> 32768 -> 14464 -> "
{ cat "$SKIP_TESTBED_ALICE_MODULE_CONF"; echo "random = mix"; } > "$T/mix-random.conf"
expect_exit 0 "random = mix, the old default" env SKIP_PKCS11_CONF="$T/mix-random.conf" \
    "$P11" "$MODULE" "random 16"
expect_match "... is read as drbg, and says so" "$T/err" \
    'slot Alice: random = mix is now random = drbg'
expect_ne "... is not the KP's bytes" "$(p11_field random)" 41414141414141414141414141414141
finish
