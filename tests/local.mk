# Tests: cmocka unit tests (TAP), integration scripts against real daemons,
# and replays of the fuzz targets' seed corpora.
TEST_EXTENSIONS = .sh
LOG_DRIVER = env AM_TAP_AWK='$(AWK)' $(SHELL) $(top_srcdir)/build-aux/tap-driver.sh
LOG_COMPILER = env CMOCKA_MESSAGE_OUTPUT=TAP
SH_LOG_COMPILER = env top_builddir=$(abs_top_builddir) top_srcdir=$(abs_top_srcdir) $(SHELL)
AM_TESTS_ENVIRONMENT = SKIP_PKCS11_STRICT=1; export SKIP_PKCS11_STRICT;

UNIT_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(OPENSSL_CFLAGS)
UNIT_LDADD = libkpd.la libskip.la $(CMOCKA_LIBS) $(OPENSSL_LIBS)
FIXTURE = tests/unit/kpd-fixture.c tests/unit/kpd-fixture.h tests/unit/unit.h

unit_tests = \
	test-hex \
	test-json \
	test-url \
	test-glob \
	test-psk \
	test-kpd-config \
	test-prf \
	test-routes \
	test-ledger \
	test-ledger-table \
	test-http-parse \
	test-dict \
	test-statefile \
	test-log \
	test-secbuf \
	test-hmac \
	test-ini \
	test-etsi014-wire \
	test-metrics \
	$(NULL)
check_PROGRAMS += $(unit_tests)
TESTS += $(unit_tests)

test_hex_SOURCES = tests/unit/test-hex.c tests/unit/unit.h
test_json_SOURCES = tests/unit/test-json.c tests/unit/unit.h
test_url_SOURCES = tests/unit/test-url.c tests/unit/unit.h
test_glob_SOURCES = tests/unit/test-glob.c tests/unit/unit.h
test_psk_SOURCES = tests/unit/test-psk.c tests/unit/unit.h
test_kpd_config_SOURCES = tests/unit/test-kpd-config.c $(FIXTURE)
test_prf_SOURCES = tests/unit/test-prf.c $(FIXTURE)
test_routes_SOURCES = tests/unit/test-routes.c $(FIXTURE)
test_ledger_SOURCES = tests/unit/test-ledger.c tests/unit/unit.h
test_ledger_table_SOURCES = tests/unit/test-ledger-table.c tests/unit/unit.h
test_http_parse_SOURCES = tests/unit/test-http-parse.c tests/unit/unit.h
test_dict_SOURCES = tests/unit/test-dict.c tests/unit/unit.h
test_statefile_SOURCES = tests/unit/test-statefile.c tests/unit/unit.h
test_log_SOURCES = tests/unit/test-log.c tests/unit/unit.h
test_secbuf_SOURCES = tests/unit/test-secbuf.c tests/unit/unit.h
test_hmac_SOURCES = tests/unit/test-hmac.c tests/unit/unit.h
test_ini_SOURCES = tests/unit/test-ini.c tests/unit/unit.h
test_etsi014_wire_SOURCES = tests/unit/test-etsi014-wire.c tests/unit/unit.h
test_metrics_SOURCES = tests/unit/test-metrics.c tests/unit/unit.h
test_hex_CFLAGS = $(UNIT_CFLAGS)
test_json_CFLAGS = $(UNIT_CFLAGS)
test_url_CFLAGS = $(UNIT_CFLAGS)
test_glob_CFLAGS = $(UNIT_CFLAGS)
test_psk_CFLAGS = $(UNIT_CFLAGS)
test_kpd_config_CFLAGS = $(UNIT_CFLAGS)
test_prf_CFLAGS = $(UNIT_CFLAGS)
test_routes_CFLAGS = $(UNIT_CFLAGS)
test_ledger_CFLAGS = $(UNIT_CFLAGS) $(LIBEVENT_CFLAGS)
test_ledger_table_CFLAGS = $(UNIT_CFLAGS)
test_http_parse_CFLAGS = $(UNIT_CFLAGS)
test_dict_CFLAGS = $(UNIT_CFLAGS)
test_statefile_CFLAGS = $(UNIT_CFLAGS)
test_log_CFLAGS = $(UNIT_CFLAGS)
test_secbuf_CFLAGS = $(UNIT_CFLAGS)
test_hmac_CFLAGS = $(UNIT_CFLAGS)
test_ini_CFLAGS = $(UNIT_CFLAGS)
test_etsi014_wire_CFLAGS = $(UNIT_CFLAGS)
test_metrics_CFLAGS = $(UNIT_CFLAGS)
test_hex_LDADD = $(UNIT_LDADD)
test_json_LDADD = $(UNIT_LDADD)
test_url_LDADD = $(UNIT_LDADD)
test_glob_LDADD = $(UNIT_LDADD)
test_psk_LDADD = $(UNIT_LDADD)
test_kpd_config_LDADD = $(UNIT_LDADD)
test_prf_LDADD = $(UNIT_LDADD)
test_routes_LDADD = $(UNIT_LDADD)
test_ledger_LDADD = $(UNIT_LDADD) $(LIBEVENT_LIBS)
test_ledger_table_LDADD = $(UNIT_LDADD)
test_http_parse_LDADD = $(UNIT_LDADD)
test_dict_LDADD = $(UNIT_LDADD)
test_statefile_LDADD = $(UNIT_LDADD)
test_log_LDADD = $(UNIT_LDADD)
test_secbuf_LDADD = $(UNIT_LDADD)
test_hmac_LDADD = $(UNIT_LDADD)
test_ini_LDADD = $(UNIT_LDADD)
test_etsi014_wire_LDADD = $(UNIT_LDADD)
test_metrics_LDADD = $(UNIT_LDADD)

integration_tests = \
	tests/integration/wire-psk13.sh \
	tests/integration/wire-psk12.sh \
	tests/integration/wire-cert13.sh \
	tests/integration/wire-cert12.sh \
	tests/integration/tls12-suites.sh \
	tests/integration/tls-negative.sh \
	tests/integration/loopback.sh \
	tests/integration/durability.sh \
	tests/integration/expiry.sh \
	tests/integration/prf-recompute.sh \
	tests/integration/entropy-503.sh \
	tests/integration/kpd-lifecycle.sh \
	tests/integration/kpd-limits.sh \
	tests/integration/kpd-500.sh \
	tests/integration/tool-errors.sh \
	tests/integration/long-ids.sh \
	tests/integration/psk-hash.sh \
	tests/integration/kpd-check.sh \
	tests/integration/demo.sh \
	tests/integration/kpd-one-write.sh \
	tests/integration/kpd-once.sh \
	tests/integration/kpd-http.sh \
	tests/integration/kpd-revoke.sh \
	tests/integration/kpd-workers.sh \
	tests/integration/workers-500.sh \
	tests/integration/workers-backpressure.sh \
	tests/integration/workers-dos.sh \
	tests/integration/workers-lifecycle.sh \
	tests/integration/workers-limits.sh \
	tests/integration/workers-revoke.sh \
	tests/integration/workers-wire-psk13.sh \
	tests/integration/kpd-backpressure.sh \
	tests/integration/kpd-dos.sh \
	tests/integration/kpd-clients.sh \
	tests/man-pages.sh \
	tests/systemd-unit.sh \
	tests/docs.sh \
	tests/integration/failover.sh \
	tests/integration/ha.sh \
	tests/integration/workers-ha.sh \
	tests/integration/workers-pg.sh \
	tests/integration/ha-db.sh \
	tests/integration/ha-faults.sh \
	tests/integration/kpd-metrics.sh \
	tests/integration/kpd-mgmt-tls.sh \
	tests/integration/kpd-audit-syslog.sh \
	$(NULL)
TESTS += $(integration_tests)
EXTRA_DIST += $(integration_tests) tests/integration/lib.sh \
	tests/integration/workers-sources.sh tests/metrics-check.py tests/audit-check.py tests/dgram-listen.py tests/integration/wire.sh \
	tests/integration/slowloris.py
# The scripts run the programs and the testbed from the build tree.
$(integration_tests:.sh=.log): skip-kpd skip-tool skip-testbed
tests/integration/demo.log: skip-pkcs11.la ikev2-ppk
tests/integration/kpd-once.log: kpd-load
tests/man-pages.log: $(man_pages)
tests/docs.log: skip-pkcs11.la
tests/integration/failover.log: skip-pkcs11.la p11-client
tests/integration/ha.log: skip-pkcs11.la p11-client
tests/integration/workers-ha.log: skip-pkcs11.la p11-client
tests/integration/ha-faults.log: libfaultfs.la
tests/integration/kpd-metrics.log: libfaultfs.la

# The etsi014 key source against the fake KME pair, and the module's
# chain, PPK and MACsec tests over it.
kme_tests = tests/kme/etsi014.sh tests/kme/chain.sh tests/kme/ppk.sh \
	tests/kme/macsec.sh tests/kme/demo.sh tests/kme/workers-chain.sh \
	tests/kme/workers.sh
TESTS += $(kme_tests)
EXTRA_DIST += $(kme_tests)
$(kme_tests:.sh=.log): skip-kpd skip-tool skip-testbed skip-pkcs11.la p11-client \
	ikev2-ppk
