# skip-pkcs11.so, the PKCS#11 module. All of src/pkcs11 is in a core
# library so unit tests call C_GetFunctionList without dlopen; the module
# adds only the version script that exports the three entry points.
noinst_LTLIBRARIES += libskip-pkcs11-core.la
libskip_pkcs11_core_la_SOURCES = \
	src/pkcs11/attrs.c \
	src/pkcs11/config.c \
	src/pkcs11/derive.c \
	src/pkcs11/entry.c \
	src/pkcs11/errmap.c \
	src/pkcs11/gate.c \
	src/pkcs11/handle-map.c src/pkcs11/handle-map.h \
	src/pkcs11/hmac-pads.c src/pkcs11/hmac-pads.h \
	src/pkcs11/general.c src/pkcs11/general.h \
	src/pkcs11/id-index.c src/pkcs11/id-index.h \
	src/pkcs11/internal.h \
	src/pkcs11/kbkdf.c \
	src/pkcs11/keygen.c \
	src/pkcs11/kp.c \
	src/pkcs11/pin.c \
	src/pkcs11/mac.c \
	src/pkcs11/module-lock.c \
	src/pkcs11/object.c \
	src/pkcs11/pkcs11-3.h \
	src/pkcs11/policy.c \
	src/pkcs11/random.c \
	src/pkcs11/rng.c src/pkcs11/rng.h \
	src/pkcs11/rng-seed.c \
	src/pkcs11/session.c \
	src/pkcs11/slot.c \
	src/pkcs11/store.c \
	$(NULL)
libskip_pkcs11_core_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden \
	$(P11KIT_CFLAGS) $(OPENSSL_CFLAGS)
libskip_pkcs11_core_la_LIBADD = libskip.la $(OPENSSL_LIBS)

# Installed where p11-kit looks, relative to our prefix, so that a
# --prefix=/usr build lands in p11-kit's own module path and directory.
p11_module_path = $(shell $(PKG_CONFIG) --define-variable=prefix=$(prefix) \
	--variable=p11_module_path p11-kit-1)
p11_module_configs = $(shell $(PKG_CONFIG) --define-variable=prefix=$(prefix) \
	--variable=p11_module_configs p11-kit-1)
pkcs11dir = $(p11_module_path)
pkcs11_LTLIBRARIES = skip-pkcs11.la
skip_pkcs11_la_SOURCES =
skip_pkcs11_la_LIBADD = libskip-pkcs11-core.la
# -z now: every symbol is bound at load, so no lazy-binding resolver runs
# in the middle of a call and leaves key bytes in its stack frame.
# -z nodelete: dlclose keeps the module mapped, since the host's threads
# keep state in its private OpenSSL context and run its thread-exit
# destructors (skip/ossl.h, skip/hmac.c) after the host let go of it.
skip_pkcs11_la_LDFLAGS = $(AM_LDFLAGS) -module -avoid-version -no-undefined \
	-Wl,--version-script=$(srcdir)/src/pkcs11/skip-pkcs11.map \
	-Wl,-z,now -Wl,-z,relro -Wl,-z,nodelete
EXTRA_DIST += src/pkcs11/skip-pkcs11.map

# The p11-kit registration names the module by its installed path.
p11kitdir = $(p11_module_configs)
p11kit_DATA = skip-pkcs11.module
CLEANFILES += skip-pkcs11.module
EXTRA_DIST += p11-kit/skip-pkcs11.module.in
skip-pkcs11.module: $(srcdir)/p11-kit/skip-pkcs11.module.in Makefile
	$(AM_V_GEN)sed -e 's|@p11_module_path[@]|$(p11_module_path)|g' \
		-e 's|@sysconfdir[@]|$(sysconfdir)|g' \
		$(srcdir)/p11-kit/skip-pkcs11.module.in > $@
