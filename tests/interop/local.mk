# Interop: the tools people use, against skip-testbed's two sites.
interop_tests = \
	tests/interop/pkcs11-tool.sh \
	tests/interop/p11tool.sh \
	tests/interop/p11-kit.sh \
	tests/interop/java.sh \
	tests/interop/pykcs11.sh \
	tests/interop/host-life.sh \
	tests/interop/server.sh \
	tests/interop/nss.sh \
	tests/interop/skip-peers.sh \
	$(NULL)
TESTS += $(interop_tests)
EXTRA_DIST += $(interop_tests) tests/interop/interop-lib.sh \
	tests/interop/strict-kp.py \
	tests/interop/SkipPeer.java tests/interop/skip_peer.py
$(interop_tests:.sh=.log): skip-pkcs11.la skip-pkcs11-server p11-client p11-host \
	nss-host skip-kpd skip-testbed

# nss-host: the module under NSS, as an IKE daemon calls it.
check_PROGRAMS += nss-host
nss_host_SOURCES = tests/interop/nss-host.c
nss_host_CFLAGS = $(AM_CFLAGS) $(NSS_CFLAGS)
nss_host_LDADD = $(NSS_LIBS)

# p11-host: a host's fork and exit handlers around the module.
check_PROGRAMS += p11-host
p11_host_SOURCES = tests/interop/p11-host.c
p11_host_CFLAGS = $(AM_CFLAGS) $(P11KIT_CFLAGS)
p11_host_LDADD = -ldl
