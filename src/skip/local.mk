# libskip: the SKIP wire shared by skip-kpd, skip-tool, the module and tests.
noinst_LTLIBRARIES += libskip.la
libskip_la_SOURCES = \
	src/skip/client.c src/skip/client.h \
	src/skip/dict.c src/skip/dict.h \
	src/skip/glob.c src/skip/glob.h \
	src/skip/hex.c src/skip/hex.h \
	src/skip/hmac.c src/skip/hmac.h \
	src/skip/ini.c src/skip/ini.h \
	src/skip/ossl.c src/skip/ossl.h \
	src/skip/json.c src/skip/json.h \
	src/skip/log.c src/skip/log.h \
	src/skip/psk.c src/skip/psk.h \
	src/skip/rc.c src/skip/rc.h \
	src/skip/secbuf.c src/skip/secbuf.h \
	src/skip/sysid.c src/skip/sysid.h \
	src/skip/tls.c src/skip/tls.h \
	src/skip/url.c src/skip/url.h \
	$(NULL)
libskip_la_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(CURL_CFLAGS) $(CJSON_CFLAGS)
libskip_la_LIBADD = $(OPENSSL_LIBS) $(CURL_LIBS) $(CJSON_LIBS) -lm -lpthread
