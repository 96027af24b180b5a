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

testbed_up --tls cert13 --client-cert
fetch_pair "TLS 1.3 with client certificates"
finish
