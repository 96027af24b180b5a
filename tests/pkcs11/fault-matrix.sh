# SPDX-License-Identifier: BSD-3-Clause
# The module's fault matrix (issue 7) beyond faults.sh, which covers a KP
# that is down, silent past the timeout, or answering 5xx or malformed
# bodies: KP restarts between keygen and find and under a long-lived host,
# a KP that closes in the middle of a body, a KP name that does not
# resolve, a PSK file that cannot be read at C_Initialize, and a
# configuration changed between processes. Each fault gives its CKR and a
# log line, and creates no key.
. "$top_srcdir/tests/interop/interop-lib.sh"
need perl
need pkcs11-tool

testbed_up

# --- KP restarts between keygen and find ---
expect_exit 0 "A generates a key" alice_p11 "keygen hmac" "sign - restart-data"
key_id=$(p11_field keyid)
mac_a=$(p11_field mac)
"$TESTBED" stop "$T" bob > /dev/null && "$TESTBED" start "$T" bob > /dev/null
"$TESTBED" stop "$T" alice > /dev/null && "$TESTBED" start "$T" alice > /dev/null
. "$T/env"
expect_exit 0 "after both KPs restart, B finds the keyId" bob_p11 "find $key_id" \
    "sign $key_id restart-data"
expect_match "... found" "$T/out" '^found 1$'
expect_eq "... and the MAC is A's" "$(p11_field mac)" "$mac_a"

# --- a KP restart under a long-lived host: its kept-alive connection is
# gone, and the next request must open a new one ---
start_server alice
C="pkcs11-tool --module $P11KIT_CLIENT"
run_ok "server: keygen over a kept-alive connection" \
    via_alice $C --keygen --key-type GENERIC:32 --sensitive
"$TESTBED" stop "$T" alice > /dev/null && "$TESTBED" start "$T" alice > /dev/null
run_ok "server: keygen after the KP restarted" \
    via_alice $C --keygen --key-type GENERIC:32 --sensitive
expect_match "... gives a key" "$T/out" '^  ID: +[0-9a-f]{32}$'
run_ok "server: the key made before the restart is still held" via_alice $C -O
expect_eq "... two keys listed" "$(grep -c 'Secret Key Object' "$T/out")" 2

# --- a KP that closes in the middle of a body ---
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/cut.key" -out "$T/cut.crt" -subj /CN=localhost \
    -addext subjectAltName=IP:127.0.0.1 -days 1 2> /dev/null
cut_port=$(free_port)
/usr/bin/python3 "$top_srcdir/tests/pkcs11/truncating-kp.py" "$cut_port" \
    "$T/cut.crt" "$T/cut.key" 2> "$T/cut.log" &
cut_pid=$!
stop_cut() { kill "$cut_pid" 2> /dev/null; wait "$cut_pid" 2> /dev/null; }
on_cleanup stop_cut
i=0
until perl -MIO::Socket::INET -e "IO::Socket::INET->new('127.0.0.1:$cut_port') or exit 1" 2> /dev/null; do
    i=$((i + 1)); [ $i -lt 100 ] || break; sleep 0.05
done
printf '[slot Cut]\nurl = https://127.0.0.1:%s\ntls = cert\nca_file = %s\nremote = Bob\n' \
    "$cut_port" "$T/cut.crt" > "$T/cut.conf"
expect_exit 1 "a body cut short: C_GenerateKey fails" \
    env SKIP_PKCS11_CONF="$T/cut.conf" "$P11" "$MODULE" "keygen hmac"
expect_match "... with CKR_DEVICE_ERROR" "$T/out" '^error: C_GenerateKey: CKR_DEVICE_ERROR$'
expect_match "... logged as a transfer cut short" "$T/err" \
    'C_GenerateKey: slot Cut: https://127.0.0.1:[0-9]+ /key: transport: '
expect_exit 1 "... and a search that asks it fails too" \
    env SKIP_PKCS11_CONF="$T/cut.conf" "$P11" "$MODULE" "find 00112233445566778899aabbccddeeff"
expect_match "... with CKR_DEVICE_ERROR" "$T/out" '^error: C_FindObjectsInit: CKR_DEVICE_ERROR$'

# --- a KP name that does not resolve ---
sed "s|^url = .*|url = https://no-such-kp.invalid:8443|" \
    "$SKIP_TESTBED_ALICE_MODULE_CONF" > "$T/dns.conf"
expect_exit 1 "an unresolvable KP name: C_GenerateKey fails" \
    env SKIP_PKCS11_CONF="$T/dns.conf" "$P11" "$MODULE" "keygen hmac"
expect_match "... with CKR_DEVICE_ERROR" "$T/out" '^error: C_GenerateKey: CKR_DEVICE_ERROR$'
expect_match "... logged as a name that did not resolve" "$T/err" \
    'C_GenerateKey: slot Alice: https://no-such-kp.invalid:8443 /capabilities: transport: .*resolve'

# --- a PSK file that cannot be read at C_Initialize ---
sed "s|^psk_file = .*|psk_file = $T/missing.psk|" \
    "$SKIP_TESTBED_ALICE_MODULE_CONF" > "$T/nopsk.conf"
expect_exit 1 "a missing PSK file: C_Initialize fails" \
    env SKIP_PKCS11_CONF="$T/nopsk.conf" "$P11" "$MODULE" info
expect_match "... with CKR_GENERAL_ERROR" "$T/out" '^error: C_Initialize: CKR_GENERAL_ERROR$'
expect_match "... and a line naming the file and the line" "$T/err" \
    "$T/nopsk.conf:[0-9]+: .*missing.psk"
mkdir "$T/dir.psk"
sed "s|^psk_file = .*|psk_file = $T/dir.psk|" \
    "$SKIP_TESTBED_ALICE_MODULE_CONF" > "$T/dirpsk.conf"
expect_exit 1 "a PSK path that is a directory: C_Initialize fails" \
    env SKIP_PKCS11_CONF="$T/dirpsk.conf" "$P11" "$MODULE" info
expect_match "... with CKR_GENERAL_ERROR" "$T/out" '^error: C_Initialize: CKR_GENERAL_ERROR$'
expect_match "... and a line naming the file" "$T/err" "$T/dirpsk.conf:[0-9]+: "

# --- the configuration changed between processes: Alice's server keeps
# what it read, the next process reads the new file ---
cp "$SKIP_TESTBED_ALICE_MODULE_CONF" "$T/live.conf"
SKIP_PKCS11_CONF=$T/live.conf "$SERVER" --module "$MODULE" "$T/live.sock" \
    2> "$T/server-live.log" &
servers="$servers $!"
i=0
until grep -q 'serving' "$T/server-live.log" 2> /dev/null; do
    i=$((i + 1)); [ $i -lt 200 ] || break; sleep 0.05
done
live() { P11_KIT_SERVER_ADDRESS=unix:path=$T/live.sock "$@"; }
run_ok "a host reads the configuration" live $C --keygen --key-type GENERIC:32 --sensitive
sed -i 's/^\[slot Alice\]$/[slot Renamed]/' "$T/live.conf"
expect_exit 0 "a new process reads the changed file" \
    env SKIP_PKCS11_CONF="$T/live.conf" "$P11" "$MODULE" info
expect_match "... and sees the new token label" "$T/out" '^token Renamed *$'
run_ok "the running host keeps what it read" live $C -L
expect_match "... its token is still Alice" "$T/out" 'token label +: Alice$'
echo "url = not a url" >> "$T/live.conf"
expect_exit 1 "a broken edit: the next process's C_Initialize fails" \
    env SKIP_PKCS11_CONF="$T/live.conf" "$P11" "$MODULE" info
expect_match "... with a line naming the file and the line" "$T/err" "$T/live.conf:[0-9]+: "
run_ok "... while the running host still serves its key" live $C -O
expect_eq "... one key held" "$(grep -c 'Secret Key Object' "$T/out")" 1
finish
