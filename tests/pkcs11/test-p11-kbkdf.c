/* SPDX-License-Identifier: BSD-3-Clause */
/* CKM_SP800_108_COUNTER_KDF on imported keys: IEEE 802.1X MACsec ICK/KEK
 * (8-bit counter, key policy section 5.2), NIST CAVP counter-mode vectors
 * (8- and 32-bit counters), HMAC-SHA-256 against OpenSSL's own KBKDF, additional keys from fresh
 * segments created all or none, and each malformed parameter. */
#include "config.h"
#include "p11-fixture.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

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

static void run_bytes(unsigned char *out, size_t len, unsigned first)
{
    for (size_t i = 0; i < len; i++)
        out[i] = (unsigned char)(first + i);
}

static CK_RV value_hex(CK_OBJECT_HANDLE h, char *hex)
{
    unsigned char value[512];
    CK_ATTRIBUTE get = {CKA_VALUE, value, sizeof(value)};
    CK_RV rv = p11->C_GetAttributeValue(s, h, &get, 1);

    if (rv == CKR_OK)
        skip_hex_encode(value, get.ulValueLen, hex);
    return rv;
}

/* ICK or KEK = KDF(CAK, label, CKN[0..16), |CAK|) as PKCS#11 data params. */
static CK_RV macsec(CK_OBJECT_HANDLE cak, CK_ULONG cak_len, const char *label,
                    const unsigned char *ckn, size_t ckn_len, char *hex)
{
    static CK_BYTE zero = 0;
    CK_BYTE ctx[16] = {0};
    CK_SP800_108_COUNTER_FORMAT cf = {CK_FALSE, 8};
    CK_SP800_108_DKM_LENGTH_FORMAT lf = {CK_SP800_108_DKM_LENGTH_SUM_OF_KEYS,
                                         CK_FALSE, 16};
    CK_PRF_DATA_PARAM dp[] = {
        {CK_SP800_108_ITERATION_VARIABLE, &cf, sizeof(cf)},
        {CK_SP800_108_BYTE_ARRAY, (void *)label, 12},
        {CK_SP800_108_BYTE_ARRAY, &zero, 1},
        {CK_SP800_108_BYTE_ARRAY, ctx, 16},
        {CK_SP800_108_DKM_LENGTH, &lf, sizeof(lf)},
    };
    CK_SP800_108_KDF_PARAMS kp = {CKM_AES_CMAC, 5, dp, 0, NULL};
    CK_MECHANISM m = {CKM_SP800_108_COUNTER_KDF, &kp, sizeof(kp)};
    CK_KEY_TYPE aes = CKK_AES;
    CK_ATTRIBUTE tmpl[] = {{CKA_KEY_TYPE, &aes, sizeof(aes)},
                           {CKA_VALUE_LEN, &cak_len, sizeof(cak_len)},
                           {CKA_SENSITIVE, &no, 1}, {CKA_EXTRACTABLE, &yes, 1}};
    CK_OBJECT_HANDLE h;
    CK_RV rv;

    memcpy(ctx, ckn, ckn_len < 16 ? ckn_len : 16);
    rv = p11->C_DeriveKey(s, &m, cak, tmpl, 4, &h);
    return rv == CKR_OK ? value_hex(h, hex) : rv;
}

static void macsec_vectors(void **state)
{
    static const struct {
        const char *name;
        size_t cak_len;
        unsigned cak_first;
        size_t ckn_len;
        const char *ick, *kek;
    } cases[] = {
        {"A", 16, 0x00, 32, "cd69fde83b6c35b812bb0cef77b79d2d",
         "74e63886ef1cff73d408e7f15f22ccc2"},
        {"B", 32, 0x20, 32,
         "2834a10a89316170765ba701d76b3be1f5a9d83baa761c0f3b84fc502a82c628",
         "ee247fdc4d7762267a83006dc4deebd860241288adf6ef88a5cbe5473594b238"},
        {"C", 16, 0x00, 5, "66de3fb7ddc7cf0c26fb0803f2cd0dd5",
         "a61dc299fec2507206ac0c91172393f0"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        unsigned char cak[32], ckn[32];
        char hex[129];
        CK_OBJECT_HANDLE h;

        run_bytes(cak, cases[i].cak_len, cases[i].cak_first);
        run_bytes(ckn, cases[i].ckn_len, 0xc0);
        h = p11_import(s, CKK_AES, cak, cases[i].cak_len, NULL, 0);
        CHECK_CASE(cases[i].name, macsec(h, cases[i].cak_len, "IEEE8021 ICK", ckn,
                                         cases[i].ckn_len, hex) == CKR_OK);
        CHECK_CASE(cases[i].name, strcmp(hex, cases[i].ick) == 0);
        CHECK_CASE(cases[i].name, macsec(h, cases[i].cak_len, "IEEE8021 KEK", ckn,
                                         cases[i].ckn_len, hex) == CKR_OK);
        CHECK_CASE(cases[i].name, strcmp(hex, cases[i].kek) == 0);
    }
}

/* NIST CAVP "KDF in Counter Mode" (CAVS 14.4), [PRF=HMAC_SHA256]
 * [CTRLOCATION=BEFORE_FIXED], as PKCS#11 data parameters: the counter, then
 * FixedInputData as one byte array. */
static void nist_cavp_vectors(void **state)
{
    static const struct {
        const char *name;
        CK_ULONG rlen;
        const char *ki, *fixed, *ko;
    } cases[] = {
        {"RLEN=32 COUNT=0", 32,
         "dd1d91b7d90b2bd3138533ce92b272fbf8a369316aefe242e659cc0ae238afe0",
         "01322b96b30acd197979444e468e1c5c6859bf1b1cf951b7e725303e237e46b8"
         "64a145fab25e517b08f8683d0315bb2911d80a0e8aba17f3b413faac",
         "10621342bfb0fd40046c0e29f2cfdbf0"},
        {"RLEN=8", 8,
         "2ce3a4a13bbf845a38999ef3c2a68385355fbbb0d6997c0bea7c3fecdc7f6745",
         "8505879d9c93d0b66a29a4d334c257a7824538ebcf151c0b55de0b757dda28fd"
         "462c17cbdd8b529f9c183b786385499ff61fa1b736fb1579cf2f8e88",
         "ee9a34656d9d98384f49d35f088cd674"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        unsigned char ki[32], fixed[60];
        char hex[33];
        size_t n;
        CK_SP800_108_COUNTER_FORMAT cf = {CK_FALSE, cases[i].rlen};
        CK_PRF_DATA_PARAM dp[] = {
            {CK_SP800_108_ITERATION_VARIABLE, &cf, sizeof(cf)},
            {CK_SP800_108_BYTE_ARRAY, fixed, sizeof(fixed)},
        };
        CK_SP800_108_KDF_PARAMS kp = {CKM_SHA256_HMAC, 2, dp, 0, NULL};
        CK_MECHANISM m = {CKM_SP800_108_COUNTER_KDF, &kp, sizeof(kp)};
        CK_ULONG len = 16;
        CK_ATTRIBUTE tmpl[] = {{CKA_VALUE_LEN, &len, sizeof(len)},
                               {CKA_SENSITIVE, &no, 1}, {CKA_EXTRACTABLE, &yes, 1}};
        CK_OBJECT_HANDLE base, h;

        assert_true(skip_hex_decode(cases[i].ki, 64, ki, sizeof(ki), &n));
        assert_true(skip_hex_decode(cases[i].fixed, 120, fixed, sizeof(fixed), &n));
        base = p11_import(s, CKK_GENERIC_SECRET, ki, sizeof(ki), NULL, 0);
        CHECK_CASE(cases[i].name, p11->C_DeriveKey(s, &m, base, tmpl, 3, &h) == CKR_OK);
        CHECK_CASE(cases[i].name, value_hex(h, hex) == CKR_OK);
        CHECK_CASE(cases[i].name, strcmp(hex, cases[i].ko) == 0);
    }
}

/* OpenSSL's KBKDF (32-bit counter, label 0x00 context, 32-bit L) as the
 * reference for the same layout through PKCS#11. */
static void hmac_against_openssl_kbkdf(void **state)
{
    unsigned char key[32], label[9] = "skip test", context[20], want[80];
    char want_hex[161], hex[161];
    CK_BYTE zero = 0;
    CK_SP800_108_COUNTER_FORMAT cf = {CK_FALSE, 32};
    CK_SP800_108_DKM_LENGTH_FORMAT lf = {CK_SP800_108_DKM_LENGTH_SUM_OF_KEYS,
                                         CK_FALSE, 32};
    CK_PRF_DATA_PARAM dp[] = {
        {CK_SP800_108_ITERATION_VARIABLE, &cf, sizeof(cf)},
        {CK_SP800_108_BYTE_ARRAY, label, sizeof(label)},
        {CK_SP800_108_BYTE_ARRAY, &zero, 1},
        {CK_SP800_108_BYTE_ARRAY, context, sizeof(context)},
        {CK_SP800_108_DKM_LENGTH, &lf, sizeof(lf)},
    };
    CK_SP800_108_KDF_PARAMS kp = {CKM_SHA256_HMAC, 5, dp, 0, NULL};
    CK_MECHANISM m = {CKM_SP800_108_COUNTER_KDF, &kp, sizeof(kp)};
    CK_ULONG len = sizeof(want);
    CK_ATTRIBUTE tmpl[] = {{CKA_VALUE_LEN, &len, sizeof(len)},
                           {CKA_SENSITIVE, &no, 1}, {CKA_EXTRACTABLE, &yes, 1}};
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "KBKDF", NULL);
    EVP_KDF_CTX *ctx = EVP_KDF_CTX_new(kdf);
    OSSL_PARAM params[6];
    CK_OBJECT_HANDLE base, h;

    run_bytes(key, sizeof(key), 0x55);
    run_bytes(context, sizeof(context), 0xa0);
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_MAC, "HMAC", 0);
    params[1] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, "SHA256", 0);
    params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, key, sizeof(key));
    params[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, label,
                                                  sizeof(label));
    params[4] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, context,
                                                  sizeof(context));
    params[5] = OSSL_PARAM_construct_end();
    assert_int_equal(EVP_KDF_derive(ctx, want, sizeof(want), params), 1);
    EVP_KDF_CTX_free(ctx);
    EVP_KDF_free(kdf);
    skip_hex_encode(want, sizeof(want), want_hex);

    base = p11_import(s, CKK_GENERIC_SECRET, key, sizeof(key), NULL, 0);
    assert_int_equal(p11->C_DeriveKey(s, &m, base, tmpl, 3, &h), CKR_OK);
    assert_int_equal(value_hex(h, hex), CKR_OK);
    assert_string_equal(hex, want_hex);
}

static CK_ULONG object_count(void)
{
    CK_OBJECT_HANDLE found[64];
    CK_ULONG n = 0;

    assert_int_equal(p11->C_FindObjectsInit(s, NULL, 0), CKR_OK);
    assert_int_equal(p11->C_FindObjects(s, found, 64, &n), CKR_OK);
    assert_int_equal(p11->C_FindObjectsFinal(s), CKR_OK);
    return n;
}

static void additional_keys_use_fresh_segments(void **state)
{
    unsigned char key[32];
    CK_SP800_108_COUNTER_FORMAT cf = {CK_FALSE, 8};
    CK_PRF_DATA_PARAM dp[] = {
        {CK_SP800_108_ITERATION_VARIABLE, &cf, sizeof(cf)},
        {CK_SP800_108_BYTE_ARRAY, "label", 5},
    };
    CK_ULONG len96 = 96, len48 = 48, len16 = 16;
    CK_ATTRIBUTE t96[] = {{CKA_VALUE_LEN, &len96, sizeof(len96)},
                          {CKA_SENSITIVE, &no, 1}, {CKA_EXTRACTABLE, &yes, 1}};
    CK_ATTRIBUTE t48[] = {{CKA_VALUE_LEN, &len48, sizeof(len48)},
                          {CKA_SENSITIVE, &no, 1}, {CKA_EXTRACTABLE, &yes, 1}};
    CK_ATTRIBUTE t16[] = {{CKA_VALUE_LEN, &len16, sizeof(len16)},
                          {CKA_SENSITIVE, &no, 1}, {CKA_EXTRACTABLE, &yes, 1}};
    CK_ATTRIBUTE bad[] = {{CKA_VALUE_LEN, &len16, sizeof(len16)},
                          {CKA_ID, "\x01", 1}};
    CK_OBJECT_HANDLE base, all, first, second = 9, third = 9;
    CK_DERIVED_KEY extra[] = {{t16, 3, &second}};
    CK_DERIVED_KEY extra_bad[] = {{t16, 3, &second}, {bad, 2, &third}};
    CK_SP800_108_KDF_PARAMS kp = {CKM_SHA256_HMAC, 2, dp, 0, NULL};
    CK_MECHANISM m = {CKM_SP800_108_COUNTER_KDF, &kp, sizeof(kp)};
    char whole[193], a[97], b[33];
    CK_ULONG before;

    run_bytes(key, sizeof(key), 0x01);
    base = p11_import(s, CKK_GENERIC_SECRET, key, sizeof(key), NULL, 0);
    assert_int_equal(p11->C_DeriveKey(s, &m, base, t96, 3, &all), CKR_OK);
    assert_int_equal(value_hex(all, whole), CKR_OK);
    kp.ulAdditionalDerivedKeys = 1;
    kp.pAdditionalDerivedKeys = extra;
    assert_int_equal(p11->C_DeriveKey(s, &m, base, t48, 3, &first), CKR_OK);
    assert_int_equal(value_hex(first, a), CKR_OK);
    assert_int_equal(value_hex(second, b), CKR_OK);
    /* 48 bytes use segments 1-2; the 16-byte key starts on segment 3. */
    assert_memory_equal(a, whole, 96);
    assert_memory_equal(b, whole + 128, 32);

    /* One bad template: no key at all, every handle invalid. */
    before = object_count();
    kp.ulAdditionalDerivedKeys = 2;
    kp.pAdditionalDerivedKeys = extra_bad;
    assert_int_equal(p11->C_DeriveKey(s, &m, base, t48, 3, &first),
                     CKR_ATTRIBUTE_READ_ONLY);
    assert_int_equal(first, CK_INVALID_HANDLE);
    assert_int_equal(second, CK_INVALID_HANDLE);
    assert_int_equal(third, CK_INVALID_HANDLE);
    assert_int_equal(object_count(), before);
}

/* --- a KDF key is not an HMAC oracle (issue 21) --- */

#define ORACLE_ROUNDS 300
#define SEGMENTS_MAX 16 /* kbkdf.c */

static const char key_pad[] = "Key Pad for IKEv2"; /* RFC 7296 2.15 */

static void put_be_le(unsigned char *out, uint64_t v, size_t bytes, bool little)
{
    for (size_t i = 0; i < bytes; i++, v >>= 8)
        out[little ? i : bytes - 1 - i] = (unsigned char)v;
}

static const EVP_MD *md_of(CK_MECHANISM_TYPE prf)
{
    return prf == CKM_SHA256_HMAC ? EVP_sha256()
           : prf == CKM_SHA384_HMAC ? EVP_sha384() : EVP_sha512();
}

/* True when block (len bytes) starts HMAC(K, m). */
static bool block_is_hmac_of(const unsigned char *k, CK_MECHANISM_TYPE prf,
                             const void *m, size_t m_len,
                             const unsigned char *block, size_t len)
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned n = 0;

    HMAC(md_of(prf), k, 32, m, m_len, mac, &n);
    return memcmp(mac, block, len < n ? len : n) == 0;
}

/* The attack as it was: fixed data "Key Pad for IKEv" then an 8-bit
 * counter, whose segment 0x32 ('2') is HMAC(K, "Key Pad for IKEv2"). */
static void counter_after_fixed_data_is_refused(void **state)
{
    unsigned char k[32];
    CK_SP800_108_COUNTER_FORMAT cf = {CK_FALSE, 8};
    CK_PRF_DATA_PARAM after[] = {
        {CK_SP800_108_BYTE_ARRAY, (void *)key_pad, 16},
        {CK_SP800_108_ITERATION_VARIABLE, &cf, sizeof(cf)},
    };
    CK_PRF_DATA_PARAM first[] = {
        {CK_SP800_108_ITERATION_VARIABLE, &cf, sizeof(cf)},
        {CK_SP800_108_BYTE_ARRAY, (void *)key_pad, 16},
    };
    CK_SP800_108_KDF_PARAMS kp = {CKM_SHA256_HMAC, 2, after, 0, NULL};
    CK_MECHANISM m = {CKM_SP800_108_COUNTER_KDF, &kp, sizeof(kp)};
    CK_ULONG oracle_len = 0x32 * 32, max_len = SEGMENTS_MAX * 32;
    CK_ATTRIBUTE oracle[] = {{CKA_VALUE_LEN, &oracle_len, sizeof(oracle_len)},
                             {CKA_SENSITIVE, &no, 1}, {CKA_EXTRACTABLE, &yes, 1}};
    CK_ATTRIBUTE most[] = {{CKA_VALUE_LEN, &max_len, sizeof(max_len)},
                           {CKA_SENSITIVE, &no, 1}, {CKA_EXTRACTABLE, &yes, 1}};
    CK_OBJECT_HANDLE base, h;

    run_bytes(k, sizeof(k), 0x60);
    base = p11_import(s, CKK_GENERIC_SECRET, k, sizeof(k), NULL, 0);
    assert_int_equal(p11->C_DeriveKey(s, &m, base, oracle, 3, &h),
                     CKR_MECHANISM_PARAM_INVALID);
    kp.pDataParams = first;
    /* counter first: 0x32 segments are past the cap, 16 are not */
    assert_int_equal(p11->C_DeriveKey(s, &m, base, oracle, 3, &h),
                     CKR_KEY_SIZE_RANGE);
    max_len++;
    assert_int_equal(p11->C_DeriveKey(s, &m, base, most, 3, &h),
                     CKR_KEY_SIZE_RANGE);
    max_len--;
    assert_int_equal(p11->C_DeriveKey(s, &m, base, most, 3, &h), CKR_OK);
}

/* Random allowed parameter sets: every output block is HMAC(K, counter ||
 * fixed data) recomputed here, with the counter first and at most 16, and
 * none is HMAC(K, M) for an M the caller wrote (its byte arrays, alone or
 * joined) or for the IKEv2 key pad. */
static void no_parameter_set_is_an_hmac_oracle(void **state)
{
    static const CK_MECHANISM_TYPE prfs[] = {CKM_SHA256_HMAC, CKM_SHA384_HMAC,
                                             CKM_SHA512_HMAC};
    unsigned char k[32];
    CK_OBJECT_HANDLE base;
    unsigned seed = (unsigned)time(NULL), derived = 0;

    print_message("seed %u\n", seed);
    srand(seed);
    run_bytes(k, sizeof(k), 0x70);
    base = p11_import(s, CKK_GENERIC_SECRET, k, sizeof(k), NULL, 0);
    for (int round = 0; round < ORACLE_ROUNDS; round++) {
        CK_MECHANISM_TYPE prf = prfs[rand() % 3];
        size_t h = (size_t)EVP_MD_get_size(md_of(prf));
        CK_SP800_108_COUNTER_FORMAT cf = {(CK_BBOOL)(rand() & 1),
                                          (CK_ULONG)(8 * (1 + rand() % 4))};
        CK_SP800_108_DKM_LENGTH_FORMAT lf = {
            1 + (CK_ULONG)(rand() & 1), (CK_BBOOL)(rand() & 1),
            (CK_ULONG)(rand() & 1 ? 32 : 64)};
        unsigned char arrays[3][40], joined[120], input[8 + 120 + 8];
        size_t array_len[3], joined_len = 0, n_arrays = (size_t)(rand() % 4);
        bool dkm = rand() & 1;
        CK_PRF_DATA_PARAM dp[5];
        CK_ULONG n_dp = 0, lens[3];
        CK_ATTRIBUTE tmpl[3][3];
        CK_OBJECT_HANDLE handles[3];
        CK_DERIVED_KEY extra[2];
        size_t n_keys = 1 + (size_t)(rand() % 3), segments = 0;
        uint64_t bits = 0, dkm_value;
        CK_SP800_108_KDF_PARAMS kp;
        CK_MECHANISM m = {CKM_SP800_108_COUNTER_KDF, &kp, sizeof(kp)};
        unsigned counter = 0;
        CK_RV rv;

        dp[n_dp++] = (CK_PRF_DATA_PARAM){CK_SP800_108_ITERATION_VARIABLE, &cf,
                                         sizeof(cf)};
        for (size_t a = 0; a < n_arrays; a++) {
            array_len[a] = 1 + (size_t)(rand() % 40);
            if (rand() % 4 == 0) { /* the attacker's favourite message */
                array_len[a] = strlen(key_pad);
                memcpy(arrays[a], key_pad, array_len[a]);
            } else {
                for (size_t i = 0; i < array_len[a]; i++)
                    arrays[a][i] = (unsigned char)rand();
            }
            memcpy(joined + joined_len, arrays[a], array_len[a]);
            joined_len += array_len[a];
            dp[n_dp++] = (CK_PRF_DATA_PARAM){CK_SP800_108_BYTE_ARRAY, arrays[a],
                                             array_len[a]};
        }
        if (dkm)
            dp[n_dp++] = (CK_PRF_DATA_PARAM){CK_SP800_108_DKM_LENGTH, &lf,
                                             sizeof(lf)};
        for (size_t i = 0; i < n_keys; i++) {
            lens[i] = 16 + (CK_ULONG)(rand() % (5 * h));
            segments += (lens[i] + h - 1) / h;
            bits += 8 * lens[i];
            tmpl[i][0] = (CK_ATTRIBUTE){CKA_VALUE_LEN, &lens[i], sizeof(lens[i])};
            tmpl[i][1] = (CK_ATTRIBUTE){CKA_SENSITIVE, &no, 1};
            tmpl[i][2] = (CK_ATTRIBUTE){CKA_EXTRACTABLE, &yes, 1};
            if (i > 0)
                extra[i - 1] = (CK_DERIVED_KEY){tmpl[i], 3, &handles[i]};
        }
        kp = (CK_SP800_108_KDF_PARAMS){prf, n_dp, dp, n_keys - 1,
                                       n_keys > 1 ? extra : NULL};
        rv = p11->C_DeriveKey(s, &m, base, tmpl[0], 3, &handles[0]);
        if (segments > SEGMENTS_MAX) {
            assert_int_equal(rv, CKR_KEY_SIZE_RANGE);
            continue;
        }
        assert_int_equal(rv, CKR_OK);
        derived++;
        dkm_value = lf.dkmLengthMethod == CK_SP800_108_DKM_LENGTH_SUM_OF_SEGMENTS
                        ? segments * 8 * h : bits;
        for (size_t i = 0; i < n_keys; i++) {
            unsigned char value[5 * 64 + 16];
            CK_ATTRIBUTE get = {CKA_VALUE, value, sizeof(value)};

            assert_int_equal(p11->C_GetAttributeValue(s, handles[i], &get, 1),
                             CKR_OK);
            assert_int_equal(get.ulValueLen, lens[i]);
            for (size_t off = 0; off < lens[i]; off += h) {
                size_t take = lens[i] - off < h ? lens[i] - off : h;
                size_t in_len = cf.ulWidthInBits / 8;
                const unsigned char *block = value + off;

                /* what the PRF read: the counter, then the fixed data */
                counter++;
                assert_true(counter <= SEGMENTS_MAX);
                put_be_le(input, counter, in_len, cf.bLittleEndian);
                memcpy(input + in_len, joined, joined_len);
                in_len += joined_len;
                if (dkm) {
                    put_be_le(input + in_len, dkm_value, lf.ulWidthInBits / 8,
                              lf.bLittleEndian);
                    in_len += lf.ulWidthInBits / 8;
                }
                assert_true(block_is_hmac_of(k, prf, input, in_len, block, take));
                /* and never the MAC of a message the caller wrote (a
                 * key's short last block is a prefix too short to tell:
                 * one byte matches by chance one time in 256) */
                if (take < 16)
                    continue;
                assert_false(block_is_hmac_of(k, prf, key_pad, strlen(key_pad),
                                              block, take));
                assert_false(block_is_hmac_of(k, prf, joined, joined_len,
                                              block, take));
                for (size_t a = 0; a < n_arrays; a++)
                    assert_false(block_is_hmac_of(k, prf, arrays[a],
                                                  array_len[a], block, take));
            }
            assert_int_equal(p11->C_DestroyObject(s, handles[i]), CKR_OK);
        }
    }
    assert_true(derived > ORACLE_ROUNDS / 4);
}

static void malformed_parameters(void **state)
{
    unsigned char key[32] = {0};
    CK_SP800_108_COUNTER_FORMAT c8 = {CK_FALSE, 8}, c12 = {CK_FALSE, 12},
                                c40 = {CK_FALSE, 40}, c_le2 = {2, 8};
    CK_SP800_108_DKM_LENGTH_FORMAT d16 = {CK_SP800_108_DKM_LENGTH_SUM_OF_KEYS,
                                          CK_FALSE, 16},
                                   d_bad = {7, CK_FALSE, 16},
                                   d72 = {CK_SP800_108_DKM_LENGTH_SUM_OF_KEYS,
                                          CK_FALSE, 72};
    CK_OBJECT_HANDLE base = p11_import(s, CKK_GENERIC_SECRET, key, 32, NULL, 0);
    CK_OBJECT_HANDLE aes_base = p11_import(s, CKK_AES, key, 32, NULL, 0);
    CK_ULONG len = 32, huge = 255 * 32 + 1;
    CK_ATTRIBUTE tmpl[] = {{CKA_VALUE_LEN, &len, sizeof(len)}};
    CK_ATTRIBUTE tmpl_huge[] = {{CKA_VALUE_LEN, &huge, sizeof(huge)}};
    unsigned char big[1025] = {0};
    struct {
        const char *name;
        CK_MECHANISM_TYPE prf;
        CK_PRF_DATA_PARAM dp[3];
        CK_ULONG count;
    } cases[] = {
        {"SHA-1 PRF", CKM_SHA_1_HMAC, {{1, &c8, sizeof(c8)}}, 1},
        {"no counter", CKM_SHA256_HMAC, {{4, key, 4}}, 1},
        {"two counters", CKM_SHA256_HMAC, {{1, &c8, sizeof(c8)}, {1, &c8, sizeof(c8)}}, 2},
        {"12-bit counter", CKM_SHA256_HMAC, {{1, &c12, sizeof(c12)}}, 1},
        {"40-bit counter", CKM_SHA256_HMAC, {{1, &c40, sizeof(c40)}}, 1},
        {"endianness 2", CKM_SHA256_HMAC, {{1, &c_le2, sizeof(c_le2)}}, 1},
        {"short counter format", CKM_SHA256_HMAC, {{1, &c8, 8}}, 1},
        {"optional counter", CKM_SHA256_HMAC, {{1, &c8, sizeof(c8)}, {2, &c8, sizeof(c8)}}, 2},
        {"key handle", CKM_SHA256_HMAC, {{1, &c8, sizeof(c8)}, {5, &base, sizeof(base)}}, 2},
        {"empty byte array", CKM_SHA256_HMAC, {{1, &c8, sizeof(c8)}, {4, key, 0}}, 2},
        {"NULL byte array", CKM_SHA256_HMAC, {{1, &c8, sizeof(c8)}, {4, NULL, 4}}, 2},
        {"byte array over 1024", CKM_SHA256_HMAC, {{1, &c8, sizeof(c8)}, {4, big, 1025}}, 2},
        {"DKM method 7", CKM_SHA256_HMAC, {{1, &c8, sizeof(c8)}, {3, &d_bad, sizeof(d_bad)}}, 2},
        {"DKM 72 bits", CKM_SHA256_HMAC, {{1, &c8, sizeof(c8)}, {3, &d72, sizeof(d72)}}, 2},
        {"two DKMs", CKM_SHA256_HMAC, {{1, &c8, sizeof(c8)}, {3, &d16, sizeof(d16)},
                                       {3, &d16, sizeof(d16)}}, 3},
        {"no data params", CKM_SHA256_HMAC, {{1, &c8, sizeof(c8)}}, 0},
        {"counter after fixed data", CKM_SHA256_HMAC, {{4, key, 4}, {1, &c8, sizeof(c8)}}, 2},
        {"counter after the DKM", CKM_SHA256_HMAC, {{3, &d16, sizeof(d16)},
                                                    {1, &c8, sizeof(c8)}}, 2},
    };
    CK_OBJECT_HANDLE h;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        CK_SP800_108_KDF_PARAMS kp = {cases[i].prf, cases[i].count, cases[i].dp, 0, NULL};
        CK_MECHANISM m = {CKM_SP800_108_COUNTER_KDF, &kp, sizeof(kp)};
        CHECK_CASE(cases[i].name, p11->C_DeriveKey(s, &m, base, tmpl, 1, &h) ==
                                      CKR_MECHANISM_PARAM_INVALID);
    }
    {
        CK_PRF_DATA_PARAM dp[] = {{1, &c8, sizeof(c8)}};
        CK_DERIVED_KEY five[5] = {{tmpl, 1, &h}, {tmpl, 1, &h}, {tmpl, 1, &h},
                                  {tmpl, 1, &h}, {tmpl, 1, &h}};
        CK_SP800_108_KDF_PARAMS kp = {CKM_SHA256_HMAC, 1, dp, 5, five};
        CK_MECHANISM m = {CKM_SP800_108_COUNTER_KDF, &kp, sizeof(kp)};
        assert_int_equal(p11->C_DeriveKey(s, &m, base, tmpl, 1, &h),
                         CKR_MECHANISM_PARAM_INVALID);
        m.ulParameterLen = sizeof(kp) - 1;
        kp.ulAdditionalDerivedKeys = 0;
        assert_int_equal(p11->C_DeriveKey(s, &m, base, tmpl, 1, &h),
                         CKR_MECHANISM_PARAM_INVALID);
        m.ulParameterLen = sizeof(kp);
        /* At most 16 segments a call. */
        assert_int_equal(p11->C_DeriveKey(s, &m, base, tmpl_huge, 1, &h),
                         CKR_KEY_SIZE_RANGE);
        /* AES-CMAC needs an AES base key; HMAC a generic one. */
        kp.prfType = CKM_AES_CMAC;
        assert_int_equal(p11->C_DeriveKey(s, &m, base, tmpl, 1, &h),
                         CKR_KEY_TYPE_INCONSISTENT);
        kp.prfType = CKM_SHA256_HMAC;
        assert_int_equal(p11->C_DeriveKey(s, &m, aes_base, tmpl, 1, &h),
                         CKR_KEY_TYPE_INCONSISTENT);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(macsec_vectors, setup, teardown),
        cmocka_unit_test_setup_teardown(nist_cavp_vectors, setup, teardown),
        cmocka_unit_test_setup_teardown(hmac_against_openssl_kbkdf, setup, teardown),
        cmocka_unit_test_setup_teardown(additional_keys_use_fresh_segments, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(malformed_parameters, setup, teardown),
        cmocka_unit_test_setup_teardown(counter_after_fixed_data_is_refused, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(no_parameter_set_is_an_hmac_oracle, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
