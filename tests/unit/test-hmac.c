/* SPDX-License-Identifier: BSD-3-Clause */
/* HMAC from templates and HKDF-SHA256 on it: RFC 4231 and RFC 5869 known
 * answers, and agreement with OpenSSL's own HKDF for every output length
 * and mode. */
#include "config.h"
#include "unit.h"

#include <openssl/core_names.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <pthread.h>

#include "skip/hex.h"
#include "skip/hmac.h"

static void unhex(const char *hex, unsigned char *out, size_t *len)
{
    assert_true(skip_hex_decode(hex, strlen(hex), out, 256, len));
}

static void hmac_rfc4231_case2(void **state)
{
    unsigned char mac[EVP_MAX_MD_SIZE], want[64];
    size_t n = 0, wn = 0;
    static const char data[] = "what do ya want for nothing?";

    unhex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
          want, &wn);
    assert_true(skip_hmac("SHA256", "Jefe", 4, data, strlen(data), mac, &n));
    assert_int_equal(n, 32);
    assert_memory_equal(mac, want, 32);
    unhex("164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
          "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737",
          want, &wn);
    assert_true(skip_hmac("SHA512", "Jefe", 4, data, strlen(data), mac, &n));
    assert_int_equal(n, 64);
    assert_memory_equal(mac, want, 64);
    assert_null(skip_hmac_take("SHA1"));
}

static void hkdf_rfc5869_case1(void **state)
{
    unsigned char ikm[22], salt[13], info[10], okm[42], want[42], prk[32];
    size_t n;

    memset(ikm, 0x0b, sizeof(ikm));
    unhex("000102030405060708090a0b0c", salt, &n);
    unhex("f0f1f2f3f4f5f6f7f8f9", info, &n);
    unhex("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
          "34007208d5b887185865", want, &n);
    assert_true(skip_hkdf_sha256(ikm, sizeof(ikm), salt, sizeof(salt), info,
                                 sizeof(info), okm, sizeof(okm)));
    assert_memory_equal(okm, want, sizeof(want));
    /* Expand-only from the case's PRK gives the same OKM. */
    unhex("077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5",
          prk, &n);
    memset(okm, 0, sizeof(okm));
    assert_true(skip_hkdf_sha256(prk, sizeof(prk), NULL, 0, info, sizeof(info),
                                 okm, sizeof(okm)));
    assert_memory_equal(okm, want, sizeof(want));
    assert_false(skip_hkdf_sha256(prk, 32, NULL, 0, info, 10, okm, 255 * 32 + 1));
}

static void openssl_hkdf(int mode, const unsigned char *key, size_t key_len,
                         const unsigned char *salt, size_t salt_len,
                         const unsigned char *info, size_t info_len,
                         unsigned char *out, size_t out_len)
{
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    EVP_KDF_CTX *ctx = EVP_KDF_CTX_new(kdf);
    OSSL_PARAM params[6], *q = params;

    *q++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, "SHA256", 0);
    *q++ = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
    *q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)key, key_len);
    *q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, info_len);
    if (salt)
        *q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt,
                                                 salt_len);
    *q = OSSL_PARAM_construct_end();
    assert_int_equal(EVP_KDF_derive(ctx, out, out_len, params), 1);
    EVP_KDF_CTX_free(ctx);
    EVP_KDF_free(kdf);
}

static void hkdf_agrees_with_openssl(void **state)
{
    unsigned char key[64], salt[16], info[40], ours[300], theirs[300];

    for (size_t i = 0; i < sizeof(key); i++)
        key[i] = (unsigned char)(i * 7 + 1);
    memcpy(salt, key + 3, sizeof(salt));
    memcpy(info, key + 11, sizeof(info));
    for (size_t len = 1; len <= sizeof(ours); len += 13) {
        assert_true(skip_hkdf_sha256(key, 32, NULL, 0, info, sizeof(info), ours, len));
        openssl_hkdf(EVP_KDF_HKDF_MODE_EXPAND_ONLY, key, 32, NULL, 0, info,
                     sizeof(info), theirs, len);
        assert_memory_equal(ours, theirs, len);
        assert_true(skip_hkdf_sha256(key, sizeof(key), salt, sizeof(salt), info,
                                     len % 40, ours, len));
        openssl_hkdf(EVP_KDF_HKDF_MODE_EXTRACT_AND_EXPAND, key, sizeof(key),
                     salt, sizeof(salt), info, len % 40, theirs, len);
        assert_memory_equal(ours, theirs, len);
    }
}

static EVP_MAC_CTX *taken_elsewhere;

static void *take_in_thread(void *arg)
{
    taken_elsewhere = skip_hmac_take("SHA256");
    return arg;
}

/* A context handed back is erased (re-keyed with zeros) and is the
 * calling thread's spare: the same thread gets it back, another does not. */
static void spares_are_erased_and_per_thread(void **state)
{
    static const unsigned char zeros[32];
    unsigned char key[32], mac[EVP_MAX_MD_SIZE], want[EVP_MAX_MD_SIZE];
    size_t n = 0, wn = 0;
    EVP_MAC_CTX *ctx = skip_hmac_take("SHA256"), *again;
    pthread_t other;

    memset(key, 0x42, sizeof(key));
    assert_non_null(ctx);
    assert_int_equal(EVP_MAC_init(ctx, key, sizeof(key), NULL), 1);
    skip_hmac_give(ctx, "SHA256");
    again = skip_hmac_take("SHA256");
    assert_ptr_equal(again, ctx);
    /* Re-initialised without a key, it computes under the zero key: the
     * 0x42 key left nothing behind. */
    assert_int_equal(EVP_MAC_init(again, NULL, 0, NULL), 1);
    assert_int_equal(EVP_MAC_update(again, (const unsigned char *)"data", 4), 1);
    assert_int_equal(EVP_MAC_final(again, mac, &n, sizeof(mac)), 1);
    assert_true(skip_hmac("SHA256", zeros, sizeof(zeros), "data", 4, want, &wn));
    assert_memory_equal(mac, want, 32);
    skip_hmac_give(again, "SHA256");
    assert_int_equal(pthread_create(&other, NULL, take_in_thread, NULL), 0);
    pthread_join(other, NULL);
    assert_non_null(taken_elsewhere);
    assert_ptr_not_equal(taken_elsewhere, again);
    EVP_MAC_CTX_free(taken_elsewhere);
    skip_hmac_release();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hmac_rfc4231_case2),
        cmocka_unit_test(hkdf_rfc5869_case1),
        cmocka_unit_test(hkdf_agrees_with_openssl),
        cmocka_unit_test(spares_are_erased_and_per_thread),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
