/* SPDX-License-Identifier: BSD-3-Clause */
/* The seed source of C_GenerateRandom's DRBGs (rng.h): an EVP_RAND,
 * SKIP-KP-SEED, in a provider built into the module and loaded into its
 * private library context only, that hands out bytes of a pool of KP
 * entropy, each byte once. A DRBG whose parent it is asks it, through
 * OSSL_FUNC_RAND_GET_SEED, for the entropy input of every instantiate and
 * reseed; it never falls back to any other source: an empty pool is a
 * failed (re)seed. */
#include "config.h"
#include "rng.h"

#include <openssl/core_dispatch.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/provider.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "skip/ossl.h"
#include "skip/secbuf.h"

#define SEED_PROVIDER "skip-kp-seed"
#define SEED_ALGORITHM "SKIP-KP-SEED"
/* How a DRBG names its pool: a pointer, passed once after newctx. */
#define SEED_PARAM_POOL "skip-pool"

struct rng_pool {
    pthread_mutex_t lock;
    skip_secbuf *bytes; /* bytes->len unused bytes of KP entropy */
};

rng_pool *rng_pool_new(void)
{
    rng_pool *p = calloc(1, sizeof(*p));

    if (p == NULL)
        return NULL;
    p->bytes = skip_secbuf_new(RNG_POOL_BYTES);
    if (p->bytes == NULL) {
        free(p);
        return NULL;
    }
    pthread_mutex_init(&p->lock, NULL);
    return p;
}

void rng_pool_free(rng_pool *p)
{
    if (p == NULL)
        return;
    skip_secbuf_free(p->bytes); /* cleansed */
    free(p);
}

size_t rng_pool_put(rng_pool *p, const unsigned char *buf, size_t len)
{
    size_t room;

    pthread_mutex_lock(&p->lock);
    room = p->bytes->cap - p->bytes->len;
    if (len > room)
        len = room;
    memcpy(p->bytes->data + p->bytes->len, buf, len);
    p->bytes->len += len;
    pthread_mutex_unlock(&p->lock);
    return len;
}

size_t rng_pool_level(rng_pool *p)
{
    size_t level;

    pthread_mutex_lock(&p->lock);
    level = p->bytes->len;
    pthread_mutex_unlock(&p->lock);
    return level;
}

/* Moves exactly len bytes out of the pool, oldest first, or none. */
static bool pool_take(rng_pool *p, unsigned char *out, size_t len)
{
    skip_secbuf *b;
    bool ok;

    pthread_mutex_lock(&p->lock);
    b = p->bytes;
    ok = b->len >= len;
    if (ok) {
        memcpy(out, b->data, len);
        memmove(b->data, b->data + len, b->len - len);
        OPENSSL_cleanse(b->data + b->len - len, len);
        b->len -= len;
    }
    pthread_mutex_unlock(&p->lock);
    return ok;
}

/* --- the EVP_RAND --- */

typedef struct seed_ctx {
    rng_pool *pool;
    int state; /* EVP_RAND_STATE_* */
} seed_ctx;

static void *seed_newctx(void *provctx, void *parent,
                         const OSSL_DISPATCH *parent_calls)
{
    seed_ctx *s;

    if (parent != NULL) /* a source has no parent */
        return NULL;
    s = calloc(1, sizeof(*s));
    if (s != NULL)
        s->state = EVP_RAND_STATE_UNINITIALISED;
    return s;
}

static void seed_freectx(void *vctx)
{
    free(vctx);
}

static int seed_instantiate(void *vctx, unsigned int strength,
                            int prediction_resistance,
                            const unsigned char *pstr, size_t pstr_len,
                            const OSSL_PARAM params[])
{
    seed_ctx *s = vctx;

    if (s->pool == NULL || strength > RNG_STRENGTH)
        return 0;
    s->state = EVP_RAND_STATE_READY;
    return 1;
}

static int seed_uninstantiate(void *vctx)
{
    ((seed_ctx *)vctx)->state = EVP_RAND_STATE_UNINITIALISED;
    return 1;
}

/* Full entropy: every pool byte is a KP sample's. */
static int seed_generate(void *vctx, unsigned char *out, size_t outlen,
                         unsigned int strength, int prediction_resistance,
                         const unsigned char *addin, size_t addin_len)
{
    seed_ctx *s = vctx;

    if (s->state != EVP_RAND_STATE_READY || strength > RNG_STRENGTH)
        return 0;
    return pool_take(s->pool, out, outlen);
}

static int seed_reseed(void *vctx, int prediction_resistance,
                       const unsigned char *ent, size_t ent_len,
                       const unsigned char *addin, size_t addin_len)
{
    return 1; /* each byte handed out is a fresh KP byte already */
}

/* A child's entropy input: max(entropy bits / 8, min_len) bytes. The
 * child's address it passes as adin only tells children apart in
 * generators that hash it in; pool bytes are never handed out twice. */
static size_t seed_get_seed(void *vctx, unsigned char **pout, int entropy,
                            size_t min_len, size_t max_len,
                            int prediction_resistance,
                            const unsigned char *adin, size_t adin_len)
{
    seed_ctx *s = vctx;
    size_t len = ((size_t)entropy + 7) / 8;
    unsigned char *buf;

    if (len < min_len)
        len = min_len;
    if (s->state != EVP_RAND_STATE_READY || len > max_len || len == 0)
        return 0;
    buf = OPENSSL_secure_malloc(len);
    if (buf == NULL)
        return 0;
    if (!pool_take(s->pool, buf, len)) {
        OPENSSL_secure_clear_free(buf, len);
        return 0;
    }
    *pout = buf;
    return len;
}

static void seed_clear_seed(void *vctx, unsigned char *buf, size_t len)
{
    OPENSSL_secure_clear_free(buf, len);
}

/* The pool has its own lock; a child's request for its parent's lock has
 * nothing more to guard. */
static int seed_enable_locking(void *vctx)
{
    return 1;
}

static int seed_lock(void *vctx)
{
    return 1;
}

static void seed_unlock(void *vctx)
{
}

static const OSSL_PARAM *seed_gettable_ctx_params(void *vctx, void *provctx)
{
    static const OSSL_PARAM known[] = {
        OSSL_PARAM_int(OSSL_RAND_PARAM_STATE, NULL),
        OSSL_PARAM_uint(OSSL_RAND_PARAM_STRENGTH, NULL),
        OSSL_PARAM_size_t(OSSL_RAND_PARAM_MAX_REQUEST, NULL),
        OSSL_PARAM_END,
    };
    return known;
}

static int seed_get_ctx_params(void *vctx, OSSL_PARAM params[])
{
    seed_ctx *s = vctx;
    OSSL_PARAM *p;

    p = OSSL_PARAM_locate(params, OSSL_RAND_PARAM_STATE);
    if (p != NULL && !OSSL_PARAM_set_int(p, s->state))
        return 0;
    p = OSSL_PARAM_locate(params, OSSL_RAND_PARAM_STRENGTH);
    if (p != NULL && !OSSL_PARAM_set_uint(p, RNG_STRENGTH))
        return 0;
    p = OSSL_PARAM_locate(params, OSSL_RAND_PARAM_MAX_REQUEST);
    if (p != NULL && !OSSL_PARAM_set_size_t(p, RNG_POOL_BYTES))
        return 0;
    return 1;
}

static const OSSL_PARAM *seed_settable_ctx_params(void *vctx, void *provctx)
{
    static const OSSL_PARAM known[] = {
        OSSL_PARAM_octet_ptr(SEED_PARAM_POOL, NULL, 0),
        OSSL_PARAM_END,
    };
    return known;
}

static int seed_set_ctx_params(void *vctx, const OSSL_PARAM params[])
{
    seed_ctx *s = vctx;
    const OSSL_PARAM *p = OSSL_PARAM_locate_const(params, SEED_PARAM_POOL);
    const void *ptr;
    size_t len;

    if (p == NULL)
        return 1;
    if (!OSSL_PARAM_get_octet_ptr(p, &ptr, &len) || len != sizeof(rng_pool))
        return 0;
    s->pool = (rng_pool *)ptr;
    return 1;
}

static int seed_verify_zeroization(void *vctx)
{
    return 1; /* it holds no secret: the pool does, and cleanses it */
}

static const OSSL_DISPATCH seed_functions[] = {
    {OSSL_FUNC_RAND_NEWCTX, (void (*)(void))seed_newctx},
    {OSSL_FUNC_RAND_FREECTX, (void (*)(void))seed_freectx},
    {OSSL_FUNC_RAND_INSTANTIATE, (void (*)(void))seed_instantiate},
    {OSSL_FUNC_RAND_UNINSTANTIATE, (void (*)(void))seed_uninstantiate},
    {OSSL_FUNC_RAND_GENERATE, (void (*)(void))seed_generate},
    {OSSL_FUNC_RAND_RESEED, (void (*)(void))seed_reseed},
    {OSSL_FUNC_RAND_GET_SEED, (void (*)(void))seed_get_seed},
    {OSSL_FUNC_RAND_CLEAR_SEED, (void (*)(void))seed_clear_seed},
    {OSSL_FUNC_RAND_ENABLE_LOCKING, (void (*)(void))seed_enable_locking},
    {OSSL_FUNC_RAND_LOCK, (void (*)(void))seed_lock},
    {OSSL_FUNC_RAND_UNLOCK, (void (*)(void))seed_unlock},
    {OSSL_FUNC_RAND_GETTABLE_CTX_PARAMS,
     (void (*)(void))seed_gettable_ctx_params},
    {OSSL_FUNC_RAND_GET_CTX_PARAMS, (void (*)(void))seed_get_ctx_params},
    {OSSL_FUNC_RAND_SETTABLE_CTX_PARAMS,
     (void (*)(void))seed_settable_ctx_params},
    {OSSL_FUNC_RAND_SET_CTX_PARAMS, (void (*)(void))seed_set_ctx_params},
    {OSSL_FUNC_RAND_VERIFY_ZEROIZATION,
     (void (*)(void))seed_verify_zeroization},
    {0, NULL},
};

static const OSSL_ALGORITHM seed_algorithms[] = {
    {SEED_ALGORITHM, "provider=" SEED_PROVIDER, seed_functions,
     "pooled KP entropy"},
    {NULL, NULL, NULL, NULL},
};

static const OSSL_ALGORITHM *seed_query(void *provctx, int operation_id,
                                        int *no_cache)
{
    *no_cache = 0;
    return operation_id == OSSL_OP_RAND ? seed_algorithms : NULL;
}

static const OSSL_DISPATCH seed_provider_functions[] = {
    {OSSL_FUNC_PROVIDER_QUERY_OPERATION, (void (*)(void))seed_query},
    {0, NULL},
};

static int seed_provider_init(const OSSL_CORE_HANDLE *handle,
                              const OSSL_DISPATCH *in,
                              const OSSL_DISPATCH **out, void **provctx)
{
    *out = seed_provider_functions;
    *provctx = NULL;
    return 1;
}

/* Fetched once per process: the private context lives as long. */
static EVP_RAND *seed_rand, *ctr_rand;
static pthread_once_t fetch_once = PTHREAD_ONCE_INIT;

static void fetch_algorithms(void)
{
    OSSL_LIB_CTX *ctx = skip_ossl_ctx();

    if (!OSSL_PROVIDER_add_builtin(ctx, SEED_PROVIDER, seed_provider_init) ||
        OSSL_PROVIDER_load(ctx, SEED_PROVIDER) == NULL)
        return;
    seed_rand = EVP_RAND_fetch(ctx, SEED_ALGORITHM, "provider=" SEED_PROVIDER);
    ctr_rand = EVP_RAND_fetch(ctx, "CTR-DRBG", NULL);
}

static bool algorithms(void)
{
    if (!skip_ossl_use_private())
        return false;
    pthread_once(&fetch_once, fetch_algorithms);
    return seed_rand != NULL && ctr_rand != NULL;
}

EVP_RAND_CTX *rng_seed_new(rng_pool *pool)
{
    OSSL_PARAM params[] = {
        OSSL_PARAM_octet_ptr(SEED_PARAM_POOL, (void **)&pool, sizeof(*pool)),
        OSSL_PARAM_END,
    };
    EVP_RAND_CTX *seed;

    if (!algorithms())
        return NULL;
    seed = EVP_RAND_CTX_new(seed_rand, NULL);
    if (seed != NULL &&
        (!EVP_RAND_CTX_set_params(seed, params) ||
         !EVP_RAND_instantiate(seed, RNG_STRENGTH, 0, NULL, 0, NULL))) {
        EVP_RAND_CTX_free(seed);
        seed = NULL;
    }
    return seed;
}

EVP_RAND_CTX *rng_drbg_new(EVP_RAND_CTX *seed, const unsigned char *pers,
                           size_t pers_len)
{
    static char cipher[] = "AES-256-CTR";
    unsigned int no_count = 0;
    time_t no_time = 0;
    int df = 1;
    OSSL_PARAM params[] = {
        OSSL_PARAM_utf8_string(OSSL_DRBG_PARAM_CIPHER, cipher,
                               sizeof(cipher) - 1),
        OSSL_PARAM_int(OSSL_DRBG_PARAM_USE_DF, &df),
        /* Reseeds are ours to decide (rng.c), with the host's randomness
         * as additional input: OpenSSL's own counters stay off. */
        OSSL_PARAM_uint(OSSL_DRBG_PARAM_RESEED_REQUESTS, &no_count),
        OSSL_PARAM_time_t(OSSL_DRBG_PARAM_RESEED_TIME_INTERVAL, &no_time),
        OSSL_PARAM_END,
    };
    EVP_RAND_CTX *drbg;

    if (!algorithms())
        return NULL;
    drbg = EVP_RAND_CTX_new(ctr_rand, seed);
    if (drbg != NULL &&
        (!EVP_RAND_CTX_set_params(drbg, params) ||
         !EVP_RAND_instantiate(drbg, RNG_STRENGTH, 0, pers, pers_len, NULL))) {
        EVP_RAND_CTX_free(drbg);
        drbg = NULL;
    }
    return drbg;
}

bool rng_drbg_reseed(EVP_RAND_CTX *drbg, bool prediction_resistance,
                     const unsigned char *addin, size_t addin_len)
{
    return EVP_RAND_reseed(drbg, prediction_resistance, NULL, 0, addin,
                           addin_len) == 1;
}
