/* SPDX-License-Identifier: BSD-3-Clause */
/* HMAC from templates and HKDF-SHA256 on it: RFC 4231 and RFC 5869 known
 * answers, and agreement with OpenSSL's own HKDF for every output length
 * and mode. */
#include "config.h"
#include "unit.h"

#include <openssl/core_names.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

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
    assert_null(skip_hmac_new("SHA1"));
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hmac_rfc4231_case2),
        cmocka_unit_test(hkdf_rfc5869_case1),
        cmocka_unit_test(hkdf_agrees_with_openssl),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
