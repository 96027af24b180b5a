# make bench: speed and memory against baselines measured in the same run.
# The harness is built only for the benchmark.
EXTRA_PROGRAMS = bench-module
bench_module_SOURCES = bench/bench.c bench/floor.c bench/floor.h
bench_module_CFLAGS = $(AM_CFLAGS) $(P11KIT_CFLAGS) $(CURL_CFLAGS) \
	$(OPENSSL_CFLAGS) -pthread
bench_module_LDADD = $(CURL_LIBS) $(OPENSSL_LIBS) -ldl -lpthread
CLEANFILES += bench-module

# Our own load generator: speaks TLS-PSK as encryptors do, and asks each
# keyId once. Built for make check too (tests/integration/kpd-load.sh).
check_PROGRAMS += kpd-load
kpd_load_SOURCES = bench/kpd-load.c
kpd_load_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) -pthread
kpd_load_LDADD = libskip.la $(OPENSSL_LIBS) -lpthread
EXTRA_DIST += bench/run.sh bench/results.json
bench: skip-kpd skip-tool skip-testbed skip-pkcs11.la bench-module kpd-load
	top_builddir=$(abs_top_builddir) top_srcdir=$(abs_top_srcdir) \
		$(SHELL) $(srcdir)/bench/run.sh
.PHONY: bench
