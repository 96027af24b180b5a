# SPDX-License-Identifier: BSD-3-Clause
# skip-kpd's command line: --check-config, SIGHUP reloads PSKs (a bad
# reload keeps the running ones), SIGTERM drains and exits 0.
. "$top_srcdir/tests/integration/lib.sh"

testbed_up
expect_exit 0 "--check-config accepts the testbed's file" "$KPD" --check-config -c "$SKIP_TESTBED_ALICE_KPD_CONF"
expect_match "... and says so" "$T/out" ': OK \(Alice, 1 peers\)'
sed 's/^tls = psk/tls = none/' "$SKIP_TESTBED_ALICE_KPD_CONF" > "$T/bad.conf"
expect_exit 1 "--check-config refuses a bad value" "$KPD" --check-config -c "$T/bad.conf"
expect_match "... naming file and line" "$T/err" "bad.conf:[0-9]+: tls must be psk or cert"
expect_exit 1 "a missing file is refused" "$KPD" --check-config -c "$T/none.conf"
expect_match "... naming it" "$T/err" "none.conf:0: cannot read the file"
expect_exit 2 "an unknown flag is a usage error" "$KPD" --bogus
version=$(sed -n 's/^#define PACKAGE_VERSION "\(.*\)"/\1/p' "$top_builddir/config.h")
for prog in skip-kpd skip-tool skip-pkcs11-server skip-testbed; do
    expect_exit 0 "$prog --version" "$(built "$prog")" --version
    expect_eq "... prints its name and version" "$(cat "$T/out")" "$prog $version"
done

# --pidfile: written once the KP serves, removed at a clean stop.
cp "$SKIP_TESTBED_ALICE_KPD_CONF" "$T/pid.conf"
sed -i -e "s|^listen = .*|listen = 127.0.0.1:0|" -e "s|^port_file = .*|port_file = $T/pid.port|" \
    -e "s|^state_dir = .*|state_dir = $T/pid-state|" -e "/^management_/d" -e "/^audit_file/d" \
    "$T/pid.conf"
mkdir "$T/pid-state"
"$KPD" -f -c "$T/pid.conf" --pidfile "$T/kpd.pid" 2> "$T/pid.log" &
pid_kpd=$!
wait_for "$T/pid.log" 'ready'
expect_eq "--pidfile holds the daemon's process ID" "$(cat "$T/kpd.pid" 2> /dev/null)" "$pid_kpd"
kill -TERM "$pid_kpd"
wait "$pid_kpd"
expect_eq "... which stops cleanly" "$?" 0
[ -e "$T/kpd.pid" ] && not_ok "... and removes it" || ok "... and removes it"

# SIGHUP: a new identity works after the reload.
key="0x$(openssl rand -hex 32)"
echo "$key" > "$T/new.psk"
echo "new-encryptor:$key" >> "$T/alice/kpd.psk"
printf '[client new]\nmatch = psk:new-encryptor\nremotes = Bob\n' >> "$SKIP_TESTBED_ALICE_KPD_CONF"
expect_exit 4 "a new identity is refused before SIGHUP" alice --psk-identity new-encryptor --psk-file "$T/new.psk" capabilities
kill -HUP "$SKIP_TESTBED_ALICE_PID"
sleep 0.5
expect_exit 0 "... and accepted after it" alice --psk-identity new-encryptor --psk-file "$T/new.psk" capabilities
expect_match "... with the remotes its [client] section names" "$T/out" '"remoteSystemID":\["Bob"\]'
expect_match "the KP logs the reload" "$T/alice/kpd.log" 'SIGHUP: reloaded 2 PSK identities, 2 clients and 1 peers'

# SIGHUP: a new peer.
expect_exit 6 "no keys for Carol before she is configured" alice key Carol
echo "0 $(openssl rand -hex 32)" > "$T/alice/peer-Carol.secret"
printf '[peer Carol]\nsecret_file = %s\n' "$T/alice/peer-Carol.secret" >> "$SKIP_TESTBED_ALICE_KPD_CONF"
kill -HUP "$SKIP_TESTBED_ALICE_PID"
sleep 0.5
expect_exit 0 "capabilities after SIGHUP" alice capabilities
expect_match "... list the new peer" "$T/out" '"remoteSystemID":\["Bob","Carol"\]'
expect_exit 0 "... and keys for Carol are issued" alice key Carol
expect_exit 0 "... while Bob's keys still flow" alice key Bob
expect_exit 0 "... and reach Bob" bob key-by-id "$(json_field keyId)" Alice

# A broken PSK file on reload keeps the running identities.
echo "broken line" >> "$T/alice/kpd.psk"
kill -HUP "$SKIP_TESTBED_ALICE_PID"
sleep 0.5
expect_match "a bad reload is logged with file and line" "$T/alice/kpd.log" 'keeping the running configuration: .*kpd.psk:3: expected identity:key'
expect_exit 0 "... and the old identities still work" alice capabilities

# SIGTERM: drained, exit status 0.
kill -TERM "$SKIP_TESTBED_ALICE_PID"
i=0
while kill -0 "$SKIP_TESTBED_ALICE_PID" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
if kill -0 "$SKIP_TESTBED_ALICE_PID" 2>/dev/null; then not_ok "SIGTERM stops the KP"; else ok "SIGTERM stops the KP"; fi
expect_match "... after draining" "$T/alice/kpd.log" 'draining'
expect_match "... and says it stopped" "$T/alice/kpd.log" 'info: stopped'
finish
