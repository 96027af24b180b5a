# Example programs: built and run by `make check` (examples/*.sh).
check_PROGRAMS += ikev2-ppk
ikev2_ppk_SOURCES = examples/ikev2-ppk.c
ikev2_ppk_CFLAGS = $(AM_CFLAGS) $(P11KIT_CFLAGS)
ikev2_ppk_LDADD = -ldl
TESTS += examples/ikev2-ppk.sh
EXTRA_DIST += examples/ikev2-ppk.sh
examples/ikev2-ppk.log: ikev2-ppk skip-pkcs11.la skip-kpd skip-testbed
