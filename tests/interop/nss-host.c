/* SPDX-License-Identifier: BSD-3-Clause */
/* nss-host MODULE: the module under NSS, the library libreswan does IKEv2
 * in, with the calls an IKE daemon makes. The module's config has two
 * slots, Alice and Bob (tokens of the two sites). It generates an HMAC key
 * and a PPK at Alice, finds both at Bob by CKA_ID (PK11_FindFixedKey),
 * MACs with both copies, and derives with NSS's prf+ (CKM_NSS_IKE_PRF_PLUS_
 * DERIVE) from each PPK with a seed key, as libreswan passes SK_d', and
 * reads the outputs (derived_keys = readable).
 *
 * Prints "mac_keyid HEX", "ppk_keyid HEX", "found 2", "macs equal",
 * "prfplus alice HEX" and "prfplus bob HEX"; a failure prints "error: ..."
 * with NSS's error and exits 1. */
#include "config.h"

#include <nss.h>
#include <pk11pub.h>
#include <pkcs11n.h>
#include <prerror.h>
#include <secmod.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The seed key (SK_d') and seed data (Ni | Nr) prf+ starts from. */
static unsigned char seed_key_bytes[32] = "seed key SK_d' for prf+ tests..";
static unsigned char seed_data[16] = "Ni and Nr bytes";

static void fail(const char *what)
{
    printf("error: %s: %s (%d)\n", what, PR_ErrorToName(PR_GetError()),
           PR_GetError());
    exit(1);
}

static void print_hex(const char *tag, const unsigned char *data, size_t len)
{
    printf("%s ", tag);
    for (size_t i = 0; i < len; i++)
        printf("%02x", data[i]);
    printf("\n");
}

static PK11SymKey *generate(PK11SlotInfo *slot, CK_FLAGS op, const char *tag,
                            SECItem *id)
{
    PK11SymKey *key = PK11_TokenKeyGenWithFlags(
        slot, CKM_GENERIC_SECRET_KEY_GEN, NULL, 32, NULL, op,
        PK11_ATTR_TOKEN | PK11_ATTR_SENSITIVE, NULL);

    if (key == NULL)
        fail("PK11_TokenKeyGenWithFlags");
    if (PK11_ReadRawAttribute(PK11_TypeSymKey, key, CKA_ID, id) != SECSuccess)
        fail("PK11_ReadRawAttribute(CKA_ID)");
    print_hex(tag, id->data, id->len);
    return key;
}

static void mac(PK11SymKey *key, unsigned char out[32])
{
    SECItem none = {siBuffer, NULL, 0};
    PK11Context *ctx = PK11_CreateContextBySymKey(CKM_SHA256_HMAC, CKA_SIGN,
                                                  key, &none);
    unsigned int len = 0;

    if (ctx == NULL || PK11_DigestBegin(ctx) != SECSuccess ||
        PK11_DigestOp(ctx, (const unsigned char *)"nss data", 8) != SECSuccess ||
        PK11_DigestFinal(ctx, out, &len, 32) != SECSuccess || len != 32)
        fail("HMAC");
    PK11_DestroyContext(ctx, PR_TRUE);
}

/* prf+(ppk, seed key | seed data), 32 bytes, read back. */
static void prf_plus(PK11SlotInfo *slot, PK11SymKey *ppk, const char *tag)
{
    SECItem seed_item = {siBuffer, seed_key_bytes, sizeof(seed_key_bytes)};
    PK11SymKey *seed = PK11_ImportSymKey(slot, CKM_GENERIC_SECRET_KEY_GEN,
                                         PK11_OriginUnwrap, CKA_DERIVE,
                                         &seed_item, NULL);
    CK_NSS_IKE_PRF_PLUS_DERIVE_PARAMS params;
    SECItem param = {siBuffer, (unsigned char *)&params, sizeof(params)};
    PK11SymKey *out;
    SECItem *value = NULL;

    if (seed == NULL)
        fail("PK11_ImportSymKey(seed key)");
    params.prfMechanism = CKM_SHA256_HMAC;
    params.bHasSeedKey = CK_TRUE;
    params.hSeedKey = PK11_GetSymKeyHandle(seed);
    params.pSeedData = seed_data;
    params.ulSeedDataLen = sizeof(seed_data);
    out = PK11_Derive(ppk, CKM_NSS_IKE_PRF_PLUS_DERIVE, &param,
                      CKM_GENERIC_SECRET_KEY_GEN, CKA_DERIVE, 32);
    if (out == NULL)
        fail("PK11_Derive(CKM_NSS_IKE_PRF_PLUS_DERIVE)");
    if (PK11_ExtractKeyValue(out) != SECSuccess ||
        (value = PK11_GetKeyData(out)) == NULL || value->len != 32)
        fail("PK11_ExtractKeyValue");
    print_hex(tag, value->data, value->len);
    PK11_FreeSymKey(out);
    PK11_FreeSymKey(seed);
}

int main(int argc, char **argv)
{
    char spec[1024];
    SECMODModule *module;
    PK11SlotInfo *alice, *bob;
    PK11SymKey *mac_key, *ppk, *mac_key_bob, *ppk_bob;
    SECItem mac_id = {siBuffer, NULL, 0}, ppk_id = {siBuffer, NULL, 0};
    unsigned char mac_a[32], mac_b[32];

    if (argc != 2) {
        fprintf(stderr, "usage: nss-host MODULE\n");
        return 2;
    }
    if (NSS_NoDB_Init(NULL) != SECSuccess)
        fail("NSS_NoDB_Init");
    snprintf(spec, sizeof(spec), "library=\"%s\" name=\"skip\"", argv[1]);
    module = SECMOD_LoadUserModule(spec, NULL, PR_FALSE);
    if (module == NULL || !module->loaded)
        fail("SECMOD_LoadUserModule");
    alice = PK11_FindSlotByName("Alice");
    bob = PK11_FindSlotByName("Bob");
    if (alice == NULL || bob == NULL)
        fail("PK11_FindSlotByName");

    mac_key = generate(alice, CKF_SIGN, "mac_keyid", &mac_id);
    ppk = generate(alice, CKF_DERIVE, "ppk_keyid", &ppk_id);
    /* the responder: each key by its keyId, from Bob's KP */
    mac_key_bob = PK11_FindFixedKey(bob, CKM_SHA256_HMAC, &mac_id, NULL);
    ppk_bob = PK11_FindFixedKey(bob, CKM_NSS_IKE_PRF_PLUS_DERIVE, &ppk_id, NULL);
    printf("found %d\n", (mac_key_bob != NULL) + (ppk_bob != NULL));
    if (mac_key_bob == NULL || ppk_bob == NULL)
        fail("PK11_FindFixedKey");

    mac(mac_key, mac_a);
    mac(mac_key_bob, mac_b);
    printf(memcmp(mac_a, mac_b, 32) == 0 ? "macs equal\n" : "macs differ\n");
    prf_plus(alice, ppk, "prfplus alice");
    prf_plus(bob, ppk_bob, "prfplus bob");

    PK11_FreeSymKey(mac_key);
    PK11_FreeSymKey(ppk);
    PK11_FreeSymKey(mac_key_bob);
    PK11_FreeSymKey(ppk_bob);
    PK11_FreeSlot(alice);
    PK11_FreeSlot(bob);
    SECITEM_FreeItem(&mac_id, PR_FALSE);
    SECITEM_FreeItem(&ppk_id, PR_FALSE);
    SECMOD_UnloadUserModule(module);
    SECMOD_DestroyModule(module);
    if (NSS_Shutdown() != SECSuccess)
        fail("NSS_Shutdown");
    return memcmp(mac_a, mac_b, 32) == 0 ? 0 : 1;
}
