/* SPDX-License-Identifier: BSD-3-Clause */
/* p11-threads MODULE THREADS ROUNDS: THREADS threads share one loaded
 * module; each opens its own session and, ROUNDS times, generates a key at
 * the KP, signs with it in one part and in several (the MACs must agree),
 * finds it by CKA_ID and draws random bytes. Then the race: THREADS threads
 * sign and verify on one shared session while another replaces the key
 * under them (import, destroy) and churns sessions; every call must
 * answer with a code that fits, and every MAC given must be right. Prints
 * the race's counts, then "ok KEYS" when every call succeeded, every key
 * is distinct and the race had no wrong answer. */
#include "config.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
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

/* --- the race --- */
#define RACE_ROUNDS 2000
static const unsigned char race_value[32] = {7, 7, 7};
static unsigned char race_mac[32]; /* HMAC-SHA256(race_value, "xy") */
static CK_SESSION_HANDLE shared;
static _Atomic CK_OBJECT_HANDLE race_key;
static atomic_bool race_over;
static atomic_int race_wrong, race_signed;

static CK_OBJECT_HANDLE import_race_key(CK_SESSION_HANDLE s)
{
    CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
    CK_KEY_TYPE type = CKK_GENERIC_SECRET;
    CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    CK_ATTRIBUTE t[] = {{CKA_CLASS, &cls, sizeof(cls)},
                        {CKA_KEY_TYPE, &type, sizeof(type)},
                        {CKA_VALUE, (void *)race_value, sizeof(race_value)},
                        {CKA_SIGN, &yes, 1},
                        {CKA_TOKEN, &no, 1}};
    CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;

    return p11->C_CreateObject(s, t, 5, &h) == CKR_OK ? h : CK_INVALID_HANDLE;
}

/* Signs and verifies on the shared session: another thread may hold the
 * operation (ACTIVE), have ended it or started the other kind
 * (NOT_INITIALIZED), or the key may be gone. Every MAC is of "xy" under
 * the same key value, whoever started the operation. */
static void *race_signer(void *arg)
{
    CK_MECHANISM hmac = {CKM_SHA256_HMAC, NULL, 0};

    (void)arg;
    for (int i = 0; i < RACE_ROUNDS; i++) {
        unsigned char mac[32];
        CK_ULONG len = sizeof(mac);
        bool verify = i % 3 == 0;
        CK_OBJECT_HANDLE key = atomic_load(&race_key);
        CK_RV rv = verify ? p11->C_VerifyInit(shared, &hmac, key)
                          : p11->C_SignInit(shared, &hmac, key);

        if (rv != CKR_OK && rv != CKR_OPERATION_ACTIVE &&
            rv != CKR_KEY_HANDLE_INVALID)
            atomic_fetch_add(&race_wrong, 1);
        rv = verify ? p11->C_Verify(shared, (CK_BYTE_PTR) "xy", 2, race_mac, 32)
                    : p11->C_Sign(shared, (CK_BYTE_PTR) "xy", 2, mac, &len);
        if (rv == CKR_OK && !verify &&
            (len != 32 || memcmp(mac, race_mac, 32) != 0))
            atomic_fetch_add(&race_wrong, 1);
        else if (rv == CKR_OK)
            atomic_fetch_add(&race_signed, 1);
        else if (rv != CKR_OPERATION_NOT_INITIALIZED &&
                 rv != CKR_OPERATION_ACTIVE)
            atomic_fetch_add(&race_wrong, 1);
    }
    return NULL;
}

/* Replaces the key under the signers, and opens and closes sessions:
 * the calls that take the module lock exclusively. */
static void *race_changer(void *arg)
{
    CK_SESSION_HANDLE s;

    (void)arg;
    while (!atomic_load(&race_over)) {
        CK_OBJECT_HANDLE old = atomic_load(&race_key), fresh;
        if (p11->C_OpenSession(0, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL,
                               NULL, &s) != CKR_OK ||
            p11->C_CloseSession(s) != CKR_OK ||
            (fresh = import_race_key(shared)) == CK_INVALID_HANDLE ||
            p11->C_DestroyObject(shared, old) != CKR_OK)
            atomic_fetch_add(&race_wrong, 1);
        else
            atomic_store(&race_key, fresh);
    }
    return NULL;
}

static int race(int threads)
{
    CK_MECHANISM hmac = {CKM_SHA256_HMAC, NULL, 0};
    CK_ULONG len = sizeof(race_mac);
    CK_OBJECT_HANDLE first = CK_INVALID_HANDLE;
    pthread_t changer, *signers = calloc((size_t)threads, sizeof(*signers));

    if (p11->C_OpenSession(0, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL,
                           &shared) == CKR_OK)
        first = import_race_key(shared);
    atomic_store(&race_key, first);
    if (first == CK_INVALID_HANDLE ||
        p11->C_SignInit(shared, &hmac, first) != CKR_OK ||
        p11->C_Sign(shared, (CK_BYTE_PTR) "xy", 2, race_mac, &len) != CKR_OK) {
        free(signers);
        return 1;
    }
    pthread_create(&changer, NULL, race_changer, NULL);
    for (int i = 0; i < threads; i++)
        pthread_create(&signers[i], NULL, race_signer, NULL);
    for (int i = 0; i < threads; i++)
        pthread_join(signers[i], NULL);
    atomic_store(&race_over, true);
    pthread_join(changer, NULL);
    free(signers);
    p11->C_CloseSession(shared);
    printf("race: %d right MACs and verifications, %d wrong answers\n", atomic_load(&race_signed),
           atomic_load(&race_wrong));
    return atomic_load(&race_wrong) != 0 || atomic_load(&race_signed) == 0;
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
    failures += race(threads);
    p11->C_Finalize(NULL);
    free(workers);
#ifndef __SANITIZE_THREAD__
    /* ThreadSanitizer runs the atexit handlers of libraries the module
     * loaded (libcurl's) at exit even after dlclose unloaded them. */
    dlclose(lib);
#endif
    if (failures) {
        printf("error: %d failures\n", failures);
        return 1;
    }
    printf("ok %d\n", keys);
    return 0;
}
