# SPDX-License-Identifier: BSD-3-Clause
# TLS failures are refused, and the client's error names the cause.
. "$top_srcdir/tests/integration/lib.sh"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/any-ca.key" -out "$T/any-ca.crt" -subj "/CN=any CA" -days 1 2>/dev/null

for mode in psk13 psk12; do
    testbed_up --tls "$mode"
    echo "0x$(openssl rand -hex 32)" > "$T/wrong.psk"
    expect_exit 4 "$mode: wrong PSK is refused" alice --psk-file "$T/wrong.psk" capabilities
    expect_match "$mode: ... error names the PSK file" "$T/err" 'PSK.*"alice-encryptor".*\(psk_file\)'
    expect_match "$mode: ... KP logs the failed handshake" "$T/alice/kpd.log" 'warning: TLS handshake failed: '
    expect_match "$mode: ... and says the client's key is not the one here" "$T/alice/kpd.log" \
        "failed: .* \(psk:alice-encryptor.*: the client's key is not the one in psk_file here"
    # A client set up for certificates offers no PSK: both ends say so.
    expect_exit 4 "$mode: a tls = cert client at the PSK listener is refused" \
        "$TOOL" --url "$SKIP_TESTBED_ALICE_URL" --tls cert --ca-file "$T/any-ca.crt" capabilities
    expect_match "$mode: ... the client suspects a PSK listener" "$T/err" \
        'took no suite we offer with tls = cert: it may be a tls = psk listener'
    expect_match "$mode: ... the KP suspects a certificate client" "$T/alice/kpd.log" \
        'failed: .* \(the client offered no PSK: one set up with tls = cert, at this tls = psk listener\?\)'
    expect_exit 4 "$mode: unknown identity is refused" alice --psk-identity intruder capabilities
    expect_match "$mode: ... error names the identity" "$T/err" 'psk_identity "intruder"'
    expect_match "$mode: ... KP logs the identity" "$T/alice/kpd.log" 'warning: unknown PSK identity intruder'
    # An identity is the client's bytes: it cannot forge a log line.
    expect_exit 4 "$mode: an identity with a line feed and an escape" \
        alice --psk-identity "$(printf 'evil\nskip-kpd: error: forged\033[31m')" capabilities
    expect_match "$mode: ... is logged on one line, escaped" "$T/alice/kpd.log" \
        'warning: unknown PSK identity evil\\x0askip-kpd: error: forged\\x1b\[31m$'
    expect_no_match "$mode: ... and forges no line" "$T/alice/kpd.log" '^skip-kpd: error: forged'
    "$TESTBED" down "$T" > /dev/null
done

testbed_up --tls cert13
psk_conf=$T/psk-client.conf
echo "0x$(openssl rand -hex 32)" > "$T/client.psk"
cat > "$psk_conf" <<CONF
[kp]
url = $SKIP_TESTBED_ALICE_URL
tls = psk
psk_identity = alice-encryptor
psk_file = $T/client.psk
CONF
expect_exit 4 "PSK client, certificate server: refused" "$TOOL" -c "$psk_conf" capabilities
expect_match "... error says the server sent a certificate" "$T/err" 'server presented a certificate in PSK mode'

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/other-ca.key" -out "$T/other-ca.crt" -subj "/CN=other CA" -days 1 2>/dev/null
expect_exit 4 "wrong CA is refused" alice --ca-file "$T/other-ca.crt" capabilities
expect_match "... error says the certificate is not trusted" "$T/err" 'server certificate not trusted'

# Plaintext HTTP to the TLS port gets no HTTP answer at all.
port=${SKIP_TESTBED_ALICE_URL##*:}
# The KP may close before the request is written: ignore SIGPIPE there.
plaintext_probe() (
    trap '' PIPE
    exec 3<>"/dev/tcp/127.0.0.1/$port" || exit 1
    printf 'GET /capabilities HTTP/1.1\r\nHost: x\r\n\r\n' >&3 2>/dev/null
    timeout 5 cat <&3 > "$T/plain" 2>/dev/null
    exec 3<&-
)
plaintext_probe
expect_eq "the probe connected" "$?" 0
expect_no_match "plaintext request to a TLS port is not served" "$T/plain" 'HTTP/|localSystemID'
expect_match "... and the KP logs why" "$T/alice/kpd.log" 'TLS handshake failed: http request'
expect_exit 2 "an http:// URL is refused by the client" alice --url "http://127.0.0.1:$port" capabilities
expect_match "... naming the scheme" "$T/err" 'https://'
"$TESTBED" down "$T" > /dev/null

testbed_up --tls cert13
expect_exit 0 "client certificate accepted" alice capabilities
sed -e '/^cert_file/d' -e '/^key_file/d' "$SKIP_TESTBED_ALICE_TOOL_CONF" > "$T/nocert.conf"
expect_exit 4 "no client certificate when one is required: refused" "$TOOL" -c "$T/nocert.conf" capabilities
expect_match "... error says a client certificate is required" "$T/err" 'requires a client certificate'
finish
