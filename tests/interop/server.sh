# SPDX-License-Identifier: BSD-3-Clause
# skip-pkcs11-server's own rules: usage and module errors, a 0600 socket,
# no second server on a live socket, a stale socket replaced, a path that is
# not a socket left alone, clients of another uid refused, keys kept across
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
else
    echo "# not run: the uid check needs root to run a client as another user"
fi

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
