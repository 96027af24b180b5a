# SPDX-License-Identifier: BSD-3-Clause
# skip-pkcs11-server's own rules: usage and module errors, a 0600 socket,
# no second server on a live socket, a stale socket replaced, a path that is
# not a socket left alone, clients of another uid (root too) refused, keys kept across
# clients, and SIGTERM removing the socket.
. "$top_srcdir/tests/interop/interop-lib.sh"
need pkcs11-tool

testbed_up
expect_exit 1 "no socket argument is a usage error" "$SERVER"
expect_match "... with the usage text" "$T/err" '^usage: skip-pkcs11-server'
expect_exit 1 "a module that does not load" "$SERVER" --module "$T/none.so" "$T/x.sock"
expect_match "... is named" "$T/err" "skip-pkcs11-server: $T/none.so: "
touch "$T/file"
expect_exit 1 "a path that is a regular file" "$SERVER" --module "$MODULE" "$T/file"
expect_match "... is refused" "$T/err" 'exists and is not a socket'
[ -f "$T/file" ] && ok "... and left in place" || not_ok "... and left in place"

start_server alice
expect_eq "the socket is 0600" "$(stat -c %a "$alice_sock")" 600
expect_exit 1 "a second server on a live socket" \
    env SKIP_PKCS11_CONF="$SKIP_TESTBED_ALICE_MODULE_CONF" "$SERVER" --module "$MODULE" "$alice_sock"
expect_match "... is refused" "$T/err" 'another server is listening'

C="pkcs11-tool --module $P11KIT_CLIENT"
via_alice $C --keygen --key-type GENERIC:32 --sensitive --usage-sign > "$T/k" 2>&1
key_id=$(sed -n 's/^  ID: *//p' "$T/k")
run_ok "a key made by one client is listed by the next" via_alice $C -O
expect_match "... with its keyId" "$T/out" "ID: +$key_id"

if [ "$(id -u)" -eq 0 ]; then
    # Open the socket's mode so the connection reaches the uid check.
    chmod 666 "$alice_sock"
    chmod 711 "$T"
    P11_KIT_SERVER_ADDRESS="unix:path=$alice_sock" setpriv --reuid=65534 \
        --regid=65534 --clear-groups pkcs11-tool --module "$P11KIT_CLIENT" -L \
        > "$T/out" 2>&1
    client_status=$?
    # The client dies of the closed connection (SIGPIPE) or reports it.
    expect_ne "a client of another uid (nobody) fails" "$client_status" 0
    expect_no_match "... and sees no slot" "$T/out" 'SKIP Key Provider'
    expect_match "... is refused by the server" "$T/server-alice.log" \
        'refused a client with uid 65534'
    chmod 600 "$alice_sock"

    # A server of another uid refuses root too: its clients share one
    # login, which must stay with the uid that gave the PIN.
    mkdir "$T/nobody"
    chown 65534:65534 "$T/nobody"
    SKIP_PKCS11_CONF="$T/nobody/none.conf" setpriv --reuid=65534 --regid=65534 \
        --clear-groups "$SERVER" --module "$MODULE" "$T/nobody/s.sock" \
        2> "$T/nobody/log" &
    nobody_server=$!
    wait_for "$T/nobody/log" '^skip-pkcs11-server: serving '
    P11_KIT_SERVER_ADDRESS="unix:path=$T/nobody/s.sock" pkcs11-tool \
        --module "$P11KIT_CLIENT" -L > "$T/out" 2>&1
    expect_ne "root, a client of another uid than the server's, fails" "$?" 0
    expect_match "... refused by the server, which says why" "$T/nobody/log" \
        'refused a client with uid 0 .*serves uid 65534 only, whose clients share one login'
    kill "$nobody_server"
    wait "$nobody_server" 2> /dev/null
else
    echo "# not run: the uid check needs root to run a client as another user"
fi

# PIN guessing through the server: each wrong PIN counts, three lock the
# token, and the count is kept in pin_failures_file, so a restarted server
# is still locked.
pin_conf=$T/alice-pin.conf
{ cat "$SKIP_TESTBED_ALICE_MODULE_CONF"
  echo "pin_sha256 = $(printf 123456 | sha256sum | cut -d' ' -f1)"
  echo "pin_max_failures = 3"
  echo "pin_failures_file = $T/alice-pin.count"; } > "$pin_conf"
start_pin_server() {
    SKIP_PKCS11_CONF=$pin_conf "$SERVER" --module "$MODULE" "$T/pin.sock" \
        2> "$T/server-pin.log" &
    pin_server=$!
    wait_for "$T/server-pin.log" '^skip-pkcs11-server: serving '
}
stop_pin_server() { kill "$pin_server" 2> /dev/null; wait "$pin_server" 2> /dev/null; }
via_pin() { P11_KIT_SERVER_ADDRESS=unix:path=$T/pin.sock "$@"; }
start_pin_server
on_cleanup stop_pin_server
for guess in 000000 111111 222222; do
    expect_exit 1 "PIN token via the server: wrong PIN $guess is refused" \
        via_pin $C --login --pin $guess --generate-random 16
done
expect_match "... and the third locks the token" "$T/server-pin.log" \
    'wrong PIN \(3 in a row; 3 lock the token\)'
stop_pin_server
start_pin_server
expect_exit 1 "after a restart the right PIN is still refused" \
    via_pin $C --login --pin 123456 --generate-random 16
expect_match "... CKR_PIN_LOCKED" "$T/err" 'CKR_PIN_LOCKED'
rm -f "$T/alice-pin.count"
run_ok "... until pin_failures_file is removed" \
    via_pin $C --login --pin 123456 --generate-random 16
stop_pin_server

# kill -9 leaves the socket file; the next server replaces it.
server_pid=${servers##* }
kill -9 "$server_pid"
wait "$server_pid" 2>/dev/null
servers=${servers% *}
[ -S "$alice_sock" ] && ok "a killed server leaves its socket" || not_ok "a killed server leaves its socket"
start_server alice
run_ok "a new server replaces the stale socket" via_alice $C -L
expect_match "... and serves the token" "$T/out" 'SKIP Key Provider Alice'

server_pid=${servers##* }
kill -TERM "$server_pid"
wait "$server_pid"
expect_eq "SIGTERM stops the server with status 0" "$?" 0
servers=${servers% *}
expect_match "... saying so" "$T/server-alice.log" '^skip-pkcs11-server: stopped$'
[ -e "$alice_sock" ] && not_ok "... and removes the socket" || ok "... and removes the socket"
finish
