/* SPDX-License-Identifier: BSD-3-Clause */
/* HMAC contexts copied from unkeyed per-digest templates. The templates
 * hold no key; they are made on first use and kept until
 * skip_hmac_release (the module's C_Finalize), so a host that unloads the
 * module leaks nothing. */
#include "config.h"
#include "hmac.h"
#include "ossl.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static const char *const digests[] = {"SHA256", "SHA384", "SHA512"};
#define DIGEST_COUNT (sizeof(digests) / sizeof(digests[0]))

static _Atomic(EVP_MAC_CTX *) templates[DIGEST_COUNT];

/* An unkeyed HMAC context with digest i set; NULL out of memory. */
static EVP_MAC_CTX *make_template(size_t i)
{
    EVP_MAC *hmac = EVP_MAC_fetch(skip_ossl_ctx(), "HMAC", NULL);
    EVP_MAC_CTX *ctx = hmac ? EVP_MAC_CTX_new(hmac) : NULL;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                         (char *)digests[i], 0),
        OSSL_PARAM_construct_end(),
    };

    EVP_MAC_free(hmac); /* the context keeps its own reference */
    if (ctx && EVP_MAC_CTX_set_params(ctx, params) != 1) {
        EVP_MAC_CTX_free(ctx);
        ctx = NULL;
    }
    return ctx;
}

/* A new copy of digest's template, or NULL for another digest. */
static EVP_MAC_CTX *hmac_new(const char *digest)
{
    for (size_t i = 0; i < DIGEST_COUNT; i++) {
        EVP_MAC_CTX *t, *expected = NULL;

        if (strcmp(digest, digests[i]) != 0)
            continue;
        t = atomic_load(&templates[i]);
        if (t == NULL) {
            /* Two threads may both make one; the loser frees its own. */
            t = make_template(i);
            if (t && !atomic_compare_exchange_strong(&templates[i],
                                                     &expected, t)) {
                EVP_MAC_CTX_free(t);
                t = expected;
            }
        }
        return t ? EVP_MAC_CTX_dup(t) : NULL;
    }
    return NULL;
}

/* A thread's spare contexts, one per digest. Copying a template takes
 * references on OpenSSL's one shared EVP_MD per digest (and dropping the
 * copy gives them back), and those counters bounce between cores: two
 * threads signing were no faster than one. A context kept by its thread
 * and re-keyed for each use takes no reference at all. */
struct spares {
    EVP_MAC_CTX *ctx[DIGEST_COUNT];
};

static pthread_key_t spares_key;
static pthread_once_t spares_once = PTHREAD_ONCE_INIT;
static bool spares_ready;

static void free_spares(void *p)
{
    struct spares *s = p;

    for (size_t i = 0; s && i < DIGEST_COUNT; i++)
        EVP_MAC_CTX_free(s->ctx[i]);
    free(s);
}

static void make_spares_key(void)
{
    spares_ready = pthread_key_create(&spares_key, free_spares) == 0;
}

/* A module can be unloaded while its host's threads live on: their spares
 * must not call into unmapped code at thread exit, so the key goes first
 * (those threads' few spares are then left behind). */
__attribute__((destructor)) static void delete_spares_key(void)
{
    if (spares_ready)
        pthread_key_delete(spares_key);
}

static struct spares *my_spares(bool create)
{
    struct spares *s;

    pthread_once(&spares_once, make_spares_key);
    if (!spares_ready)
        return NULL;
    s = pthread_getspecific(spares_key);
    if (s == NULL && create && (s = calloc(1, sizeof(*s))) != NULL &&
        pthread_setspecific(spares_key, s) != 0) {
        free(s);
        s = NULL;
    }
    return s;
}

static int digest_index(const char *digest)
{
    for (size_t i = 0; i < DIGEST_COUNT; i++)
        if (strcmp(digest, digests[i]) == 0)
            return (int)i;
    return -1;
}

EVP_MAC_CTX *skip_hmac_take(const char *digest)
{
    int i = digest_index(digest);
    struct spares *s = i >= 0 ? my_spares(false) : NULL;
    EVP_MAC_CTX *ctx;

    if (s && s->ctx[i]) {
        ctx = s->ctx[i];
        s->ctx[i] = NULL;
        return ctx;
    }
    return hmac_new(digest);
}

void skip_hmac_give(EVP_MAC_CTX *ctx, const char *digest)
{
    static const unsigned char blank[32];
    int i = digest_index(digest);
    struct spares *s;

    if (ctx == NULL)
        return;
    /* Re-keyed with zeros now, so the key just used leaves no state behind
     * until the context's next use. */
    if (i < 0 || EVP_MAC_init(ctx, blank, sizeof(blank), NULL) != 1 ||
        (s = my_spares(true)) == NULL || s->ctx[i] != NULL) {
        EVP_MAC_CTX_free(ctx); /* OpenSSL cleanses it */
        return;
    }
    s->ctx[i] = ctx;
}

void skip_hmac_release(void)
{
    struct spares *s = my_spares(false);

    for (size_t i = 0; i < DIGEST_COUNT; i++)
        EVP_MAC_CTX_free(atomic_exchange(&templates[i], NULL));
    if (s) {
        pthread_setspecific(spares_key, NULL);
        free_spares(s);
    }
}

int skip_hmac(const char *digest, const void *key, size_t key_len,
              const void *data, size_t len, unsigned char *out,
              size_t *out_len)
{
    EVP_MAC_CTX *ctx = skip_hmac_take(digest);
    int ok = ctx != NULL && EVP_MAC_init(ctx, key, key_len, NULL) == 1 &&
             EVP_MAC_update(ctx, data, len) == 1 &&
             EVP_MAC_final(ctx, out, out_len, EVP_MAX_MD_SIZE) == 1;

    skip_hmac_give(ctx, digest);
    return ok;
}

int skip_hkdf_sha256(const void *ikm, size_t ikm_len, const void *salt,
                     size_t salt_len, const void *info, size_t info_len,
                     unsigned char *out, size_t out_len)
{
    unsigned char prk[32], block[EVP_MAX_MD_SIZE];
    const void *key = ikm;
    size_t key_len = ikm_len, n = 0;
    EVP_MAC_CTX *ctx = NULL;
    int ok = 1;

    if (out_len > 255 * 32)
        return 0; /* RFC 5869's limit; out is not touched */
    /* Extract: PRK = HMAC(salt, IKM). */
    if (salt != NULL) {
        ok = skip_hmac("SHA256", salt, salt_len, ikm, ikm_len, block, &n) &&
             n == sizeof(prk);
        memcpy(prk, block, sizeof(prk));
        key = prk, key_len = sizeof(prk);
    }
    /* Expand: T(i) = HMAC(PRK, T(i-1) | info | i), i = 1, 2, ... */
    if (ok)
        ok = (ctx = skip_hmac_take("SHA256")) != NULL &&
             EVP_MAC_init(ctx, key, key_len, NULL) == 1;
    for (size_t done = 0, i = 1; ok && done < out_len; i++) {
        unsigned char counter = (unsigned char)i;
        size_t take;

        ok = (i == 1 || EVP_MAC_init(ctx, NULL, 0, NULL) == 1) &&
             (i == 1 || EVP_MAC_update(ctx, block, 32) == 1) &&
             EVP_MAC_update(ctx, info, info_len) == 1 &&
             EVP_MAC_update(ctx, &counter, 1) == 1 &&
             EVP_MAC_final(ctx, block, &n, sizeof(block)) == 1 && n == 32;
        take = out_len - done < 32 ? out_len - done : 32;
        if (ok)
            memcpy(out + done, block, take);
        done += take;
    }
    skip_hmac_give(ctx, "SHA256");
    OPENSSL_cleanse(prk, sizeof(prk));
    OPENSSL_cleanse(block, sizeof(block));
    if (!ok)
        OPENSSL_cleanse(out, out_len);
    return ok;
}
