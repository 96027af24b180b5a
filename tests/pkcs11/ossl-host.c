/* SPDX-License-Identifier: BSD-3-Clause */
/* A host program whose OpenSSL configuration routes its random numbers to
 * the token (tests/pkcs11/host-provider.c), as pkcs11-provider does, and
 * which also uses the module itself: it draws RAND_bytes, generates a key
 * at slot 0 (Alice), finds it at slot 1 (Bob) and signs with it at both.
 *
 *   ossl-host MODULE lazy    OpenSSL (and the provider) starts first; the
 *                            module is initialized by the first RAND_bytes
 *   ossl-host MODULE early   the module's C_Initialize comes first, and
 *                            its curl_global_init loads the configuration,
 *                            whose provider initializes the module at once
 *
 * Prints "rand N" per draw, "keyid HEX", "found N", "macs equal"; any
 * failure prints "error: ..." and exits 1. */
#include "config.h"

#include <dlfcn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pkcs11/pkcs11-3.h"

static CK_FUNCTION_LIST *p11;

static void check(const char *what, CK_RV rv)
{
    if (rv != CKR_OK) {
        printf("error: %s: 0x%lx\n", what, (unsigned long)rv);
        exit(1);
    }
}

static void draw(int n)
{
    unsigned char buf[64];

    for (int i = 0; i < n; i++) {
        if (RAND_bytes(buf, sizeof(buf)) != 1) {
            printf("error: RAND_bytes: ");
            ERR_print_errors_fp(stdout);
            exit(1);
        }
        printf("rand %zu\n", sizeof(buf));
    }
}

static CK_SESSION_HANDLE open_rw(CK_SLOT_ID slot)
{
    CK_SESSION_HANDLE s;

    check("C_OpenSession", p11->C_OpenSession(slot, CKF_SERIAL_SESSION |
                                                        CKF_RW_SESSION,
                                              NULL, NULL, &s));
    return s;
}

static void sign(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE key, unsigned char *mac)
{
    CK_MECHANISM hmac = {CKM_SHA256_HMAC, NULL, 0};
    CK_ULONG len = 32;

    check("C_SignInit", p11->C_SignInit(s, &hmac, key));
    check("C_Sign", p11->C_Sign(s, (CK_BYTE_PTR) "host data", 9, mac, &len));
}

static void initialize(void)
{
    CK_C_INITIALIZE_ARGS args = {.flags = CKF_OS_LOCKING_OK};
    CK_RV rv = p11->C_Initialize(&args);

    if (rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) /* the provider's, lazily */
        check("C_Initialize", rv);
}

int main(int argc, char **argv)
{
    CK_C_GetFunctionList get_list;
    CK_MECHANISM gen = {CKM_GENERIC_SECRET_KEY_GEN, NULL, 0};
    CK_ULONG len = 32;
    CK_BBOOL yes = CK_TRUE;
    CK_ATTRIBUTE gen_tmpl[] = {{CKA_VALUE_LEN, &len, sizeof(len)},
                               {CKA_SIGN, &yes, 1}};
    unsigned char id[64], mac_a[32], mac_b[32];
    CK_ATTRIBUTE get_id = {CKA_ID, id, sizeof(id)};
    CK_OBJECT_HANDLE key, found;
    CK_ULONG count = 0;
    CK_SESSION_HANDLE alice, bob;
    bool early;
    void *lib;

    if (argc != 3) {
        fprintf(stderr, "usage: ossl-host MODULE lazy|early\n");
        return 2;
    }
    early = strcmp(argv[2], "early") == 0;
    lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    get_list = lib ? (CK_C_GetFunctionList)dlsym(lib, "C_GetFunctionList") : NULL;
    if (get_list == NULL) {
        printf("error: dlopen: %s\n", dlerror());
        return 1;
    }
    check("C_GetFunctionList", get_list(&p11));
    if (early) {
        initialize();
        draw(3);
    } else {
        OPENSSL_init_crypto(OPENSSL_INIT_LOAD_CONFIG, NULL);
        draw(3);
        initialize();
    }

    alice = open_rw(0);
    check("C_GenerateKey", p11->C_GenerateKey(alice, &gen, gen_tmpl, 2, &key));
    check("C_GetAttributeValue", p11->C_GetAttributeValue(alice, key, &get_id, 1));
    printf("keyid ");
    for (CK_ULONG i = 0; i < get_id.ulValueLen; i++)
        printf("%02x", id[i]);
    printf("\n");
    sign(alice, key, mac_a);

    bob = open_rw(1);
    {
        CK_ATTRIBUTE find[] = {{CKA_ID, id, get_id.ulValueLen},
                               {CKA_SIGN, &yes, 1}};
        check("C_FindObjectsInit", p11->C_FindObjectsInit(bob, find, 2));
        check("C_FindObjects", p11->C_FindObjects(bob, &found, 1, &count));
        check("C_FindObjectsFinal", p11->C_FindObjectsFinal(bob));
    }
    printf("found %lu\n", count);
    if (count != 1)
        return 1;
    sign(bob, found, mac_b);
    printf(memcmp(mac_a, mac_b, 32) == 0 ? "macs equal\n" : "macs differ\n");
    draw(1);
    check("C_CloseSession", p11->C_CloseSession(alice));
    check("C_CloseSession", p11->C_CloseSession(bob));
    return memcmp(mac_a, mac_b, 32) == 0 ? 0 : 1;
}
