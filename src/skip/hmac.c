/* SPDX-License-Identifier: BSD-3-Clause */
/* HMAC contexts copied from unkeyed per-digest templates. The templates
 * hold no key; they are made on first use and kept until
 * skip_hmac_release (the module's C_Finalize), so a host that unloads the
 * module leaks nothing. */
#include "config.h"
#include "hmac.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <stdatomic.h>
#include <string.h>

static const char *const digests[] = {"SHA256", "SHA384", "SHA512"};
#define DIGEST_COUNT (sizeof(digests) / sizeof(digests[0]))

static _Atomic(EVP_MAC_CTX *) templates[DIGEST_COUNT];

/* An unkeyed HMAC context with digest i set; NULL out of memory. */
static EVP_MAC_CTX *make_template(size_t i)
{
    EVP_MAC *hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
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

EVP_MAC_CTX *skip_hmac_new(const char *digest)
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

void skip_hmac_release(void)
{
    for (size_t i = 0; i < DIGEST_COUNT; i++)
        EVP_MAC_CTX_free(atomic_exchange(&templates[i], NULL));
}

int skip_hmac(const char *digest, const void *key, size_t key_len,
              const void *data, size_t len, unsigned char *out,
              size_t *out_len)
{
    EVP_MAC_CTX *ctx = skip_hmac_new(digest);
    int ok = ctx != NULL && EVP_MAC_init(ctx, key, key_len, NULL) == 1 &&
             EVP_MAC_update(ctx, data, len) == 1 &&
             EVP_MAC_final(ctx, out, out_len, EVP_MAX_MD_SIZE) == 1;

    EVP_MAC_CTX_free(ctx); /* OpenSSL cleanses the keyed state */
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
        ok = (ctx = skip_hmac_new("SHA256")) != NULL &&
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
    EVP_MAC_CTX_free(ctx);
    OPENSSL_cleanse(prk, sizeof(prk));
    OPENSSL_cleanse(block, sizeof(block));
    if (!ok)
        OPENSSL_cleanse(out, out_len);
    return ok;
}
