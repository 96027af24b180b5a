# SPDX-License-Identifier: BSD-3-Clause
# Every TLS 1.2 suite SKIP names, each pinned alone on the client so the
# handshake can only succeed with that suite; ASCII and hex PSKs.
. "$top_srcdir/tests/integration/lib.sh"

fetch_pair() { # description, then extra skip-tool flags
    desc=$1
    shift
    expect_exit 0 "$desc: Alice /key" alice "$@" key Bob
    id=$(json_field keyId)
    fp=$(json_field keySha256)
    expect_exit 0 "$desc: Bob /key/{keyId}" bob "$@" key-by-id "$id" Alice
    expect_eq "$desc: same key" "$(json_field keySha256)" "$fp"
}

testbed_up --tls psk12
for suite in PSK-AES256-GCM-SHA384 DHE-PSK-AES256-GCM-SHA384 \
             DHE-PSK-AES256-CBC-SHA384 DHE-PSK-AES256-CBC-SHA; do
    fetch_pair "$suite" --ciphers "$suite"
done
expect_exit 4 "a suite outside the profile is refused" alice --ciphers AES128-SHA capabilities
expect_match "plain PSK, the client's only offer, is logged" "$T/alice/kpd.log" \
    'info: TLS 1.2 with PSK-AES256-GCM-SHA384 for psk:alice-encryptor: no forward secrecy'

# The KP's order, not the client's: a client that prefers plain PSK gets
# DHE-PSK (openssl s_client shows what was chosen).
psk_hex=$(sed 's/^0x//' "$T/alice/encryptor.psk")
s_client() { # cipher list
    echo | openssl s_client -connect "127.0.0.1:$(cat "$T/alice/port")" -tls1_2 \
        -psk_identity alice-encryptor -psk "$psk_hex" -cipher "$1" 2>&1
}
s_client PSK-AES256-GCM-SHA384:DHE-PSK-AES256-CBC-SHA > "$T/out"
expect_match "a client preferring plain PSK gets DHE-PSK" "$T/out" \
    'Cipher is DHE-PSK-AES256-CBC-SHA$'

# Our clients offer DHE-PSK only, unless told: against a server that
# speaks plain PSK alone, skip-tool fails the handshake.
port=$(free_port)
openssl s_server -accept "127.0.0.1:$port" -tls1_2 -nocert -www \
    -psk_identity alice-encryptor -psk "$psk_hex" \
    -cipher PSK-AES256-GCM-SHA384 > "$T/s_server.log" 2>&1 &
s_server=$!
stop_s_server() { kill "$s_server" 2> /dev/null; wait "$s_server" 2> /dev/null; }
on_cleanup stop_s_server
i=0
until grep -q ACCEPT "$T/s_server.log"; do
    i=$((i + 1)); [ $i -lt 100 ] || break; sleep 0.05
done
expect_exit 4 "skip-tool offers no plain PSK by default" \
    alice --url "https://127.0.0.1:$port" capabilities
expect_match "... so the handshake fails, naming the suites we offer" "$T/err" \
    'nor a suite we offer .*TLS 1.2 DHE-PSK-AES256-GCM-SHA384'
expect_exit 12 "... and connects when its config names it (s_server answers HTML: not JSON)" \
    alice --url "https://127.0.0.1:$port" --ciphers PSK-AES256-GCM-SHA384 capabilities
stop_s_server
"$TESTBED" down "$T" > /dev/null

# tls12_plain_psk = no: the suite is refused.
testbed_up --tls psk12
"$TESTBED" stop "$T" alice > /dev/null
sed -i 's/^\[kpd\]$/[kpd]\ntls12_plain_psk = no/' "$SKIP_TESTBED_ALICE_KPD_CONF"
"$TESTBED" start "$T" alice > /dev/null
. "$T/env"
expect_exit 4 "tls12_plain_psk = no refuses plain PSK" \
    alice --ciphers PSK-AES256-GCM-SHA384 capabilities
expect_exit 0 "... and serves DHE-PSK" alice --ciphers DHE-PSK-AES256-CBC-SHA384 capabilities
"$TESTBED" down "$T" > /dev/null

testbed_up --tls psk12 --psk-format ascii
expect_match "PSK written as ASCII" "$T/alice/encryptor.psk" '^testbed-alice-'
fetch_pair "ASCII PSK over TLS 1.2"
"$TESTBED" down "$T" > /dev/null

testbed_up --tls psk13 --psk-format ascii
fetch_pair "ASCII PSK over TLS 1.3"
"$TESTBED" down "$T" > /dev/null

testbed_up --tls cert12 --cert-key rsa
fetch_pair "AES256-SHA256 (RSA certificate)" --ciphers AES256-SHA256
expect_exit 4 "ECDSA suite against an RSA certificate fails" \
    alice --ciphers ECDHE-ECDSA-AES256-GCM-SHA384 capabilities
"$TESTBED" down "$T" > /dev/null

testbed_up --tls cert12 --cert-key ec
fetch_pair "ECDHE-ECDSA-AES256-GCM-SHA384" --ciphers ECDHE-ECDSA-AES256-GCM-SHA384
"$TESTBED" down "$T" > /dev/null

testbed_up --tls cert13
fetch_pair "TLS 1.3 with client certificates"
finish
