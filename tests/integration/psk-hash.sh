# SPDX-License-Identifier: BSD-3-Clause
# TLS 1.3 external PSKs bound to SHA-256 (RFC 8446's default, as OpenSSL's
# legacy PSK callbacks, `openssl s_client -psk` and stunnel bind them) next
# to skip-kpd's SHA-384: psk_hash in a [client] at the KP, and in the
# client's config; a mismatch is named on both sides. And a TLS 1.2 PSK
# server with only AES-128 suites: the error names the suites.
. "$top_srcdir/tests/integration/lib.sh"

testbed_up --tls psk13
psk_hex=$(sed -n 's/^alice-encryptor:0x//p' "$T/alice/kpd.psk")
[ -n "$psk_hex" ] || { echo "Bail out! no hex PSK in $T/alice/kpd.psk"; exit 1; }
request() { printf 'GET /capabilities HTTP/1.1\r\nHost: kp\r\nConnection: close\r\n\r\n'; }
s_client_psk() { # a client binding the PSK to SHA-256, as OpenSSL's does
    request | timeout 10 openssl s_client -quiet -tls1_3 -connect "${SKIP_TESTBED_ALICE_URL#https://}" \
        -psk_identity alice-encryptor -psk "$psk_hex" 2>&1
}

s_client_psk > "$T/out"
expect_no_match "skip-kpd (SHA-384 by default) refuses openssl s_client's SHA-256 PSK" \
    "$T/out" '^HTTP/1.1 200'
expect_match "... and its log line names the identity and psk_hash" "$T/alice/kpd.log" \
    'TLS handshake failed: .* \(psk:alice-encryptor is bound to sha384 here, by psk_hash in its \[client\]'
printf '[client encryptor]\npsk_hash = sha256\n' >> "$SKIP_TESTBED_ALICE_KPD_CONF"
"$TESTBED" stop "$T" alice > /dev/null
"$TESTBED" start "$T" alice > /dev/null
. "$T/env"
s_client_psk > "$T/out"
expect_match "with psk_hash = sha256 in its [client], openssl s_client is served" \
    "$T/out" '^HTTP/1.1 200'
expect_exit 4 "skip-tool at SHA-384 is refused now" alice capabilities
expect_match "... and told to check psk_hash" "$T/err" 'suite we offer \(TLS 1.3 TLS_AES_256_GCM_SHA384, for psk_hash = sha384'
expect_match "... which the KP names too" "$T/alice/kpd.log" \
    'psk:alice-encryptor is bound to sha256 here, by psk_hash in its \[client\]; .* offers no TLS_AES_128_GCM_SHA256 suite'
expect_exit 0 "skip-tool --psk-hash sha256 is served" alice --psk-hash sha256 capabilities
"$TESTBED" down "$T" > /dev/null

# openssl s_server as the KP: TLS 1.3 with its legacy PSK (SHA-256)
port=$(free_port)
mkdir -p "$T/www"
printf '{"entropy":true,"key":true,"algorithm":"s_server","localSystemID":"S","remoteSystemID":["Bob"]}' \
    > "$T/www/capabilities"
psk=$(openssl rand -hex 32)
echo "0x$psk" > "$T/s.psk"
start_s_server() { # extra s_server options
    (cd "$T/www" && exec openssl s_server -quiet -accept "127.0.0.1:$port" -nocert \
        -psk_identity enc -psk "$psk" -WWW "$@" > /dev/null 2>&1) &
    s_pid=$!
    i=0
    until perl -MIO::Socket::INET -e "IO::Socket::INET->new('127.0.0.1:$port') or exit 1" 2>/dev/null; do
        i=$((i + 1)); [ $i -lt 100 ] || break; sleep 0.05
    done
}
stop_s_server() { kill "$s_pid" 2> /dev/null; wait "$s_pid" 2> /dev/null; }
on_cleanup stop_s_server
s_tool() { "$TOOL" --url "https://127.0.0.1:$port" --tls psk --psk-identity enc --psk-file "$T/s.psk" "$@"; }
start_s_server -tls1_3
expect_exit 4 "openssl s_server, TLS 1.3 PSK: skip-tool at SHA-384 fails" s_tool --tls-version 1.3 capabilities
expect_match "... naming psk_hash" "$T/err" 'psk_hash = sha384'
expect_exit 0 "... and with --psk-hash sha256 is served" s_tool --tls-version 1.3 --psk-hash sha256 capabilities
expect_match "... the capabilities" "$T/out" '"localSystemID":"S"'
printf '[slot S]\nurl = https://127.0.0.1:%s\ntls = psk\npsk_identity = enc\npsk_file = %s\npsk_hash = sha256\ntls_version = 1.3\nremote = Bob\n' \
    "$port" "$T/s.psk" > "$T/s.conf"
# the DRBG's seed pool asks 1 KiB at a time (docs/random.md)
printf '{"randomStr":"%s","minentropy":8192}' "$(openssl rand -hex 1024)" > "$T/www/entropy?minentropy=8192"
expect_exit 0 "... the module with psk_hash = sha256 draws random from it" \
    env SKIP_PKCS11_CONF="$T/s.conf" "$(built p11-client)" "$top_builddir/.libs/skip-pkcs11.so" "random 32"
stop_s_server

# TLS 1.2 PSK with AES-128 suites only
start_s_server -tls1_2 -cipher PSK-AES128-GCM-SHA256
expect_exit 4 "a TLS 1.2 PSK server with only AES-128 suites" s_tool --tls-version 1.2 capabilities
expect_match "... the error names the suites, not the PSK alone" "$T/err" \
    'nor a suite we offer \(TLS 1.3 [^;]*; TLS 1.2 DHE-PSK-AES256-GCM-SHA384'
finish
