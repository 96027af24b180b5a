/* SPDX-License-Identifier: BSD-3-Clause */
/* The OpenSSL library context SKIP code runs in. A program of our own
 * (skip-kpd, skip-tool) uses OpenSSL's default context; the module, loaded
 * into someone else's program, makes a private one, so a host whose
 * providers route random numbers or KDFs to this very token (OpenSSL's
 * pkcs11-provider) is neither used by nor re-enters the module. */
#ifndef SKIP_OSSL_H
#define SKIP_OSSL_H

#include <openssl/types.h>
#include <stdbool.h>

/* The context for every fetch: the private one once made, else NULL
 * (OpenSSL's default). */
OSSL_LIB_CTX *skip_ossl_ctx(void);

/* Makes, once per process, a private context with the default provider
 * loaded explicitly and no configuration file read. It lives as long as
 * the process: threads of the host keep state in it. False when OpenSSL
 * cannot make it. */
bool skip_ossl_use_private(void);

/* Around a call into a library that fetches from the thread's default
 * context (libcurl makes its SSL_CTX at each transfer): the private
 * context is the calling thread's default inside, the earlier one again
 * after. Scopes nest. */
typedef struct skip_ossl_scope {
    OSSL_LIB_CTX *prev;
} skip_ossl_scope;
void skip_ossl_enter(skip_ossl_scope *scope);
/* A scope that keeps the thread's default: around curl_global_init, which
 * loads the host's OpenSSL configuration into the host's context, as the
 * host's own first use of OpenSSL would, and may start its providers. */
void skip_ossl_enter_host(skip_ossl_scope *scope);
void skip_ossl_leave(skip_ossl_scope *scope);

/* True while this thread is inside a scope: a call into the module now
 * came back through a host's provider from the module's own request. */
bool skip_ossl_in_scope(void);

#endif
