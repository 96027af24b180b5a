# skip-kpd: the companion Key Provider. Everything but main.c is in a
# convenience library so unit tests and fuzz targets link the real code.
noinst_LTLIBRARIES += libkpd.la
libkpd_la_SOURCES = \
	src/kpd/api-capabilities.c \
	src/kpd/api-entropy.c \
	src/kpd/api-key.c \
	src/kpd/audit.c src/kpd/audit.h \
	src/kpd/backends.c \
	src/kpd/check.c src/kpd/check.h \
	src/kpd/clients.c src/kpd/clients.h \
	src/kpd/config.c src/kpd/kpd-config.h \
	src/kpd/entropy.c src/kpd/entropy.h \
	src/kpd/etsi014-wire.c src/kpd/etsi014-wire.h \
	src/kpd/http.c src/kpd/http.h src/kpd/http-conn.h \
	src/kpd/http-admit.c \
	src/kpd/https-client.c src/kpd/https-client.h \
	src/kpd/http-parse.c src/kpd/http-parse.h \
	src/kpd/kpd.h \
	src/kpd/mailbox.c src/kpd/mailbox.h \
	src/kpd/metrics.c src/kpd/metrics.h \
	src/kpd/mgmt.c src/kpd/mgmt.h \
	src/kpd/notify.c src/kpd/notify.h \
	src/kpd/ledger.h src/kpd/ledger-file.c \
	src/kpd/ledger-table.h src/kpd/ledger-table.c \
	src/kpd/ledger-pg.h src/kpd/ledger-pg.c src/kpd/ledger-pg-schema.c \
	src/kpd/routes.c src/kpd/routes.h \
	src/kpd/statefile.c src/kpd/statefile.h \
	src/kpd/state-lock.c src/kpd/state-lock.h \
	src/kpd/sync.h src/kpd/sync-prf.c src/kpd/sync-etsi014.c \
	src/kpd/tls.c src/kpd/tls.h \
	src/kpd/worker.c src/kpd/worker.h \
	$(NULL)
libkpd_la_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(LIBEVENT_CFLAGS) $(CURL_CFLAGS) \
	$(CJSON_CFLAGS) $(LIBPQ_CFLAGS)
libkpd_la_LIBADD = libskip.la $(OPENSSL_LIBS) $(LIBEVENT_LIBS) $(CURL_LIBS) $(CJSON_LIBS) \
	$(LIBPQ_LIBS) \
	-lpthread

sbin_PROGRAMS += skip-kpd
skip_kpd_SOURCES = src/kpd/main.c
skip_kpd_CFLAGS = $(libkpd_la_CFLAGS)
skip_kpd_LDADD = libkpd.la
