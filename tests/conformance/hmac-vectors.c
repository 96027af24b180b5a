/* SPDX-License-Identifier: BSD-3-Clause */
/* HMAC on imported generic-secret keys of any length: the RFC 4231 test
 * cases (keys of 20, 4, 20, 25, 20 and 131 bytes; HMAC-SHA-256 known
 * answers, SHA-384 and SHA-512 against OpenSSL), single- and multi-part,
 * sign and verify; then keys of 1 and 4,096 bytes against OpenSSL. The
 * standard sets no key length for CKM_SHA*_HMAC; HMAC itself (RFC 2104)
 * takes any. */
#include "config.h"
#include "suite.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>

#include "skip/hex.h"

struct vector {
    const char *name;
    unsigned char key_byte; /* the key is key_len of these, unless key */
    size_t key_len;
    const char *key;        /* a key given as text */
    const char *data;       /* text, or data_len bytes of data_byte */
    unsigned char data_byte;
    size_t data_len;
    const char *sha256;     /* RFC 4231's HMAC-SHA-256 */
    size_t mac_len;         /* 16 for the truncated case */
};

/* RFC 4231 section 4 (test case 4's key is 0x01..0x19, made below). */
static const struct vector vectors[] = {
    {"RFC 4231 case 1", 0x0b, 20, NULL, "Hi There", 0, 0,
     "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7", 32},
    {"RFC 4231 case 2", 0, 4, "Jefe", "what do ya want for nothing?", 0, 0,
     "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", 32},
    {"RFC 4231 case 3", 0xaa, 20, NULL, NULL, 0xdd, 50,
     "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe", 32},
    {"RFC 4231 case 4", 0, 25, NULL, NULL, 0xcd, 50,
     "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b", 32},
    {"RFC 4231 case 5", 0x0c, 20, NULL, "Test With Truncation", 0, 0,
     "a3b6167473100ee06e0c796c2955552b", 16},
    {"RFC 4231 case 6", 0xaa, 131, NULL,
     "Test Using Larger Than Block-Size Key - Hash Key First", 0, 0,
     "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54", 32},
    {"RFC 4231 case 7", 0xaa, 131, NULL,
     "This is a test using a larger than block-size key and a larger than "
     "block-size data. The key needs to be hashed before being used by the "
     "HMAC algorithm.", 0, 0,
     "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2", 32},
};

static CK_OBJECT_HANDLE import_bytes(CK_SESSION_HANDLE s,
                                     const unsigned char *key, size_t len)
{
    CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
    CK_KEY_TYPE type = CKK_GENERIC_SECRET;
    CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    CK_ATTRIBUTE t[] = {
        {CKA_CLASS, &cls, sizeof(cls)}, {CKA_KEY_TYPE, &type, sizeof(type)},
        {CKA_TOKEN, &no, 1}, {CKA_SIGN, &yes, 1}, {CKA_VERIFY, &yes, 1},
        {CKA_VALUE, (void *)key, len},
    };
    CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;

    EXPECT_RV(p11->C_CreateObject(s, t, 6, &h), CKR_OK);
    return h;
}

/* MAC of data under key h: single-part, or in two parts; *len in, out. */
static CK_RV mac_of(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h,
                    CK_MECHANISM *mech, const unsigned char *data,
                    size_t data_len, bool parts, unsigned char *mac,
                    CK_ULONG *len)
{
    CK_RV rv = p11->C_SignInit(s, mech, h);

    if (rv != CKR_OK)
        return rv;
    if (!parts)
        return p11->C_Sign(s, (CK_BYTE_PTR)data, data_len, mac, len);
    if ((rv = p11->C_SignUpdate(s, (CK_BYTE_PTR)data, data_len / 3)) != CKR_OK ||
        (rv = p11->C_SignUpdate(s, (CK_BYTE_PTR)data + data_len / 3,
                                data_len - data_len / 3)) != CKR_OK)
        return rv;
    return p11->C_SignFinal(s, mac, len);
}

/* SHA-256/384/512 of data under key (len bytes), through the token, each
 * single- and multi-part, against want256 (hex; NULL: OpenSSL's) and
 * OpenSSL's for the others; and the right MAC verifies. */
static void check_key(CK_SESSION_HANDLE s, const unsigned char *key,
                      size_t key_len, const unsigned char *data,
                      size_t data_len, const char *want256, size_t mac_len)
{
    static const struct {
        CK_MECHANISM_TYPE mech, general;
        const char *digest;
    } hashes[] = {{CKM_SHA256_HMAC, CKM_SHA256_HMAC_GENERAL, "SHA256"},
                  {CKM_SHA384_HMAC, CKM_SHA384_HMAC_GENERAL, "SHA384"},
                  {CKM_SHA512_HMAC, CKM_SHA512_HMAC_GENERAL, "SHA512"}};
    CK_OBJECT_HANDLE h = import_bytes(s, key, key_len);

    for (size_t i = 0; i < 3; i++) {
        unsigned char want[64], got[64];
        unsigned int want_len = 0;
        CK_ULONG general_len = mac_len;
        CK_MECHANISM mech = {hashes[i].mech, NULL, 0};
        char hex[129];

        HMAC(EVP_get_digestbyname(hashes[i].digest), key, (int)key_len, data,
             data_len, want, &want_len);
        if (i == 0 && want256) {
            skip_hex_encode(want, mac_len, hex);
            EXPECT(strcmp(hex, want256) == 0); /* OpenSSL agrees with the RFC */
        }
        if (mac_len < want_len) { /* the truncated case: _GENERAL */
            if (i > 0)
                continue;
            mech = (CK_MECHANISM){hashes[i].general, &general_len,
                                  sizeof(general_len)};
            want_len = (unsigned int)mac_len;
        }
        for (int parts = 0; parts < 2; parts++) {
            CK_ULONG len = sizeof(got);
            EXPECT_RV(mac_of(s, h, &mech, data, data_len, parts, got, &len),
                      CKR_OK);
            EXPECT(len == want_len && memcmp(got, want, want_len) == 0);
        }
        EXPECT_RV(p11->C_VerifyInit(s, &mech, h), CKR_OK);
        EXPECT_RV(p11->C_Verify(s, (CK_BYTE_PTR)data, data_len, want, want_len),
                  CKR_OK);
    }
}

static void hmac_rfc4231(void)
{
    CK_SESSION_HANDLE s = open_user();

    for (size_t v = 0; v < sizeof(vectors) / sizeof(vectors[0]); v++) {
        const struct vector *t = &vectors[v];
        unsigned char key[131], data[160];
        size_t data_len;

        if (t->key)
            memcpy(key, t->key, t->key_len);
        else
            for (size_t i = 0; i < t->key_len; i++)
                key[i] = t->key_byte ? t->key_byte : (unsigned char)(i + 1);
        if (t->data) {
            data_len = strlen(t->data);
            memcpy(data, t->data, data_len);
        } else {
            data_len = t->data_len;
            memset(data, t->data_byte, data_len);
        }
        check_key(s, key, t->key_len, data, data_len, t->sha256, t->mac_len);
        if (failure[0] != '\0') {
            printf("# in %s\n", t->name);
            break;
        }
    }
    EXPECT_RV(p11->C_CloseAllSessions(slot), CKR_OK);
}

/* Keys of 1 and 4,096 bytes, against OpenSSL. */
static void hmac_key_lengths(void)
{
    CK_SESSION_HANDLE s = open_user();
    static const size_t lengths[] = {1, 4096};
    unsigned char *key = malloc(4096);

    EXPECT(key != NULL);
    for (size_t i = 0; key && i < 2; i++) {
        for (size_t j = 0; j < lengths[i]; j++)
            key[j] = (unsigned char)(j * 7 + 3);
        check_key(s, key, lengths[i], (const unsigned char *)"key lengths", 11,
                  NULL, 64);
    }
    free(key);
    EXPECT_RV(p11->C_CloseAllSessions(slot), CKR_OK);
}

void hmac_vector_cases(void)
{
    run("hmac_rfc4231", hmac_rfc4231);
    run("hmac_key_lengths", hmac_key_lengths);
}
