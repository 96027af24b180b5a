# Fuzz targets: replayed over their seed corpora in `make check`, and run
# under libFuzzer by `make fuzz` when clang is installed.
fuzz_targets = json url config request http mechanism template ini etsi014
FUZZ_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS)
FUZZ_LDADD = libkpd.la libskip.la $(OPENSSL_LIBS)

check_PROGRAMS += replay-json replay-url replay-config replay-request \
	replay-http replay-mechanism replay-template replay-ini replay-etsi014
replay_json_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz-json.c
replay_url_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz-url.c
replay_config_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz-config.c
replay_request_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz-request.c
replay_http_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz-http.c
replay_ini_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz-ini.c
replay_ini_CFLAGS = $(FUZZ_CFLAGS)
replay_ini_LDADD = $(FUZZ_LDADD)
replay_etsi014_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz-etsi014.c
replay_etsi014_CFLAGS = $(FUZZ_CFLAGS)
replay_etsi014_LDADD = $(FUZZ_LDADD)
replay_json_CFLAGS = $(FUZZ_CFLAGS)
replay_url_CFLAGS = $(FUZZ_CFLAGS)
replay_config_CFLAGS = $(FUZZ_CFLAGS)
replay_request_CFLAGS = $(FUZZ_CFLAGS)
replay_http_CFLAGS = $(FUZZ_CFLAGS)
replay_json_LDADD = $(FUZZ_LDADD)
replay_url_LDADD = $(FUZZ_LDADD)
replay_config_LDADD = $(FUZZ_LDADD)
replay_request_LDADD = $(FUZZ_LDADD)
replay_http_LDADD = $(FUZZ_LDADD)
replay_mechanism_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz-mechanism.c \
	tests/fuzz/offline-slot.h
replay_mechanism_CFLAGS = $(FUZZ_CFLAGS) $(P11KIT_CFLAGS)
replay_mechanism_LDADD = libskip-pkcs11-core.la $(FUZZ_LDADD)
replay_template_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz-template.c \
	tests/fuzz/offline-slot.h
replay_template_CFLAGS = $(FUZZ_CFLAGS) $(P11KIT_CFLAGS)
replay_template_LDADD = libskip-pkcs11-core.la $(FUZZ_LDADD)

TESTS += tests/fuzz/replay.sh
EXTRA_DIST += tests/fuzz/replay.sh tests/fuzz/corpus
tests/fuzz/replay.log: replay-json replay-url replay-config replay-request \
	replay-http replay-mechanism replay-template replay-ini replay-etsi014

# `make fuzz [FUZZ_SECONDS=N]`: each target, instrumented whole (library
# sources included, so coverage reaches them), for N seconds on a copy of
# its corpus. New crash inputs land in fuzz-out/; keep them in the corpus
# once fixed.
FUZZ_SECONDS = 30
FUZZ_SRCS = $(filter %.c,$(libskip_la_SOURCES) $(libkpd_la_SOURCES) \
	$(libskip_pkcs11_core_la_SOURCES))
FUZZ_CLANG_FLAGS = -g -O1 -fsanitize=fuzzer,address,undefined \
	-I$(top_srcdir)/src -I$(top_builddir) -DSYSCONFDIR='"$(sysconfdir)"' \
	$(OPENSSL_CFLAGS) $(CURL_CFLAGS) $(CJSON_CFLAGS) $(LIBEVENT_CFLAGS) \
	$(P11KIT_CFLAGS)
FUZZ_CLANG_LIBS = $(OPENSSL_LIBS) $(CURL_LIBS) $(CJSON_LIBS) $(LIBEVENT_LIBS) \
	-lm -lpthread

if HAVE_CLANG
fuzz-%: $(top_srcdir)/tests/fuzz/fuzz-%.c $(FUZZ_SRCS)
	$(AM_V_CCLD)$(CLANG) $(FUZZ_CLANG_FLAGS) $< \
		$(addprefix $(top_srcdir)/,$(FUZZ_SRCS)) $(FUZZ_CLANG_LIBS) -o $@

fuzz: $(addprefix fuzz-,$(fuzz_targets))
	@for t in $(fuzz_targets); do \
		mkdir -p fuzz-out/$$t fuzz-work/$$t; \
		cp $(top_srcdir)/tests/fuzz/corpus/$$t/* fuzz-work/$$t/; \
		echo "== fuzz-$$t for $(FUZZ_SECONDS) s"; \
		./fuzz-$$t -max_total_time=$(FUZZ_SECONDS) -artifact_prefix=fuzz-out/$$t/ \
			-print_final_stats=1 fuzz-work/$$t 2>&1 | \
			grep -E 'stat::number_of_executed_units|ERROR|SUMMARY' || exit 1; \
	done

# `make fuzz-long`: each target until FUZZ_LONG_RUNS executions (10 million)
# or FUZZ_LONG_SECONDS per target, whichever comes first; prints the count.
FUZZ_LONG_RUNS = 10000000
FUZZ_LONG_SECONDS = 3600
fuzz-long: $(addprefix fuzz-,$(fuzz_targets))
	@for t in $(fuzz_targets); do \
		mkdir -p fuzz-out/$$t fuzz-work/$$t; \
		cp $(top_srcdir)/tests/fuzz/corpus/$$t/* fuzz-work/$$t/; \
		echo "== fuzz-$$t: $(FUZZ_LONG_RUNS) runs or $(FUZZ_LONG_SECONDS) s"; \
		./fuzz-$$t -runs=$(FUZZ_LONG_RUNS) -max_total_time=$(FUZZ_LONG_SECONDS) \
			-artifact_prefix=fuzz-out/$$t/ -print_final_stats=1 \
			fuzz-work/$$t 2>&1 | \
			grep -E 'stat::number_of_executed_units|stat::new_units_added|ERROR|SUMMARY' || exit 1; \
	done
else
fuzz fuzz-long:
	@echo "make $@ needs clang with libFuzzer (apt-get install clang)"; exit 1
endif
.PHONY: fuzz fuzz-long
CLEANFILES += $(addprefix fuzz-,$(fuzz_targets))
clean-local: clean-fuzz
clean-fuzz:
	rm -rf fuzz-out fuzz-work
