/* SPDX-License-Identifier: BSD-3-Clause */
/* bench: the module's rows of `make bench`, each against a baseline
 * measured in the same run.
 *
 *   bench OURS.so SOFTHSM.so SOFTHSM_PIN KP_URL CA_FILE REMOTE OUT
 *
 * skip-pkcs11 takes its slot from $SKIP_PKCS11_CONF (a skip-testbed site in
 * certificate mode, so the raw libcurl baseline can reach the same KP with
 * nothing but a CA file); SoftHSM2 its token from $SOFTHSM2_CONF. Every
 * timed row alternates ours and the baseline for ROUNDS rounds and keeps
 * the median ratio, because the machines this runs on are shared and
 * noisy. Appends one JSON object per row to OUT. */
#include "config.h"

#include <curl/curl.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "floor.h"
#include "pkcs11/pkcs11-3.h"

#define ROUNDS 5

struct token {
    const char *name;
    CK_FUNCTION_LIST *p11;
    CK_SLOT_ID slot;
    CK_SESSION_HANDLE session;
};

static struct token ours = {.name = "skip-pkcs11"};
static struct token softhsm = {.name = "SoftHSM2"};
static const char *kp_url, *ca_file, *remote;
static FILE *out;

static void die(const char *what, CK_RV rv)
{
    fprintf(stderr, "bench: %s: 0x%lx\n", what, rv);
    exit(1);
}

#define CK(call)                                                               \
    do {                                                                       \
        CK_RV rv_ = (call);                                                    \
        if (rv_ != CKR_OK)                                                     \
            die(#call, rv_);                                                   \
    } while (0)

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long rss_bytes(void)
{
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");

    if (f == NULL || fscanf(f, "%ld %ld", &pages, &resident) != 2)
        resident = 0;
    if (f)
        fclose(f);
    return resident * sysconf(_SC_PAGESIZE);
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(double), compare_doubles);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* One row of results.json. `ratio` is oriented so that the target reads
 * as written: "<= 1.10" for a time ratio, ">= 3" for a speed-up. */
static void emit(const char *row, double ours_v, double base_v, const char *unit,
                 double ratio, const char *target)
{
    bool met = true;
    double bound;

    if (sscanf(target, "<= %lf", &bound) == 1)
        met = ratio <= bound;
    else if (sscanf(target, ">= %lf", &bound) == 1)
        met = ratio >= bound;
    fprintf(out,
            "{\"row\":\"%s\",\"ours\":%.4g,\"baseline\":%.4g,\"unit\":\"%s\","
            "\"ratio\":%.4g,\"target\":\"%s\",\"met\":%s}\n",
            row, ours_v, base_v, unit, ratio, target, met ? "true" : "false");
    fflush(out);
    fprintf(stderr, "bench: %-22s ours %10.4g  baseline %10.4g %-6s ratio %8.4g  %s %s\n",
            row, ours_v, base_v, unit, ratio, target, met ? "met" : "MISSED");
}

/* --- tokens --- */
static void open_token(struct token *t, const char *path, const char *pin)
{
    CK_C_GetFunctionList get_list;
    CK_SLOT_ID slots[8];
    CK_ULONG count = 8;
    void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);

    get_list = lib ? (CK_C_GetFunctionList)dlsym(lib, "C_GetFunctionList") : NULL;
    if (get_list == NULL) {
        fprintf(stderr, "bench: cannot load %s\n", path);
        exit(1);
    }
    CK(get_list(&t->p11));
    CK(t->p11->C_Initialize(NULL));
    CK(t->p11->C_GetSlotList(CK_TRUE, slots, &count));
    if (count == 0)
        die("no token", 0);
    t->slot = slots[0];
    CK(t->p11->C_OpenSession(t->slot, CKF_SERIAL_SESSION | CKF_RW_SESSION,
                             NULL, NULL, &t->session));
    if (pin)
        CK(t->p11->C_Login(t->session, CKU_USER, (CK_UTF8CHAR_PTR)pin,
                           strlen(pin)));
}

static CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
static CK_OBJECT_CLASS secret_class = CKO_SECRET_KEY;

/* A key from our KP: a session key (destroyed by the caller) or a token
 * key kept for the find rows. */
static CK_OBJECT_HANDLE our_key(CK_SESSION_HANDLE s, bool token, bool hmac,
                                unsigned char *id, CK_ULONG *id_len)
{
    CK_MECHANISM gen = {CKM_GENERIC_SECRET_KEY_GEN, NULL, 0};
    CK_ULONG len = 32;
    CK_ATTRIBUTE tmpl[] = {{CKA_VALUE_LEN, &len, sizeof(len)},
                           {CKA_TOKEN, token ? &yes : &no, 1},
                           {hmac ? CKA_SIGN : CKA_DERIVE, &yes, 1}};
    CK_OBJECT_HANDLE h;

    CK(ours.p11->C_GenerateKey(s, &gen, tmpl, 3, &h));
    if (id) {
        CK_ATTRIBUTE get = {CKA_ID, id, 64};
        CK(ours.p11->C_GetAttributeValue(s, h, &get, 1));
        *id_len = get.ulValueLen;
    }
    return h;
}

/* A SoftHSM2 session key with a value and a 16-byte CKA_ID. */
static CK_OBJECT_HANDLE softhsm_key(CK_KEY_TYPE type, const unsigned char *id,
                                    bool derive)
{
    unsigned char value[32];
    CK_ATTRIBUTE tmpl[] = {
        {CKA_CLASS, &secret_class, sizeof(secret_class)},
        {CKA_KEY_TYPE, &type, sizeof(type)},
        {CKA_TOKEN, &no, 1},
        {CKA_SENSITIVE, &yes, 1},
        {derive ? CKA_DERIVE : CKA_SIGN, &yes, 1},
        {CKA_VALUE, value, sizeof(value)},
        {CKA_ID, (void *)id, 16},
    };
    CK_OBJECT_HANDLE h;

    for (size_t i = 0; i < sizeof(value); i++)
        value[i] = (unsigned char)(rand() & 0xff);
    CK(softhsm.p11->C_CreateObject(softhsm.session, tmpl, 7, &h));
    return h;
}

/* --- timed operations: each returns seconds for n operations --- */
typedef double (*bench_fn)(struct token *t, int n, void *arg);

static double time_keygen(struct token *t, int n, void *arg)
{
    double start = now_s();

    (void)arg;
    for (int i = 0; i < n; i++)
        CK(t->p11->C_DestroyObject(t->session,
                                   our_key(t->session, false, true, NULL, NULL)));
    return now_s() - start;
}

struct sink {
    char data[4096];
    size_t len;
};

static size_t sink_write(char *ptr, size_t size, size_t n, void *arg)
{
    struct sink *s = arg;
    size_t len = size * n;

    if (len > sizeof(s->data) - s->len)
        return 0;
    memcpy(s->data + s->len, ptr, len);
    s->len += len;
    return len;
}

/* The baseline: libcurl alone, kept alive, asking the same KP for a key. */
static double time_raw_curl(struct token *t, int n, void *arg)
{
    CURL *curl = arg;
    struct sink sink;
    double start = now_s();

    (void)t;
    for (int i = 0; i < n; i++) {
        long status = 0;
        sink.len = 0;
        curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
        if (curl_easy_perform(curl) != CURLE_OK ||
            curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK ||
            status != 200)
            die("raw libcurl GET /key", (CK_RV)status);
    }
    return now_s() - start;
}

struct find_arg {
    unsigned char (*ids)[16];
    int count;
};

#define FIND_QUERIES_MAX 20000

static double time_find(struct token *t, int n, void *arg)
{
    /* The keyIds to ask for, drawn before the clock starts and read in
     * order, so the harness's own table of 100k ids adds no cache misses
     * to the module's. */
    static unsigned char queries[FIND_QUERIES_MAX][16];
    struct find_arg *f = arg;
    double start;

    if (n > FIND_QUERIES_MAX)
        die("find: too many queries", (CK_RV)n);
    for (int i = 0; i < n; i++)
        memcpy(queries[i], f->ids[rand() % f->count], 16);
    start = now_s();
    for (int i = 0; i < n; i++) {
        CK_ATTRIBUTE tmpl[] = {{CKA_CLASS, &secret_class, sizeof(secret_class)},
                               {CKA_ID, queries[i], 16}};
        CK_OBJECT_HANDLE h;
        CK_ULONG found = 0;
        CK(t->p11->C_FindObjectsInit(t->session, tmpl, 2));
        CK(t->p11->C_FindObjects(t->session, &h, 1, &found));
        CK(t->p11->C_FindObjectsFinal(t->session));
        if (found != 1)
            die("find: key not found", found);
    }
    return now_s() - start;
}

static double time_hmac(struct token *t, int n, void *arg)
{
    CK_OBJECT_HANDLE key = *(CK_OBJECT_HANDLE *)arg;
    CK_MECHANISM mech = {CKM_SHA256_HMAC, NULL, 0};
    unsigned char data[64] = {0}, mac[32];
    double start = now_s();

    for (int i = 0; i < n; i++) {
        CK_ULONG len = sizeof(mac);
        CK(t->p11->C_SignInit(t->session, &mech, key));
        CK(t->p11->C_Sign(t->session, data, sizeof(data), mac, &len));
    }
    return now_s() - start;
}

struct derive_arg {
    CK_OBJECT_HANDLE key;
    CK_MECHANISM mech;
    CK_KEY_TYPE out_type;
};

static double time_derive(struct token *t, int n, void *arg)
{
    struct derive_arg *d = arg;
    CK_ULONG len = 32;
    CK_ATTRIBUTE tmpl[] = {{CKA_CLASS, &secret_class, sizeof(secret_class)},
                           {CKA_KEY_TYPE, &d->out_type, sizeof(d->out_type)},
                           {CKA_VALUE_LEN, &len, sizeof(len)},
                           {CKA_TOKEN, &no, 1}};
    double start = now_s();

    for (int i = 0; i < n; i++) {
        CK_OBJECT_HANDLE h;
        CK(t->p11->C_DeriveKey(t->session, &d->mech, d->key, tmpl, 4, &h));
        CK(t->p11->C_DestroyObject(t->session, h));
    }
    return now_s() - start;
}

static double time_session(struct token *t, int n, void *arg)
{
    double start = now_s();

    (void)arg;
    for (int i = 0; i < n; i++) {
        CK_SESSION_HANDLE s;
        CK(t->p11->C_OpenSession(t->slot, CKF_SERIAL_SESSION, NULL, NULL, &s));
        CK(t->p11->C_CloseSession(s));
    }
    return now_s() - start;
}

static double time_random(struct token *t, int n, void *arg)
{
    CK_ULONG len = *(CK_ULONG *)arg;
    static unsigned char buf[4096];
    double start = now_s();

    for (int i = 0; i < n; i++)
        CK(t->p11->C_GenerateRandom(t->session, buf, len));
    return now_s() - start;
}

/* The floors: the same work without the module (floor.c), and the
 * smallest call through the function list. */
struct floor_fn {
    double (*fn)(int n);
};

static double time_floor(struct token *t, int n, void *arg)
{
    (void)t;
    return ((struct floor_fn *)arg)->fn(n);
}

static double time_empty_call(struct token *t, int n, void *arg)
{
    double start = now_s();

    (void)arg;
    for (int i = 0; i < n; i++)
        if (t->p11->C_GetFunctionStatus(t->session) != CKR_FUNCTION_NOT_PARALLEL)
            die("C_GetFunctionStatus", CKR_GENERAL_ERROR);
    return now_s() - start;
}

/* BENCH_ROWS=TEXT measures only the rows whose names hold TEXT: one row
 * at a time while working on it, instead of the whole run. */
static bool wanted(const char *row)
{
    const char *only = getenv("BENCH_ROWS");

    return only == NULL || *only == '\0' || strstr(row, only) != NULL;
}

/* Alternates the two sides for ROUNDS rounds; per-op microseconds and the
 * median of the per-round ratios base/ours (or ours/base). */
static void compare(const char *row, struct token *a, bench_fn fa, int na,
                    void *arga, struct token *b, bench_fn fb, int nb,
                    void *argb, bool time_ratio, const char *target)
{
    double us_a[ROUNDS], us_b[ROUNDS], ratio[ROUNDS];

    if (!wanted(row))
        return;
    fa(a, na / 10 + 1, arga); /* warm up both: connections, caches */
    fb(b, nb / 10 + 1, argb);
    for (int r = 0; r < ROUNDS; r++) {
        us_a[r] = fa(a, na, arga) * 1e6 / na;
        us_b[r] = fb(b, nb, argb) * 1e6 / nb;
        ratio[r] = time_ratio ? us_a[r] / us_b[r] : us_b[r] / us_a[r];
    }
    emit(row, median(us_a, ROUNDS), median(us_b, ROUNDS), "us/op",
         median(ratio, ROUNDS), target);
}

/* --- threads: throughput with 2 threads against 1 --- */
struct worker {
    pthread_t thread;
    int n;
    bool hmac;
    double seconds;
};

static void *work(void *arg)
{
    struct worker *w = arg;
    struct token t = ours;
    CK_OBJECT_HANDLE key = CK_INVALID_HANDLE;

    CK(ours.p11->C_OpenSession(ours.slot, CKF_SERIAL_SESSION | CKF_RW_SESSION,
                               NULL, NULL, &t.session));
    if (w->hmac)
        key = our_key(t.session, false, true, NULL, NULL);
    w->seconds = w->hmac ? time_hmac(&t, w->n, &key) : time_keygen(&t, w->n, NULL);
    CK(ours.p11->C_CloseSession(t.session));
    return NULL;
}

static double throughput(int threads, int n, bool hmac)
{
    struct worker w[2];
    double start = now_s();

    for (int i = 0; i < threads; i++) {
        w[i] = (struct worker){.n = n, .hmac = hmac};
        pthread_create(&w[i].thread, NULL, work, &w[i]);
    }
    for (int i = 0; i < threads; i++)
        pthread_join(w[i].thread, NULL);
    return threads * n / (now_s() - start);
}

static CURL *raw_curl(void);

/* The machine's own scaling: the same work (HMAC with OpenSSL alone, or
 * libcurl asking the KP for keys) in one and in two forked processes that
 * share nothing but the KP, their summed rates. The thread rows are stated
 * as a fraction of it: on a machine whose two cores make 1.6 of one (a
 * shared cache, a busy neighbour), 1.6 for two threads is all there is. */
static double process_rate(int procs, int n, bool hmac)
{
    double sum = 0;
    int fds[2];

    if (pipe(fds) != 0)
        exit(1);
    for (int i = 0; i < procs; i++) {
        pid_t pid = fork();
        if (pid < 0)
            exit(1);
        if (pid == 0) {
            double seconds;
            if (hmac) {
                seconds = floor_hmac_64(n);
            } else {
                CURL *curl = raw_curl();
                seconds = time_raw_curl(NULL, n, curl);
                curl_easy_cleanup(curl);
            }
            if (write(fds[1], &seconds, sizeof(seconds)) != sizeof(seconds))
                _exit(1);
            _exit(0);
        }
    }
    close(fds[1]);
    for (int i = 0; i < procs; i++) {
        double seconds;
        if (read(fds[0], &seconds, sizeof(seconds)) != sizeof(seconds))
            exit(1);
        sum += n / seconds;
    }
    close(fds[0]);
    while (wait(NULL) > 0)
        ;
    return sum;
}

/* Two threads against one, and the same against the machine's two
 * processes against one, measured in the same rounds. */
static void threads_row(const char *row, const char *machine_row, int n,
                        bool hmac, const char *target)
{
    double one[ROUNDS], two[ROUNDS], ratio[ROUNDS];
    double p1[ROUNDS], p2[ROUNDS], machine[ROUNDS], fraction[ROUNDS];
    char name[160];

    if (!wanted(row))
        return;
    throughput(2, n / 10 + 1, hmac);
    process_rate(2, n / 10 + 1, hmac);
    for (int r = 0; r < ROUNDS; r++) {
        one[r] = throughput(1, n, hmac);
        two[r] = throughput(2, n, hmac);
        ratio[r] = two[r] / one[r];
        p1[r] = process_rate(1, n, hmac);
        p2[r] = process_rate(2, n, hmac);
        machine[r] = p2[r] / p1[r];
        fraction[r] = ratio[r] / machine[r];
    }
    emit(row, median(two, ROUNDS), median(one, ROUNDS), "ops/s",
         median(ratio, ROUNDS), "reported");
    emit(machine_row, median(p2, ROUNDS), median(p1, ROUNDS), "ops/s",
         median(machine, ROUNDS), "reported");
    snprintf(name, sizeof(name), "%s (fraction of the machine's)", row);
    emit(name, median(ratio, ROUNDS), median(machine, ROUNDS), "ratio",
         median(fraction, ROUNDS), target);
}

/* --- the rows --- */
static CURL *raw_curl(void)
{
    CURL *curl = curl_easy_init();
    char url[512];

    snprintf(url, sizeof(url), "%s/key?remoteSystemID=%s", kp_url, remote);
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_CAINFO, ca_file);
    curl_easy_setopt(curl, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_3);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, sink_write);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    return curl;
}

/* Holds our keys up to `target` and SoftHSM2's up to `softhsm_target`. */
static void fill(unsigned char (*our_ids)[16], int *ours_n, int target,
                 unsigned char (*hsm_ids)[16], int *hsm_n, int softhsm_target)
{
    for (; *ours_n < target; (*ours_n)++) {
        CK_ULONG len = 0;
        unsigned char id[64];
        our_key(ours.session, true, true, id, &len);
        memcpy(our_ids[*ours_n], id, 16);
    }
    for (; *hsm_n < softhsm_target; (*hsm_n)++) {
        for (int b = 0; b < 16; b++)
            hsm_ids[*hsm_n][b] = (unsigned char)(rand() & 0xff);
        softhsm_key(CKK_GENERIC_SECRET, hsm_ids[*hsm_n], false);
    }
}

static void find_rows(void)
{
    static unsigned char our_ids[100000][16], hsm_ids[10000][16];
    int ours_n = 0, hsm_n = 0;
    struct find_arg fo = {our_ids, 0}, fh = {hsm_ids, 0};
    double at1k[ROUNDS], at100k[ROUNDS], ratio[ROUNDS];
    long rss_before, rss_after;

    if (!wanted("find") && !wanted("memory"))
        return;
    fill(our_ids, &ours_n, 1000, hsm_ids, &hsm_n, 1000);
    fo.count = ours_n, fh.count = hsm_n;
    compare("find 1k keys", &ours, time_find, 20000, &fo, &softhsm, time_find,
            200, &fh, false, "reported");
    compare("find 1k keys (vs an empty call)", &ours, time_find, 20000, &fo,
            &ours, time_empty_call, 20000, NULL, false, "reported");
    fill(our_ids, &ours_n, 10000, hsm_ids, &hsm_n, 10000);
    fo.count = ours_n, fh.count = hsm_n;
    compare("find 10k keys", &ours, time_find, 20000, &fo, &softhsm, time_find,
            20, &fh, false, ">= 1000");

    /* Ours alone from here: 1k against 100k, on the same keys' first
     * thousand and then all of them, alternating. */
    rss_before = rss_bytes();
    fill(our_ids, &ours_n, 100000, hsm_ids, &hsm_n, 0);
    rss_after = rss_bytes();
    for (int r = 0; r < ROUNDS; r++) {
        fo.count = 1000;
        at1k[r] = time_find(&ours, 20000, &fo) * 1e6 / 20000;
        fo.count = 100000;
        at100k[r] = time_find(&ours, 20000, &fo) * 1e6 / 20000;
        ratio[r] = at100k[r] / at1k[r];
    }
    emit("find 100k/1k keys", median(at100k, ROUNDS), median(at1k, ROUNDS),
         "us/op", median(ratio, ROUNDS), "<= 1.5");
    emit("memory per held key", (double)(rss_after - rss_before) / 90000,
         1024, "B/key", (double)(rss_after - rss_before) / 90000 / 1024,
         "<= 1");
}

int main(int argc, char **argv)
{
    CK_OBJECT_HANDLE our_hmac, our_kdf, hsm_hmac, hsm_aes;
    CK_ULONG n32 = 32, n4k = 4096;
    unsigned char seed[32] = {1}, hsm_id[16] = {0};
    CK_IKE2_PRF_PLUS_DERIVE_PARAMS prfplus = {CKM_SHA256_HMAC, CK_FALSE, 0,
                                              seed, sizeof(seed)};
    CK_HKDF_PARAMS hkdf = {.bExpand = CK_TRUE, .prfHashMechanism = CKM_SHA256,
                           .ulSaltType = CKF_HKDF_SALT_NULL, .pInfo = seed,
                           .ulInfoLen = sizeof(seed)};
    CK_KEY_DERIVATION_STRING_DATA ecb = {seed, sizeof(seed)};
    struct derive_arg d_prf, d_hkdf, d_hsm;
    struct floor_fn f_hmac = {floor_hmac_64}, f_prfplus = {floor_prfplus_32},
                    f_hkdf = {floor_hkdf_32};
    CURL *curl;

    if (argc != 8) {
        fprintf(stderr, "usage: bench OURS.so SOFTHSM.so SOFTHSM_PIN KP_URL "
                        "CA_FILE REMOTE OUT\n");
        return 2;
    }
    kp_url = argv[4], ca_file = argv[5], remote = argv[6];
    out = fopen(argv[7], "a");
    if (out == NULL)
        return 1;
    srand(1);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    open_token(&ours, argv[1], NULL);
    open_token(&softhsm, argv[2], argv[3]);

    curl = raw_curl();
    compare("keygen", &ours, time_keygen, 300, NULL, &ours, time_raw_curl,
            300, curl, true, "<= 1.10");
    curl_easy_cleanup(curl);

    our_hmac = our_key(ours.session, false, true, NULL, NULL);
    hsm_hmac = softhsm_key(CKK_GENERIC_SECRET, hsm_id, false);
    compare("hmac-sha256 64 B", &ours, time_hmac, 20000, &our_hmac, &softhsm,
            time_hmac, 20000, &hsm_hmac, false, ">= 3");

    our_kdf = our_key(ours.session, false, false, NULL, NULL);
    hsm_aes = softhsm_key(CKK_AES, hsm_id, true);
    d_prf = (struct derive_arg){our_kdf, {CKM_IKE2_PRF_PLUS_DERIVE, &prfplus,
                                          sizeof(prfplus)}, CKK_GENERIC_SECRET};
    d_hkdf = (struct derive_arg){our_kdf, {CKM_HKDF_DERIVE, &hkdf, sizeof(hkdf)},
                                 CKK_GENERIC_SECRET};
    d_hsm = (struct derive_arg){hsm_aes, {CKM_AES_ECB_ENCRYPT_DATA, &ecb,
                                          sizeof(ecb)}, CKK_AES};
    compare("derive prf+ 32 B", &ours, time_derive, 5000, &d_prf, &softhsm,
            time_derive, 5000, &d_hsm, false, ">= 2");
    compare("derive hkdf 32 B", &ours, time_derive, 5000, &d_hkdf, &softhsm,
            time_derive, 5000, &d_hsm, false, ">= 2");

    compare("session open+close", &ours, time_session, 20000, NULL, &softhsm,
            time_session, 20000, NULL, false, ">= 1");

    /* against the limit (issue 18, part 6) */
    compare("hmac-sha256 64 B (vs OpenSSL EVP_MAC, same process)", &ours,
            time_hmac, 20000, &our_hmac, &ours, time_floor, 20000, &f_hmac,
            false, ">= 0.8");
    compare("derive prf+ 32 B (vs one EVP_MAC HMAC block)", &ours, time_derive,
            5000, &d_prf, &ours, time_floor, 5000, &f_prfplus, false, ">= 0.8");
    compare("derive hkdf 32 B (vs EVP_KDF HKDF expand)", &ours, time_derive,
            5000, &d_hkdf, &ours, time_floor, 5000, &f_hkdf, false, ">= 0.8");
    compare("session open+close (vs an empty call)", &ours, time_session,
            20000, NULL, &ours, time_empty_call, 20000, NULL, false,
            "reported");
    /* the DRBG over pooled KP entropy (docs/random.md) */
    compare("random 32 B", &ours, time_random, 20000, &n32, &softhsm,
            time_random, 20000, &n32, false, ">= 1");
    compare("random 4 KiB", &ours, time_random, 5000, &n4k, &softhsm,
            time_random, 5000, &n4k, false, ">= 1");

    threads_row("threads keygen 2/1",
                "machine: libcurl GET /key, 2 processes / 1", 300, false,
                ">= 0.9");
    threads_row("threads hmac 2/1", "machine: EVP_MAC HMAC, 2 processes / 1",
                300000, true, ">= 0.95");

    find_rows();

    fclose(out);
    return 0;
}
