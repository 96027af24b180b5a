/* SPDX-License-Identifier: BSD-3-Clause */
/* The private OpenSSL library context (ossl.h). */
#include "config.h"
#include "ossl.h"

#include <openssl/crypto.h>
#include <openssl/provider.h>
#include <pthread.h>
#include <stdatomic.h>

static OSSL_LIB_CTX *_Atomic private_ctx;
static pthread_once_t private_once = PTHREAD_ONCE_INIT;
static _Thread_local unsigned scope_depth;

OSSL_LIB_CTX *skip_ossl_ctx(void)
{
    return atomic_load(&private_ctx);
}

static void make_private(void)
{
    /* OSSL_LIB_CTX_new reads no configuration; the default provider is
     * loaded by name, so nothing the host configured comes in. */
    OSSL_LIB_CTX *ctx = OSSL_LIB_CTX_new();

    if (ctx != NULL && OSSL_PROVIDER_load(ctx, "default") == NULL) {
        OSSL_LIB_CTX_free(ctx);
        ctx = NULL;
    }
    atomic_store(&private_ctx, ctx);
}

bool skip_ossl_use_private(void)
{
    pthread_once(&private_once, make_private);
    return skip_ossl_ctx() != NULL;
}

void skip_ossl_enter(skip_ossl_scope *scope)
{
    OSSL_LIB_CTX *ctx = skip_ossl_ctx();

    scope->prev = ctx ? OSSL_LIB_CTX_set0_default(ctx) : NULL;
    scope_depth++;
}

void skip_ossl_enter_host(skip_ossl_scope *scope)
{
    scope->prev = NULL;
    scope_depth++;
}

void skip_ossl_leave(skip_ossl_scope *scope)
{
    scope_depth--;
    if (scope->prev != NULL)
        OSSL_LIB_CTX_set0_default(scope->prev);
}

bool skip_ossl_in_scope(void)
{
    return scope_depth > 0;
}
