# SPDX-License-Identifier: BSD-3-Clause
# Revocation takes effect: after a SIGHUP that removes a PSK identity,
# gives it another key, or takes the client's CA out of client_ca_file,
# connections that authenticated with it are closed, and the client gets
# nothing more on them. Each client is openssl s_client holding one
# connection open and sending requests through a FIFO.
. "$top_srcdir/tests/integration/lib.sh"

# open_client NAME s_client-arguments...: a connection to Alice's KP,
# one at a time, written to through fd 9.
open_client() {
    name=$1
    shift
    rm -f "$T/$name.in"
    mkfifo "$T/$name.in"
    openssl s_client -connect "127.0.0.1:$(cat "$T/alice/port")" -quiet \
        -ign_eof "$@" < "$T/$name.in" > "$T/$name.out" 2> "$T/$name.err" &
    client_pid=$!
    exec 9> "$T/$name.in"
}
# send PATH: one request on the open connection (a closed one is fine).
send() {
    (printf 'GET %s HTTP/1.1\r\nHost: kp\r\n\r\n' "$1" >&9) 2> /dev/null || true
}
wait_for() { # FILE REGEX
    i=0
    until grep -Eq "$2" "$1" 2> /dev/null; do
        i=$((i + 1)); [ $i -lt 200 ] || return 1; sleep 0.05
    done
}
close_client() {
    exec 9>&-
    wait "$client_pid" 2> /dev/null || true
}
# The KP re-reads its files on SIGHUP; wait until it says so once more.
reload_alice() {
    reloads=$(grep -c 'SIGHUP: reloaded' "$T/alice/kpd.log")
    kill -HUP "$SKIP_TESTBED_ALICE_PID"
    i=0
    until [ "$(grep -c 'SIGHUP: reloaded' "$T/alice/kpd.log")" -gt "$reloads" ]; do
        i=$((i + 1)); [ $i -lt 200 ] || break; sleep 0.05
    done
}

# --- PSK: an identity removed ---
testbed_up --tls psk12
psk_hex=$(sed 's/^0x//' "$T/alice/encryptor.psk")
# A second identity, so the file stays valid without Alice's encryptor.
echo "operator:0x$(openssl rand -hex 32)" >> "$T/alice/kpd.psk"
reload_alice
open_client psk -tls1_2 -psk_identity alice-encryptor -psk "$psk_hex"
send /capabilities
wait_for "$T/psk.out" '^HTTP/1.1 200' && ok "a client holds a connection" ||
    not_ok "no first answer: $(cat "$T/psk.err")"
cp "$T/alice/kpd.psk" "$T/kpd.psk.orig"
grep -v '^alice-encryptor' "$T/kpd.psk.orig" > "$T/alice/kpd.psk" || true
reload_alice
expect_match "removing its identity closes it" "$T/alice/kpd.log" \
    'SIGHUP: closing a connection of psk:alice-encryptor: no longer trusted'
expect_match "... and its [client] section, left behind, is said to match nothing" \
    "$T/alice/kpd.log" 'warning: \[client encryptor\]: psk:alice-encryptor is no identity of psk_file'
send '/key?remoteSystemID=Bob'
close_client
expect_eq "... and it got one answer, not two" "$(grep -c '^HTTP/1.1 ' "$T/psk.out")" 1
expect_no_match "... and no key" "$T/psk.out" 'keyId'

# --- PSK: the same identity with another key ---
cp "$T/kpd.psk.orig" "$T/alice/kpd.psk"
reload_alice
open_client rekey -tls1_2 -psk_identity alice-encryptor -psk "$psk_hex"
send /capabilities
wait_for "$T/rekey.out" '^HTTP/1.1 200' && ok "a client of the restored identity holds a connection" ||
    not_ok "no first answer: $(cat "$T/rekey.err")"
sed "s/^alice-encryptor:.*/alice-encryptor:0x$(openssl rand -hex 32)/" \
    "$T/kpd.psk.orig" > "$T/alice/kpd.psk"
reload_alice
expect_eq "a new key for the identity closes it too" \
    "$(grep -c 'closing a connection of psk:alice-encryptor' "$T/alice/kpd.log")" 2
send '/key?remoteSystemID=Bob'
close_client
expect_eq "... one answer only" "$(grep -c '^HTTP/1.1 ' "$T/rekey.out")" 1
"$TESTBED" down "$T" > /dev/null

# --- certificates: the client's CA taken out of client_ca_file ---
testbed_up --tls cert13
open_client cert -CAfile "$T/ca.crt" -cert "$T/alice/encryptor.crt" \
    -key "$T/alice/encryptor.key"
send /capabilities
wait_for "$T/cert.out" '^HTTP/1.1 200' && ok "a certificate client holds a connection" ||
    not_ok "no first answer: $(cat "$T/cert.err")"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/other-ca.key" -out "$T/other-ca.crt" -subj /CN=other-ca \
    -days 1 2> /dev/null
cp "$T/other-ca.crt" "$T/ca.crt.new"
sed -i "s|^client_ca_file = .*|client_ca_file = $T/ca.crt.new|" "$SKIP_TESTBED_ALICE_KPD_CONF"
reload_alice
expect_match "a CA no longer trusted closes its clients' connections" "$T/alice/kpd.log" \
    'SIGHUP: closing a connection of cert:.*: no longer trusted'
send '/key?remoteSystemID=Bob'
close_client
expect_eq "... one answer only" "$(grep -c '^HTTP/1.1 ' "$T/cert.out")" 1
alice capabilities > "$T/out" 2> "$T/err" && not_ok "... a new connection with that certificate is served" ||
    ok "... and a new connection with that certificate is refused"
expect_match "... by the KP, which no longer verifies it" "$T/alice/kpd.log" \
    'TLS handshake failed: (certificate verify failed|.*unknown ca)'
finish
