/* SPDX-License-Identifier: BSD-3-Clause */
/* The floor under the module's computing rows (issue 18, part 6): the same
 * computation done straight with OpenSSL 3 in the bench process, contexts
 * made once and reused, as a program holding the key itself would. What
 * the module adds on top (the PKCS#11 call, the session and object checks,
 * the key object a derive creates) is the gap docs/performance.md names. */
#include "config.h"
#include "floor.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const unsigned char key[32] = {7};

static EVP_MAC_CTX *hmac_ctx(void)
{
    static EVP_MAC *mac;
    EVP_MAC_CTX *ctx;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0),
        OSSL_PARAM_construct_end()};

    if (mac == NULL && (mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL)
        abort();
    ctx = EVP_MAC_CTX_new(mac);
    if (ctx == NULL || !EVP_MAC_init(ctx, key, sizeof(key), params))
        abort();
    return ctx;
}

/* n HMAC-SHA256s of len bytes: the key set once, each MAC re-initialised
 * with it (EVP_MAC_init with a NULL key keeps the key). */
static double hmacs(int n, const unsigned char *data, size_t len)
{
    static EVP_MAC_CTX *ctx;
    unsigned char out[32];
    size_t out_len;
    double start;

    if (ctx == NULL)
        ctx = hmac_ctx();
    start = now_s();
    for (int i = 0; i < n; i++)
        if (!EVP_MAC_init(ctx, NULL, 0, NULL) ||
            !EVP_MAC_update(ctx, data, len) ||
            !EVP_MAC_final(ctx, out, &out_len, sizeof(out)))
            abort();
    return now_s() - start;
}

double floor_hmac_64(int n)
{
    static const unsigned char data[64];

    return hmacs(n, data, sizeof(data));
}

/* prf+ for 32 bytes of SHA-256 output is one block: T1 = prf(K, S | 0x01)
 * (RFC 7296 2.13), with the bench's 32-byte seed. */
double floor_prfplus_32(int n)
{
    unsigned char block[33] = {1};

    block[32] = 0x01;
    return hmacs(n, block, sizeof(block));
}

/* HKDF-Expand (no extract, as the bench's CKM_HKDF_DERIVE asks) of 32
 * bytes with a 32-byte info: one EVP_KDF context, derived from again. */
double floor_hkdf_32(int n)
{
    static EVP_KDF_CTX *ctx;
    static unsigned char info[32] = {1};
    int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, "SHA256", 0),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)key,
                                          sizeof(key)),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info,
                                          sizeof(info)),
        OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
        OSSL_PARAM_construct_end()};
    unsigned char out[32];
    double start;

    if (ctx == NULL) {
        EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
        if (kdf == NULL || (ctx = EVP_KDF_CTX_new(kdf)) == NULL ||
            !EVP_KDF_CTX_set_params(ctx, params))
            abort();
        EVP_KDF_free(kdf);
    }
    start = now_s();
    for (int i = 0; i < n; i++)
        if (!EVP_KDF_derive(ctx, out, sizeof(out), NULL))
            abort();
    return now_s() - start;
}
