# The attack suite: the key policy's catalogue against the loaded module.
check_PROGRAMS += test-attacks
test_attacks_SOURCES = tests/security/attacks.c tests/unit/unit.h
test_attacks_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(P11KIT_CFLAGS) $(OPENSSL_CFLAGS)
test_attacks_LDADD = libskip.la $(CMOCKA_LIBS) $(OPENSSL_LIBS) -ldl
TESTS += tests/security/attacks.sh
EXTRA_DIST += tests/security/attacks.sh
tests/security/attacks.log: test-attacks skip-pkcs11.la skip-kpd skip-testbed skip-tool
