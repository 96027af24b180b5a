# SPDX-License-Identifier: BSD-3-Clause
# Who may ask for which key, over real TLS: a client identity asks keys
# only for the remotes its [client] section names; any other remote is a
# 400 byte for byte like a key not found, and a log line names the client
# and the keyId. /capabilities lists what it may ask for. Certificate mode
# will not start without client certificates, unless told it is a lab, and
# then every delivery is logged as unauthenticated.
. "$top_srcdir/tests/integration/lib.sh"

testbed_up
# A second identity at Alice, allowed only keys shared with Carol.
echo "ops:0x$(openssl rand -hex 32)" >> "$T/alice/kpd.psk"
printf '[client ops]\nmatch = psk:ops\nremotes = Carol\n' >> "$SKIP_TESTBED_ALICE_KPD_CONF"
"$TESTBED" stop "$T" alice > /dev/null
"$TESTBED" start "$T" alice > /dev/null
. "$T/env"
sed -n 's/^ops://p' "$T/alice/kpd.psk" > "$T/ops.psk"
ops() { alice --psk-identity ops --psk-file "$T/ops.psk" "$@"; }

expect_exit 0 "the encryptor gets a key for Bob" alice key Bob
id=$(json_field keyId)
expect_match "... and the delivery is logged with client and keyId" "$T/alice/kpd.log" \
    "GET /key for Bob \\(client psk:alice-encryptor\\): keyId $id delivered"
expect_no_match "... never with the key" "$T/alice/kpd.log" "$(json_field keySha256)"

expect_exit 0 "ops asks for a key for Bob" ops raw GET '/key?remoteSystemID=Bob'
expect_eq "... 400" "$(raw_status)" 400
cp "$T/out" "$T/refused"
expect_exit 0 "... or for Dave, a remote the KP does not know" ops raw GET '/key?remoteSystemID=Dave'
expect_eq "... the same answer: a restricted client learns no peer's name" \
    "$(sed -n 's/^body: //p' "$T/out")" "$(sed -n 's/^body: //p' "$T/refused")"
expect_exit 0 "a keyId that does not exist, for comparison" \
    alice raw GET '/key/00112233445566778899aabbccddeeff?remoteSystemID=Bob'
expect_eq "... the same body, byte for byte" "$(sed -n 's/^body: //p' "$T/refused")" \
    "$(sed -n 's/^body: //p' "$T/out")"
expect_match "the refusal is logged with the client" "$T/alice/kpd.log" \
    'GET /key for Bob \(client psk:ops\): keyId \(new\): this client may not ask keys for this remote'
expect_exit 0 "ops asks Bob's keyId at Alice's peer path" \
    ops raw GET "/key/$id?remoteSystemID=Bob"
expect_eq "... 400 too" "$(raw_status)" 400
expect_match "... logged with the keyId" "$T/alice/kpd.log" \
    "GET /key/\\{keyId\\} for Bob \\(client psk:ops\\): keyId $id: this client may not ask"
expect_exit 0 "ops reads /capabilities" ops raw GET /capabilities
expect_match "... which lists no remote it may not ask for" "$T/out" '"remoteSystemID":\[\]'
expect_exit 0 "the encryptor's /capabilities lists Bob" alice capabilities
expect_match "... yes" "$T/out" '"remoteSystemID":\["Bob"\]'
"$TESTBED" down "$T" > /dev/null

# Certificate mode needs client certificates...
testbed_up --tls cert13
sed -e '/^client_ca_file/d' "$SKIP_TESTBED_ALICE_KPD_CONF" > "$T/no-ca.conf"
expect_exit 1 "tls = cert without client_ca_file does not start" \
    "$(built skip-kpd)" -c "$T/no-ca.conf" --check-config
expect_match "... and says why" "$T/err" 'tls = cert needs client_ca_file'
expect_exit 0 "a client with its certificate is served" alice key Bob
expect_match "... as its subject" "$T/alice/kpd.log" \
    'GET /key for Bob \(client cert:/CN=encryptor\): keyId [0-9a-f]+ delivered$'
"$TESTBED" down "$T" > /dev/null

# ... unless it is a lab, which it then says at start and at each key.
testbed_up --tls cert13 --no-client-auth
expect_match "a lab without client certificates warns at start" "$T/alice/kpd.log" \
    'warning: client_auth = none: any TLS client may connect'
expect_exit 0 "a client without a certificate is served" alice key Bob
expect_match "... and the delivery is marked unauthenticated" "$T/alice/kpd.log" \
    'GET /key for Bob \(client anonymous, unauthenticated\): keyId [0-9a-f]+ delivered'
finish
