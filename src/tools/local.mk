# skip-tool: the command-line SKIP client; skip-testbed: two KPs on one machine.
bin_PROGRAMS += skip-tool
skip_tool_SOURCES = src/tools/skip-tool.c
skip_tool_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS)
skip_tool_LDADD = libskip.la $(OPENSSL_LIBS)

# skip-testbed is a shell script; the installed copy finds skip-kpd in sbindir.
bin_SCRIPTS += skip-testbed
CLEANFILES += skip-testbed
EXTRA_DIST += src/tools/skip-testbed.in
# --key-source etsi014 starts this fake KME pair (ETSI GS QKD 014).
dist_pkgdata_DATA = tests/kme/fake-kme.py
skip-testbed: src/tools/skip-testbed.in Makefile
	$(AM_V_GEN)sed -e 's|@sbindir[@]|$(sbindir)|g' \
	    -e 's|@pkgdatadir[@]|$(pkgdatadir)|g' \
	    -e 's|@abs_top_srcdir[@]|$(abs_top_srcdir)|g' \
	    -e 's|@PACKAGE_VERSION[@]|$(PACKAGE_VERSION)|g' $(srcdir)/src/tools/skip-testbed.in > $@.tmp && \
	chmod +x $@.tmp && mv $@.tmp $@

# skip-pkcs11-server keeps the module loaded for one-operation-per-process
# tools, which reach it through p11-kit-client.so.
bin_PROGRAMS += skip-pkcs11-server
skip_pkcs11_server_SOURCES = src/tools/skip-pkcs11-server.c
skip_pkcs11_server_CPPFLAGS = $(AM_CPPFLAGS) \
	-DDEFAULT_MODULE='"$(p11_module_path)/skip-pkcs11.so"'
skip_pkcs11_server_CFLAGS = $(AM_CFLAGS) $(P11KIT_CFLAGS) -pthread
skip_pkcs11_server_LDADD = $(P11KIT_LIBS) -lpthread
