# The long runs of issue 7, none of them part of `make check`: memcheck
# (the suites under valgrind, the thread tests under ThreadSanitizer),
# soak and crash-test. Each prints its counts; docs/reliability.md keeps
# the latest.
EXTRA_DIST += tests/ensure-tools.sh tests/reliability/memcheck.sh

# `make memcheck`: the unit tests, the wire and module integration scripts
# and every program they start (KPs, skip-tool, p11-client, the server)
# under valgrind; a log per process in memcheck-logs/, judged by
# memcheck.sh (0 errors, 0 bytes definitely lost). valgrind cannot run a
# sanitizer build, so this needs a build configured without them. The demo
# and the interop tests run other projects' programs and stay out, and so
# does expiry.sh, whose keys live one second (the prf unit tests cover
# expiry with a fake clock), and kpd-one-write.sh, which counts a KP's
# write(2) calls with strace (valgrind writes its log too).
MEMCHECK_VALGRIND = valgrind --log-file=$(abs_top_builddir)/memcheck-logs/%p.log \
	--leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite \
	--error-exitcode=99 --num-callers=30 --child-silent-after-fork=yes
MEMCHECK_TESTS = $(unit_tests) $(p11_unit_tests) \
	$(filter-out tests/integration/demo.sh tests/integration/expiry.sh \
		tests/integration/kpd-one-write.sh \
		tests/man-pages.sh tests/systemd-unit.sh,\
		$(integration_tests)) \
	$(p11_integration_tests)
memcheck:
	@if test -n "$(SAN_CFLAGS)"; then \
		echo "make memcheck: valgrind cannot run a sanitizer build;" \
			"configure without --enable-asan/--enable-ubsan"; exit 1; fi
	@$(SHELL) $(srcdir)/tests/ensure-tools.sh memcheck valgrind:valgrind
	rm -rf memcheck-logs && mkdir memcheck-logs
	@SKIP_TEST_WRAPPER="$(MEMCHECK_VALGRIND)" $(MAKE) $(AM_MAKEFLAGS) check \
		TESTS="$(MEMCHECK_TESTS)" \
		LOG_COMPILER="$(LOG_COMPILER) $(MEMCHECK_VALGRIND)"; \
		echo $$? > memcheck-logs/check-status
	$(SHELL) $(srcdir)/tests/reliability/memcheck.sh memcheck-logs
	@test "$$(cat memcheck-logs/check-status)" = 0 || \
		{ echo "make memcheck: a test failed under valgrind (test-suite.log)"; exit 1; }
	@$(MAKE) $(AM_MAKEFLAGS) tsan
.PHONY: memcheck

# `make tsan` (memcheck runs it last): the tests that run threads, built
# whole with ThreadSanitizer in tsan/ (module, p11-threads, the HMAC and
# secure-buffer unit tests), no configure needed. Every report is a file
# in tsan/logs/; the count must be 0.
TSAN_CFLAGS = -std=c11 -g -O1 -fsanitize=thread -fPIC -pthread \
	-I$(top_srcdir)/src -I$(top_builddir) -DSYSCONFDIR='"$(sysconfdir)"' \
	$(OPENSSL_CFLAGS) $(CURL_CFLAGS) $(CJSON_CFLAGS) $(P11KIT_CFLAGS)
TSAN_LIBS = $(OPENSSL_LIBS) $(CURL_LIBS) $(CJSON_LIBS) -lm -ldl
TSAN_LIB_SRCS = $(addprefix $(top_srcdir)/,$(filter %.c,$(libskip_la_SOURCES)))
TSAN_MODULE_SRCS = $(TSAN_LIB_SRCS) \
	$(addprefix $(top_srcdir)/,$(filter %.c,$(libskip_pkcs11_core_la_SOURCES)))
tsan/skip-pkcs11.so: $(TSAN_MODULE_SRCS)
	@mkdir -p tsan
	$(AM_V_CCLD)$(CC) $(TSAN_CFLAGS) -fvisibility=hidden -shared \
		-Wl,--version-script=$(top_srcdir)/src/pkcs11/skip-pkcs11.map \
		$(TSAN_MODULE_SRCS) $(TSAN_LIBS) -o $@
tsan/p11-threads: $(top_srcdir)/tests/pkcs11/p11-threads.c
	@mkdir -p tsan
	$(AM_V_CCLD)$(CC) $(TSAN_CFLAGS) $< -ldl -o $@
tsan/test-%: $(top_srcdir)/tests/unit/test-%.c $(TSAN_LIB_SRCS)
	@mkdir -p tsan
	$(AM_V_CCLD)$(CC) $(TSAN_CFLAGS) $(CMOCKA_CFLAGS) $< $(TSAN_LIB_SRCS) \
		$(CMOCKA_LIBS) $(TSAN_LIBS) -o $@
tsan: tsan/skip-pkcs11.so tsan/p11-threads tsan/test-hmac tsan/test-secbuf \
		skip-kpd skip-testbed
	rm -rf tsan/logs && mkdir -p tsan/logs
	@export TSAN_OPTIONS="log_path=$(abs_top_builddir)/tsan/logs/report"; \
	status=0; \
	for t in hmac secbuf; do tsan/test-$$t > tsan/test-$$t.log 2>&1 || status=1; done; \
	SKIP_TEST_MODULE=$(abs_top_builddir)/tsan/skip-pkcs11.so \
	SKIP_TEST_P11_THREADS=$(abs_top_builddir)/tsan/p11-threads \
	SKIP_TEST_THREADS="4 50" \
	top_builddir=$(abs_top_builddir) top_srcdir=$(abs_top_srcdir) \
		$(SHELL) $(srcdir)/tests/pkcs11/threads.sh > tsan/threads.log 2>&1 || status=1; \
	reports=$$(ls tsan/logs | wc -l); \
	echo "tsan: test-hmac, test-secbuf, threads.sh (4 threads x 50 rounds): $$reports reports"; \
	for r in tsan/logs/*; do [ -f "$$r" ] && head -n 40 "$$r"; done; \
	test "$$reports" -eq 0 && test "$$status" -eq 0 || \
		{ echo "tsan: failed; see tsan/*.log"; exit 1; }
.PHONY: tsan
clean-local: clean-reliability
clean-reliability:
	rm -rf tsan memcheck-logs

# `make soak [SOAK_SECONDS=60 SOAK_CONNECTIONS=1000]`: both KPs under wrk
# and two encryptor processes through the module (tests/reliability/soak.sh).
EXTRA_PROGRAMS += soak-encryptor
soak_encryptor_SOURCES = tests/reliability/soak-encryptor.c src/pkcs11/errmap.c
soak_encryptor_CFLAGS = $(AM_CFLAGS) $(P11KIT_CFLAGS) -pthread
soak_encryptor_LDADD = libskip.la -ldl -lpthread
CLEANFILES += soak-encryptor
EXTRA_DIST += tests/reliability/soak.sh tests/reliability/soak.lua
soak: skip-kpd skip-tool skip-testbed skip-pkcs11.la soak-encryptor
	top_builddir=$(abs_top_builddir) top_srcdir=$(abs_top_srcdir) \
		$(SHELL) $(srcdir)/tests/reliability/soak.sh
.PHONY: soak

# `make crash-test [CRASH_ROUNDS=20 CRASH_WORKERS=4]`: kill -9 of a random
# KP at a random moment while clients run; counts issued, delivered, never
# delivered and delivered twice (tests/reliability/crash-test.sh). Then the
# same with two Bob instances on PostgreSQL, one killed per round. Then the
# disk-full rounds: every failing call with every errno (disk-full.sh,
# whose make check run takes one errno per call).
EXTRA_DIST += tests/reliability/crash-test.sh
crash-test: skip-kpd skip-tool skip-testbed libfaultfs.la p11-client skip-pkcs11.la
	top_builddir=$(abs_top_builddir) top_srcdir=$(abs_top_srcdir) \
		$(SHELL) $(srcdir)/tests/reliability/crash-test.sh
	top_builddir=$(abs_top_builddir) top_srcdir=$(abs_top_srcdir) CRASH_HA=1 \
		$(SHELL) $(srcdir)/tests/reliability/crash-test.sh
	top_builddir=$(abs_top_builddir) top_srcdir=$(abs_top_srcdir) \
		DISK_FULL_ALL=1 $(SHELL) $(srcdir)/tests/reliability/disk-full.sh
.PHONY: crash-test

# faultfs: an LD_PRELOAD shim failing write, fdatasync, fsync and rename
# on one file while a trigger file exists (tests/reliability/faultfs.c),
# for disk-full.sh. Built without the sanitizers: it sits in front of
# them in a sanitized daemon.
check_LTLIBRARIES += libfaultfs.la
libfaultfs_la_SOURCES = tests/reliability/faultfs.c
libfaultfs_la_CFLAGS = -std=gnu11 $(WARN_CFLAGS)
libfaultfs_la_LDFLAGS = -module -avoid-version -shared -rpath $(abs_builddir)
libfaultfs_la_LIBADD = -ldl
TESTS += tests/reliability/disk-full.sh
EXTRA_DIST += tests/reliability/disk-full.sh
tests/reliability/disk-full.log: skip-kpd skip-tool skip-testbed libfaultfs.la
