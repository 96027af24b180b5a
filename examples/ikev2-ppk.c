/* SPDX-License-Identifier: BSD-3-Clause */
/* How an IKEv2 daemon uses a SKIP PPK (RFC 8784) without ever holding it.
 *
 *   ikev2-ppk MODULE initiator SK_D' SK_PI' SK_PR'
 *   ikev2-ppk MODULE responder KEYID SK_D' SK_PI' SK_PR'
 *
 * The initiator asks its KP for a fresh PPK (C_GenerateKey) and sends only
 * the keyId (CKA_ID) to its peer in IKE_AUTH; the responder finds the PPK
 * by that keyId (C_FindObjects). Both then compute, with HMAC-SHA-256 as
 * the IKE PRF,
 *     SK_d = prf+(PPK, SK_d'), SK_pi = prf+(PPK, SK_pi'), SK_pr = prf+(PPK, SK_pr')
 * as extractable derived keys (CKM_IKE2_PRF_PLUS_DERIVE) and read them;
 * the PPK itself stays in the token and is destroyed once used. Arguments
 * are hex; slot 0 of $SKIP_PKCS11_CONF is used. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pkcs11-3.h" /* installed beside this file; src/pkcs11/ in the source tree */

static CK_FUNCTION_LIST *p11;

static void check(const char *call, CK_RV rv)
{
    if (rv != CKR_OK) {
        fprintf(stderr, "%s failed: 0x%lx\n", call, rv);
        exit(1);
    }
}

static size_t from_hex(const char *hex, unsigned char *out, size_t cap)
{
    size_t n = strlen(hex) / 2;

    if (n > cap || strlen(hex) % 2)
        exit(2);
    for (size_t i = 0; i < n; i++)
        if (sscanf(hex + 2 * i, "%2hhx", &out[i]) != 1)
            exit(2);
    return n;
}

static void print_hex(const char *name, const unsigned char *data, size_t len)
{
    printf("%s ", name);
    for (size_t i = 0; i < len; i++)
        printf("%02x", data[i]);
    printf("\n");
}

/* prf+(PPK, seed) as a 32-byte extractable key, read back. */
static void prf_plus(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE ppk,
                     const char *name, const char *seed_hex)
{
    unsigned char seed[64], value[32];
    CK_IKE2_PRF_PLUS_DERIVE_PARAMS params = {
        .prfMechanism = CKM_SHA256_HMAC, /* PRF_HMAC_SHA2_256 */
        .bHasSeedKey = CK_FALSE,
        .pSeedData = seed,
        .ulSeedDataLen = from_hex(seed_hex, seed, sizeof(seed)),
    };
    CK_MECHANISM mech = {CKM_IKE2_PRF_PLUS_DERIVE, &params, sizeof(params)};
    CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
    CK_KEY_TYPE type = CKK_GENERIC_SECRET;
    CK_ULONG len = sizeof(value); /* the PRF's preferred key length */
    CK_BBOOL no = CK_FALSE, yes = CK_TRUE;
    CK_ATTRIBUTE tmpl[] = {
        {CKA_CLASS, &cls, sizeof(cls)}, {CKA_KEY_TYPE, &type, sizeof(type)},
        {CKA_VALUE_LEN, &len, sizeof(len)},
        {CKA_SENSITIVE, &no, 1}, {CKA_EXTRACTABLE, &yes, 1}, /* IKE needs them */
    };
    CK_ATTRIBUTE get = {CKA_VALUE, value, sizeof(value)};
    CK_OBJECT_HANDLE key;

    check("C_DeriveKey", p11->C_DeriveKey(s, &mech, ppk, tmpl, 5, &key));
    check("C_GetAttributeValue", p11->C_GetAttributeValue(s, key, &get, 1));
    check("C_DestroyObject", p11->C_DestroyObject(s, key));
    print_hex(name, value, get.ulValueLen);
}

int main(int argc, char **argv)
{
    CK_C_GetFunctionList get_list;
    CK_SESSION_HANDLE s;
    CK_OBJECT_HANDLE ppk;
    CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    unsigned char id[64];
    CK_ATTRIBUTE id_attr = {CKA_ID, id, sizeof(id)};
    int responder, seeds;
    void *lib;

    responder = argc == 7 && strcmp(argv[2], "responder") == 0;
    if (!(argc == 6 && strcmp(argv[2], "initiator") == 0) && !responder) {
        fprintf(stderr, "usage: ikev2-ppk MODULE initiator|responder [KEYID] "
                        "SK_D' SK_PI' SK_PR'\n");
        return 2;
    }
    lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    get_list = lib ? (CK_C_GetFunctionList)dlsym(lib, "C_GetFunctionList") : NULL;
    if (get_list == NULL) {
        fprintf(stderr, "cannot load %s\n", argv[1]);
        return 1;
    }
    check("C_GetFunctionList", get_list(&p11));
    check("C_Initialize", p11->C_Initialize(NULL));
    /* Read-write: the fetched PPK is a token object we destroy after use. */
    check("C_OpenSession", p11->C_OpenSession(0, CKF_SERIAL_SESSION | CKF_RW_SESSION,
                                              NULL, NULL, &s));

    if (!responder) {
        /* A session key in the KDF role: it dies with the session. */
        CK_MECHANISM gen = {CKM_GENERIC_SECRET_KEY_GEN, NULL, 0};
        CK_ULONG len = 32;
        CK_ATTRIBUTE tmpl[] = {{CKA_VALUE_LEN, &len, sizeof(len)},
                               {CKA_DERIVE, &yes, 1}, {CKA_TOKEN, &no, 1}};
        check("C_GenerateKey", p11->C_GenerateKey(s, &gen, tmpl, 3, &ppk));
        check("C_GetAttributeValue", p11->C_GetAttributeValue(s, ppk, &id_attr, 1));
        print_hex("keyid", id, id_attr.ulValueLen); /* to the peer */
        seeds = 3;
    } else {
        /* The keyId from the peer names the PPK at our KP. */
        CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
        CK_ATTRIBUTE find[] = {{CKA_CLASS, &cls, sizeof(cls)},
                               {CKA_ID, id, from_hex(argv[3], id, sizeof(id))},
                               {CKA_DERIVE, &yes, 1}};
        CK_ULONG n = 0;
        check("C_FindObjectsInit", p11->C_FindObjectsInit(s, find, 3));
        check("C_FindObjects", p11->C_FindObjects(s, &ppk, 1, &n));
        check("C_FindObjectsFinal", p11->C_FindObjectsFinal(s));
        if (n != 1) {
            fprintf(stderr, "no PPK for this keyId\n");
            return 1;
        }
        seeds = 4;
    }
    {
        /* The daemon cannot read the PPK, only use it. */
        unsigned char v[64];
        CK_ATTRIBUTE value = {CKA_VALUE, v, sizeof(v)};
        CK_RV rv = p11->C_GetAttributeValue(s, ppk, &value, 1);
        printf("ppk_value %s\n",
               rv == CKR_ATTRIBUTE_SENSITIVE ? "unreadable" : "READABLE");
    }
    prf_plus(s, ppk, "SK_d", argv[seeds]);
    prf_plus(s, ppk, "SK_pi", argv[seeds + 1]);
    prf_plus(s, ppk, "SK_pr", argv[seeds + 2]);
    check("C_DestroyObject", p11->C_DestroyObject(s, ppk)); /* done with it */
    check("C_CloseSession", p11->C_CloseSession(s));
    check("C_Finalize", p11->C_Finalize(NULL));
    return 0;
}
