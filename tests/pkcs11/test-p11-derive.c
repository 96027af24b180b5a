/* SPDX-License-Identifier: BSD-3-Clause */
/* C_DeriveKey on imported keys (the same code as on SKIP keys): the prf+
 * vectors of the key policy (section 4.3) through CKM_IKE2_PRF_PLUS_DERIVE
 * and through HKDF expand-only, RFC 5869 test case 1, every malformed
 * parameter, the derived key's attributes, and the role rules. */
#include "config.h"
#include "p11-fixture.h"
#include "memscan.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <stdio.h>
#include <stdlib.h>

#include "skip/hex.h"

static CK_SESSION_HANDLE s;
static CK_BBOOL yes = CK_TRUE, no = CK_FALSE;

static int setup(void **state)
{
    p11_fixture_config(NULL);
    p11_fixture_open(&s);
    return 0;
}

static int teardown(void **state)
{
    p11_fixture_close();
    return 0;
}

/* Bytes first, first+1, ... (the "aabb…ff" notation of the vectors). */
static void run(unsigned char *out, size_t len, unsigned first)
{
    for (size_t i = 0; i < len; i++)
        out[i] = (unsigned char)(first + i);
}

static CK_OBJECT_HANDLE import_run(size_t len, unsigned first)
{
    unsigned char key[64];

    run(key, len, first);
    return p11_import(s, CKK_GENERIC_SECRET, key, len, NULL, 0);
}

/* Derives an extractable key and returns its value in hex. */
static CK_RV derive_hex(CK_MECHANISM *m, CK_OBJECT_HANDLE base, CK_ULONG len,
                        char *hex)
{
    CK_ATTRIBUTE tmpl[] = {{CKA_VALUE_LEN, &len, sizeof(len)},
                           {CKA_SENSITIVE, &no, 1},
                           {CKA_EXTRACTABLE, &yes, 1}};
    unsigned char value[512];
    CK_ATTRIBUTE get = {CKA_VALUE, value, sizeof(value)};
    CK_OBJECT_HANDLE h;
    CK_RV rv = p11->C_DeriveKey(s, m, base, tmpl, 3, &h);

    if (rv != CKR_OK)
        return rv;
    rv = p11->C_GetAttributeValue(s, h, &get, 1);
    if (rv == CKR_OK)
        skip_hex_encode(value, get.ulValueLen, hex);
    return rv;
}

static const struct {
    const char *name;
    CK_MECHANISM_TYPE prf, hash;
    size_t ppk_len;
    unsigned ppk_first;
    size_t seed_len;
    CK_ULONG out_len;
    const char *want;
} vectors[] = {
    {"case 1", CKM_SHA256_HMAC, CKM_SHA256, 16, 0x00, 32, 32,
     "712d862a05c9c67ed79b30fcb3a66f975a4fd41a9b0b7b6e03737d7c11679129"},
    {"case 2", CKM_SHA256_HMAC, CKM_SHA256, 32, 0x40, 32, 32,
     "7b3012ee8cb9cb878a3253522ed472220dab9fadb845497896e23e29c6121760"},
    {"case 3", CKM_SHA256_HMAC, CKM_SHA256, 16, 0x00, 32, 64,
     "712d862a05c9c67ed79b30fcb3a66f975a4fd41a9b0b7b6e03737d7c11679129"
     "d67d7f3edefb93e972786086964f7dae929e37e064ad917ca412e2c71231383d"},
    {"case 4", CKM_SHA384_HMAC, CKM_SHA384, 32, 0x40, 48, 48,
     "774e338166035a859f226c18a5ff06c54a3039fe60fd2e0f86f2b910a54880fd"
     "dfae8c41268763eae30325b3fd906b87"},
    {"case 5", CKM_SHA512_HMAC, CKM_SHA512, 32, 0x40, 64, 64,
     "a3c7e6586c3dc61569b5863efd6dfeb12dbb032189c4f79a6c30d51f73a56e88"
     "51ed555effae227972ec0624d556842823ceaf965c3e1dcce9e26de2ab1ae150"},
};

static void prf_plus_vectors(void **state)
{
    for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
        unsigned char seed[64];
        char hex[1025];
        CK_IKE2_PRF_PLUS_DERIVE_PARAMS p = {vectors[i].prf, CK_FALSE, 0, seed,
                                            vectors[i].seed_len};
        CK_MECHANISM m = {CKM_IKE2_PRF_PLUS_DERIVE, &p, sizeof(p)};
        CK_OBJECT_HANDLE ppk = import_run(vectors[i].ppk_len, vectors[i].ppk_first);

        run(seed, vectors[i].seed_len, 0x10);
        CHECK_CASE(vectors[i].name, derive_hex(&m, ppk, vectors[i].out_len, hex) ==
                                        CKR_OK);
        CHECK_CASE(vectors[i].name, strcmp(hex, vectors[i].want) == 0);
        /* NSS's number for the same mechanism. */
        m.mechanism = CKM_NSS_IKE_PRF_PLUS_DERIVE;
        CHECK_CASE(vectors[i].name, derive_hex(&m, ppk, vectors[i].out_len, hex) ==
                                        CKR_OK);
        CHECK_CASE(vectors[i].name, strcmp(hex, vectors[i].want) == 0);
    }
}

static void hkdf_expand_agrees_with_prf_plus(void **state)
{
    for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
        unsigned char seed[64];
        char hex[1025];
        CK_HKDF_PARAMS p = {CK_FALSE, CK_TRUE, vectors[i].hash, CKF_HKDF_SALT_NULL,
                            NULL, 0, 0, seed, vectors[i].seed_len};
        CK_MECHANISM m = {CKM_HKDF_DERIVE, &p, sizeof(p)};
        CK_OBJECT_HANDLE ppk = import_run(vectors[i].ppk_len, vectors[i].ppk_first);

        run(seed, vectors[i].seed_len, 0x10);
        CHECK_CASE(vectors[i].name, derive_hex(&m, ppk, vectors[i].out_len, hex) ==
                                        CKR_OK);
        CHECK_CASE(vectors[i].name, strcmp(hex, vectors[i].want) == 0);
    }
}

static void rfc5869_case1(void **state)
{
    unsigned char ikm[22], salt[13], info[10];
    char hex[1025];
    CK_HKDF_PARAMS p = {CK_TRUE, CK_TRUE, CKM_SHA256, CKF_HKDF_SALT_DATA, salt,
                        sizeof(salt), 0, info, sizeof(info)};
    CK_MECHANISM m = {CKM_HKDF_DERIVE, &p, sizeof(p)};
    CK_OBJECT_HANDLE base;

    memset(ikm, 0x0b, sizeof(ikm));
    run(salt, sizeof(salt), 0x00);
    run(info, sizeof(info), 0xf0);
    base = p11_import(s, CKK_GENERIC_SECRET, ikm, sizeof(ikm), NULL, 0);
    assert_int_equal(derive_hex(&m, base, 42, hex), CKR_OK);
    assert_string_equal(hex, "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db0"
                             "2d56ecc4c5bf34007208d5b887185865");
    /* Extract alone gives the PRK; the _HMAC number names the hash too. */
    p.bExpand = CK_FALSE;
    p.prfHashMechanism = CKM_SHA256_HMAC;
    assert_int_equal(derive_hex(&m, base, 32, hex), CKR_OK);
    assert_string_equal(hex, "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122"
                             "ec844ad7c2b3e5");
}

static void malformed_parameters(void **state)
{
    unsigned char seed[32] = {0}, big[1025] = {0};
    CK_OBJECT_HANDLE base = import_run(32, 0);
    CK_ULONG len = 32;
    CK_ATTRIBUTE tmpl[] = {{CKA_VALUE_LEN, &len, sizeof(len)}};
    CK_OBJECT_HANDLE h = 77;
    struct {
        const char *name;
        CK_IKE2_PRF_PLUS_DERIVE_PARAMS p;
        CK_ULONG size;
    } ike[] = {
        {"SHA-1 PRF", {CKM_SHA_1_HMAC, CK_FALSE, 0, seed, 32}, 0},
        {"a hash, not an HMAC", {CKM_SHA256, CK_FALSE, 0, seed, 32}, 0},
        {"bHasSeedKey = 2", {CKM_SHA256_HMAC, 2, base, seed, 32}, 0},
        {"no seed", {CKM_SHA256_HMAC, CK_FALSE, 0, NULL, 0}, 0},
        {"NULL seed with a length", {CKM_SHA256_HMAC, CK_FALSE, 0, NULL, 32}, 0},
        {"seed over 1024", {CKM_SHA256_HMAC, CK_FALSE, 0, big, 1025}, 0},
        {"short struct", {CKM_SHA256_HMAC, CK_FALSE, 0, seed, 32}, 8},
        {"long struct", {CKM_SHA256_HMAC, CK_FALSE, 0, seed, 32}, 41},
    };
    struct {
        const char *name;
        CK_HKDF_PARAMS p;
    } hkdf[] = {
        {"neither extract nor expand", {CK_FALSE, CK_FALSE, CKM_SHA256, 1, NULL, 0, 0, NULL, 0}},
        {"bExtract = 2", {2, CK_TRUE, CKM_SHA256, 1, NULL, 0, 0, NULL, 0}},
        {"MD5", {CK_TRUE, CK_TRUE, CKM_MD5, 1, NULL, 0, 0, NULL, 0}},
        {"salt key", {CK_TRUE, CK_TRUE, CKM_SHA256, CKF_HKDF_SALT_KEY, NULL, 0, base, NULL, 0}},
        {"salt type 0", {CK_TRUE, CK_TRUE, CKM_SHA256, 0, NULL, 0, 0, NULL, 0}},
        {"salt data NULL", {CK_TRUE, CK_TRUE, CKM_SHA256, CKF_HKDF_SALT_DATA, NULL, 4, 0, NULL, 0}},
        {"salt data empty", {CK_TRUE, CK_TRUE, CKM_SHA256, CKF_HKDF_SALT_DATA, seed, 0, 0, NULL, 0}},
        {"salt over 1024", {CK_TRUE, CK_TRUE, CKM_SHA256, CKF_HKDF_SALT_DATA, big, 1025, 0, NULL, 0}},
        {"info NULL with a length", {CK_FALSE, CK_TRUE, CKM_SHA256, 1, NULL, 0, 0, NULL, 5}},
        {"info over 1024", {CK_FALSE, CK_TRUE, CKM_SHA256, 1, NULL, 0, 0, big, 1025}},
    };

    for (size_t i = 0; i < sizeof(ike) / sizeof(ike[0]); i++) {
        CK_MECHANISM m = {CKM_IKE2_PRF_PLUS_DERIVE, &ike[i].p,
                          ike[i].size ? ike[i].size : sizeof(ike[i].p)};
        CHECK_CASE(ike[i].name, p11->C_DeriveKey(s, &m, base, tmpl, 1, &h) ==
                                    CKR_MECHANISM_PARAM_INVALID);
        CHECK_CASE(ike[i].name, h == CK_INVALID_HANDLE);
    }
    for (size_t i = 0; i < sizeof(hkdf) / sizeof(hkdf[0]); i++) {
        CK_MECHANISM m = {CKM_HKDF_DERIVE, &hkdf[i].p, sizeof(hkdf[i].p)};
        CHECK_CASE(hkdf[i].name, p11->C_DeriveKey(s, &m, base, tmpl, 1, &h) ==
                                     CKR_MECHANISM_PARAM_INVALID);
    }
    {
        CK_MECHANISM none = {CKM_HKDF_DERIVE, NULL, 0};
        assert_int_equal(p11->C_DeriveKey(s, &none, base, tmpl, 1, &h),
                         CKR_MECHANISM_PARAM_INVALID);
    }
}

static void other_derive_mechanisms_refused(void **state)
{
    static const CK_MECHANISM_TYPE refused[] = {
        0x360, 0x362, 0x363, 0x364, 0x365, /* CONCATENATE_*, XOR, EXTRACT */
        0x392, 0x393, 0x394, 0x395,         /* *_KEY_DERIVATION */
        0x1104, 0x1105,                     /* AES_*_ENCRYPT_DATA */
        0x402B, 0x402F, 0x4030, 0x4031,     /* HKDF_DATA, IKE1/IKE PRF */
        0x3AD, 0x3AE,                       /* SP 800-108 feedback, pipeline */
    };
    unsigned char data[32] = {0};
    CK_OBJECT_HANDLE base = import_run(32, 0), h;
    CK_ULONG len = 32;
    CK_ATTRIBUTE tmpl[] = {{CKA_VALUE_LEN, &len, sizeof(len)}};

    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        CK_MECHANISM m = {refused[i], data, sizeof(data)};
        char name[32];
        snprintf(name, sizeof(name), "0x%lx", refused[i]);
        CHECK_CASE(name, p11->C_DeriveKey(s, &m, base, tmpl, 1, &h) ==
                             CKR_MECHANISM_INVALID);
    }
}

static void derived_key_attributes(void **state)
{
    unsigned char seed[32] = {1};
    CK_IKE2_PRF_PLUS_DERIVE_PARAMS p = {CKM_SHA256_HMAC, CK_FALSE, 0, seed, 32};
    CK_MECHANISM m = {CKM_IKE2_PRF_PLUS_DERIVE, &p, sizeof(p)};
    CK_ATTRIBUTE sens[] = {{CKA_SENSITIVE, &yes, 1}, {CKA_EXTRACTABLE, &no, 1}};
    CK_OBJECT_HANDLE base = p11_import(s, CKK_GENERIC_SECRET,
                                       "0123456789abcdef0123456789abcdef", 32,
                                       sens, 2);
    CK_ULONG len = 32, len15 = 15, aes_len = 20, len9000 = 9000;
    CK_KEY_TYPE aes = CKK_AES;
    CK_ATTRIBUTE plain[] = {{CKA_VALUE_LEN, &len, sizeof(len)}};
    CK_OBJECT_HANDLE h;
    CK_BBOOL local = 1, sensitive = 0, extractable = 1, always = 1, never = 1;
    CK_ATTRIBUTE get[] = {{CKA_LOCAL, &local, 1}, {CKA_SENSITIVE, &sensitive, 1},
                          {CKA_EXTRACTABLE, &extractable, 1},
                          {CKA_ALWAYS_SENSITIVE, &always, 1},
                          {CKA_NEVER_EXTRACTABLE, &never, 1}};
    unsigned char value[32];
    CK_ATTRIBUTE get_value = {CKA_VALUE, value, sizeof(value)};
    struct {
        const char *name;
        CK_ATTRIBUTE a, b;
        CK_RV want;
    } bad[] = {
        {"CKA_ID", {CKA_ID, "\x01", 1}, plain[0], CKR_ATTRIBUTE_READ_ONLY},
        {"CKA_VALUE", {CKA_VALUE, value, 32}, plain[0], CKR_ATTRIBUTE_READ_ONLY},
        {"CKA_LOCAL", {CKA_LOCAL, &yes, 1}, plain[0], CKR_ATTRIBUTE_READ_ONLY},
        {"15 bytes", {CKA_VALUE_LEN, &len15, sizeof(len15)}, {CKA_TOKEN, &no, 1},
         CKR_KEY_SIZE_RANGE},
        {"past 255 blocks", {CKA_VALUE_LEN, &len9000, sizeof(len9000)},
         {CKA_TOKEN, &no, 1}, CKR_KEY_SIZE_RANGE},
        {"AES of 20 bytes", {CKA_KEY_TYPE, &aes, sizeof(aes)},
         {CKA_VALUE_LEN, &aes_len, sizeof(aes_len)}, CKR_TEMPLATE_INCONSISTENT},
        {"no length", {CKA_TOKEN, &no, 1}, {CKA_PRIVATE, &no, 1},
         CKR_TEMPLATE_INCOMPLETE},
        {"both roles (and no length)", {CKA_SIGN, &yes, 1}, {CKA_DERIVE, &yes, 1},
         CKR_TEMPLATE_INCOMPLETE},
    };

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CK_ATTRIBUTE t[] = {bad[i].a, bad[i].b};
        h = 5;
        CHECK_CASE(bad[i].name, p11->C_DeriveKey(s, &m, base, t, 2, &h) == bad[i].want);
        CHECK_CASE(bad[i].name, h == CK_INVALID_HANDLE);
    }
    /* By default the output is sensitive and not extractable, and it is
     * never LOCAL. The base was imported, so it was never "always
     * sensitive": neither is its output. */
    assert_int_equal(p11->C_DeriveKey(s, &m, base, plain, 1, &h), CKR_OK);
    assert_int_equal(p11->C_GetAttributeValue(s, h, get, 5), CKR_OK);
    assert_false(local);
    assert_true(sensitive);
    assert_false(extractable);
    assert_false(always);
    assert_false(never);
    assert_int_equal(p11->C_GetAttributeValue(s, h, &get_value, 1),
                     CKR_ATTRIBUTE_SENSITIVE);
}

static void roles(void **state)
{
    unsigned char seed[32] = {2};
    CK_IKE2_PRF_PLUS_DERIVE_PARAMS p = {CKM_SHA256_HMAC, CK_FALSE, 0, seed, 32};
    CK_MECHANISM prf = {CKM_IKE2_PRF_PLUS_DERIVE, &p, sizeof(p)};
    CK_MECHANISM hmac = {CKM_SHA256_HMAC, NULL, 0};
    CK_ATTRIBUTE sign[] = {{CKA_SIGN, &yes, 1}};
    CK_OBJECT_HANDLE mac_key = import_run(32, 0);
    CK_OBJECT_HANDLE open_key = import_run(32, 0);
    CK_OBJECT_HANDLE hmac_role = p11_import(s, CKK_GENERIC_SECRET, seed, 32, sign, 1);
    CK_ULONG len = 32;
    CK_ATTRIBUTE tmpl[] = {{CKA_VALUE_LEN, &len, sizeof(len)}};
    CK_BBOOL can_sign = 1;
    CK_ATTRIBUTE get = {CKA_SIGN, &can_sign, 1};
    CK_MECHANISM_TYPE allowed[16];
    CK_ATTRIBUTE get_allowed = {CKA_ALLOWED_MECHANISMS, allowed, sizeof(allowed)};
    CK_OBJECT_HANDLE h;

    assert_int_equal(p11->C_DeriveKey(s, &prf, hmac_role, tmpl, 1, &h),
                     CKR_KEY_FUNCTION_NOT_PERMITTED);
    assert_int_equal(p11->C_SignInit(s, &hmac, mac_key), CKR_OK);
    assert_int_equal(p11->C_Sign(s, seed, 4, NULL, &len), CKR_OK);
    assert_int_equal(p11->C_SignFinal(s, (CK_BYTE[64]){0}, &(CK_ULONG){64}), CKR_OK);
    assert_int_equal(p11->C_DeriveKey(s, &prf, mac_key, tmpl, 1, &h),
                     CKR_KEY_FUNCTION_NOT_PERMITTED);
    /* An open key takes the KDF role with its first derive. */
    assert_int_equal(p11->C_DeriveKey(s, &prf, open_key, tmpl, 1, &h), CKR_OK);
    assert_int_equal(p11->C_GetAttributeValue(s, open_key, &get, 1), CKR_OK);
    assert_false(can_sign);
    assert_int_equal(p11->C_GetAttributeValue(s, open_key, &get_allowed, 1), CKR_OK);
    assert_int_equal(get_allowed.ulValueLen, 4 * sizeof(CK_MECHANISM_TYPE));
    assert_int_equal(allowed[0], CKM_HKDF_DERIVE);
    assert_int_equal(p11->C_SignInit(s, &hmac, open_key),
                     CKR_KEY_FUNCTION_NOT_PERMITTED);
}

static void derive_budget(void **state)
{
    unsigned char seed[32] = {3};
    CK_IKE2_PRF_PLUS_DERIVE_PARAMS p = {CKM_SHA256_HMAC, CK_FALSE, 0, seed, 32};
    CK_MECHANISM m = {CKM_IKE2_PRF_PLUS_DERIVE, &p, sizeof(p)};
    CK_ULONG len = 32;
    CK_ATTRIBUTE tmpl[] = {{CKA_VALUE_LEN, &len, sizeof(len)}};
    CK_OBJECT_HANDLE base, other, h;

    p11_fixture_close();
    p11_fixture_config("max_derives = 3");
    p11_fixture_open(&s);
    base = import_run(32, 0);
    other = import_run(32, 1);
    for (int i = 0; i < 3; i++)
        assert_int_equal(p11->C_DeriveKey(s, &m, base, tmpl, 1, &h), CKR_OK);
    assert_int_equal(p11->C_DeriveKey(s, &m, base, tmpl, 1, &h),
                     CKR_KEY_FUNCTION_NOT_PERMITTED);
    /* Per key: another key has its own budget. */
    assert_int_equal(p11->C_DeriveKey(s, &m, other, tmpl, 1, &h), CKR_OK);
}

/* prf+ with a seed key, as IKE stacks pass SK_d' (NSS, libreswan): the
 * seed is the seed key's value, then the seed data; under both mechanism
 * numbers, equal to prf+ over those bytes given as data, and to OpenSSL's
 * HKDF-Expand (prf+ with HMAC is HKDF-Expand, RFC 7296 / RFC 5869). */
static void prf_plus_with_a_seed_key(void **state)
{
    unsigned char seed_value[48], data[16], joined[64], want[32];
    CK_OBJECT_HANDLE base = import_run(32, 0x10), seed;
    CK_IKE2_PRF_PLUS_DERIVE_PARAMS with_key = {CKM_SHA256_HMAC, CK_TRUE, 0,
                                               data, sizeof(data)};
    CK_IKE2_PRF_PLUS_DERIVE_PARAMS as_data = {CKM_SHA256_HMAC, CK_FALSE, 0,
                                              joined, sizeof(joined)};
    CK_MECHANISM m = {CKM_IKE2_PRF_PLUS_DERIVE, &with_key, sizeof(with_key)};
    CK_MECHANISM m_data = {CKM_IKE2_PRF_PLUS_DERIVE, &as_data, sizeof(as_data)};
    unsigned char base_value[32], big[2048] = {0};
    char hex_key[65], hex_nss[65], hex_data[65], hex_want[65], hex_only[65];
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    EVP_KDF_CTX *ctx = EVP_KDF_CTX_new(kdf);
    int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
    OSSL_PARAM params[5];

    (void)state;
    run(seed_value, sizeof(seed_value), 0x40);
    run(data, sizeof(data), 0x90);
    memcpy(joined, seed_value, sizeof(seed_value));
    memcpy(joined + sizeof(seed_value), data, sizeof(data));
    seed = p11_import(s, CKK_GENERIC_SECRET, seed_value, sizeof(seed_value),
                      NULL, 0);
    with_key.hSeedKey = seed;
    assert_int_equal(derive_hex(&m, base, 32, hex_key), CKR_OK);
    m.mechanism = CKM_NSS_IKE_PRF_PLUS_DERIVE;
    assert_int_equal(derive_hex(&m, base, 32, hex_nss), CKR_OK);
    assert_int_equal(derive_hex(&m_data, base, 32, hex_data), CKR_OK);
    assert_string_equal(hex_key, hex_data);
    assert_string_equal(hex_nss, hex_data);

    run(base_value, sizeof(base_value), 0x10);
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, "SHA256", 0);
    params[1] = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
    params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, base_value, 32);
    params[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, joined,
                                                  sizeof(joined));
    params[4] = OSSL_PARAM_construct_end();
    assert_int_equal(EVP_KDF_derive(ctx, want, sizeof(want), params), 1);
    EVP_KDF_CTX_free(ctx);
    EVP_KDF_free(kdf);
    skip_hex_encode(want, sizeof(want), hex_want);
    assert_string_equal(hex_key, hex_want);

    /* a seed key alone, with no seed data */
    with_key.pSeedData = NULL;
    with_key.ulSeedDataLen = 0;
    as_data.ulSeedDataLen = sizeof(seed_value);
    assert_int_equal(derive_hex(&m, base, 32, hex_only), CKR_OK);
    assert_int_equal(derive_hex(&m_data, base, 32, hex_data), CKR_OK);
    assert_string_equal(hex_only, hex_data);

    /* an unknown seed key; too much seed together */
    with_key.hSeedKey = 0x7ffffff0UL;
    assert_int_equal(derive_hex(&m, base, 32, hex_key), CKR_KEY_HANDLE_INVALID);
    with_key.hSeedKey = p11_import(s, CKK_GENERIC_SECRET, big, 1100, NULL, 0);
    with_key.pSeedData = big;
    with_key.ulSeedDataLen = 1000;
    assert_int_equal(derive_hex(&m, base, 32, hex_key), CKR_MECHANISM_PARAM_INVALID);
    /* neither seed key nor seed data */
    with_key.bHasSeedKey = CK_FALSE;
    with_key.pSeedData = NULL;
    with_key.ulSeedDataLen = 0;
    assert_int_equal(derive_hex(&m, base, 32, hex_key), CKR_MECHANISM_PARAM_INVALID);
}

/* OpenSSL's HKDF, the reference for the sweep below. */
static void openssl_hkdf(const char *digest, int mode, const unsigned char *key,
                         size_t key_len, const unsigned char *salt,
                         size_t salt_len, const unsigned char *info,
                         size_t info_len, unsigned char *out, size_t len)
{
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    EVP_KDF_CTX *ctx = EVP_KDF_CTX_new(kdf);
    OSSL_PARAM params[6], *q = params;

    *q++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
                                            (char *)digest, 0);
    *q++ = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
    *q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)key,
                                             key_len);
    if (salt_len)
        *q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
                                                 (void *)salt, salt_len);
    *q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info,
                                             info_len);
    *q = OSSL_PARAM_construct_end();
    assert_int_equal(EVP_KDF_derive(ctx, out, len, params), 1);
    EVP_KDF_CTX_free(ctx);
    EVP_KDF_free(kdf);
}

/* The module's KDFs run on its own HMAC code (hmac-pads.c); they must
 * agree with OpenSSL's HKDF byte for byte for every hash, every step,
 * keys shorter and longer than a hash block, with and without salt, and
 * output lengths around block edges up to the 255-block maximum. */
static void agrees_with_openssl_hkdf(void **state)
{
    static const struct {
        CK_MECHANISM_TYPE hash;
        const char *name;
        CK_ULONG hash_len;
    } hashes[] = {{CKM_SHA256, "SHA256", 32},
                  {CKM_SHA384, "SHA384", 48},
                  {CKM_SHA512, "SHA512", 64}};
    static const size_t key_lens[] = {16, 64, 200};
    static unsigned char key[200], salt[77], info[100], got[255 * 64],
        want[255 * 64];
    CK_ULONG hash_len;

    (void)state;
    run(key, sizeof(key), 0x21);
    run(salt, sizeof(salt), 0x90);
    run(info, sizeof(info), 0x05);
    for (size_t h = 0; h < 3; h++) {
        hash_len = hashes[h].hash_len;
        CK_ULONG lens[] = {16, hash_len - 1, hash_len, hash_len + 1,
                           3 * hash_len + 5, 255 * hash_len};
        for (size_t k = 0; k < 3; k++) {
            CK_OBJECT_HANDLE base =
                p11_import(s, CKK_GENERIC_SECRET, key, key_lens[k], NULL, 0);
            for (size_t l = 0; l < 6; l++) {
                for (int with_salt = 0; with_salt < 2; with_salt++) {
                    CK_HKDF_PARAMS p = {CK_TRUE, CK_TRUE, hashes[h].hash,
                                        with_salt ? CKF_HKDF_SALT_DATA
                                                  : CKF_HKDF_SALT_NULL,
                                        with_salt ? salt : NULL,
                                        with_salt ? sizeof(salt) : 0, 0, info,
                                        sizeof(info)};
                    CK_MECHANISM m = {CKM_HKDF_DERIVE, &p, sizeof(p)};
                    CK_ATTRIBUTE tmpl[] = {{CKA_VALUE_LEN, &lens[l], sizeof(CK_ULONG)},
                                           {CKA_SENSITIVE, &no, 1},
                                           {CKA_EXTRACTABLE, &yes, 1}};
                    CK_ATTRIBUTE get = {CKA_VALUE, got, sizeof(got)};
                    CK_OBJECT_HANDLE out;

                    /* extract and expand */
                    assert_int_equal(p11->C_DeriveKey(s, &m, base, tmpl, 3, &out), CKR_OK);
                    assert_int_equal(p11->C_GetAttributeValue(s, out, &get, 1), CKR_OK);
                    assert_int_equal(get.ulValueLen, lens[l]);
                    openssl_hkdf(hashes[h].name, EVP_KDF_HKDF_MODE_EXTRACT_AND_EXPAND,
                                 key, key_lens[k], p.pSalt, p.ulSaltLen, info,
                                 sizeof(info), want, lens[l]);
                    assert_memory_equal(got, want, lens[l]);
                    /* expand alone (prf+ under the _HMAC number is the same) */
                    p.bExtract = CK_FALSE;
                    get.ulValueLen = sizeof(got);
                    assert_int_equal(p11->C_DeriveKey(s, &m, base, tmpl, 3, &out), CKR_OK);
                    assert_int_equal(p11->C_GetAttributeValue(s, out, &get, 1), CKR_OK);
                    openssl_hkdf(hashes[h].name, EVP_KDF_HKDF_MODE_EXPAND_ONLY,
                                 key, key_lens[k], NULL, 0, info, sizeof(info),
                                 want, lens[l]);
                    assert_memory_equal(got, want, lens[l]);
                    /* extract alone: the PRK, one hash length */
                    p.bExtract = CK_TRUE;
                    p.bExpand = CK_FALSE;
                    tmpl[0].pValue = &hash_len;
                    get.ulValueLen = sizeof(got);
                    assert_int_equal(p11->C_DeriveKey(s, &m, base, tmpl, 3, &out), CKR_OK);
                    assert_int_equal(p11->C_GetAttributeValue(s, out, &get, 1), CKR_OK);
                    assert_int_equal(get.ulValueLen, hash_len);
                    openssl_hkdf(hashes[h].name, EVP_KDF_HKDF_MODE_EXTRACT_ONLY,
                                 key, key_lens[k], p.pSalt, p.ulSaltLen, info,
                                 sizeof(info), want, hash_len);
                    assert_memory_equal(got, want, hash_len);
                    assert_int_equal(p11->C_DestroyObject(s, out), CKR_OK);
                }
            }
        }
    }
}

/* A destroyed key's object and buffer serve the next derive of its length
 * (store_new_key_locked): the next key starts from nothing of the old one
 * (label, flags, CKA_UNIQUE_ID, bytes), lengths are never mixed up while
 * sizes alternate, and the destroyed key's bytes are gone from memory. */
static void destroyed_keys_are_reused_clean(void **state)
{
    static const CK_ULONG lens[] = {32, 48, 64, 16, 32, 200, 32};
    unsigned char key[32], info[40], got[200], want[200], not_key[32];
    CK_OBJECT_HANDLE base, out;
    char label[16], first_id[24] = {0}, id[24];
    CK_ULONG len = 32;
    CK_HKDF_PARAMS p = {CK_FALSE, CK_TRUE, CKM_SHA256, CKF_HKDF_SALT_NULL,
                        NULL, 0, 0, info, sizeof(info)};
    CK_MECHANISM m = {CKM_HKDF_DERIVE, &p, sizeof(p)};
    CK_ATTRIBUTE readable[] = {{CKA_VALUE_LEN, &len, sizeof(len)},
                               {CKA_SENSITIVE, &no, 1},
                               {CKA_EXTRACTABLE, &yes, 1},
                               {CKA_LABEL, "first", 5}};
    CK_ATTRIBUTE plain = {CKA_VALUE_LEN, &len, sizeof(len)};
    CK_ATTRIBUTE get_value = {CKA_VALUE, got, sizeof(got)};
    CK_ATTRIBUTE get_label = {CKA_LABEL, label, sizeof(label)};
    CK_ATTRIBUTE get_id = {CKA_UNIQUE_ID, first_id, sizeof(first_id) - 1};

    (void)state;
    run(key, sizeof(key), 0x31);
    run(info, sizeof(info), 0x44);
    base = p11_import(s, CKK_GENERIC_SECRET, key, sizeof(key), NULL, 0);

    /* a readable, labelled key, read, then destroyed */
    assert_int_equal(p11->C_DeriveKey(s, &m, base, readable, 4, &out), CKR_OK);
    assert_int_equal(p11->C_GetAttributeValue(s, out, &get_value, 1), CKR_OK);
    assert_int_equal(p11->C_GetAttributeValue(s, out, &get_id, 1), CKR_OK);
    for (size_t i = 0; i < 32; i++)
        not_key[i] = (unsigned char)~got[i];
    memset(got, 0, sizeof(got));
    assert_int_equal(p11->C_DestroyObject(s, out), CKR_OK);
    assert_int_equal(memscan_count(not_key, 32), 0);

    /* the next derive of that length: sensitive, unlabelled, a new id */
    info[0] ^= 1;
    assert_int_equal(p11->C_DeriveKey(s, &m, base, &plain, 1, &out), CKR_OK);
    get_value.ulValueLen = sizeof(got);
    assert_int_equal(p11->C_GetAttributeValue(s, out, &get_value, 1),
                     CKR_ATTRIBUTE_SENSITIVE);
    assert_int_equal(p11->C_GetAttributeValue(s, out, &get_label, 1), CKR_OK);
    assert_int_equal(get_label.ulValueLen, 0);
    get_id = (CK_ATTRIBUTE){CKA_UNIQUE_ID, id, sizeof(id) - 1};
    memset(id, 0, sizeof(id));
    assert_int_equal(p11->C_GetAttributeValue(s, out, &get_id, 1), CKR_OK);
    assert_string_not_equal(id, first_id);
    assert_int_equal(p11->C_DestroyObject(s, out), CKR_OK);

    /* alternating lengths, each destroyed before the next: right bytes */
    readable[3] = (CK_ATTRIBUTE){CKA_LABEL, "x", 1};
    for (int round = 0; round < 3; round++) {
        for (size_t l = 0; l < sizeof(lens) / sizeof(lens[0]); l++) {
            len = lens[l];
            info[1] = (unsigned char)(round * 16 + l);
            get_value.ulValueLen = sizeof(got);
            assert_int_equal(p11->C_DeriveKey(s, &m, base, readable, 4, &out),
                             CKR_OK);
            assert_int_equal(p11->C_GetAttributeValue(s, out, &get_value, 1),
                             CKR_OK);
            assert_int_equal(get_value.ulValueLen, len);
            openssl_hkdf("SHA256", EVP_KDF_HKDF_MODE_EXPAND_ONLY, key,
                         sizeof(key), NULL, 0, info, sizeof(info), want, len);
            assert_memory_equal(got, want, len);
            assert_int_equal(p11->C_DestroyObject(s, out), CKR_OK);
        }
    }
}

/* derived_keys = readable: what the template leaves out is readable (for
 * NSS-based IKE daemons that read SK_d); a template asking SENSITIVE wins. */
static void derived_keys_readable(void **state)
{
    unsigned char seed[32] = {5};
    CK_IKE2_PRF_PLUS_DERIVE_PARAMS p = {CKM_SHA256_HMAC, CK_FALSE, 0, seed, 32};
    CK_MECHANISM m = {CKM_IKE2_PRF_PLUS_DERIVE, &p, sizeof(p)};
    CK_ULONG len = 32;
    CK_ATTRIBUTE plain[] = {{CKA_VALUE_LEN, &len, sizeof(len)}};
    CK_ATTRIBUTE sensitive[] = {{CKA_VALUE_LEN, &len, sizeof(len)},
                                {CKA_SENSITIVE, &yes, 1}};
    unsigned char value[32];
    CK_ATTRIBUTE get = {CKA_VALUE, value, sizeof(value)};
    CK_OBJECT_HANDLE base, h;

    (void)state;
    base = import_run(32, 0);
    assert_int_equal(p11->C_DeriveKey(s, &m, base, plain, 1, &h), CKR_OK);
    assert_int_equal(p11->C_GetAttributeValue(s, h, &get, 1),
                     CKR_ATTRIBUTE_SENSITIVE); /* the default */
    p11_fixture_close();
    p11_fixture_config("derived_keys = readable");
    p11_fixture_open(&s);
    base = import_run(32, 0);
    assert_int_equal(p11->C_DeriveKey(s, &m, base, plain, 1, &h), CKR_OK);
    get.ulValueLen = sizeof(value);
    assert_int_equal(p11->C_GetAttributeValue(s, h, &get, 1), CKR_OK);
    assert_int_equal(p11->C_DeriveKey(s, &m, base, sensitive, 2, &h), CKR_OK);
    get.ulValueLen = sizeof(value);
    assert_int_equal(p11->C_GetAttributeValue(s, h, &get, 1),
                     CKR_ATTRIBUTE_SENSITIVE);
}

/* max_derives counts PRF blocks, not calls: a 64-byte prf+ output is two
 * SHA-256 blocks, and an SP 800-108 call counts every segment of every
 * key it makes, additional keys included. */
static void derive_budget_counts_outputs(void **state)
{
    unsigned char seed[32] = {3};
    CK_IKE2_PRF_PLUS_DERIVE_PARAMS p = {CKM_SHA256_HMAC, CK_FALSE, 0, seed, 32};
    CK_MECHANISM m = {CKM_IKE2_PRF_PLUS_DERIVE, &p, sizeof(p)};
    CK_SP800_108_COUNTER_FORMAT cf = {CK_FALSE, 8};
    CK_PRF_DATA_PARAM dp[] = {{CK_SP800_108_ITERATION_VARIABLE, &cf, sizeof(cf)},
                              {CK_SP800_108_BYTE_ARRAY, "label", 5}};
    CK_ULONG len32 = 32, len64 = 64;
    CK_ATTRIBUTE t32[] = {{CKA_VALUE_LEN, &len32, sizeof(len32)}};
    CK_ATTRIBUTE t64[] = {{CKA_VALUE_LEN, &len64, sizeof(len64)}};
    CK_OBJECT_HANDLE base, other, h, h2;
    CK_DERIVED_KEY extra[] = {{t32, 1, &h2}};
    CK_SP800_108_KDF_PARAMS kp = {CKM_SHA256_HMAC, 2, dp, 1, extra};
    CK_MECHANISM kbkdf = {CKM_SP800_108_COUNTER_KDF, &kp, sizeof(kp)};

    p11_fixture_close();
    p11_fixture_config("max_derives = 3");
    p11_fixture_open(&s);
    base = import_run(32, 0);
    other = import_run(32, 1);
    assert_int_equal(p11->C_DeriveKey(s, &m, base, t64, 1, &h), CKR_OK); /* 2 */
    assert_int_equal(p11->C_DeriveKey(s, &m, base, t64, 1, &h),
                     CKR_KEY_FUNCTION_NOT_PERMITTED); /* 2 + 2 > 3 */
    assert_int_equal(p11->C_DeriveKey(s, &m, base, t32, 1, &h), CKR_OK); /* 3 */
    assert_int_equal(p11->C_DeriveKey(s, &m, base, t32, 1, &h),
                     CKR_KEY_FUNCTION_NOT_PERMITTED);
    /* 32 bytes and an additional 32: two segments per call */
    assert_int_equal(p11->C_DeriveKey(s, &kbkdf, other, t32, 1, &h), CKR_OK);
    assert_int_equal(p11->C_DeriveKey(s, &kbkdf, other, t32, 1, &h),
                     CKR_KEY_FUNCTION_NOT_PERMITTED);
    assert_int_equal(h2, CK_INVALID_HANDLE);
    kp.ulAdditionalDerivedKeys = 0;
    assert_int_equal(p11->C_DeriveKey(s, &kbkdf, other, t32, 1, &h), CKR_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(prf_plus_vectors, setup, teardown),
        cmocka_unit_test_setup_teardown(hkdf_expand_agrees_with_prf_plus, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(rfc5869_case1, setup, teardown),
        cmocka_unit_test_setup_teardown(malformed_parameters, setup, teardown),
        cmocka_unit_test_setup_teardown(other_derive_mechanisms_refused, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(derived_key_attributes, setup, teardown),
        cmocka_unit_test_setup_teardown(roles, setup, teardown),
        cmocka_unit_test_setup_teardown(derive_budget, setup, teardown),
        cmocka_unit_test_setup_teardown(derive_budget_counts_outputs, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(prf_plus_with_a_seed_key, setup, teardown),
        cmocka_unit_test_setup_teardown(agrees_with_openssl_hkdf, setup, teardown),
        cmocka_unit_test_setup_teardown(derived_keys_readable, setup, teardown),
        cmocka_unit_test_setup_teardown(destroyed_keys_are_reused_clean, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
