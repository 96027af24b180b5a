# The SoftHSM2 control: one generic PKCS#11 suite, run against SoftHSM2 and
# against skip-pkcs11 with the same assertions.
check_PROGRAMS += conformance
conformance_SOURCES = tests/conformance/conformance.c \
	tests/conformance/return-codes.c tests/conformance/hmac-vectors.c \
	tests/conformance/suite.h
conformance_CFLAGS = $(AM_CFLAGS) $(P11KIT_CFLAGS) $(OPENSSL_CFLAGS)
conformance_LDADD = libskip.la $(OPENSSL_LIBS) -ldl

conformance_tests = tests/conformance/softhsm2.sh tests/conformance/skip-pkcs11.sh
TESTS += $(conformance_tests)
EXTRA_DIST += $(conformance_tests)
$(conformance_tests:.sh=.log): conformance skip-pkcs11.la skip-kpd skip-testbed
