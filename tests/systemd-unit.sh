# SPDX-License-Identifier: BSD-3-Clause
# The systemd unit for skip-kpd: systemd accepts it, its hardening scores as
# systemd's own analysis rates "OK" or better, the user it runs as is
# declared for sysusers, the binary speaks the notify and watchdog protocol
# its Type=notify needs, and its ExecStartPre line checks a real config.
. "$top_srcdir/tests/integration/lib.sh"
need systemd-analyze

testbed_up
sed -e "s|@sbindir@|$top_builddir|g" -e "s|@sysconfdir@|$T|g" \
    "$top_srcdir/systemd/skip-kpd.service.in" > "$T/skip-kpd.service"
cp "$SKIP_TESTBED_ALICE_KPD_CONF" "$T/skip-kpd.conf"

expect_exit 0 "systemd-analyze verify accepts the unit" \
    systemd-analyze verify --man=no "$T/skip-kpd.service"
expect_exit 0 "its exposure is at most 2.0 of 10" \
    systemd-analyze security --offline=yes --threshold=20 "$T/skip-kpd.service"
expect_match "... rated OK" "$T/out" 'Overall exposure level for skip-kpd.service: [0-1]\.[0-9] OK|Overall exposure level for skip-kpd.service: 2\.0 OK'
for setting in NoNewPrivileges=yes PrivateTmp=yes StateDirectory=skip-kpd \
    RuntimeDirectory=skip-kpd User=skip-kpd ProtectSystem=strict CapabilityBoundingSet=; do
    expect_match "the unit sets $setting" "$T/skip-kpd.service" "^$setting\$"
done
nofile=$(sed -n 's/^LimitNOFILE=//p' "$T/skip-kpd.service")
[ "${nofile:-0}" -ge $((512 + 64)) ] &&
    ok "LimitNOFILE ($nofile) holds the default max_connections and the daemon's own files" ||
    not_ok "LimitNOFILE ($nofile) below max_connections (512) + 64"
expect_match "sysusers declares the skip-kpd user" "$top_srcdir/systemd/skip-kpd.conf" \
    '^u skip-kpd - '
for setting in Type=notify NotifyAccess=main WatchdogSec=30; do
    expect_match "the unit sets $setting" "$T/skip-kpd.service" "^$setting\$"
done

# Type=notify holds only if the binary notifies: a unit that waits for a
# READY=1 that never comes hangs at start. Our own notify socket, as
# systemd would pass it, with a 2 s watchdog.
dgram_listen "$T/notify.sock" "$T/notify.log" STOPPING=1
mkdir -p "$T/n/state"
sed -e "s|^port_file = .*|port_file = $T/n/port|" -e "s|^state_dir = .*|state_dir = $T/n/state|" \
    -e "s|^listen = .*|listen = 127.0.0.1:0|" -e "/^management_/d" -e "/^audit_file/d" \
    "$SKIP_TESTBED_ALICE_KPD_CONF" > "$T/n/kpd.conf"
NOTIFY_SOCKET=$T/notify.sock WATCHDOG_USEC=2000000 "$KPD" -f -c "$T/n/kpd.conf" 2> "$T/n/kpd.log" &
kpd=$!
expect_exit 0 "skip-kpd sends READY=1 once it serves" wait_for "$T/notify.log" 'READY=1' 200
expect_exit 0 "... then WATCHDOG=1 every WatchdogSec/2" wait_for "$T/notify.log" 'WATCHDOG=1' 100
sleep 2.2
expect_eq "... again and again (3 s of a 2 s watchdog: at least 2)" \
    "$([ "$(grep -c 'WATCHDOG=1' "$T/notify.log")" -ge 2 ] && echo yes)" yes
kill -TERM "$kpd"
wait "$kpd"
expect_exit 0 "... and STOPPING=1 when told to stop" wait_for "$T/notify.log" 'STOPPING=1' 100
wait "$listener"

pre=$(sed -n 's/^ExecStartPre=//p' "$T/skip-kpd.service")
expect_exit 0 "ExecStartPre checks the configuration" $pre
expect_match "... and reports it good" "$T/out" "skip-kpd.conf: OK \\(Alice, 1 peers\\)"
finish
