/* SPDX-License-Identifier: BSD-3-Clause */
/* C_GenerateRandom's generator (src/pkcs11/rng.h) without a KP: a scripted
 * entropy stream stands in for /entropy.
 *
 * The known-answer tests run NIST CAVP CTR_DRBG vectors ([AES-256 use df],
 * COUNT = 0) through the module's own construction: the seed source over
 * a pool, a CTR_DRBG child that takes entropy input and nonce from it in
 * one piece, the personalization string and additional input given as the
 * production code gives the host's randomness. A wrong derivation
 * function, a nonce taken from elsewhere or a byte of the pool served
 * twice would change the output.
 *
 * The rest drives rng_generate: the byte and time bounds, prediction
 * resistance, a KP that stops answering, and threads. */
#include "config.h"
#include "../unit/unit.h"

#include <dirent.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "pkcs11/rng.h"
#include "skip/hex.h"

static void unhex(const char *hex, unsigned char *out, size_t len)
{
    assert_int_equal(strlen(hex), 2 * len);
    for (size_t i = 0; i < len; i++) {
        unsigned v;
        assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
        out[i] = (unsigned char)v;
    }
}

static void pool_put_hex(rng_pool *pool, const char *hex)
{
    unsigned char buf[64];
    size_t len = strlen(hex) / 2;

    unhex(hex, buf, len);
    assert_int_equal(rng_pool_put(pool, buf, len), len);
}

/* CAVP CTR_DRBG.rsp, [AES-256 use df], [PredictionResistance = True],
 * PersonalizationStringLen = AdditionalInputLen = 256, COUNT = 0. Each
 * generate reseeds first with EntropyInputPR and the additional input. */
static void kat_prediction_resistance(void **state)
{
    rng_pool *pool = rng_pool_new();
    EVP_RAND_CTX *seed, *drbg;
    unsigned char pers[32], addin1[32], addin2[32], out[64], want[64];

    assert_non_null(pool);
    seed = rng_seed_new(pool);
    assert_non_null(seed);
    unhex("020d7340569e68d992e6e8ddfbead9f993c74d971e4339fe91074f87e9d7d777",
          pers, 32);
    unhex("f41040eff2a7010287c2a76d7867a66e61299be1e1247a6b22a64b829ada8624",
          addin1, 32);
    unhex("94efe68e2185646a17bb8a83268142a7b7a02786c1ee90ab8f7399ccf543de26",
          addin2, 32);
    unhex("da6389d151e3b2b332fbcc02b2cc5af4f69835e9fbbe19130f91cbf30a3c2458"
          "0ebfb4311b3487e9d6a61de9dc2842c107152158b0e75a932c38e5b8ddff10e6",
          want, 64);
    /* EntropyInput || Nonce: what instantiate takes from its parent */
    pool_put_hex(pool, "534346a3e0baa65d7a51871b6d633a6f"
                       "1efa9ff55dfde3212c95029adf2387d9"
                       "0cbe99821509975d824fd826c47d2abc");
    drbg = rng_drbg_new(seed, pers, sizeof(pers));
    assert_non_null(drbg);
    assert_int_equal(rng_pool_level(pool), 0);

    pool_put_hex(pool, "286091709d2e91bfef6654b8449d5e55"
                       "64b6c2fe1f3e4e6e59fe776461bfb0dc");
    assert_true(rng_drbg_reseed(drbg, true, addin1, sizeof(addin1)));
    assert_int_equal(EVP_RAND_generate(drbg, out, sizeof(out), RNG_STRENGTH,
                                       0, NULL, 0), 1);
    pool_put_hex(pool, "e68e127b2e5b9d6539c26f7e78bec133"
                       "14e37febdb7105d1d65f0bde23c87d38");
    assert_true(rng_drbg_reseed(drbg, true, addin2, sizeof(addin2)));
    assert_int_equal(EVP_RAND_generate(drbg, out, sizeof(out), RNG_STRENGTH,
                                       0, NULL, 0), 1);
    assert_memory_equal(out, want, sizeof(want));

    /* an empty pool is a failed reseed, never a reseed from elsewhere */
    assert_int_equal(rng_pool_level(pool), 0);
    assert_false(rng_drbg_reseed(drbg, true, addin1, sizeof(addin1)));

    /* uninstantiated, the state is zeroized */
    assert_int_equal(EVP_RAND_uninstantiate(drbg), 1);
    assert_int_equal(EVP_RAND_verify_zeroization(drbg), 1);
    EVP_RAND_CTX_free(drbg);
    EVP_RAND_CTX_free(seed);
    rng_pool_free(pool);
}

/* CAVP CTR_DRBG.rsp, [AES-256 use df], [PredictionResistance = False],
 * PersonalizationStringLen = 256, AdditionalInputLen = 0, COUNT = 0:
 * instantiate, reseed, generate twice. */
static void kat_reseed(void **state)
{
    rng_pool *pool = rng_pool_new();
    EVP_RAND_CTX *seed, *drbg;
    unsigned char pers[32], out[64], want[64];

    assert_non_null(pool);
    seed = rng_seed_new(pool);
    assert_non_null(seed);
    unhex("88eeb8e0e83bf3294bdacd6099ebe4bf55ecd9113f71e5ebcb4575f3d6a68a6b",
          pers, 32);
    unhex("a55180a190bef3adaf28f6b795e9f1f3d6dfa1b27dd0467b0c75f5fa931e9714"
          "75b27cae03a29654e2f40966ea33643040d1400fe677873af8097c1fe9f00298",
          want, 64);
    pool_put_hex(pool, "4cfb218673346d9d50c922e49b0dfcd0"
                       "90adf04f5c3ba47327dfcd6fa63a785c"
                       "016962a7fd2787a24bf6be47ef3783f1");
    drbg = rng_drbg_new(seed, pers, sizeof(pers));
    assert_non_null(drbg);
    pool_put_hex(pool, "b7ec46072363834a1b0133f2c23891db"
                       "4f11a68651f23e3a8b1fdc03b192c7e7");
    assert_true(rng_drbg_reseed(drbg, false, NULL, 0));
    for (int i = 0; i < 2; i++)
        assert_int_equal(EVP_RAND_generate(drbg, out, sizeof(out),
                                           RNG_STRENGTH, 0, NULL, 0), 1);
    assert_memory_equal(out, want, sizeof(want));
    EVP_RAND_CTX_free(drbg);
    EVP_RAND_CTX_free(seed);
    rng_pool_free(pool);
}

/* --- rng_generate over a scripted KP --- */

static struct script {
    pthread_mutex_t lock;
    bool down;           /* every fetch fails */
    unsigned long fetches, bytes;
    unsigned char next;  /* bytes are a counter: each fetch differs */
} kp = {.lock = PTHREAD_MUTEX_INITIALIZER};

static CK_RV scripted_fetch(CK_SLOT_ID slot_id, unsigned char *buf, size_t len)
{
    CK_RV rv = CKR_OK;

    pthread_mutex_lock(&kp.lock);
    if (kp.down) {
        rv = CKR_DEVICE_ERROR;
    } else {
        kp.fetches++;
        kp.bytes += len;
        for (size_t i = 0; i < len; i++)
            buf[i] = kp.next++;
    }
    pthread_mutex_unlock(&kp.lock);
    return rv;
}

static unsigned long kp_bytes(void)
{
    unsigned long n;

    pthread_mutex_lock(&kp.lock);
    n = kp.bytes;
    pthread_mutex_unlock(&kp.lock);
    return n;
}

static void kp_set_down(bool down)
{
    pthread_mutex_lock(&kp.lock);
    kp.down = down;
    pthread_mutex_unlock(&kp.lock);
}

static int reset_kp(void **state)
{
    kp_set_down(false);
    pthread_mutex_lock(&kp.lock);
    kp.fetches = kp.bytes = 0;
    pthread_mutex_unlock(&kp.lock);
    return 0;
}

static size_t thread_count(void)
{
    DIR *d = opendir("/proc/self/task");
    size_t n = 0;

    assert_non_null(d);
    while (readdir(d) != NULL)
        n++;
    closedir(d);
    return n - 2; /* . and .. */
}

/* Without threads, the pool is filled in bulk by the caller that finds it
 * empty: 1000 calls of 32 bytes ask the KP once (1 KiB: a 48-byte seed,
 * then 32 bytes per reseed, none due within 1 MiB and 60 s). */
static void bulk_fetch_without_threads(void **state)
{
    rng_policy policy = {RNG_RESEED_BYTES_DEFAULT, 60, false};
    size_t threads = thread_count();
    rng *r = rng_new(0, &policy, scripted_fetch, false);
    unsigned char a[32], b[32];

    assert_non_null(r);
    assert_int_equal(rng_generate(r, a, sizeof(a)), CKR_OK);
    for (int i = 0; i < 999; i++)
        assert_int_equal(rng_generate(r, b, sizeof(b)), CKR_OK);
    assert_memory_not_equal(a, b, sizeof(a));
    assert_int_equal(kp.fetches, 1);
    assert_int_equal(kp.bytes, RNG_POOL_BYTES);
    assert_false(rng_thread_running(r));
    assert_int_equal(thread_count(), threads);
    rng_free(r);
}

/* The byte bound: with reseed_bytes = 4096, 64 KiB drawn in one call
 * reseed 15 times (the first 4096 come from the fresh seed), 32 pool
 * bytes each after the 48 of the instantiation: 1024 - 48 - 480 = 496
 * bytes are left, 15 more reseeds. With the KP down, the 16th due reseed
 * fails: no byte past the bound. */
static void byte_bound_reseeds(void **state)
{
    rng_policy policy = {4096, 3600, false};
    rng *r = rng_new(0, &policy, scripted_fetch, false);
    unsigned char *buf = malloc(65536);

    assert_non_null(r);
    assert_non_null(buf);
    assert_int_equal(rng_generate(r, buf, 65536), CKR_OK);
    assert_int_equal(kp.fetches, 1);
    kp_set_down(true);
    for (int i = 0; i < 15; i++)
        assert_int_equal(rng_generate(r, buf, 4096), CKR_OK);
    memset(buf, 0xaa, 4096);
    assert_int_equal(rng_generate(r, buf, 4096), CKR_DEVICE_ERROR);
    for (int i = 0; i < 4096; i++)
        assert_int_equal(buf[i], 0); /* the caller's buffer is cleansed */
    /* the KP back, the generator is back */
    kp_set_down(false);
    assert_int_equal(rng_generate(r, buf, 4096), CKR_OK);
    free(buf);
    rng_free(r);
}

/* The time bound, apart from the byte bound: reseed_interval = 1. With
 * the KP down the pool is drained to 16 bytes (as above, 30 reseeds by
 * bytes); small draws then run on the last seed until the second has
 * passed, and the next one fails. */
static void time_bound_with_kp_down(void **state)
{
    rng_policy policy = {4096, 1, false};
    rng *r = rng_new(0, &policy, scripted_fetch, false);
    unsigned char *buf = malloc(65536);

    assert_non_null(r);
    assert_non_null(buf);
    assert_int_equal(rng_generate(r, buf, 65536), CKR_OK);
    kp_set_down(true);
    for (int i = 0; i < 14; i++)
        assert_int_equal(rng_generate(r, buf, 4096), CKR_OK);
    for (int i = 0; i < 10; i++) /* the first reseeds: 16 bytes left */
        assert_int_equal(rng_generate(r, buf, 32), CKR_OK);
    usleep(1100 * 1000);
    assert_int_equal(rng_generate(r, buf, 32), CKR_DEVICE_ERROR);
    free(buf);
    rng_free(r);
}

/* Prediction resistance: each call takes a fresh 32-byte sample. */
static void prediction_resistance_takes_a_sample_per_call(void **state)
{
    rng_policy policy = {RNG_RESEED_BYTES_DEFAULT, 3600, true};
    rng *r = rng_new(0, &policy, scripted_fetch, false);
    unsigned char buf[16];
    int ok = 0;

    assert_non_null(r);
    assert_int_equal(rng_generate(r, buf, sizeof(buf)), CKR_OK);
    kp_set_down(true);
    while (rng_generate(r, buf, sizeof(buf)) == CKR_OK)
        ok++;
    assert_int_equal(ok, (RNG_POOL_BYTES - 48) / 32);
    rng_free(r);
}

/* With threads allowed, one refill thread keeps the pool ahead: it starts
 * at the first use and ends with rng_free. */
static void refill_thread_lives_with_the_generator(void **state)
{
    rng_policy policy = {4096, 3600, false};
    size_t threads = thread_count();
    rng *r = rng_new(0, &policy, scripted_fetch, true);
    unsigned char *buf = malloc(1 << 20);

    assert_non_null(r);
    assert_non_null(buf);
    assert_false(rng_thread_running(r));
    /* 1 MiB at 4096 per seed: 256 reseeds, 8 KiB of KP entropy */
    assert_int_equal(rng_generate(r, buf, 1 << 20), CKR_OK);
    assert_true(rng_thread_running(r));
    assert_int_equal(thread_count(), threads + 1);
    assert_true(kp_bytes() >= 8192);
    rng_free(r);
    assert_int_equal(thread_count(), threads);
    free(buf);
}

#define WORKERS 8
#define DRAWS 500

struct worker {
    rng *r;
    unsigned char out[DRAWS][16];
    CK_RV rv;
};

static void *worker_run(void *arg)
{
    struct worker *w = arg;

    for (int i = 0; i < DRAWS && w->rv == CKR_OK; i++)
        w->rv = rng_generate(w->r, w->out[i], sizeof(w->out[i]));
    return NULL;
}

static int cmp16(const void *a, const void *b)
{
    return memcmp(a, b, 16);
}

/* Eight threads at once: every call succeeds, and no 16-byte block of
 * any of them repeats another's. */
static void threads_never_share_a_stream(void **state)
{
    rng_policy policy = {4096, 3600, false};
    rng *r = rng_new(0, &policy, scripted_fetch, true);
    static struct worker w[WORKERS];
    static unsigned char all[WORKERS * DRAWS][16];
    pthread_t t[WORKERS];

    assert_non_null(r);
    for (int i = 0; i < WORKERS; i++) {
        w[i].r = r;
        w[i].rv = CKR_OK;
        assert_int_equal(pthread_create(&t[i], NULL, worker_run, &w[i]), 0);
    }
    for (int i = 0; i < WORKERS; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(w[i].rv, CKR_OK);
        memcpy(all[i * DRAWS], w[i].out, sizeof(w[i].out));
    }
    qsort(all, WORKERS * DRAWS, 16, cmp16);
    for (int i = 1; i < WORKERS * DRAWS; i++)
        assert_memory_not_equal(all[i - 1], all[i], 16);
    rng_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(kat_prediction_resistance),
        cmocka_unit_test(kat_reseed),
        cmocka_unit_test_setup(bulk_fetch_without_threads, reset_kp),
        cmocka_unit_test_setup(byte_bound_reseeds, reset_kp),
        cmocka_unit_test_setup(time_bound_with_kp_down, reset_kp),
        cmocka_unit_test_setup(prediction_resistance_takes_a_sample_per_call,
                               reset_kp),
        cmocka_unit_test_setup(refill_thread_lives_with_the_generator,
                               reset_kp),
        cmocka_unit_test_setup(threads_never_share_a_stream, reset_kp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
