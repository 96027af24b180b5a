/* SPDX-License-Identifier: BSD-3-Clause */
/* soak-encryptor MODULE generate|find SECONDS THREADS: one of `make soak`'s
 * two encryptors, loading the module like a VPN daemon would.
 *
 * generate (the initiator): each thread, until SECONDS have passed,
 * generates a key, MACs a fixed message with it, writes "KEYID MAC" to
 * stdout for the peer, and destroys the key.
 * find (the responder): each thread reads "KEYID MAC" lines from stdin
 * until it ends, finds the key by CKA_ID (the module fetches it from its
 * KP), MACs the same message, compares, and destroys the key.
 *
 * Ends with one line on stderr, "ROLE: N done, M mismatched, E errors",
 * and exits 0 only when M and E are 0. Only keyIds and MACs cross the
 * pipe; key bytes never leave the module. */
#include "config.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pkcs11/pkcs11-3.h"
#include "skip/hex.h"

#define KEY_ID_MAX 64
#define MAC_LEN 32
#define ERRORS_SHOWN 5

/* From src/pkcs11/errmap.c, linked in for readable results. */
const char *errmap_rv_name(CK_RV rv);

static const CK_BYTE message[] = "soak: the same message at both sites";

static CK_FUNCTION_LIST *p11;
static CK_SLOT_ID slot;
static time_t deadline;
static int generating;
static pthread_mutex_t io_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long done, mismatched, errors;

static void count_error(const char *call, CK_RV rv)
{
    pthread_mutex_lock(&io_lock);
    if (++errors <= ERRORS_SHOWN)
        fprintf(stderr, "soak-encryptor: %s: %s\n", call, errmap_rv_name(rv));
    pthread_mutex_unlock(&io_lock);
}

static CK_RV mac_with(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE key, CK_BYTE *mac)
{
    CK_MECHANISM hmac = {CKM_SHA256_HMAC, NULL, 0};
    CK_ULONG len = MAC_LEN;
    CK_RV rv = p11->C_SignInit(s, &hmac, key);

    if (rv == CKR_OK)
        rv = p11->C_Sign(s, (CK_BYTE_PTR)message, sizeof(message) - 1, mac, &len);
    return rv;
}

/* One initiator round: a key made, used, shared and destroyed. */
static void generate_one(CK_SESSION_HANDLE s)
{
    CK_MECHANISM gen = {CKM_GENERIC_SECRET_KEY_GEN, NULL, 0};
    CK_BBOOL yes = CK_TRUE;
    CK_ULONG value_len = 32;
    CK_ATTRIBUTE tmpl[] = {{CKA_SIGN, &yes, sizeof(yes)},
                           {CKA_VALUE_LEN, &value_len, sizeof(value_len)}};
    CK_BYTE id[KEY_ID_MAX], mac[MAC_LEN];
    CK_ATTRIBUTE id_attr = {CKA_ID, id, sizeof(id)};
    char id_hex[2 * KEY_ID_MAX + 1], mac_hex[2 * MAC_LEN + 1];
    CK_OBJECT_HANDLE key;
    CK_RV rv, destroyed;

    if ((rv = p11->C_GenerateKey(s, &gen, tmpl, 2, &key)) != CKR_OK) {
        count_error("C_GenerateKey", rv);
        return;
    }
    rv = p11->C_GetAttributeValue(s, key, &id_attr, 1);
    if (rv != CKR_OK)
        count_error("C_GetAttributeValue(CKA_ID)", rv);
    else if ((rv = mac_with(s, key, mac)) != CKR_OK)
        count_error("C_Sign", rv);
    destroyed = p11->C_DestroyObject(s, key);
    if (rv == CKR_OK && destroyed != CKR_OK)
        count_error("C_DestroyObject", rv = destroyed);
    if (rv != CKR_OK)
        return;
    skip_hex_encode(id, id_attr.ulValueLen, id_hex);
    skip_hex_encode(mac, MAC_LEN, mac_hex);
    pthread_mutex_lock(&io_lock);
    printf("%s %s\n", id_hex, mac_hex);
    fflush(stdout);
    done++;
    pthread_mutex_unlock(&io_lock);
}

/* One responder round on a line from the initiator, in a session of its
 * own: the module refuses more than 100 fetching searches in 10 s in one
 * session (a flood of guessed keyIds must not drain the KP), and a
 * responder answers each peer's exchange on its own anyway. */
static void find_one(const char *line)
{
    CK_BYTE id[KEY_ID_MAX], want[MAC_LEN], mac[MAC_LEN];
    size_t id_len, want_len;
    const char *space = strchr(line, ' ');
    CK_ATTRIBUTE by_id = {CKA_ID, id, 0};
    CK_SESSION_HANDLE s;
    CK_OBJECT_HANDLE key;
    CK_ULONG found = 0;
    CK_RV rv;

    if (space == NULL ||
        !skip_hex_decode(line, (size_t)(space - line), id, sizeof(id), &id_len) ||
        !skip_hex_decode(space + 1, strcspn(space + 1, "\n"), want, sizeof(want),
                         &want_len) ||
        want_len != MAC_LEN) {
        count_error("reading the initiator's line", CKR_ARGUMENTS_BAD);
        return;
    }
    by_id.ulValueLen = id_len;
    /* read-write, so the fetched key (a token object) can be destroyed */
    rv = p11->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL,
                            NULL, &s);
    if (rv != CKR_OK) {
        count_error("C_OpenSession", rv);
        return;
    }
    if ((rv = p11->C_FindObjectsInit(s, &by_id, 1)) != CKR_OK) {
        count_error("C_FindObjectsInit", rv);
        p11->C_CloseSession(s);
        return;
    }
    rv = p11->C_FindObjects(s, &key, 1, &found);
    p11->C_FindObjectsFinal(s);
    if (rv != CKR_OK || found != 1) {
        count_error("C_FindObjects", rv != CKR_OK ? rv : CKR_KEY_HANDLE_INVALID);
        p11->C_CloseSession(s);
        return;
    }
    if ((rv = mac_with(s, key, mac)) != CKR_OK)
        count_error("C_Sign", rv);
    else if ((rv = p11->C_DestroyObject(s, key)) != CKR_OK)
        count_error("C_DestroyObject", rv);
    p11->C_CloseSession(s);
    if (rv != CKR_OK)
        return;
    pthread_mutex_lock(&io_lock);
    if (memcmp(mac, want, MAC_LEN) == 0)
        done++;
    else
        mismatched++;
    pthread_mutex_unlock(&io_lock);
}

static void *generate_work(void *arg)
{
    CK_SESSION_HANDLE s;
    CK_RV rv;

    (void)arg;
    /* read-write: a generated SKIP key is a token object by default */
    rv = p11->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL,
                            NULL, &s);
    if (rv != CKR_OK) {
        count_error("C_OpenSession", rv);
        return NULL;
    }
    while (time(NULL) < deadline)
        generate_one(s);
    p11->C_CloseSession(s);
    return NULL;
}

static void *find_work(void *arg)
{
    char line[4 * KEY_ID_MAX + 8];

    (void)arg;
    for (;;) {
        char *got;

        pthread_mutex_lock(&io_lock);
        got = fgets(line, sizeof(line), stdin);
        pthread_mutex_unlock(&io_lock);
        if (got == NULL)
            break;
        find_one(line);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    CK_C_INITIALIZE_ARGS args = {.flags = CKF_OS_LOCKING_OK};
    CK_C_GetFunctionList get_list;
    CK_SLOT_ID slot_list[8];
    CK_ULONG slots = 8;
    pthread_t *workers;
    int threads;
    void *lib;

    if (argc != 5 || (strcmp(argv[2], "generate") != 0 &&
                      strcmp(argv[2], "find") != 0) ||
        (threads = atoi(argv[4])) < 1) {
        fprintf(stderr, "usage: soak-encryptor MODULE generate|find SECONDS THREADS\n");
        return 2;
    }
    generating = strcmp(argv[2], "generate") == 0;
    deadline = time(NULL) + atoi(argv[3]);
    lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    get_list = lib ? (CK_C_GetFunctionList)dlsym(lib, "C_GetFunctionList") : NULL;
    if (get_list == NULL || get_list(&p11) != CKR_OK ||
        p11->C_Initialize(&args) != CKR_OK ||
        p11->C_GetSlotList(CK_TRUE, slot_list, &slots) != CKR_OK || slots < 1) {
        fprintf(stderr, "soak-encryptor: cannot load %s or find its token\n",
                argv[1]);
        return 1;
    }
    slot = slot_list[0];
    workers = calloc((size_t)threads, sizeof(*workers));
    if (workers == NULL)
        return 1;
    for (int i = 0; i < threads; i++)
        pthread_create(&workers[i], NULL, generating ? generate_work : find_work,
                       NULL);
    for (int i = 0; i < threads; i++)
        pthread_join(workers[i], NULL);
    free(workers);
    p11->C_Finalize(NULL);
    dlclose(lib);
    fprintf(stderr, "%s: %lu done, %lu mismatched, %lu errors\n", argv[2], done,
            mismatched, errors);
    return mismatched == 0 && errors == 0 ? 0 : 1;
}
