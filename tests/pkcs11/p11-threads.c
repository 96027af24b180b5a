/* SPDX-License-Identifier: BSD-3-Clause */
/* p11-threads MODULE THREADS ROUNDS: THREADS threads share one loaded
 * module; each opens its own session and, ROUNDS times, generates a key at
 * the KP, signs with it in one part and in several (the MACs must agree),
 * finds it by CKA_ID and draws random bytes. Prints
 * "ok KEYS" when every call succeeded and every key is distinct. */
#include "config.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pkcs11/pkcs11-3.h"

static CK_FUNCTION_LIST *p11;
static int rounds;

struct worker {
    pthread_t thread;
    int failures;
    unsigned char ids[64][16];
    int count;
};

static void *work(void *arg)
{
    struct worker *w = arg;
    CK_MECHANISM gen = {CKM_GENERIC_SECRET_KEY_GEN, NULL, 0};
    CK_MECHANISM hmac = {CKM_SHA256_HMAC, NULL, 0};
    CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    CK_ULONG len = 32;
    CK_ATTRIBUTE tmpl[] = {{CKA_SIGN, &yes, 1}, {CKA_TOKEN, &no, 1},
                           {CKA_VALUE_LEN, &len, sizeof(len)}};
    CK_SESSION_HANDLE s;

    if (p11->C_OpenSession(0, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL,
                           &s) != CKR_OK) {
        w->failures++;
        return NULL;
    }
    for (int i = 0; i < rounds && i < 64; i++) {
        CK_OBJECT_HANDLE key, found = 0;
        CK_ATTRIBUTE id = {CKA_ID, w->ids[w->count], 16};
        unsigned char mac[32], mac2[32], random[64];
        CK_ULONG mac_len = sizeof(mac), mac2_len = sizeof(mac2), n = 0;

        if (p11->C_GenerateKey(s, &gen, tmpl, 3, &key) != CKR_OK ||
            p11->C_GetAttributeValue(s, key, &id, 1) != CKR_OK ||
            p11->C_SignInit(s, &hmac, key) != CKR_OK ||
            p11->C_Sign(s, (CK_BYTE_PTR) "xy", 2, mac, &mac_len) != CKR_OK ||
            /* multi-part: the context goes back to this thread's spares */
            p11->C_SignInit(s, &hmac, key) != CKR_OK ||
            p11->C_SignUpdate(s, (CK_BYTE_PTR) "x", 1) != CKR_OK ||
            p11->C_SignUpdate(s, (CK_BYTE_PTR) "y", 1) != CKR_OK ||
            p11->C_SignFinal(s, mac2, &mac2_len) != CKR_OK ||
            memcmp(mac, mac2, sizeof(mac)) != 0 ||
            p11->C_FindObjectsInit(s, &id, 1) != CKR_OK ||
            p11->C_FindObjects(s, &found, 1, &n) != CKR_OK ||
            p11->C_FindObjectsFinal(s) != CKR_OK || n != 1 || found != key ||
            p11->C_GenerateRandom(s, random, sizeof(random)) != CKR_OK)
            w->failures++;
        else
            w->count++;
    }
    p11->C_CloseSession(s);
    return NULL;
}

int main(int argc, char **argv)
{
    CK_C_INITIALIZE_ARGS args = {.flags = CKF_OS_LOCKING_OK};
    CK_C_GetFunctionList get_list;
    struct worker *workers;
    int threads, failures = 0, keys = 0;
    void *lib;

    if (argc != 4) {
        fprintf(stderr, "usage: p11-threads MODULE THREADS ROUNDS\n");
        return 2;
    }
    threads = atoi(argv[2]);
    rounds = atoi(argv[3]);
    lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    get_list = lib ? (CK_C_GetFunctionList)dlsym(lib, "C_GetFunctionList") : NULL;
    if (get_list == NULL || get_list(&p11) != CKR_OK ||
        p11->C_Initialize(&args) != CKR_OK) {
        printf("error: cannot load %s\n", argv[1]);
        return 1;
    }
    workers = calloc((size_t)threads, sizeof(*workers));
    for (int i = 0; i < threads; i++)
        pthread_create(&workers[i].thread, NULL, work, &workers[i]);
    for (int i = 0; i < threads; i++) {
        pthread_join(workers[i].thread, NULL);
        failures += workers[i].failures;
        keys += workers[i].count;
    }
    /* Every keyId is distinct across threads. */
    for (int a = 0; a < threads; a++)
        for (int i = 0; i < workers[a].count; i++)
            for (int b = a; b < threads; b++)
                for (int j = (b == a ? i + 1 : 0); j < workers[b].count; j++)
                    if (memcmp(workers[a].ids[i], workers[b].ids[j], 16) == 0)
                        failures++;
    p11->C_Finalize(NULL);
    free(workers);
    dlclose(lib);
    if (failures) {
        printf("error: %d failures\n", failures);
        return 1;
    }
    printf("ok %d\n", keys);
    return 0;
}
