/* SPDX-License-Identifier: BSD-3-Clause */
/* p11-client: loads skip-pkcs11.so with dlopen, as an application does, and
 * runs commands in one process, one per argument:
 *   "keygen hmac|kdf|open [BYTES] [session]"  prints "keyid HEX"
 *   "find HEX"                                prints "found N"
 *   "sign HEX DATA"                           prints "mac HEX"  (SHA256-HMAC)
 * HEX may be "-": the keyId of the last keygen.
 *   "value HEX"                               prints "value: CKR_..."
 *   "random N"                                prints "random HEX"
 *   "info"                                    prints the slot's token label
 * Every failure prints "error: CALL: CKR_NAME" and exits 1. The tests use it
 * for two-process chain tests against skip-testbed's KPs. */
#include "config.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pkcs11/pkcs11-3.h"
#include "skip/hex.h"
#include "skip/json.h"

/* From src/pkcs11/errmap.c, linked in for readable results. */
const char *errmap_rv_name(CK_RV rv);

static CK_FUNCTION_LIST *p11;
static CK_SESSION_HANDLE session;
static unsigned char last_id[SKIP_KEYID_MAX]; /* "-" in a command */
static size_t last_id_len;

#define CHECK(call, expr)                                                      \
    do {                                                                       \
        CK_RV rv_ = (expr);                                                    \
        if (rv_ != CKR_OK) {                                                   \
            printf("error: %s: %s\n", call, errmap_rv_name(rv_));              \
            exit(1);                                                           \
        }                                                                      \
    } while (0)

static CK_OBJECT_HANDLE find_id(const unsigned char *id, size_t len,
                                CK_ULONG *count)
{
    CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
    CK_ATTRIBUTE tmpl[] = {
        {CKA_CLASS, &cls, sizeof(cls)},
        {CKA_ID, (void *)id, len},
    };
    CK_OBJECT_HANDLE h[4] = {0};

    CHECK("C_FindObjectsInit", p11->C_FindObjectsInit(session, tmpl, 2));
    CHECK("C_FindObjects", p11->C_FindObjects(session, h, 4, count));
    CHECK("C_FindObjectsFinal", p11->C_FindObjectsFinal(session));
    return h[0];
}

static size_t parse_id(const char *hex, unsigned char *id)
{
    size_t len = 0;

    if (strcmp(hex, "-") == 0) {
        memcpy(id, last_id, last_id_len);
        return last_id_len;
    }
    if (!skip_hex_decode(hex, strlen(hex), id, SKIP_KEYID_MAX, &len)) {
        printf("error: bad keyId %s\n", hex);
        exit(1);
    }
    return len;
}

static void print_hex(const char *tag, const unsigned char *data, size_t len)
{
    printf("%s ", tag);
    for (size_t i = 0; i < len; i++)
        printf("%02x", data[i]);
    printf("\n");
}

static void cmd_keygen(char **argv, int argc)
{
    CK_MECHANISM mech = {CKM_GENERIC_SECRET_KEY_GEN, NULL, 0};
    CK_BBOOL yes = CK_TRUE, token = CK_TRUE;
    CK_ULONG len = argc > 2 ? strtoul(argv[2], NULL, 10) : 32;
    CK_ATTRIBUTE tmpl[4] = {{CKA_VALUE_LEN, &len, sizeof(len)}};
    CK_ULONG n = 1;
    CK_OBJECT_HANDLE key;
    unsigned char id[SKIP_KEYID_MAX];
    CK_ATTRIBUTE get = {CKA_ID, id, sizeof(id)};

    if (argc > 1 && strcmp(argv[1], "hmac") == 0)
        tmpl[n++] = (CK_ATTRIBUTE){CKA_SIGN, &yes, sizeof(yes)};
    else if (argc > 1 && strcmp(argv[1], "kdf") == 0)
        tmpl[n++] = (CK_ATTRIBUTE){CKA_DERIVE, &yes, sizeof(yes)};
    if (argc > 3 && strcmp(argv[3], "session") == 0)
        token = CK_FALSE;
    tmpl[n++] = (CK_ATTRIBUTE){CKA_TOKEN, &token, sizeof(token)};
    CHECK("C_GenerateKey", p11->C_GenerateKey(session, &mech, tmpl, n, &key));
    CHECK("C_GetAttributeValue", p11->C_GetAttributeValue(session, key, &get, 1));
    print_hex("keyid", id, get.ulValueLen);
    memcpy(last_id, id, get.ulValueLen);
    last_id_len = get.ulValueLen;
}

static void cmd_find(const char *hex)
{
    unsigned char id[SKIP_KEYID_MAX];
    size_t len = parse_id(hex, id);
    CK_ULONG count = 0;

    find_id(id, len, &count);
    printf("found %lu\n", count);
}

static void cmd_sign(const char *hex, const char *data)
{
    CK_MECHANISM mech = {CKM_SHA256_HMAC, NULL, 0};
    unsigned char id[SKIP_KEYID_MAX], mac[64];
    size_t len = parse_id(hex, id);
    CK_ULONG count = 0, mac_len = sizeof(mac);
    CK_OBJECT_HANDLE key = find_id(id, len, &count);

    if (count != 1) {
        printf("error: %lu keys for %s\n", count, hex);
        exit(1);
    }
    CHECK("C_SignInit", p11->C_SignInit(session, &mech, key));
    CHECK("C_Sign", p11->C_Sign(session, (CK_BYTE_PTR)data, strlen(data), mac,
                                &mac_len));
    print_hex("mac", mac, mac_len);
}

static void cmd_value(const char *hex)
{
    unsigned char id[SKIP_KEYID_MAX], value[64];
    size_t len = parse_id(hex, id);
    CK_ULONG count = 0;
    CK_OBJECT_HANDLE key = find_id(id, len, &count);
    CK_ATTRIBUTE get = {CKA_VALUE, value, sizeof(value)};

    printf("value: %s\n",
           errmap_rv_name(p11->C_GetAttributeValue(session, key, &get, 1)));
}

static void cmd_random(const char *n_text)
{
    CK_ULONG n = strtoul(n_text, NULL, 10);
    unsigned char *buf = malloc(n ? n : 1);

    CHECK("C_GenerateRandom", p11->C_GenerateRandom(session, buf, n));
    print_hex("random", buf, n);
    free(buf);
}

static void cmd_info(void)
{
    CK_TOKEN_INFO info;

    CHECK("C_GetTokenInfo", p11->C_GetTokenInfo(0, &info));
    printf("token %.32s\n", info.label);
}

int main(int argc, char **argv)
{
    CK_C_GetFunctionList get_list;
    void *lib;

    if (argc < 2) {
        fprintf(stderr, "usage: p11-client MODULE COMMAND...\n");
        return 2;
    }
    lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (lib == NULL) {
        printf("error: dlopen: %s\n", dlerror());
        return 1;
    }
    get_list = (CK_C_GetFunctionList)dlsym(lib, "C_GetFunctionList");
    CHECK("C_GetFunctionList", get_list ? get_list(&p11) : CKR_GENERAL_ERROR);
    CHECK("C_Initialize", p11->C_Initialize(NULL));
    CHECK("C_OpenSession", p11->C_OpenSession(0, CKF_SERIAL_SESSION |
                                                     CKF_RW_SESSION,
                                              NULL, NULL, &session));
    for (int i = 2; i < argc; i++) {
        char *words[8], *copy = strdup(argv[i]), *save = NULL;
        int n = 0;

        for (char *w = strtok_r(copy, " ", &save); w && n < 8;
             w = strtok_r(NULL, " ", &save))
            words[n++] = w;
        if (n >= 1 && strcmp(words[0], "keygen") == 0)
            cmd_keygen(words, n);
        else if (n == 2 && strcmp(words[0], "find") == 0)
            cmd_find(words[1]);
        else if (n == 3 && strcmp(words[0], "sign") == 0)
            cmd_sign(words[1], words[2]);
        else if (n == 2 && strcmp(words[0], "value") == 0)
            cmd_value(words[1]);
        else if (n == 2 && strcmp(words[0], "random") == 0)
            cmd_random(words[1]);
        else if (n == 1 && strcmp(words[0], "info") == 0)
            cmd_info();
        else {
            printf("error: unknown command \"%s\"\n", argv[i]);
            return 2;
        }
        free(copy);
    }
    CHECK("C_CloseSession", p11->C_CloseSession(session));
    CHECK("C_Finalize", p11->C_Finalize(NULL));
    dlclose(lib);
    return 0;
}
