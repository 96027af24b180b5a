# SPDX-License-Identifier: BSD-3-Clause
# The systemd unit for skip-kpd: systemd accepts it, its hardening scores as
# systemd's own analysis rates "OK" or better, the user it runs as is
# declared for sysusers, and its ExecStartPre line checks a real config.
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
pre=$(sed -n 's/^ExecStartPre=//p' "$T/skip-kpd.service")
expect_exit 0 "ExecStartPre checks the configuration" $pre
expect_match "... and reports it good" "$T/out" "skip-kpd.conf: OK \\(Alice, 1 peers\\)"
finish
