# make bench: speed and memory against baselines measured in the same run.
# The harness is built only for the benchmark.
EXTRA_PROGRAMS = bench-module
bench_module_SOURCES = bench/bench.c
bench_module_CFLAGS = $(AM_CFLAGS) $(P11KIT_CFLAGS) $(CURL_CFLAGS) -pthread
bench_module_LDADD = $(CURL_LIBS) -ldl -lpthread
CLEANFILES += bench-module
EXTRA_DIST += bench/run.sh bench/results.json
bench: skip-kpd skip-tool skip-testbed skip-pkcs11.la bench-module
	top_builddir=$(abs_top_builddir) top_srcdir=$(abs_top_srcdir) \
		$(SHELL) $(srcdir)/bench/run.sh
.PHONY: bench
