/* SPDX-License-Identifier: BSD-3-Clause */
/* Objects without a KP: imported keys, the attribute rules, the role rules,
 * HMAC known answers (RFC 4231 test case 1) and against OpenSSL for keys
 * of every length around the hash blocks, searches, and every
 * C_GenerateKey template the module refuses before asking the KP. */
#include "config.h"
#include "p11-fixture.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "skip/hex.h"

static const unsigned char tc1_key[20] = {
    0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b,
    0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b};
static const char tc1_data[] = "Hi There";
static const unsigned char tc1_sha256[32] = {
    0xb0, 0x34, 0x4c, 0x61, 0xd8, 0xdb, 0x38, 0x53, 0x5c, 0xa8, 0xaf,
    0xce, 0xaf, 0x0b, 0xf1, 0x2b, 0x88, 0x1d, 0xc2, 0x00, 0xc9, 0x83,
    0x3d, 0xa7, 0x26, 0xe9, 0x37, 0x6c, 0x2e, 0x32, 0xcf, 0xf7};
static const unsigned char tc1_sha384_head[8] = {0xaf, 0xd0, 0x39, 0x44,
                                                 0xd8, 0x48, 0x95, 0x62};
static const unsigned char tc1_sha512_tail[8] = {0x2e, 0x69, 0x6c, 0x20,
                                                 0x3a, 0x12, 0x68, 0x54};

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

static CK_RV mac(CK_OBJECT_HANDLE key, CK_MECHANISM_TYPE type, CK_ULONG general,
                 unsigned char *out, CK_ULONG *len)
{
    CK_MECHANISM m = {type, general ? &general : NULL,
                      general ? sizeof(general) : 0};
    CK_RV rv = p11->C_SignInit(s, &m, key);

    if (rv != CKR_OK)
        return rv;
    return p11->C_Sign(s, (CK_BYTE_PTR)tc1_data, 8, out, len);
}

static void hmac_known_answers(void **state)
{
    CK_OBJECT_HANDLE key = p11_import(s, CKK_GENERIC_SECRET, tc1_key, 20, NULL, 0);
    unsigned char out[64];
    CK_ULONG len = sizeof(out);

    assert_int_equal(mac(key, CKM_SHA256_HMAC, 0, out, &len), CKR_OK);
    assert_int_equal(len, 32);
    assert_memory_equal(out, tc1_sha256, 32);
    len = sizeof(out);
    assert_int_equal(mac(key, CKM_SHA384_HMAC, 0, out, &len), CKR_OK);
    assert_int_equal(len, 48);
    assert_memory_equal(out, tc1_sha384_head, 8);
    len = sizeof(out);
    assert_int_equal(mac(key, CKM_SHA512_HMAC, 0, out, &len), CKR_OK);
    assert_int_equal(len, 64);
    assert_memory_equal(out + 56, tc1_sha512_tail, 8);
    len = sizeof(out);
    assert_int_equal(mac(key, CKM_SHA256_HMAC_GENERAL, 16, out, &len), CKR_OK);
    assert_int_equal(len, 16);
    assert_memory_equal(out, tc1_sha256, 16);
    assert_int_equal(mac(key, CKM_SHA256_HMAC_GENERAL, 15, out, &len),
                     CKR_MECHANISM_PARAM_INVALID);
    assert_int_equal(mac(key, CKM_SHA256_HMAC_GENERAL, 33, out, &len),
                     CKR_MECHANISM_PARAM_INVALID);
}

/* The module's HMAC (on a key's pads, src/pkcs11/hmac-pads.c) against
 * OpenSSL's for keys of 1 to 300 bytes (a block is 64 or 128 bytes; a
 * longer key is hashed first) and data of 0 to 300 bytes, single- and
 * multi-part, for each digest; each key's pads are made once and reused. */
static void hmac_matches_openssl(void **state)
{
    static const struct {
        CK_MECHANISM_TYPE mech;
        const char *digest;
    } digests[] = {{CKM_SHA256_HMAC, "SHA256"},
                   {CKM_SHA384_HMAC, "SHA384"},
                   {CKM_SHA512_HMAC, "SHA512"}};
    unsigned char key[300], data[300], ours[64], theirs[64];

    for (size_t i = 0; i < sizeof(key); i++)
        key[i] = (unsigned char)(i * 7 + 1);
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (unsigned char)(i * 13 + 5);
    for (size_t klen = 1; klen <= sizeof(key); klen += klen < 140 ? 1 : 37) {
        CK_OBJECT_HANDLE h = p11_import(s, CKK_GENERIC_SECRET, key, klen,
                                        NULL, 0);
        for (size_t d = 0; d < 3; d++) {
            for (size_t dlen = 0; dlen <= sizeof(data); dlen += 61) {
                CK_MECHANISM m = {digests[d].mech, NULL, 0};
                CK_ULONG len = sizeof(ours);
                size_t tlen = 0;
                bool multi = (klen + dlen) % 2 == 1;

                assert_non_null(EVP_Q_mac(NULL, "HMAC", NULL,
                                          digests[d].digest, NULL, key, klen,
                                          data, dlen, theirs, sizeof(theirs),
                                          &tlen));
                assert_int_equal(p11->C_SignInit(s, &m, h), CKR_OK);
                if (multi) {
                    assert_int_equal(p11->C_SignUpdate(s, data, dlen / 3), CKR_OK);
                    assert_int_equal(p11->C_SignUpdate(s, data + dlen / 3,
                                                       dlen - dlen / 3), CKR_OK);
                    assert_int_equal(p11->C_SignFinal(s, ours, &len), CKR_OK);
                } else {
                    assert_int_equal(p11->C_Sign(s, data, dlen, ours, &len),
                                     CKR_OK);
                }
                assert_int_equal(len, tlen);
                assert_memory_equal(ours, theirs, tlen);
                assert_int_equal(p11->C_VerifyInit(s, &m, h), CKR_OK);
                assert_int_equal(p11->C_Verify(s, data, dlen, theirs, tlen),
                                 CKR_OK);
            }
        }
        assert_int_equal(p11->C_DestroyObject(s, h), CKR_OK);
    }
}

static void sign_and_verify_rules(void **state)
{
    CK_OBJECT_HANDLE key = p11_import(s, CKK_GENERIC_SECRET, tc1_key, 20, NULL, 0);
    CK_MECHANISM m = {CKM_SHA256_HMAC, NULL, 0};
    unsigned char out[64], bad[32];
    CK_ULONG len = 0;

    /* A length query and a short buffer leave the operation running. */
    assert_int_equal(p11->C_SignInit(s, &m, key), CKR_OK);
    assert_int_equal(p11->C_SignInit(s, &m, key), CKR_OPERATION_ACTIVE);
    assert_int_equal(p11->C_Sign(s, (CK_BYTE_PTR)tc1_data, 8, NULL, &len), CKR_OK);
    assert_int_equal(len, 32);
    len = 31;
    assert_int_equal(p11->C_Sign(s, (CK_BYTE_PTR)tc1_data, 8, out, &len),
                     CKR_BUFFER_TOO_SMALL);
    assert_int_equal(len, 32);
    assert_int_equal(p11->C_Sign(s, (CK_BYTE_PTR)tc1_data, 8, out, &len), CKR_OK);
    assert_memory_equal(out, tc1_sha256, 32);
    assert_int_equal(p11->C_Sign(s, (CK_BYTE_PTR)tc1_data, 8, out, &len),
                     CKR_OPERATION_NOT_INITIALIZED);

    /* Multi-part gives the same MAC. */
    assert_int_equal(p11->C_SignInit(s, &m, key), CKR_OK);
    assert_int_equal(p11->C_SignUpdate(s, (CK_BYTE_PTR) "Hi ", 3), CKR_OK);
    assert_int_equal(p11->C_SignUpdate(s, (CK_BYTE_PTR) "There", 5), CKR_OK);
    len = sizeof(out);
    assert_int_equal(p11->C_SignFinal(s, out, &len), CKR_OK);
    assert_memory_equal(out, tc1_sha256, 32);

    assert_int_equal(p11->C_VerifyInit(s, &m, key), CKR_OK);
    assert_int_equal(p11->C_Verify(s, (CK_BYTE_PTR)tc1_data, 8,
                                   (CK_BYTE_PTR)tc1_sha256, 32), CKR_OK);
    memcpy(bad, tc1_sha256, 32);
    bad[31] ^= 1;
    assert_int_equal(p11->C_VerifyInit(s, &m, key), CKR_OK);
    assert_int_equal(p11->C_Verify(s, (CK_BYTE_PTR)tc1_data, 8, bad, 32),
                     CKR_SIGNATURE_INVALID);
    assert_int_equal(p11->C_VerifyInit(s, &m, key), CKR_OK);
    assert_int_equal(p11->C_Verify(s, (CK_BYTE_PTR)tc1_data, 8, bad, 31),
                     CKR_SIGNATURE_LEN_RANGE);
    /* ... and each error ended the operation. */
    assert_int_equal(p11->C_VerifyFinal(s, bad, 32),
                     CKR_OPERATION_NOT_INITIALIZED);
    assert_int_equal(p11->C_VerifyInit(s, &m, key), CKR_OK);
    assert_int_equal(p11->C_VerifyUpdate(s, (CK_BYTE_PTR)tc1_data, 8), CKR_OK);
    assert_int_equal(p11->C_VerifyFinal(s, (CK_BYTE_PTR)tc1_sha256, 32), CKR_OK);

    /* A search and a MAC may run side by side: one operation per kind. */
    assert_int_equal(p11->C_SignInit(s, &m, key), CKR_OK);
    assert_int_equal(p11->C_FindObjectsInit(s, NULL, 0), CKR_OK);
    len = sizeof(out);
    assert_int_equal(p11->C_Sign(s, (CK_BYTE_PTR)tc1_data, 8, out, &len), CKR_OK);
    assert_memory_equal(out, tc1_sha256, 32);
    assert_int_equal(p11->C_FindObjectsFinal(s), CKR_OK);

    assert_int_equal(p11->C_SignInit(s, &m, 9999), CKR_KEY_HANDLE_INVALID);
    m.mechanism = CKM_MD5_HMAC;
    assert_int_equal(p11->C_SignInit(s, &m, key), CKR_MECHANISM_INVALID);
}

static void roles(void **state)
{
    CK_ATTRIBUTE kdf[] = {{CKA_DERIVE, &yes, sizeof(yes)}};
    CK_ATTRIBUTE both[] = {{CKA_DERIVE, &yes, sizeof(yes)},
                           {CKA_SIGN, &yes, sizeof(yes)}};
    CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
    CK_KEY_TYPE type = CKK_GENERIC_SECRET;
    CK_ATTRIBUTE create_both[] = {{CKA_CLASS, &cls, sizeof(cls)},
                                  {CKA_KEY_TYPE, &type, sizeof(type)},
                                  {CKA_VALUE, (void *)tc1_key, 20},
                                  {CKA_DERIVE, &yes, 1}, {CKA_SIGN, &yes, 1}};
    CK_MECHANISM m = {CKM_SHA256_HMAC, NULL, 0};
    CK_OBJECT_HANDLE k_kdf = p11_import(s, CKK_GENERIC_SECRET, tc1_key, 20, kdf, 1);
    CK_OBJECT_HANDLE k_open = p11_import(s, CKK_GENERIC_SECRET, tc1_key, 20, NULL, 0);
    CK_BBOOL sign = 0, derive = 0;
    CK_ATTRIBUTE flags[] = {{CKA_SIGN, &sign, 1}, {CKA_DERIVE, &derive, 1}};
    CK_OBJECT_HANDLE h;

    (void)both;
    assert_int_equal(p11->C_SignInit(s, &m, k_kdf), CKR_KEY_FUNCTION_NOT_PERMITTED);
    assert_int_equal(p11->C_GetAttributeValue(s, k_open, flags, 2), CKR_OK);
    assert_true(sign && derive); /* open: both until first use */
    assert_int_equal(p11->C_SignInit(s, &m, k_open), CKR_OK);
    assert_int_equal(p11->C_GetAttributeValue(s, k_open, flags, 2), CKR_OK);
    assert_true(sign);
    assert_false(derive); /* the first use fixed the HMAC role */
    assert_int_equal(p11->C_CreateObject(s, create_both, 5, &h),
                     CKR_TEMPLATE_INCONSISTENT);
}

static void attribute_batches(void **state)
{
    CK_ATTRIBUTE sens[] = {{CKA_SENSITIVE, &yes, sizeof(yes)}};
    CK_OBJECT_HANDLE secret = p11_import(s, CKK_GENERIC_SECRET, tc1_key, 20,
                                         sens, 1);
    CK_OBJECT_HANDLE plain = p11_import(s, CKK_GENERIC_SECRET, tc1_key, 20,
                                        NULL, 0);
    CK_ULONG value_len = 0, cls = 0;
    unsigned char value[20], small[4];
    CK_BBOOL local = 1, always = 1, never = 1;
    CK_ATTRIBUTE batch[] = {
        {CKA_VALUE, value, sizeof(value)},
        {CKA_CLASS, &cls, sizeof(cls)},
        {0x7fff0000UL, small, sizeof(small)}, /* no such attribute */
        {CKA_VALUE_LEN, &value_len, sizeof(value_len)},
    };
    CK_ATTRIBUTE provenance[] = {
        {CKA_LOCAL, &local, 1},
        {CKA_ALWAYS_SENSITIVE, &always, 1},
        {CKA_NEVER_EXTRACTABLE, &never, 1},
    };
    CK_ATTRIBUTE too_small = {CKA_VALUE, small, sizeof(small)};
    CK_ATTRIBUTE id = {CKA_ID, NULL, 0};

    /* Every entry is visited; one error code at the end. */
    assert_int_equal(p11->C_GetAttributeValue(s, secret, batch, 4),
                     CKR_ATTRIBUTE_SENSITIVE);
    assert_int_equal(batch[0].ulValueLen, CK_UNAVAILABLE_INFORMATION);
    assert_int_equal(cls, CKO_SECRET_KEY);
    assert_int_equal(batch[2].ulValueLen, CK_UNAVAILABLE_INFORMATION);
    assert_int_equal(value_len, 20);
    /* An imported, non-sensitive key is readable; provenance is FALSE. */
    batch[0].ulValueLen = sizeof(value);
    assert_int_equal(p11->C_GetAttributeValue(s, plain, batch, 2), CKR_OK);
    assert_memory_equal(value, tc1_key, 20);
    assert_int_equal(p11->C_GetAttributeValue(s, plain, &too_small, 1),
                     CKR_BUFFER_TOO_SMALL);
    assert_int_equal(p11->C_GetAttributeValue(s, plain, provenance, 3), CKR_OK);
    assert_false(local || always || never);
    assert_int_equal(p11->C_GetAttributeValue(s, plain, &id, 1), CKR_OK);
    assert_int_equal(id.ulValueLen, 0);
    {
        /* CKA_UNIQUE_ID: present, different per object, read-only. */
        char u1[32] = {0}, u2[32] = {0};
        CK_ATTRIBUTE a1 = {CKA_UNIQUE_ID, u1, sizeof(u1) - 1};
        CK_ATTRIBUTE a2 = {CKA_UNIQUE_ID, u2, sizeof(u2) - 1};
        assert_int_equal(p11->C_GetAttributeValue(s, plain, &a1, 1), CKR_OK);
        assert_int_equal(p11->C_GetAttributeValue(s, secret, &a2, 1), CKR_OK);
        assert_true(a1.ulValueLen > 0);
        assert_string_not_equal(u1, u2);
        assert_int_equal(p11->C_SetAttributeValue(s, plain, &a2, 1),
                         CKR_ATTRIBUTE_READ_ONLY);
    }
    assert_int_equal(p11->C_GetAttributeValue(s, 9999, &id, 1),
                     CKR_OBJECT_HANDLE_INVALID);
}

/* CKA_UNIQUE_ID counts up in decimal, one per object made, across the
 * places where a digit is added (9 to 10, 99 to 100, 999 to 1000), and
 * an object's id never changes once given. */
static void unique_ids_count_in_decimal(void **state)
{
    char first[32] = {0}, text[32];
    CK_ATTRIBUTE get = {CKA_UNIQUE_ID, first, sizeof(first) - 1};
    CK_OBJECT_HANDLE key = p11_import(s, CKK_GENERIC_SECRET, tc1_key, 20, NULL, 0);
    unsigned long base;

    assert_int_equal(p11->C_GetAttributeValue(s, key, &get, 1), CKR_OK);
    assert_true(get.ulValueLen > 0 && strspn(first, "0123456789") == get.ulValueLen);
    base = strtoul(first, NULL, 10);
    for (unsigned long i = 1; i <= 1200; i++) {
        CK_OBJECT_HANDLE next = p11_import(s, CKK_GENERIC_SECRET, tc1_key, 20,
                                           NULL, 0);
        memset(text, 0, sizeof(text));
        get = (CK_ATTRIBUTE){CKA_UNIQUE_ID, text, sizeof(text) - 1};
        assert_int_equal(p11->C_GetAttributeValue(s, next, &get, 1), CKR_OK);
        char want[32];
        snprintf(want, sizeof(want), "%lu", base + i);
        assert_string_equal(text, want);
        assert_int_equal(p11->C_DestroyObject(s, next), CKR_OK);
    }
    memset(text, 0, sizeof(text));
    get = (CK_ATTRIBUTE){CKA_UNIQUE_ID, text, sizeof(text) - 1};
    assert_int_equal(p11->C_GetAttributeValue(s, key, &get, 1), CKR_OK);
    assert_string_equal(text, first);
}

static void set_attribute_rules(void **state)
{
    CK_OBJECT_HANDLE key = p11_import(s, CKK_GENERIC_SECRET, tc1_key, 20, NULL, 0);
    CK_ATTRIBUTE label = {CKA_LABEL, "renamed", 7};
    CK_ATTRIBUTE id = {CKA_ID, "\x01", 1};
    CK_ATTRIBUTE sens_on = {CKA_SENSITIVE, &yes, 1};
    CK_ATTRIBUTE sens_off = {CKA_SENSITIVE, &no, 1};
    CK_ATTRIBUTE extract_on = {CKA_EXTRACTABLE, &yes, 1};
    CK_ATTRIBUTE mixed[] = {{CKA_LABEL, "partial", 7}, {CKA_LOCAL, &yes, 1}};
    char buf[16];
    CK_ATTRIBUTE get = {CKA_LABEL, buf, sizeof(buf)};
    unsigned char value[20];
    CK_ATTRIBUTE get_value = {CKA_VALUE, value, sizeof(value)};

    assert_int_equal(p11->C_SetAttributeValue(s, key, &label, 1), CKR_OK);
    assert_int_equal(p11->C_SetAttributeValue(s, key, &id, 1),
                     CKR_ATTRIBUTE_READ_ONLY);
    /* All or nothing: the label is not changed by a refused batch. */
    assert_int_equal(p11->C_SetAttributeValue(s, key, mixed, 2),
                     CKR_ATTRIBUTE_READ_ONLY);
    assert_int_equal(p11->C_GetAttributeValue(s, key, &get, 1), CKR_OK);
    assert_int_equal(get.ulValueLen, 7);
    assert_memory_equal(buf, "renamed", 7);
    /* One-way flags. */
    assert_int_equal(p11->C_SetAttributeValue(s, key, &sens_on, 1), CKR_OK);
    assert_int_equal(p11->C_SetAttributeValue(s, key, &sens_off, 1),
                     CKR_ATTRIBUTE_READ_ONLY);
    assert_int_equal(p11->C_GetAttributeValue(s, key, &get_value, 1),
                     CKR_ATTRIBUTE_SENSITIVE);
    assert_int_equal(p11->C_SetAttributeValue(s, key, &extract_on, 1), CKR_OK);
}

static void create_rules(void **state)
{
    CK_OBJECT_CLASS cls = CKO_SECRET_KEY, pub = CKO_PUBLIC_KEY;
    CK_KEY_TYPE generic = CKK_GENERIC_SECRET, aes = CKK_AES, rsa = CKK_RSA;
    CK_OBJECT_HANDLE h;
    static const struct {
        const char *name;
        CK_ATTRIBUTE extra;
        CK_RV want;
    } cases[] = {
        {"CKA_ID", {CKA_ID, "\x01", 1}, CKR_ATTRIBUTE_READ_ONLY},
        {"CKA_TOKEN TRUE", {CKA_TOKEN, &yes, 1}, CKR_TEMPLATE_INCONSISTENT},
        {"CKA_LOCAL", {CKA_LOCAL, &no, 1}, CKR_ATTRIBUTE_READ_ONLY},
        {"CKA_ALWAYS_SENSITIVE", {CKA_ALWAYS_SENSITIVE, &no, 1},
         CKR_ATTRIBUTE_READ_ONLY},
        {"CKA_ENCRYPT", {CKA_ENCRYPT, &yes, 1}, CKR_TEMPLATE_INCONSISTENT},
        {"CKA_COPYABLE", {CKA_COPYABLE, &yes, 1}, CKR_TEMPLATE_INCONSISTENT},
        {"bad bool", {CKA_SIGN, &yes, 4}, CKR_ATTRIBUTE_VALUE_INVALID},
        {"unknown", {0x7fff0000UL, &yes, 1}, CKR_ATTRIBUTE_TYPE_INVALID},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        CK_ATTRIBUTE t[] = {{CKA_CLASS, &cls, sizeof(cls)},
                            {CKA_KEY_TYPE, &generic, sizeof(generic)},
                            {CKA_VALUE, (void *)tc1_key, 20}, cases[i].extra};
        CHECK_CASE(cases[i].name, p11->C_CreateObject(s, t, 4, &h) == cases[i].want);
    }
    {
        static unsigned char big[4096 + 1]; /* IMPORT_KEY_MAX + 1 */
        CK_ATTRIBUTE empty_key[] = {{CKA_CLASS, &cls, sizeof(cls)},
                                    {CKA_KEY_TYPE, &generic, sizeof(generic)},
                                    {CKA_VALUE, (void *)tc1_key, 0}};
        CK_ATTRIBUTE long_key[] = {{CKA_CLASS, &cls, sizeof(cls)},
                                   {CKA_KEY_TYPE, &generic, sizeof(generic)},
                                   {CKA_VALUE, big, sizeof(big)}};
        CK_ATTRIBUTE aes20[] = {{CKA_CLASS, &cls, sizeof(cls)},
                                {CKA_KEY_TYPE, &aes, sizeof(aes)},
                                {CKA_VALUE, (void *)tc1_key, 20}};
        CK_ATTRIBUTE rsa_key[] = {{CKA_CLASS, &cls, sizeof(cls)},
                                  {CKA_KEY_TYPE, &rsa, sizeof(rsa)},
                                  {CKA_VALUE, (void *)tc1_key, 20}};
        CK_ATTRIBUTE public[] = {{CKA_CLASS, &pub, sizeof(pub)},
                                 {CKA_KEY_TYPE, &generic, sizeof(generic)},
                                 {CKA_VALUE, (void *)tc1_key, 20}};
        CK_ATTRIBUTE no_value[] = {{CKA_CLASS, &cls, sizeof(cls)},
                                   {CKA_KEY_TYPE, &generic, sizeof(generic)}};
        CK_ATTRIBUTE twice[] = {{CKA_CLASS, &cls, sizeof(cls)},
                                {CKA_KEY_TYPE, &generic, sizeof(generic)},
                                {CKA_VALUE, (void *)tc1_key, 20},
                                {CKA_SIGN, &yes, 1}, {CKA_SIGN, &no, 1}};
        /* an HMAC key of any length but none, up to 4,096 bytes */
        assert_int_equal(p11->C_CreateObject(s, empty_key, 3, &h),
                         CKR_ATTRIBUTE_VALUE_INVALID);
        assert_int_equal(p11->C_CreateObject(s, long_key, 3, &h),
                         CKR_ATTRIBUTE_VALUE_INVALID);
        assert_int_equal(p11->C_CreateObject(s, aes20, 3, &h),
                         CKR_ATTRIBUTE_VALUE_INVALID);
        assert_int_equal(p11->C_CreateObject(s, rsa_key, 3, &h),
                         CKR_ATTRIBUTE_VALUE_INVALID);
        assert_int_equal(p11->C_CreateObject(s, public, 3, &h),
                         CKR_ATTRIBUTE_VALUE_INVALID);
        assert_int_equal(p11->C_CreateObject(s, no_value, 2, &h),
                         CKR_TEMPLATE_INCOMPLETE);
        assert_int_equal(p11->C_CreateObject(s, twice, 5, &h),
                         CKR_TEMPLATE_INCONSISTENT);
    }
}

static void generate_templates_refused_before_the_kp(void **state)
{
    static char long_id[256];
    CK_MECHANISM gen = {CKM_GENERIC_SECRET_KEY_GEN, NULL, 0};
    CK_MECHANISM aes = {CKM_AES_KEY_GEN, NULL, 0};
    CK_MECHANISM bad = {CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0};
    CK_ULONG len32 = 32, len8 = 8, len20 = 20;
    CK_KEY_TYPE aes_type = CKK_AES;
    CK_OBJECT_HANDLE h;
    CK_SESSION_HANDLE ro;
    CK_ATTRIBUTE insensitive[] = {{CKA_SENSITIVE, &no, 1}};
    CK_ATTRIBUTE extractable[] = {{CKA_EXTRACTABLE, &yes, 1}};
    CK_ATTRIBUTE with_id[] = {{CKA_ID, "\x01", 1}};
    CK_ATTRIBUTE tiny[] = {{CKA_VALUE_LEN, &len8, sizeof(len8)}};
    CK_ATTRIBUTE aes20[] = {{CKA_VALUE_LEN, &len20, sizeof(len20)}};
    CK_ATTRIBUTE wrong_type[] = {{CKA_KEY_TYPE, &aes_type, sizeof(aes_type)},
                                 {CKA_VALUE_LEN, &len32, sizeof(len32)}};
    CK_ATTRIBUTE both_roles[] = {{CKA_SIGN, &yes, 1}, {CKA_DERIVE, &yes, 1},
                                 {CKA_VALUE_LEN, &len32, sizeof(len32)}};
    CK_ATTRIBUTE session_key[] = {{CKA_TOKEN, &no, 1},
                                  {CKA_VALUE_LEN, &len32, sizeof(len32)}};
    CK_ATTRIBUTE token_key[] = {{CKA_TOKEN, &yes, 1},
                                {CKA_VALUE_LEN, &len32, sizeof(len32)}};
    CK_ATTRIBUTE sized[] = {{CKA_VALUE_LEN, &len32, sizeof(len32)}};
    CK_ATTRIBUTE modifiable[] = {{CKA_VALUE_LEN, &len32, sizeof(len32)},
                                 {CKA_MODIFIABLE, &yes, 1}};
    /* Found by fuzz-template: an empty remote given as {NULL, 0}. */
    CK_ATTRIBUTE empty_remote[] = {{CKA_VALUE_LEN, &len32, sizeof(len32)},
                                   {CKA_SKIP_REMOTE_SYSTEM_ID, NULL, 0}};
    CK_ATTRIBUTE long_remote[] = {{CKA_VALUE_LEN, &len32, sizeof(len32)},
                                  {CKA_SKIP_REMOTE_SYSTEM_ID, long_id, 256}};

    assert_int_equal(p11->C_GenerateKey(s, &gen, insensitive, 1, &h),
                     CKR_TEMPLATE_INCONSISTENT);
    assert_int_equal(p11->C_GenerateKey(s, &gen, extractable, 1, &h),
                     CKR_TEMPLATE_INCONSISTENT);
    assert_int_equal(p11->C_GenerateKey(s, &gen, with_id, 1, &h),
                     CKR_ATTRIBUTE_READ_ONLY);
    assert_int_equal(p11->C_GenerateKey(s, &gen, tiny, 1, &h),
                     CKR_ATTRIBUTE_VALUE_INVALID);
    assert_int_equal(p11->C_GenerateKey(s, &aes, aes20, 1, &h),
                     CKR_ATTRIBUTE_VALUE_INVALID);
    assert_int_equal(p11->C_GenerateKey(s, &gen, NULL, 0, &h),
                     CKR_TEMPLATE_INCOMPLETE);
    /* a SKIP key's label may change: accepted, so the offline KP is asked */
    assert_int_equal(p11->C_GenerateKey(s, &gen, modifiable, 2, &h),
                     CKR_DEVICE_ERROR);
    assert_int_equal(p11->C_GenerateKey(s, &gen, empty_remote, 2, &h),
                     CKR_ATTRIBUTE_VALUE_INVALID);
    assert_int_equal(p11->C_GenerateKey(s, &gen, long_remote, 2, &h),
                     CKR_ATTRIBUTE_VALUE_INVALID);
    assert_int_equal(p11->C_FindObjectsInit(s, empty_remote + 1, 1),
                     CKR_ATTRIBUTE_VALUE_INVALID);
    assert_int_equal(p11->C_GenerateKey(s, &gen, wrong_type, 2, &h),
                     CKR_TEMPLATE_INCONSISTENT);
    assert_int_equal(p11->C_GenerateKey(s, &gen, both_roles, 3, &h),
                     CKR_TEMPLATE_INCONSISTENT);
    assert_int_equal(p11->C_GenerateKey(s, &bad, NULL, 0, &h),
                     CKR_MECHANISM_INVALID);
    /* A token key needs a RW session; the KP (offline here) is not asked. */
    assert_int_equal(p11->C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, &ro),
                     CKR_OK);
    assert_int_equal(p11->C_GenerateKey(ro, &gen, token_key, 2, &h),
                     CKR_SESSION_READ_ONLY);
    /* A session key in a RO session goes to the KP: offline, so a device
     * error, not a session error; CKA_TOKEN's default is FALSE. */
    assert_int_equal(p11->C_GenerateKey(ro, &gen, session_key, 2, &h),
                     CKR_DEVICE_ERROR);
    assert_int_equal(p11->C_GenerateKey(ro, &gen, sized, 1, &h),
                     CKR_DEVICE_ERROR);
}

static void find_and_destroy(void **state)
{
    CK_ATTRIBUTE labelled[] = {{CKA_LABEL, "mac-key", 7}};
    CK_OBJECT_HANDLE a = p11_import(s, CKK_GENERIC_SECRET, tc1_key, 20,
                                    labelled, 1);
    CK_OBJECT_HANDLE b = p11_import(s, CKK_SHA256_HMAC, tc1_key, 20, NULL, 0);
    CK_OBJECT_HANDLE found[4];
    CK_ULONG n = 0;
    CK_KEY_TYPE hmac_type = CKK_SHA256_HMAC;
    CK_ATTRIBUTE by_type = {CKA_KEY_TYPE, &hmac_type, sizeof(hmac_type)};
    CK_ATTRIBUTE by_value = {CKA_VALUE, (void *)tc1_key, 20};
    CK_ATTRIBUTE sensitive = {CKA_SENSITIVE, &yes, 1};

    assert_int_equal(p11->C_FindObjectsInit(s, labelled, 1), CKR_OK);
    assert_int_equal(p11->C_FindObjectsInit(s, labelled, 1), CKR_OPERATION_ACTIVE);
    assert_int_equal(p11->C_FindObjects(s, found, 4, &n), CKR_OK);
    assert_int_equal(n, 1);
    assert_int_equal(found[0], a);
    assert_int_equal(p11->C_FindObjects(s, found, 4, &n), CKR_OK);
    assert_int_equal(n, 0);
    assert_int_equal(p11->C_FindObjectsFinal(s), CKR_OK);
    assert_int_equal(p11->C_FindObjectsFinal(s), CKR_OPERATION_NOT_INITIALIZED);
    assert_int_equal(p11->C_FindObjectsInit(s, &by_type, 1), CKR_OK);
    assert_int_equal(p11->C_FindObjects(s, found, 4, &n), CKR_OK);
    assert_int_equal(n, 1);
    assert_int_equal(found[0], b);
    assert_int_equal(p11->C_FindObjectsFinal(s), CKR_OK);
    /* CKA_VALUE matches only where it could be read: the two readable
     * keys, never the sensitive one (a search is no oracle for it). */
    p11_import(s, CKK_GENERIC_SECRET, tc1_key, 20, &sensitive, 1);
    assert_int_equal(p11->C_FindObjectsInit(s, &by_value, 1), CKR_OK);
    assert_int_equal(p11->C_FindObjects(s, found, 4, &n), CKR_OK);
    assert_int_equal(n, 2);
    assert_int_equal(p11->C_FindObjectsFinal(s), CKR_OK);

    assert_int_equal(p11->C_DestroyObject(s, a), CKR_OK);
    assert_int_equal(p11->C_DestroyObject(s, a), CKR_OBJECT_HANDLE_INVALID);
    /* Session objects die with their session. */
    assert_int_equal(p11->C_CloseSession(s), CKR_OK);
    assert_int_equal(p11->C_OpenSession(0, CKF_SERIAL_SESSION | CKF_RW_SESSION,
                                        NULL, NULL, &s), CKR_OK);
    assert_int_equal(p11->C_GetAttributeValue(s, b, &by_type, 1),
                     CKR_OBJECT_HANDLE_INVALID);
}

/* An empty byte array may come as {NULL, 0}: an empty label. */
static void empty_label_without_a_buffer(void **state)
{
    CK_ATTRIBUTE no_buffer[] = {{CKA_LABEL, NULL, 0}};
    CK_OBJECT_HANDLE h = p11_import(s, CKK_GENERIC_SECRET, tc1_key, 20,
                                    no_buffer, 1);
    CK_ATTRIBUTE get = {CKA_LABEL, NULL, 99};
    CK_OBJECT_HANDLE found[2];
    CK_ULONG n = 9;

    assert_int_equal(p11->C_GetAttributeValue(s, h, &get, 1), CKR_OK);
    assert_int_equal(get.ulValueLen, 0);
    assert_int_equal(p11->C_FindObjectsInit(s, no_buffer, 1), CKR_OK);
    assert_int_equal(p11->C_FindObjects(s, found, 2, &n), CKR_OK);
    assert_int_equal(n, 1);
    assert_int_equal(found[0], h);
    assert_int_equal(p11->C_FindObjectsFinal(s), CKR_OK);
}

/* Closing a session destroys its own session objects, in any order of
 * creation and destruction, and nothing of another session's. */
static void closing_a_session_ends_only_its_objects(void **state)
{
    CK_SESSION_HANDLE other;
    CK_OBJECT_HANDLE mine[4], theirs[3];
    CK_ULONG len;
    CK_ATTRIBUTE get = {CKA_VALUE_LEN, &len, sizeof(len)};

    assert_int_equal(p11->C_OpenSession(0, CKF_SERIAL_SESSION | CKF_RW_SESSION,
                                        NULL, NULL, &other), CKR_OK);
    for (int i = 0; i < 4; i++)
        mine[i] = p11_import(s, CKK_GENERIC_SECRET, tc1_key, 20, NULL, 0);
    for (int i = 0; i < 3; i++)
        theirs[i] = p11_import(other, CKK_GENERIC_SECRET, tc1_key, 20, NULL, 0);
    /* Unlink from the head, the middle and the tail of each list. */
    assert_int_equal(p11->C_DestroyObject(s, mine[3]), CKR_OK);
    assert_int_equal(p11->C_DestroyObject(s, mine[1]), CKR_OK);
    assert_int_equal(p11->C_DestroyObject(other, theirs[0]), CKR_OK);
    assert_int_equal(p11->C_CloseSession(other), CKR_OK);
    for (int i = 0; i < 3; i++)
        assert_int_equal(p11->C_GetAttributeValue(s, theirs[i], &get, 1),
                         CKR_OBJECT_HANDLE_INVALID);
    assert_int_equal(p11->C_GetAttributeValue(s, mine[0], &get, 1), CKR_OK);
    assert_int_equal(p11->C_GetAttributeValue(s, mine[2], &get, 1), CKR_OK);
    assert_int_equal(p11->C_GetAttributeValue(s, mine[1], &get, 1),
                     CKR_OBJECT_HANDLE_INVALID);
}

/* SKIP_PKCS11_DEBUG=entry: each call with its mechanism's name and its
 * template's attribute types, never a value (here CKA_VALUE's bytes, in
 * binary or hex, and the label). */
static void debug_entry_names_types_never_values(void **state)
{
    static const char secret[] = "SECRET-key-bytes-0123456789abcd";
    CK_MECHANISM hmac = {CKM_SHA256_HMAC, NULL, 0};
    CK_ATTRIBUTE label = {CKA_LABEL, "my-label", 8};
    char path[] = "/tmp/skip-debug-XXXXXX", log[8192], hex[2 * sizeof(secret) + 1];
    int fd = mkstemp(path), saved = dup(2);
    CK_OBJECT_HANDLE h;
    size_t n;
    FILE *f;

    (void)state;
    assert_true(fd >= 0 && saved >= 0);
    p11_fixture_close();
    setenv("SKIP_PKCS11_DEBUG", "entry", 1);
    fflush(stderr);
    dup2(fd, 2);
    p11_fixture_open(&s);
    h = p11_import(s, CKK_GENERIC_SECRET, secret, 31, &label, 1);
    assert_int_equal(p11->C_SignInit(s, &hmac, h), CKR_OK);
    p11_fixture_close();
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    unsetenv("SKIP_PKCS11_DEBUG");
    f = fdopen(fd, "r");
    rewind(f);
    n = fread(log, 1, sizeof(log) - 1, f);
    log[n] = '\0';
    fclose(f);
    unlink(path);
    assert_non_null(strstr(log, "C_CreateObject args: template of 4: CKA_CLASS "
                                "CKA_KEY_TYPE CKA_VALUE CKA_LABEL"));
    assert_non_null(strstr(log, "C_SignInit args: mechanism CKM_SHA256_HMAC"));
    assert_non_null(strstr(log, "C_SignInit out: CKR_OK"));
    assert_null(strstr(log, "SECRET-key"));
    assert_null(strstr(log, "my-label"));
    skip_hex_encode((const unsigned char *)secret, 31, hex);
    assert_null(strstr(log, hex));
    p11_fixture_open(&s); /* as the teardown expects */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(hmac_matches_openssl, setup, teardown),
        cmocka_unit_test_setup_teardown(hmac_known_answers, setup, teardown),
        cmocka_unit_test_setup_teardown(sign_and_verify_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(roles, setup, teardown),
        cmocka_unit_test_setup_teardown(attribute_batches, setup, teardown),
        cmocka_unit_test_setup_teardown(set_attribute_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(unique_ids_count_in_decimal, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(create_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(generate_templates_refused_before_the_kp,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(find_and_destroy, setup, teardown),
        cmocka_unit_test_setup_teardown(closing_a_session_ends_only_its_objects,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(empty_label_without_a_buffer, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(debug_entry_names_types_never_values,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
