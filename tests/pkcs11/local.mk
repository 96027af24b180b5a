# Tests of the PKCS#11 module: unit tests calling C_GetFunctionList from the
# core library, and p11-client, which dlopens the built module.
check_PROGRAMS += p11-client
p11_client_SOURCES = tests/pkcs11/p11-client.c src/pkcs11/errmap.c
p11_client_CFLAGS = $(AM_CFLAGS) $(P11KIT_CFLAGS) $(OPENSSL_CFLAGS)
p11_client_LDADD = libskip.la -ldl
