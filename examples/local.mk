# Example programs: `make` builds them, `make check` runs them
# (examples/*.sh), and `make install` puts their sources, with the header
# they include, beside their guides.
noinst_PROGRAMS += ikev2-ppk
ikev2_ppk_SOURCES = examples/ikev2-ppk.c
ikev2_ppk_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/src/pkcs11
ikev2_ppk_CFLAGS = $(AM_CFLAGS) $(P11KIT_CFLAGS)
ikev2_ppk_LDADD = -ldl
TESTS += examples/ikev2-ppk.sh
EXTRA_DIST += examples/ikev2-ppk.sh
examples/ikev2-ppk.log: ikev2-ppk skip-pkcs11.la skip-kpd skip-testbed
