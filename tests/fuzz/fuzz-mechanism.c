/* SPDX-License-Identifier: BSD-3-Clause */
/* Fuzz target: the module's C_DeriveKey parameter parsers (prf+, HKDF,
 * SP 800-108) and derived-key templates, through the real entry point on an
 * offline slot. The input chooses the mechanism and fills the parameter
 * structs; every pointer in them points into the input itself, since a
 * module cannot validate a caller's wild pointer, only lengths and values. */
#include "config.h"

#include "offline-slot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static CK_OBJECT_HANDLE generic_key, aes_key;

static void setup(void)
{
    offline_slot_open("");
    generic_key = offline_import(CKK_GENERIC_SECRET, 32);
    aes_key = offline_import(CKK_AES, 16);
}

static CK_ULONG ulong_from(struct input *in)
{
    CK_ULONG v = 0;

    for (int i = 0; i < 2; i++)
        v = v << 8 | byte(in);
    return v;
}

/* A pointer into the input and a length not past its end (or a lie about
 * the length, when the input asks, that still stays inside it). */
static void *span(struct input *in, CK_ULONG *len)
{
    size_t want = byte(in);
    void *p = (void *)in->p;

    if (want > in->left)
        want = in->left;
    *len = want;
    in->p += want;
    in->left -= want;
    return byte(in) & 1 ? NULL : p;
}

static const CK_MECHANISM_TYPE hashes[] = {
    CKM_SHA256, CKM_SHA384, CKM_SHA512, CKM_SHA256_HMAC, CKM_SHA384_HMAC,
    CKM_SHA512_HMAC, CKM_AES_CMAC, CKM_SHA_1_HMAC, CKM_MD5};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct input in = {data, size};
    CK_ULONG len = ulong_from(&in) % 200, extra_len = 16;
    CK_BBOOL no = CK_FALSE, yes = CK_TRUE;
    CK_ATTRIBUTE tmpl[] = {{CKA_VALUE_LEN, &len, sizeof(len)},
                           {CKA_SENSITIVE, &no, 1}, {CKA_EXTRACTABLE, &yes, 1}};
    CK_ATTRIBUTE extra_tmpl[] = {{CKA_VALUE_LEN, &extra_len, sizeof(extra_len)}};
    CK_OBJECT_HANDLE out = 0, extra_out[5] = {0};
    CK_IKE2_PRF_PLUS_DERIVE_PARAMS ike;
    CK_HKDF_PARAMS hkdf;
    CK_SP800_108_KDF_PARAMS kbkdf;
    CK_PRF_DATA_PARAM dp[6];
    CK_SP800_108_COUNTER_FORMAT cf[6];
    CK_SP800_108_DKM_LENGTH_FORMAT lf[6];
    CK_DERIVED_KEY extra[5];
    CK_MECHANISM m = {0};
    CK_OBJECT_HANDLE base;
    uint8_t choice;

    if (p11 == NULL)
        setup();
    choice = byte(&in);
    base = choice & 0x80 ? aes_key : generic_key;
    switch (choice % 5) {
    case 0:
    case 1:
        ike.prfMechanism = hashes[byte(&in) % 9];
        ike.bHasSeedKey = byte(&in) % 3;
        ike.hSeedKey = generic_key;
        ike.pSeedData = span(&in, &ike.ulSeedDataLen);
        m = (CK_MECHANISM){choice % 5 ? CKM_NSS_IKE_PRF_PLUS_DERIVE
                                      : CKM_IKE2_PRF_PLUS_DERIVE, &ike, sizeof(ike)};
        break;
    case 2:
        hkdf.bExtract = byte(&in) % 3;
        hkdf.bExpand = byte(&in) % 3;
        hkdf.prfHashMechanism = hashes[byte(&in) % 9];
        hkdf.ulSaltType = byte(&in) % 6;
        hkdf.pSalt = span(&in, &hkdf.ulSaltLen);
        hkdf.hSaltKey = generic_key;
        hkdf.pInfo = span(&in, &hkdf.ulInfoLen);
        m = (CK_MECHANISM){CKM_HKDF_DERIVE, &hkdf, sizeof(hkdf)};
        break;
    case 3:
        kbkdf.prfType = hashes[byte(&in) % 9];
        kbkdf.ulNumberOfDataParams = byte(&in) % 7;
        kbkdf.pDataParams = byte(&in) & 1 ? NULL : dp;
        for (size_t i = 0; i < 6; i++) {
            uint8_t kind = byte(&in);
            dp[i].type = kind % 7;
            cf[i] = (CK_SP800_108_COUNTER_FORMAT){byte(&in) % 3, byte(&in) % 72};
            lf[i] = (CK_SP800_108_DKM_LENGTH_FORMAT){byte(&in) % 4, byte(&in) % 3,
                                                     byte(&in) % 72};
            if (dp[i].type == CK_SP800_108_ITERATION_VARIABLE)
                dp[i].pValue = &cf[i], dp[i].ulValueLen = sizeof(cf[i]);
            else if (dp[i].type == CK_SP800_108_DKM_LENGTH)
                dp[i].pValue = &lf[i], dp[i].ulValueLen = sizeof(lf[i]);
            else
                dp[i].pValue = span(&in, &dp[i].ulValueLen);
            /* A wrong length for the struct it points at (byte arrays keep
             * their true length: a caller lying about its own buffer is out
             * of any module's reach). */
            if ((kind & 0x80) && (dp[i].type == CK_SP800_108_ITERATION_VARIABLE ||
                                  dp[i].type == CK_SP800_108_DKM_LENGTH))
                dp[i].ulValueLen = byte(&in) % sizeof(lf[i]);
        }
        kbkdf.ulAdditionalDerivedKeys = byte(&in) % 6;
        for (size_t i = 0; i < 5; i++)
            extra[i] = (CK_DERIVED_KEY){extra_tmpl, 1, &extra_out[i]};
        kbkdf.pAdditionalDerivedKeys = extra;
        m = (CK_MECHANISM){CKM_SP800_108_COUNTER_KDF, &kbkdf, sizeof(kbkdf)};
        break;
    default:
        m.mechanism = ulong_from(&in);
        m.pParameter = span(&in, &m.ulParameterLen);
    }
    /* A shorter length than the parameter's: the module must read no
     * further. (A longer one would be a caller lying about its own
     * buffer, which no module can catch; the first version of this
     * target did that and "found" its own overflow.) */
    if (byte(&in) & 1)
        m.ulParameterLen = byte(&in) % (m.ulParameterLen + 1);
    if (p11->C_DeriveKey(session, &m, base, tmpl, 3, &out) == CKR_OK) {
        p11->C_DestroyObject(session, out);
        for (size_t i = 0; i < 5; i++)
            if (extra_out[i] != CK_INVALID_HANDLE && m.mechanism == CKM_SP800_108_COUNTER_KDF &&
                i < kbkdf.ulAdditionalDerivedKeys)
                p11->C_DestroyObject(session, extra_out[i]);
    }
    return 0;
}
