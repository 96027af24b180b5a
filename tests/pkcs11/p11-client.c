/* SPDX-License-Identifier: BSD-3-Clause */
/* p11-client: loads skip-pkcs11.so with dlopen, as an application does, and
 * runs commands in one process, one per argument:
 *   "keygen [hmac|kdf] [len=N] [session] [aes] [remote=R] [label=L]"
 *                                             prints "keyid HEX"
 *   "find HEX [hmac|kdf] [remote=R]"          prints "found N"
 *   "findlabel LABEL"                         prints "found N": a search by
 *       {CKA_CLASS, CKA_LABEL} alone, as Java's KeyStore and p11tool make
 *   "attrs HEX"                               prints the key's attributes
 *   "relabel HEX LABEL"                       prints "relabel: CKR_..."
 *   "macsec HEX CKNHEX ick|kek"               prints "derived HEX": IEEE
 *       802.1X ICK or KEK from the CAK (an AES key), by SP 800-108
 *   "derive HEX SEEDHEX [hkdf]"               prints "derived HEX": a 32-byte
 *       extractable key, prf+ (CKM_IKE2_PRF_PLUS_DERIVE) with HMAC-SHA-256,
 *       or HKDF-Expand (CKM_HKDF_DERIVE) with SHA-256
 *   "login PIN", "ro" (reopen the session read-only)
 *   "sign HEX DATA"                           prints "mac HEX"  (SHA256-HMAC)
 * HEX may be "-": the keyId of the last keygen.
 *   "value HEX"                               prints "value: CKR_..."
 *   "random N"                                prints "random HEX"
 *   "randoms COUNT N"  COUNT draws of N bytes, stopping at the first error;
 *       prints "randoms OK-COUNT CKR_..."
 *   "forkrandom N"  draws N bytes, forks; the child draws, initializes the
 *       module again and draws again, the parent draws after the child
 *       ended: prints "child-before: CKR_...", "child HEX", "parent HEX"
 *   "threads"                                 prints "threads N": this
 *       process's threads
 *   "wait"          prints "waiting" (flushed) and reads a line from
 *       standard input: the test changes the world meanwhile
 *   "exit"          exit(0) at once, without C_Finalize, as many hosts end
 *   "info"                                    prints the slot's token label
 *   "orphan HEX"    a search by keyId in a second session, closed by this
 *       thread 0.5 s into the search; prints "closed" (flushed: the test
 *       holds the KP stopped until then) and "orphan: CKR_..."
 *   "twin HEX"      two sessions search one keyId, the second 0.5 s after
 *       the first; prints "both searching" (flushed: the test holds the KP
 *       stopped until then) and "twin: CKR_... N CKR_... N" (each search's
 *       answer and how many objects it found)
 *   "signinit HEX"  starts an HMAC-SHA-256 operation and leaves it open
 *   "destroy HEX"   C_DestroyObject
 *   "finalize"      C_Finalize now (no command may use the module after it)
 *   "memscan NOTKEY"                          prints "memscan N": how many
 *       places in this process's memory hold the key whose bytes,
 *       complemented, NOTKEY spells in hex (so no argument holds the key)
 * With P11_CLIENT_NO_THREADS=1 in the environment, C_Initialize gets
 * CKF_LIBRARY_CANT_CREATE_OS_THREADS.
 * Every failure prints "error: CALL: CKR_NAME" and exits 1. The tests use it
 * for two-process chain tests against skip-testbed's KPs. */
#include "config.h"

#include <dirent.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pkcs11/pkcs11-3.h"
#include "skip/hex.h"
#include "skip/json.h"
#include "memscan.h"

/* From src/pkcs11/errmap.c, linked in for readable results. */
const char *errmap_rv_name(CK_RV rv);

static CK_FUNCTION_LIST *p11;
static CK_SESSION_HANDLE session;
static CK_SLOT_ID slot_id; /* the first skip-pkcs11 token's slot */
static unsigned char last_id[SKIP_KEYID_MAX]; /* "-" in a command */
static bool finalized;
static size_t last_id_len;

#define CHECK(call, expr)                                                      \
    do {                                                                       \
        CK_RV rv_ = (expr);                                                    \
        if (rv_ != CKR_OK) {                                                   \
            printf("error: %s: %s\n", call, errmap_rv_name(rv_));              \
            exit(1);                                                           \
        }                                                                      \
    } while (0)

static void options(char **argv, int argc, CK_ATTRIBUTE *tmpl, CK_ULONG *n);

/* Searches {CLASS, ID} plus what words ask (role, remote). */
static CK_OBJECT_HANDLE find_id_with(const unsigned char *id, size_t len,
                                     CK_ULONG *count, char **words, int nwords)
{
    CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
    CK_ATTRIBUTE tmpl[8] = {
        {CKA_CLASS, &cls, sizeof(cls)},
        {CKA_ID, (void *)id, len},
    };
    CK_ULONG n = 2;
    CK_OBJECT_HANDLE h[4] = {0};

    options(words, nwords, tmpl, &n);
    CHECK("C_FindObjectsInit", p11->C_FindObjectsInit(session, tmpl, n));
    CHECK("C_FindObjects", p11->C_FindObjects(session, h, 4, count));
    CHECK("C_FindObjectsFinal", p11->C_FindObjectsFinal(session));
    return h[0];
}

static CK_OBJECT_HANDLE find_id(const unsigned char *id, size_t len,
                                CK_ULONG *count)
{
    return find_id_with(id, len, count, NULL, 0);
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

/* Appends the role and remote a command's words ask for. */
static void options(char **argv, int argc, CK_ATTRIBUTE *tmpl, CK_ULONG *n)
{
    static CK_BBOOL yes = CK_TRUE;
    static CK_KEY_TYPE aes = CKK_AES;

    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "hmac") == 0)
            tmpl[(*n)++] = (CK_ATTRIBUTE){CKA_SIGN, &yes, sizeof(yes)};
        else if (strcmp(argv[i], "kdf") == 0)
            tmpl[(*n)++] = (CK_ATTRIBUTE){CKA_DERIVE, &yes, sizeof(yes)};
        else if (strncmp(argv[i], "remote=", 7) == 0)
            tmpl[(*n)++] = (CK_ATTRIBUTE){CKA_SKIP_REMOTE_SYSTEM_ID,
                                          argv[i] + 7, strlen(argv[i] + 7)};
        else if (strcmp(argv[i], "type=aes") == 0)
            tmpl[(*n)++] = (CK_ATTRIBUTE){CKA_KEY_TYPE, &aes, sizeof(aes)};
        else if (strncmp(argv[i], "label=", 6) == 0)
            tmpl[(*n)++] = (CK_ATTRIBUTE){CKA_LABEL, argv[i] + 6,
                                          strlen(argv[i] + 6)};
    }
}

static void cmd_keygen(char **argv, int argc)
{
    CK_MECHANISM mech = {CKM_GENERIC_SECRET_KEY_GEN, NULL, 0};
    CK_BBOOL token = CK_TRUE;
    CK_ULONG len = 32;
    CK_ATTRIBUTE tmpl[8] = {{CKA_VALUE_LEN, &len, sizeof(len)},
                            {CKA_TOKEN, &token, sizeof(token)}};
    CK_ULONG n = 2;
    CK_OBJECT_HANDLE key;
    unsigned char id[SKIP_KEYID_MAX];
    CK_ATTRIBUTE get = {CKA_ID, id, sizeof(id)};

    for (int i = 1; i < argc; i++) {
        if (strncmp(argv[i], "len=", 4) == 0)
            len = strtoul(argv[i] + 4, NULL, 10);
        else if (strcmp(argv[i], "session") == 0)
            token = CK_FALSE;
        else if (strcmp(argv[i], "aes") == 0)
            mech.mechanism = CKM_AES_KEY_GEN;
    }
    options(argv + 1, argc - 1, tmpl, &n);
    CHECK("C_GenerateKey", p11->C_GenerateKey(session, &mech, tmpl, n, &key));
    CHECK("C_GetAttributeValue", p11->C_GetAttributeValue(session, key, &get, 1));
    print_hex("keyid", id, get.ulValueLen);
    memcpy(last_id, id, get.ulValueLen);
    last_id_len = get.ulValueLen;
}

static void cmd_find(char **words, int n)
{
    unsigned char id[SKIP_KEYID_MAX];
    size_t len = parse_id(words[1], id);
    CK_ULONG count = 0;

    find_id_with(id, len, &count, words + 2, n - 2);
    printf("found %lu\n", count);
}

static void cmd_findlabel(const char *label)
{
    CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
    CK_ATTRIBUTE tmpl[] = {{CKA_CLASS, &cls, sizeof(cls)},
                           {CKA_LABEL, (void *)label, strlen(label)}};
    CK_OBJECT_HANDLE h[4];
    CK_ULONG count = 0;

    CHECK("C_FindObjectsInit", p11->C_FindObjectsInit(session, tmpl, 2));
    CHECK("C_FindObjects", p11->C_FindObjects(session, h, 4, &count));
    CHECK("C_FindObjectsFinal", p11->C_FindObjectsFinal(session));
    printf("found %lu\n", count);
}

static void cmd_attrs(const char *hex)
{
    unsigned char id[SKIP_KEYID_MAX];
    size_t len = parse_id(hex, id);
    CK_ULONG count = 0, type = 0, value_len = 0, mech = 0;
    CK_OBJECT_HANDLE key = find_id(id, len, &count);
    CK_BBOOL token, local, sensitive, extractable, sign, derive, always, never;
    char label[160] = "", remote[256] = "";
    CK_MECHANISM_TYPE allowed[16];
    CK_ATTRIBUTE get[] = {
        {CKA_KEY_TYPE, &type, sizeof(type)},
        {CKA_VALUE_LEN, &value_len, sizeof(value_len)},
        {CKA_TOKEN, &token, 1}, {CKA_LOCAL, &local, 1},
        {CKA_SENSITIVE, &sensitive, 1}, {CKA_EXTRACTABLE, &extractable, 1},
        {CKA_ALWAYS_SENSITIVE, &always, 1}, {CKA_NEVER_EXTRACTABLE, &never, 1},
        {CKA_SIGN, &sign, 1}, {CKA_DERIVE, &derive, 1},
        {CKA_KEY_GEN_MECHANISM, &mech, sizeof(mech)},
        {CKA_LABEL, label, sizeof(label) - 1},
        {CKA_SKIP_REMOTE_SYSTEM_ID, remote, sizeof(remote) - 1},
        {CKA_ALLOWED_MECHANISMS, allowed, sizeof(allowed)},
    };

    if (count != 1) {
        printf("error: %lu keys for %s\n", count, hex);
        exit(1);
    }
    CHECK("C_GetAttributeValue",
          p11->C_GetAttributeValue(session, key, get, sizeof(get) / sizeof(get[0])));
    label[get[11].ulValueLen] = '\0';
    remote[get[12].ulValueLen] = '\0';
    printf("key_type 0x%lx\nvalue_len %lu\ntoken %d\nlocal %d\n"
           "sensitive %d\nextractable %d\nalways_sensitive %d\n"
           "never_extractable %d\nsign %d\nderive %d\nkeygen_mechanism 0x%lx\n"
           "label %s\nremote %s\nallowed_mechanisms %lu\n",
           type, value_len, token, local, sensitive, extractable, always, never,
           sign, derive, mech, label, remote,
           get[13].ulValueLen / sizeof(CK_MECHANISM_TYPE));
}

static void cmd_relabel(const char *hex, char *label)
{
    unsigned char id[SKIP_KEYID_MAX];
    size_t len = parse_id(hex, id);
    CK_ULONG count = 0;
    CK_OBJECT_HANDLE key = find_id(id, len, &count);
    CK_ATTRIBUTE set = {CKA_LABEL, label, strlen(label)};

    printf("relabel: %s\n",
           errmap_rv_name(p11->C_SetAttributeValue(session, key, &set, 1)));
}

static void cmd_derive(const char *hex, const char *seed_hex, bool hkdf)
{
    unsigned char id[SKIP_KEYID_MAX], seed[256], value[32];
    size_t len = parse_id(hex, id), seed_len = 0;
    CK_ULONG count = 0, out_len = 32;
    CK_OBJECT_HANDLE key = find_id(id, len, &count), derived;
    CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    CK_ATTRIBUTE tmpl[] = {{CKA_VALUE_LEN, &out_len, sizeof(out_len)},
                           {CKA_SENSITIVE, &no, 1}, {CKA_EXTRACTABLE, &yes, 1}};
    CK_ATTRIBUTE get = {CKA_VALUE, value, sizeof(value)};
    CK_IKE2_PRF_PLUS_DERIVE_PARAMS prf;
    CK_HKDF_PARAMS hk;
    CK_MECHANISM m;

    if (!skip_hex_decode(seed_hex, strlen(seed_hex), seed, sizeof(seed),
                         &seed_len) || count != 1) {
        printf("error: bad seed or %lu keys\n", count);
        exit(1);
    }
    if (hkdf) {
        hk = (CK_HKDF_PARAMS){CK_FALSE, CK_TRUE, CKM_SHA256, CKF_HKDF_SALT_NULL,
                              NULL, 0, 0, seed, seed_len};
        m = (CK_MECHANISM){CKM_HKDF_DERIVE, &hk, sizeof(hk)};
    } else {
        prf = (CK_IKE2_PRF_PLUS_DERIVE_PARAMS){CKM_SHA256_HMAC, CK_FALSE, 0,
                                               seed, seed_len};
        m = (CK_MECHANISM){CKM_IKE2_PRF_PLUS_DERIVE, &prf, sizeof(prf)};
    }
    CHECK("C_DeriveKey", p11->C_DeriveKey(session, &m, key, tmpl, 3, &derived));
    CHECK("C_GetAttributeValue",
          p11->C_GetAttributeValue(session, derived, &get, 1));
    print_hex("derived", value, get.ulValueLen);
}

static void cmd_macsec(const char *hex, const char *ckn_hex, const char *which)
{
    static CK_BYTE zero = 0;
    unsigned char id[SKIP_KEYID_MAX], ckn[64], ctx[16] = {0}, value[32];
    size_t len = parse_id(hex, id), ckn_len = 0;
    CK_ULONG count = 0, cak_len = 0;
    CK_OBJECT_HANDLE cak = find_id(id, len, &count), derived;
    CK_SP800_108_COUNTER_FORMAT cf = {CK_FALSE, 8};
    CK_SP800_108_DKM_LENGTH_FORMAT lf = {CK_SP800_108_DKM_LENGTH_SUM_OF_KEYS,
                                         CK_FALSE, 16};
    const char *label = strcmp(which, "kek") == 0 ? "IEEE8021 KEK" : "IEEE8021 ICK";
    CK_PRF_DATA_PARAM dp[] = {
        {CK_SP800_108_ITERATION_VARIABLE, &cf, sizeof(cf)},
        {CK_SP800_108_BYTE_ARRAY, (void *)label, 12},
        {CK_SP800_108_BYTE_ARRAY, &zero, 1},
        {CK_SP800_108_BYTE_ARRAY, ctx, 16},
        {CK_SP800_108_DKM_LENGTH, &lf, sizeof(lf)},
    };
    CK_SP800_108_KDF_PARAMS kp = {CKM_AES_CMAC, 5, dp, 0, NULL};
    CK_MECHANISM m = {CKM_SP800_108_COUNTER_KDF, &kp, sizeof(kp)};
    CK_KEY_TYPE aes = CKK_AES;
    CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    CK_ATTRIBUTE get_len = {CKA_VALUE_LEN, &cak_len, sizeof(cak_len)};
    CK_ATTRIBUTE tmpl[] = {{CKA_KEY_TYPE, &aes, sizeof(aes)},
                           {CKA_VALUE_LEN, &cak_len, sizeof(cak_len)},
                           {CKA_SENSITIVE, &no, 1}, {CKA_EXTRACTABLE, &yes, 1}};
    CK_ATTRIBUTE get = {CKA_VALUE, value, sizeof(value)};

    if (!skip_hex_decode(ckn_hex, strlen(ckn_hex), ckn, sizeof(ckn), &ckn_len) ||
        count != 1) {
        printf("error: bad CKN or %lu keys\n", count);
        exit(1);
    }
    memcpy(ctx, ckn, ckn_len < 16 ? ckn_len : 16);
    CHECK("C_GetAttributeValue", p11->C_GetAttributeValue(session, cak, &get_len, 1));
    CHECK("C_DeriveKey", p11->C_DeriveKey(session, &m, cak, tmpl, 4, &derived));
    CHECK("C_GetAttributeValue",
          p11->C_GetAttributeValue(session, derived, &get, 1));
    print_hex("derived", value, get.ulValueLen);
}

static void cmd_login(const char *pin)
{
    CHECK("C_Login", p11->C_Login(session, CKU_USER, (CK_UTF8CHAR_PTR)pin,
                                  strlen(pin)));
    printf("logged in\n");
}

static void cmd_read_only(void)
{
    CHECK("C_CloseSession", p11->C_CloseSession(session));
    CHECK("C_OpenSession", p11->C_OpenSession(slot_id, CKF_SERIAL_SESSION, NULL,
                                              NULL, &session));
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

static void cmd_randoms(const char *count_text, const char *n_text)
{
    unsigned long count = strtoul(count_text, NULL, 10), ok = 0;
    CK_ULONG n = strtoul(n_text, NULL, 10);
    unsigned char *buf = malloc(n ? n : 1);
    CK_RV rv = CKR_OK;

    while (ok < count && (rv = p11->C_GenerateRandom(session, buf, n)) == CKR_OK)
        ok++;
    printf("randoms %lu %s\n", ok, errmap_rv_name(rv));
    free(buf);
}

static CK_C_INITIALIZE_ARGS init_args = {.flags = CKF_OS_LOCKING_OK};

static CK_VOID_PTR initialize_args(void)
{
    const char *no_threads = getenv("P11_CLIENT_NO_THREADS");

    if (no_threads == NULL || strcmp(no_threads, "1") != 0)
        return NULL;
    init_args.flags |= CKF_LIBRARY_CANT_CREATE_OS_THREADS;
    return &init_args;
}

static void cmd_forkrandom(const char *n_text)
{
    CK_ULONG n = strtoul(n_text, NULL, 10);
    unsigned char *buf = malloc(n ? n : 1);
    int fds[2], status;
    pid_t pid;

    CHECK("C_GenerateRandom", p11->C_GenerateRandom(session, buf, n));
    fflush(stdout);
    if (pipe(fds) != 0 || (pid = fork()) < 0) {
        printf("error: fork\n");
        exit(1);
    }
    if (pid == 0) {
        CK_SESSION_HANDLE s;
        close(fds[0]);
        dup2(fds[1], 1);
        printf("child-before: %s\n",
               errmap_rv_name(p11->C_GenerateRandom(session, buf, n)));
        CHECK("child C_Initialize", p11->C_Initialize(initialize_args()));
        CHECK("child C_OpenSession",
              p11->C_OpenSession(slot_id, CKF_SERIAL_SESSION, NULL, NULL, &s));
        CHECK("child C_GenerateRandom", p11->C_GenerateRandom(s, buf, n));
        print_hex("child", buf, n);
        CHECK("child C_Finalize", p11->C_Finalize(NULL));
        fflush(stdout);
        _exit(0);
    }
    close(fds[1]);
    for (char line[65536]; ; ) {
        ssize_t got = read(fds[0], line, sizeof(line));
        if (got <= 0)
            break;
        fwrite(line, 1, (size_t)got, stdout);
    }
    close(fds[0]);
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        printf("error: the child failed\n");
        exit(1);
    }
    CHECK("C_GenerateRandom", p11->C_GenerateRandom(session, buf, n));
    print_hex("parent", buf, n);
    free(buf);
}

static void cmd_wait(void)
{
    char line[64];

    printf("waiting\n");
    fflush(stdout);
    if (fgets(line, sizeof(line), stdin) == NULL) {
        printf("error: wait: no line on standard input\n");
        exit(1);
    }
}

static void cmd_threads(void)
{
    DIR *d = opendir("/proc/self/task");
    int n = -2; /* . and .. */

    while (d != NULL && readdir(d) != NULL)
        n++;
    if (d != NULL)
        closedir(d);
    printf("threads %d\n", n);
}

struct orphan {
    CK_SESSION_HANDLE session;
    unsigned char id[SKIP_KEYID_MAX];
    size_t len;
    CK_RV rv;
};

static void *orphan_search(void *arg)
{
    struct orphan *o = arg;
    CK_ATTRIBUTE tmpl[] = {{CKA_ID, o->id, o->len}};

    o->rv = p11->C_FindObjectsInit(o->session, tmpl, 1);
    return NULL;
}

static void cmd_orphan(const char *hex)
{
    struct orphan o = {0};
    pthread_t thread;

    o.len = parse_id(hex, o.id);
    CHECK("C_OpenSession", p11->C_OpenSession(slot_id, CKF_SERIAL_SESSION,
                                              NULL, NULL, &o.session));
    if (pthread_create(&thread, NULL, orphan_search, &o) != 0) {
        printf("error: pthread_create\n");
        exit(1);
    }
    usleep(500000); /* into the KP request */
    CHECK("C_CloseSession", p11->C_CloseSession(o.session));
    printf("closed\n");
    fflush(stdout);
    pthread_join(thread, NULL);
    printf("orphan: %s\n", errmap_rv_name(o.rv));
}

struct twin {
    CK_SESSION_HANDLE session;
    const unsigned char *id;
    size_t len;
    CK_RV rv;
    CK_ULONG found;
};

static void *twin_search(void *arg)
{
    struct twin *t = arg;
    CK_ATTRIBUTE tmpl[] = {{CKA_ID, (void *)t->id, t->len}};
    CK_OBJECT_HANDLE h;

    t->rv = p11->C_FindObjectsInit(t->session, tmpl, 1);
    if (t->rv == CKR_OK) {
        t->rv = p11->C_FindObjects(t->session, &h, 1, &t->found);
        p11->C_FindObjectsFinal(t->session);
    }
    return NULL;
}

static void cmd_twin(const char *hex)
{
    unsigned char id[SKIP_KEYID_MAX];
    struct twin t[2] = {{0}};
    pthread_t threads[2];

    for (int i = 0; i < 2; i++) {
        t[i].id = id;
        t[i].len = parse_id(hex, id);
        CHECK("C_OpenSession", p11->C_OpenSession(slot_id, CKF_SERIAL_SESSION,
                                                  NULL, NULL, &t[i].session));
        if (pthread_create(&threads[i], NULL, twin_search, &t[i]) != 0) {
            printf("error: pthread_create\n");
            exit(1);
        }
        usleep(500000); /* the first is out to the KP */
    }
    printf("both searching\n");
    fflush(stdout);
    for (int i = 0; i < 2; i++) {
        pthread_join(threads[i], NULL);
        CHECK("C_CloseSession", p11->C_CloseSession(t[i].session));
    }
    printf("twin: %s %lu %s %lu\n", errmap_rv_name(t[0].rv), t[0].found,
           errmap_rv_name(t[1].rv), t[1].found);
}

static void cmd_info(void)
{
    CK_TOKEN_INFO info;

    CHECK("C_GetTokenInfo", p11->C_GetTokenInfo(slot_id, &info));
    printf("token %.32s\n", info.label);
}

static void cmd_signinit(const char *hex)
{
    unsigned char id[SKIP_KEYID_MAX];
    size_t len = parse_id(hex, id);
    CK_ULONG count = 0;
    CK_OBJECT_HANDLE key = find_id(id, len, &count);
    CK_MECHANISM mech = {CKM_SHA256_HMAC, NULL, 0};

    CHECK("C_SignInit", count == 1 ? p11->C_SignInit(session, &mech, key)
                                   : CKR_KEY_HANDLE_INVALID);
    printf("signinit\n");
}

static void cmd_destroy(const char *hex)
{
    unsigned char id[SKIP_KEYID_MAX];
    size_t len = parse_id(hex, id);
    CK_ULONG count = 0;
    CK_OBJECT_HANDLE key = find_id(id, len, &count);

    CHECK("C_DestroyObject", count == 1 ? p11->C_DestroyObject(session, key)
                                        : CKR_OBJECT_HANDLE_INVALID);
    printf("destroyed\n");
}

static void cmd_finalize(void)
{
    CHECK("C_Finalize", p11->C_Finalize(NULL));
    finalized = true;
    printf("finalized\n");
}

static void cmd_memscan(const char *not_key_hex)
{
    unsigned char not_key[64];
    size_t len = 0;

    if (!skip_hex_decode(not_key_hex, strlen(not_key_hex), not_key,
                         sizeof(not_key), &len)) {
        printf("error: bad key %s\n", not_key_hex);
        exit(1);
    }
    printf("memscan %ld\n", memscan_count(not_key, len));
}

/* Behind p11-kit's proxy or client the slots of other modules come first
 * and the numbers change; ours is the one skip-pkcs11 makes. */
static CK_SLOT_ID pick_slot(void)
{
    CK_SLOT_ID slots[64];
    CK_ULONG count = 64;

    CHECK("C_GetSlotList", p11->C_GetSlotList(CK_TRUE, slots, &count));
    for (CK_ULONG i = 0; i < count; i++) {
        CK_TOKEN_INFO info;
        if (p11->C_GetTokenInfo(slots[i], &info) == CKR_OK &&
            memcmp(info.manufacturerID, "skip-pkcs11 ", 12) == 0)
            return slots[i];
    }
    printf("error: no skip-pkcs11 token among %lu slots\n", count);
    exit(1);
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
    CHECK("C_Initialize", p11->C_Initialize(initialize_args()));
    slot_id = pick_slot();
    CHECK("C_OpenSession", p11->C_OpenSession(slot_id, CKF_SERIAL_SESSION |
                                                           CKF_RW_SESSION,
                                              NULL, NULL, &session));
    for (int i = 2; i < argc; i++) {
        /* On the stack: a failing command exits from inside, and a heap
         * copy would then show as lost under valgrind. */
        char *words[8], copy[1024], *save = NULL;
        int n = 0;

        if (snprintf(copy, sizeof(copy), "%s", argv[i]) >= (int)sizeof(copy)) {
            printf("error: command too long\n");
            return 2;
        }

        for (char *w = strtok_r(copy, " ", &save); w && n < 8;
             w = strtok_r(NULL, " ", &save))
            words[n++] = w;
        if (n >= 1 && strcmp(words[0], "keygen") == 0)
            cmd_keygen(words, n);
        else if (n >= 2 && strcmp(words[0], "find") == 0)
            cmd_find(words, n);
        else if (n == 2 && strcmp(words[0], "findlabel") == 0)
            cmd_findlabel(words[1]);
        else if (n == 2 && strcmp(words[0], "attrs") == 0)
            cmd_attrs(words[1]);
        else if (n == 3 && strcmp(words[0], "relabel") == 0)
            cmd_relabel(words[1], words[2]);
        else if (n == 4 && strcmp(words[0], "macsec") == 0)
            cmd_macsec(words[1], words[2], words[3]);
        else if ((n == 3 || n == 4) && strcmp(words[0], "derive") == 0)
            cmd_derive(words[1], words[2], n == 4 && strcmp(words[3], "hkdf") == 0);
        else if (n == 2 && strcmp(words[0], "login") == 0)
            cmd_login(words[1]);
        else if (n == 1 && strcmp(words[0], "ro") == 0)
            cmd_read_only();
        else if (n == 3 && strcmp(words[0], "sign") == 0)
            cmd_sign(words[1], words[2]);
        else if (n == 2 && strcmp(words[0], "value") == 0)
            cmd_value(words[1]);
        else if (n == 2 && strcmp(words[0], "random") == 0)
            cmd_random(words[1]);
        else if (n == 3 && strcmp(words[0], "randoms") == 0)
            cmd_randoms(words[1], words[2]);
        else if (n == 2 && strcmp(words[0], "forkrandom") == 0)
            cmd_forkrandom(words[1]);
        else if (n == 1 && strcmp(words[0], "threads") == 0)
            cmd_threads();
        else if (n == 1 && strcmp(words[0], "wait") == 0)
            cmd_wait();
        else if (n == 1 && strcmp(words[0], "exit") == 0)
            exit(0);
        else if (n == 1 && strcmp(words[0], "info") == 0)
            cmd_info();
        else if (n == 2 && strcmp(words[0], "orphan") == 0)
            cmd_orphan(words[1]);
        else if (n == 2 && strcmp(words[0], "twin") == 0)
            cmd_twin(words[1]);
        else if (n == 2 && strcmp(words[0], "signinit") == 0)
            cmd_signinit(words[1]);
        else if (n == 2 && strcmp(words[0], "destroy") == 0)
            cmd_destroy(words[1]);
        else if (n == 1 && strcmp(words[0], "finalize") == 0)
            cmd_finalize();
        else if (n == 2 && strcmp(words[0], "memscan") == 0)
            cmd_memscan(words[1]);
        else {
            printf("error: unknown command \"%s\"\n", argv[i]);
            return 2;
        }
    }
    if (!finalized) {
        CHECK("C_CloseSession", p11->C_CloseSession(session));
        CHECK("C_Finalize", p11->C_Finalize(NULL));
    }
    dlclose(lib);
    return 0;
}
