# Manual pages, with the configured paths filled in.
man_pages = man/skip-kpd.8 man/skip-kpd.conf.5 man/skip-tool.1 \
	man/skip-testbed.1 man/skip-pkcs11.8 man/skip-pkcs11.conf.5 \
	man/skip-pkcs11-server.8
man_MANS = $(man_pages)
CLEANFILES += $(man_pages)
EXTRA_DIST += $(man_pages:=.in)
$(man_pages): Makefile
	$(AM_V_GEN)mkdir -p man && sed \
		-e 's|@sysconfdir[@]|$(sysconfdir)|g' \
		-e 's|@localstatedir[@]|$(localstatedir)|g' \
		-e 's|@sbindir[@]|$(sbindir)|g' \
		-e 's|@docdir[@]|$(docdir)|g' \
		-e 's|@pkgdatadir[@]|$(pkgdatadir)|g' \
		-e 's|@p11_module_path[@]|$(p11_module_path)|g' \
		-e 's|@p11_module_configs[@]|$(p11_module_configs)|g' \
		$(srcdir)/$@.in > $@.tmp && mv $@.tmp $@
$(man_pages): %: $(srcdir)/%.in
