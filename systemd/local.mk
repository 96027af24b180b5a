# The systemd unit for skip-kpd and its user. Installed under the prefix
# (for --prefix=/usr, where systemd looks), so distcheck stays inside it.
systemdunitdir = $(prefix)/lib/systemd/system
systemdunit_DATA = skip-kpd.service
sysusersdir = $(prefix)/lib/sysusers.d
sysusers_DATA = systemd/skip-kpd.conf
CLEANFILES += skip-kpd.service
EXTRA_DIST += systemd/skip-kpd.service.in systemd/skip-kpd.conf
skip-kpd.service: $(srcdir)/systemd/skip-kpd.service.in Makefile
	$(AM_V_GEN)sed -e 's|@sbindir[@]|$(sbindir)|g' \
		-e 's|@sysconfdir[@]|$(sysconfdir)|g' \
		$(srcdir)/systemd/skip-kpd.service.in > $@
