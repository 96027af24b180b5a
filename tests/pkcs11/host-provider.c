/* SPDX-License-Identifier: BSD-3-Clause */
/* A test-only OpenSSL provider that does what OpenSSL's pkcs11-provider
 * does to a host: it serves the host's random numbers from the token (a
 * RAND, SKIPTEST-RAND, whose bytes are C_GenerateRandom's) and offers the
 * TLS KDFs (TLS13-KDF, TLS1-PRF), which here only count and fail. A host
 * configured with it (random = SKIPTEST-RAND, default_properties =
 * ?provider=skiptest) re-enters the module whenever the module's own
 * OpenSSL calls run in the host's library context.
 *
 * Every call appends one line to $SKIPTEST_LOG: "rand N CKR" for each
 * generate (N bytes, the module's CK_RV in hex) and "kdf NAME" for each KDF
 * context made. With $SKIPTEST_EARLY set, the provider initializes the
 * module as soon as OpenSSL starts it (pkcs11-provider's early loading):
 * "early CKR". The module is $SKIPTEST_MODULE, its slot 0. */
#include "config.h"

#include <dlfcn.h>
#include <openssl/core.h>
#include <openssl/core_dispatch.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pkcs11/pkcs11-3.h"

OSSL_provider_init_fn OSSL_provider_init;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static CK_FUNCTION_LIST *p11;
static CK_SESSION_HANDLE session;

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void note(const char *fmt, ...)
{
    const char *path = getenv("SKIPTEST_LOG");
    FILE *f = path ? fopen(path, "a") : NULL;
    va_list ap;

    if (f == NULL)
        return;
    va_start(ap, fmt);
    vfprintf(f, fmt, ap);
    va_end(ap);
    fputc('\n', f);
    fclose(f);
}

/* The module and a session on its slot 0, made once; lock held. */
static CK_RV open_module_locked(void)
{
    CK_C_INITIALIZE_ARGS args = {.flags = CKF_OS_LOCKING_OK};
    CK_C_GetFunctionList get_list;
    const char *path = getenv("SKIPTEST_MODULE");
    void *lib;
    CK_RV rv;

    if (session != 0)
        return CKR_OK;
    if (path == NULL || (lib = dlopen(path, RTLD_NOW | RTLD_LOCAL)) == NULL)
        return CKR_GENERAL_ERROR;
    get_list = (CK_C_GetFunctionList)dlsym(lib, "C_GetFunctionList");
    if (get_list == NULL || get_list(&p11) != CKR_OK)
        return CKR_GENERAL_ERROR;
    /* The host may have initialized it too: one module, one process. */
    rv = p11->C_Initialize(&args);
    if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED)
        return rv;
    return p11->C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, &session);
}

/* --- SKIPTEST-RAND --- */

static void *rand_newctx(void *provctx, void *parent,
                         const OSSL_DISPATCH *parent_dispatch)
{
    static int ctx;

    (void)provctx, (void)parent, (void)parent_dispatch;
    return &ctx;
}

static void rand_freectx(void *ctx) { (void)ctx; }

static int rand_instantiate(void *ctx, unsigned int strength,
                            int prediction_resistance,
                            const unsigned char *pstr, size_t pstr_len,
                            const OSSL_PARAM params[])
{
    (void)ctx, (void)strength, (void)prediction_resistance, (void)pstr;
    (void)pstr_len, (void)params;
    return 1;
}

static int rand_uninstantiate(void *ctx) { (void)ctx; return 1; }

static int rand_generate(void *ctx, unsigned char *out, size_t outlen,
                         unsigned int strength, int prediction_resistance,
                         const unsigned char *adin, size_t adin_len)
{
    CK_RV rv;

    (void)ctx, (void)strength, (void)prediction_resistance, (void)adin;
    (void)adin_len;
    pthread_mutex_lock(&lock);
    rv = open_module_locked();
    pthread_mutex_unlock(&lock);
    if (rv == CKR_OK)
        rv = p11->C_GenerateRandom(session, out, outlen);
    note("rand %zu 0x%lx", outlen, (unsigned long)rv);
    return rv == CKR_OK;
}

static int rand_enable_locking(void *ctx) { (void)ctx; return 1; }
static int rand_lock(void *ctx) { (void)ctx; return 1; }
static void rand_unlock(void *ctx) { (void)ctx; }

static int rand_get_ctx_params(void *ctx, OSSL_PARAM params[])
{
    OSSL_PARAM *p;

    (void)ctx;
    if ((p = OSSL_PARAM_locate(params, OSSL_RAND_PARAM_STATE)) != NULL &&
        !OSSL_PARAM_set_int(p, EVP_RAND_STATE_READY))
        return 0;
    if ((p = OSSL_PARAM_locate(params, OSSL_RAND_PARAM_STRENGTH)) != NULL &&
        !OSSL_PARAM_set_uint(p, 256))
        return 0;
    if ((p = OSSL_PARAM_locate(params, OSSL_RAND_PARAM_MAX_REQUEST)) != NULL &&
        !OSSL_PARAM_set_size_t(p, 4096))
        return 0;
    return 1;
}

static const OSSL_PARAM *rand_gettable_ctx_params(void *ctx, void *provctx)
{
    static const OSSL_PARAM gettable[] = {
        OSSL_PARAM_int(OSSL_RAND_PARAM_STATE, NULL),
        OSSL_PARAM_uint(OSSL_RAND_PARAM_STRENGTH, NULL),
        OSSL_PARAM_size_t(OSSL_RAND_PARAM_MAX_REQUEST, NULL),
        OSSL_PARAM_END,
    };

    (void)ctx, (void)provctx;
    return gettable;
}

static const OSSL_DISPATCH rand_functions[] = {
    {OSSL_FUNC_RAND_NEWCTX, (void (*)(void))rand_newctx},
    {OSSL_FUNC_RAND_FREECTX, (void (*)(void))rand_freectx},
    {OSSL_FUNC_RAND_INSTANTIATE, (void (*)(void))rand_instantiate},
    {OSSL_FUNC_RAND_UNINSTANTIATE, (void (*)(void))rand_uninstantiate},
    {OSSL_FUNC_RAND_GENERATE, (void (*)(void))rand_generate},
    {OSSL_FUNC_RAND_ENABLE_LOCKING, (void (*)(void))rand_enable_locking},
    {OSSL_FUNC_RAND_LOCK, (void (*)(void))rand_lock},
    {OSSL_FUNC_RAND_UNLOCK, (void (*)(void))rand_unlock},
    {OSSL_FUNC_RAND_GET_CTX_PARAMS, (void (*)(void))rand_get_ctx_params},
    {OSSL_FUNC_RAND_GETTABLE_CTX_PARAMS, (void (*)(void))rand_gettable_ctx_params},
    {0, NULL},
};

/* --- TLS13-KDF and TLS1-PRF: counted, and failing --- */

static void *kdf_newctx(const char *name)
{
    note("kdf %s", name);
    return (void *)name;
}

static void *tls13_newctx(void *provctx) { (void)provctx; return kdf_newctx("TLS13-KDF"); }
static void *tls1_prf_newctx(void *provctx) { (void)provctx; return kdf_newctx("TLS1-PRF"); }
static void kdf_freectx(void *ctx) { (void)ctx; }
static void kdf_reset(void *ctx) { (void)ctx; }

static int kdf_derive(void *ctx, unsigned char *key, size_t keylen,
                      const OSSL_PARAM params[])
{
    (void)ctx, (void)key, (void)keylen, (void)params;
    return 0;
}

static int kdf_set_ctx_params(void *ctx, const OSSL_PARAM params[])
{
    (void)ctx, (void)params;
    return 1;
}

static const OSSL_PARAM *kdf_settable_ctx_params(void *ctx, void *provctx)
{
    static const OSSL_PARAM none[] = {OSSL_PARAM_END};

    (void)ctx, (void)provctx;
    return none;
}

#define KDF_FUNCTIONS(newctx)                                                  \
    {                                                                          \
        {OSSL_FUNC_KDF_NEWCTX, (void (*)(void))newctx},                        \
        {OSSL_FUNC_KDF_FREECTX, (void (*)(void))kdf_freectx},                  \
        {OSSL_FUNC_KDF_RESET, (void (*)(void))kdf_reset},                      \
        {OSSL_FUNC_KDF_DERIVE, (void (*)(void))kdf_derive},                    \
        {OSSL_FUNC_KDF_SET_CTX_PARAMS, (void (*)(void))kdf_set_ctx_params},    \
        {OSSL_FUNC_KDF_SETTABLE_CTX_PARAMS,                                    \
         (void (*)(void))kdf_settable_ctx_params},                             \
        {0, NULL},                                                             \
    }

static const OSSL_DISPATCH tls13_functions[] = KDF_FUNCTIONS(tls13_newctx);
static const OSSL_DISPATCH tls1_prf_functions[] = KDF_FUNCTIONS(tls1_prf_newctx);

/* --- the provider --- */

static const OSSL_ALGORITHM rands[] = {
    {"SKIPTEST-RAND", "provider=skiptest", rand_functions, NULL},
    {NULL, NULL, NULL, NULL},
};

static const OSSL_ALGORITHM kdfs[] = {
    {"TLS13-KDF", "provider=skiptest", tls13_functions, NULL},
    {"TLS1-PRF", "provider=skiptest", tls1_prf_functions, NULL},
    {NULL, NULL, NULL, NULL},
};

static const OSSL_ALGORITHM *query(void *provctx, int operation_id,
                                   int *no_cache)
{
    (void)provctx;
    *no_cache = 0;
    switch (operation_id) {
    case OSSL_OP_RAND: return rands;
    case OSSL_OP_KDF: return kdfs;
    default: return NULL;
    }
}

static const OSSL_DISPATCH provider_functions[] = {
    {OSSL_FUNC_PROVIDER_QUERY_OPERATION, (void (*)(void))query},
    {0, NULL},
};

int OSSL_provider_init(const OSSL_CORE_HANDLE *handle, const OSSL_DISPATCH *in,
                       const OSSL_DISPATCH **out, void **provctx)
{
    (void)handle, (void)in;
    *out = provider_functions;
    *provctx = (void *)provider_functions;
    if (getenv("SKIPTEST_EARLY") != NULL) {
        CK_RV rv;
        pthread_mutex_lock(&lock);
        rv = open_module_locked();
        pthread_mutex_unlock(&lock);
        note("early 0x%lx", (unsigned long)rv);
    }
    return 1;
}
