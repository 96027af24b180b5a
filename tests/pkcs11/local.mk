# Tests of the PKCS#11 module: unit tests calling C_GetFunctionList from the
# core library, and p11-client, which dlopens the built module.
check_PROGRAMS += p11-client p11-threads ossl-host
# host-provider: an OpenSSL provider that routes a host's random numbers to
# the token, as pkcs11-provider does (tests/pkcs11/host-openssl.sh).
check_LTLIBRARIES += libhost-provider.la
libhost_provider_la_SOURCES = tests/pkcs11/host-provider.c
libhost_provider_la_CFLAGS = $(AM_CFLAGS) $(P11KIT_CFLAGS) $(OPENSSL_CFLAGS)
libhost_provider_la_LDFLAGS = -module -avoid-version -shared -rpath $(abs_builddir)
libhost_provider_la_LIBADD = -ldl -lpthread
ossl_host_SOURCES = tests/pkcs11/ossl-host.c
ossl_host_CFLAGS = $(AM_CFLAGS) $(P11KIT_CFLAGS) $(OPENSSL_CFLAGS)
ossl_host_LDADD = $(OPENSSL_LIBS) -ldl
p11_threads_SOURCES = tests/pkcs11/p11-threads.c
p11_threads_CFLAGS = $(AM_CFLAGS) $(P11KIT_CFLAGS)
p11_threads_LDADD = -ldl -lpthread
p11_client_SOURCES = tests/pkcs11/p11-client.c tests/pkcs11/memscan.c \
	tests/pkcs11/memscan.h src/pkcs11/errmap.c
p11_client_CFLAGS = $(AM_CFLAGS) $(P11KIT_CFLAGS) $(OPENSSL_CFLAGS)
p11_client_LDADD = libskip.la -ldl -lpthread

P11_UNIT_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(P11KIT_CFLAGS) $(OPENSSL_CFLAGS)
P11_UNIT_LDADD = libskip-pkcs11-core.la libskip.la $(CMOCKA_LIBS) $(OPENSSL_LIBS)
P11_FIXTURE = tests/pkcs11/p11-fixture.c tests/pkcs11/p11-fixture.h tests/unit/unit.h
p11_unit_tests = test-p11-general test-p11-objects test-p11-derive \
	test-p11-kbkdf test-p11-gate test-p11-policy test-p11-pin test-id-index \
	test-handle-map test-rng
check_PROGRAMS += $(p11_unit_tests)
TESTS += $(p11_unit_tests)
test_p11_general_SOURCES = tests/pkcs11/test-p11-general.c $(P11_FIXTURE)
test_p11_general_CFLAGS = $(P11_UNIT_CFLAGS)
test_p11_general_LDADD = $(P11_UNIT_LDADD)
test_p11_objects_SOURCES = tests/pkcs11/test-p11-objects.c $(P11_FIXTURE)
test_p11_objects_CFLAGS = $(P11_UNIT_CFLAGS)
test_p11_objects_LDADD = $(P11_UNIT_LDADD)
test_p11_derive_SOURCES = tests/pkcs11/test-p11-derive.c $(P11_FIXTURE) \
	tests/pkcs11/memscan.c tests/pkcs11/memscan.h
test_p11_derive_CFLAGS = $(P11_UNIT_CFLAGS)
test_p11_derive_LDADD = $(P11_UNIT_LDADD)
test_p11_kbkdf_SOURCES = tests/pkcs11/test-p11-kbkdf.c $(P11_FIXTURE)
test_p11_kbkdf_CFLAGS = $(P11_UNIT_CFLAGS)
test_p11_kbkdf_LDADD = $(P11_UNIT_LDADD)
test_p11_gate_SOURCES = tests/pkcs11/test-p11-gate.c $(P11_FIXTURE)
test_p11_gate_CFLAGS = $(P11_UNIT_CFLAGS)
test_p11_gate_LDADD = $(P11_UNIT_LDADD)
test_p11_policy_SOURCES = tests/pkcs11/test-p11-policy.c $(P11_FIXTURE)
test_p11_policy_CFLAGS = $(P11_UNIT_CFLAGS)
test_p11_policy_LDADD = $(P11_UNIT_LDADD)
test_p11_pin_SOURCES = tests/pkcs11/test-p11-pin.c $(P11_FIXTURE)
test_p11_pin_CFLAGS = $(P11_UNIT_CFLAGS)
test_p11_pin_LDADD = $(P11_UNIT_LDADD)
test_rng_SOURCES = tests/pkcs11/test-rng.c tests/unit/unit.h
test_rng_CFLAGS = $(P11_UNIT_CFLAGS)
test_rng_LDADD = $(P11_UNIT_LDADD) -lpthread
test_id_index_SOURCES = tests/pkcs11/test-id-index.c tests/unit/unit.h
test_id_index_CFLAGS = $(P11_UNIT_CFLAGS)
test_id_index_LDADD = $(P11_UNIT_LDADD)
test_handle_map_SOURCES = tests/pkcs11/test-handle-map.c tests/unit/unit.h
test_handle_map_CFLAGS = $(P11_UNIT_CFLAGS)
test_handle_map_LDADD = $(P11_UNIT_LDADD)

p11_integration_tests = tests/pkcs11/chain.sh tests/pkcs11/faults.sh \
	tests/pkcs11/exports.sh tests/pkcs11/module-rules.sh tests/pkcs11/threads.sh \
	tests/pkcs11/ppk.sh tests/pkcs11/macsec.sh tests/pkcs11/fault-matrix.sh \
	tests/pkcs11/orphan.sh tests/pkcs11/key-memory.sh tests/pkcs11/host-openssl.sh \
	tests/pkcs11/random.sh
TESTS += $(p11_integration_tests)
EXTRA_DIST += $(p11_integration_tests) tests/pkcs11/p11-lib.sh \
	tests/pkcs11/truncating-kp.py
$(p11_integration_tests:.sh=.log): skip-pkcs11.la p11-client p11-threads \
	skip-kpd skip-testbed skip-pkcs11-server ossl-host libhost-provider.la
