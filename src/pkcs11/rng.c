/* SPDX-License-Identifier: BSD-3-Clause */
/* A slot's generator (rng.h): the pool of KP entropy, its refill, the
 * DRBGs handed to callers, and the reseed bounds. */
#include "config.h"
#include "rng.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "skip/client.h"
#include "skip/log.h"

/* Bytes of the host's randomness mixed in at each (re)seed. */
#define OS_INPUT_BYTES 32
/* DRBGs kept for reuse: more callers at once than this make and free
 * their own. */
#define IDLE_MAX 16
/* A refill that failed is retried by the thread after this long. */
#define RETRY_MS 1000

typedef struct drbg {
    EVP_RAND_CTX *ctx;
    size_t given;           /* bytes generated since the last (re)seed */
    struct timespec seeded; /* when that was */
} drbg;

struct rng {
    CK_SLOT_ID slot_id;
    rng_policy policy;
    rng_fetch_fn fetch;
    bool may_thread;
    rng_pool *pool;
    EVP_RAND_CTX *seed;

    /* lock guards the rest; never held while a DRBG generates or the KP
     * is asked. */
    pthread_mutex_t lock;
    drbg *idle[IDLE_MAX];
    size_t idle_count;
    bool fetching;          /* a fetch is under way (thread or caller) */
    unsigned long fetches;  /* fetches ended so far */
    CK_RV last_fetch;       /* how the last one ended */
    pthread_cond_t filled;  /* a fetch ended */
    pthread_cond_t wake;    /* the thread has work, or must stop */
    pthread_t thread;
    bool thread_running, stop;
    atomic_bool thread_started; /* the thread is in refill_thread */
    struct rng *next, *prev;    /* in the fork registry */
};

/* Every generator, so a fork waits until none is fetching: a thread in
 * libcurl or OpenSSL at fork() could leave locks of theirs held in the
 * child, which then hangs at its first C_Initialize and request. */
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static rng *registry;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

/* Before fork(): each generator's lock is taken with no fetch under way,
 * and held through the fork, so its thread waits in the lock or its
 * condition variable, holding nothing of libcurl, OpenSSL or malloc. A
 * fork waits for a fetch in flight (bounded by the KP client's
 * timeouts). */
static void before_fork(void)
{
    pthread_mutex_lock(&registry_lock);
    for (rng *r = registry; r != NULL; r = r->next) {
        pthread_mutex_lock(&r->lock);
        /* a thread just created may still be starting up */
        while (r->thread_running && !atomic_load(&r->thread_started)) {
            pthread_mutex_unlock(&r->lock);
            sched_yield();
            pthread_mutex_lock(&r->lock);
        }
        while (r->fetching)
            pthread_cond_wait(&r->filled, &r->lock);
    }
}

static void after_fork_in_parent(void)
{
    for (rng *r = registry; r != NULL; r = r->next)
        pthread_mutex_unlock(&r->lock);
    pthread_mutex_unlock(&registry_lock);
}

/* The child's generators are the parent's: its C_Initialize abandons them
 * (rng_abandon), never locking what is held here. */
static void after_fork_in_child(void)
{
    registry = NULL;
    pthread_mutex_init(&registry_lock, NULL);
}

static void register_atfork(void)
{
    pthread_atfork(before_fork, after_fork_in_parent, after_fork_in_child);
}

/* A host may exit without C_Finalize while a refill thread is in a KP
 * request; OpenSSL's own exit handler would then free what the request
 * uses, under it. This handler, registered when the first thread starts
 * (after OpenSSL's, so run before it), ends every transfer and waits for
 * the threads. */
static pthread_once_t atexit_once = PTHREAD_ONCE_INIT;

static void stop_threads_at_exit(void)
{
    skip_client_stop_all();
    pthread_mutex_lock(&registry_lock);
    for (rng *r = registry; r != NULL; r = r->next) {
        bool join;
        pthread_mutex_lock(&r->lock);
        r->stop = true;
        pthread_cond_signal(&r->wake);
        join = r->thread_running;
        r->thread_running = false;
        pthread_mutex_unlock(&r->lock);
        if (join)
            pthread_join(r->thread, NULL);
    }
    pthread_mutex_unlock(&registry_lock);
}

static void register_atexit(void)
{
    atexit(stop_threads_at_exit);
}

static void now(struct timespec *ts)
{
    /* counts time suspended too: a seed does not get younger asleep */
    clock_gettime(CLOCK_BOOTTIME, ts);
}

static bool os_input(unsigned char *buf)
{
    size_t done = 0;

    while (done < OS_INPUT_BYTES) {
        ssize_t n = getrandom(buf + done, OS_INPUT_BYTES - done, 0);
        if (n < 0 && errno != EINTR)
            return false;
        if (n > 0)
            done += (size_t)n;
    }
    return true;
}

/* --- the pool's refill --- */

/* One fetch of what the pool lacks; called with lock held, which it drops
 * while the KP is asked. */
static void fetch_locked(rng *r)
{
    unsigned char *buf;
    size_t want = RNG_POOL_BYTES - rng_pool_level(r->pool);
    CK_RV rv = CKR_HOST_MEMORY;

    r->fetching = true;
    pthread_mutex_unlock(&r->lock);
    buf = OPENSSL_secure_malloc(RNG_POOL_BYTES);
    if (want > 0 && buf != NULL) {
        rv = r->fetch(r->slot_id, buf, want);
        if (rv == CKR_OK)
            rng_pool_put(r->pool, buf, want);
    }
    if (buf != NULL)
        OPENSSL_secure_clear_free(buf, RNG_POOL_BYTES);
    pthread_mutex_lock(&r->lock);
    r->fetching = false;
    r->fetches++;
    r->last_fetch = want > 0 ? rv : CKR_OK;
    pthread_cond_broadcast(&r->filled);
}

/* Until the pool holds need bytes: joins a fetch under way, or makes one.
 * The KP's failure code when a fetch this call saw end failed. */
static CK_RV ensure_pool(rng *r, size_t need)
{
    CK_RV rv = CKR_OK;

    pthread_mutex_lock(&r->lock);
    while (rng_pool_level(r->pool) < need) {
        if (r->fetching) {
            unsigned long seen = r->fetches;
            while (r->fetching && r->fetches == seen)
                pthread_cond_wait(&r->filled, &r->lock);
        } else {
            fetch_locked(r);
        }
        if (r->last_fetch != CKR_OK && rng_pool_level(r->pool) < need) {
            rv = r->last_fetch;
            break;
        }
    }
    pthread_mutex_unlock(&r->lock);
    return rv;
}

static void *refill_thread(void *arg)
{
    rng *r = arg;

    atomic_store(&r->thread_started, true);
    pthread_mutex_lock(&r->lock);
    while (!r->stop) {
        if (!r->fetching && rng_pool_level(r->pool) < RNG_POOL_LOW) {
            fetch_locked(r);
            if (r->last_fetch != CKR_OK && !r->stop) {
                /* a KP that is down is not asked in a loop; callers that
                 * need bytes meanwhile ask it themselves */
                struct timespec until;
                clock_gettime(CLOCK_REALTIME, &until);
                until.tv_sec += RETRY_MS / 1000;
                pthread_cond_timedwait(&r->wake, &r->lock, &until);
            }
            continue;
        }
        pthread_cond_wait(&r->wake, &r->lock);
    }
    pthread_mutex_unlock(&r->lock);
    return NULL;
}

/* Starts the thread at the generator's first use, and wakes it when the
 * pool runs low. With lock held. */
static void want_refill_locked(rng *r)
{
    sigset_t all, old;

    if (!r->may_thread || r->stop)
        return;
    if (r->thread_running) {
        if (rng_pool_level(r->pool) < RNG_POOL_LOW)
            pthread_cond_signal(&r->wake);
        return;
    }
    pthread_once(&atexit_once, register_atexit);
    /* the host's signals are for the host's threads */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    r->thread_running = pthread_create(&r->thread, NULL, refill_thread, r) == 0;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (!r->thread_running) {
        r->may_thread = false; /* callers fetch for themselves */
        skip_log_info("C_GenerateRandom: cannot start the entropy refill "
                      "thread; callers fetch when the pool is empty");
    }
}

/* --- DRBGs --- */

static void drbg_free(drbg *d)
{
    if (d == NULL)
        return;
    if (d->ctx != NULL) {
        EVP_RAND_uninstantiate(d->ctx); /* zeroizes its state */
        EVP_RAND_CTX_free(d->ctx);
    }
    free(d);
}

/* Entropy input and nonce from the pool, the host's randomness as the
 * personalization string. */
static CK_RV drbg_new(rng *r, drbg **out)
{
    unsigned char pers[OS_INPUT_BYTES];
    drbg *d = calloc(1, sizeof(*d));
    CK_RV rv = CKR_OK;

    if (d == NULL)
        return CKR_HOST_MEMORY;
    if (!os_input(pers)) {
        free(d);
        return CKR_DEVICE_ERROR;
    }
    /* another caller may take the bytes between the fill and the seed */
    for (int tries = 0; d->ctx == NULL && tries < 3; tries++) {
        rv = ensure_pool(r, RNG_STRENGTH / 8 * 3 / 2);
        if (rv != CKR_OK)
            break;
        d->ctx = rng_drbg_new(r->seed, pers, sizeof(pers));
    }
    OPENSSL_cleanse(pers, sizeof(pers));
    if (d->ctx == NULL) {
        free(d);
        return rv != CKR_OK ? rv : CKR_DEVICE_ERROR;
    }
    now(&d->seeded);
    *out = d;
    return CKR_OK;
}

static CK_RV drbg_reseed(rng *r, drbg *d)
{
    unsigned char addin[OS_INPUT_BYTES];
    CK_RV rv = CKR_DEVICE_ERROR;
    bool ok = false;

    if (!os_input(addin))
        return CKR_DEVICE_ERROR;
    for (int tries = 0; !ok && tries < 3; tries++) {
        rv = ensure_pool(r, RNG_STRENGTH / 8);
        if (rv != CKR_OK)
            break;
        ok = rng_drbg_reseed(d->ctx, r->policy.prediction_resistance, addin,
                             sizeof(addin));
    }
    OPENSSL_cleanse(addin, sizeof(addin));
    if (!ok)
        return rv != CKR_OK ? rv : CKR_DEVICE_ERROR;
    d->given = 0;
    now(&d->seeded);
    return CKR_OK;
}

static bool reseed_due(const rng *r, const drbg *d)
{
    struct timespec t;

    if (d->given >= r->policy.reseed_bytes)
        return true;
    now(&t);
    return (t.tv_sec - d->seeded.tv_sec) * 1000000000LL +
               (t.tv_nsec - d->seeded.tv_nsec) >=
           (long long)r->policy.reseed_seconds * 1000000000LL;
}

static drbg *take_idle(rng *r)
{
    drbg *d = NULL;

    pthread_mutex_lock(&r->lock);
    if (r->idle_count > 0)
        d = r->idle[--r->idle_count];
    pthread_mutex_unlock(&r->lock);
    return d;
}

static void give_back(rng *r, drbg *d)
{
    pthread_mutex_lock(&r->lock);
    if (r->idle_count < IDLE_MAX) {
        r->idle[r->idle_count++] = d;
        d = NULL;
    }
    want_refill_locked(r);
    pthread_mutex_unlock(&r->lock);
    drbg_free(d);
}

CK_RV rng_generate(rng *r, unsigned char *out, size_t len)
{
    drbg *d = take_idle(r);
    CK_RV rv = CKR_OK;
    bool fresh = false;
    size_t done = 0;

    if (d == NULL) {
        rv = drbg_new(r, &d);
        fresh = true;
    }
    /* one fresh sample per call with prediction resistance, however many
     * reseeds the byte bound adds */
    if (rv == CKR_OK && r->policy.prediction_resistance && !fresh)
        rv = drbg_reseed(r, d);
    while (rv == CKR_OK && done < len) {
        size_t chunk = len - done;

        if (reseed_due(r, d) && (rv = drbg_reseed(r, d)) != CKR_OK)
            break;
        if (chunk > r->policy.reseed_bytes - d->given)
            chunk = r->policy.reseed_bytes - d->given;
        if (EVP_RAND_generate(d->ctx, out + done, chunk, RNG_STRENGTH, 0,
                              NULL, 0) != 1)
            rv = CKR_DEVICE_ERROR;
        else {
            d->given += chunk;
            done += chunk;
        }
    }
    if (rv != CKR_OK) {
        OPENSSL_cleanse(out, len);
        drbg_free(d); /* its next use would need the same reseed */
        pthread_mutex_lock(&r->lock);
        want_refill_locked(r);
        pthread_mutex_unlock(&r->lock);
        return rv;
    }
    give_back(r, d);
    return CKR_OK;
}

/* --- life --- */

rng *rng_new(CK_SLOT_ID slot_id, const rng_policy *policy, rng_fetch_fn fetch,
             bool may_thread)
{
    rng *r = calloc(1, sizeof(*r));

    if (r == NULL)
        return NULL;
    r->slot_id = slot_id;
    r->policy = *policy;
    r->fetch = fetch;
    r->may_thread = may_thread;
    r->pool = rng_pool_new();
    r->seed = r->pool ? rng_seed_new(r->pool) : NULL;
    if (r->seed == NULL) {
        rng_pool_free(r->pool);
        free(r);
        return NULL;
    }
    pthread_mutex_init(&r->lock, NULL);
    pthread_cond_init(&r->filled, NULL);
    pthread_cond_init(&r->wake, NULL);
    pthread_once(&atfork_once, register_atfork);
    pthread_mutex_lock(&registry_lock);
    r->next = registry;
    if (registry != NULL)
        registry->prev = r;
    registry = r;
    pthread_mutex_unlock(&registry_lock);
    return r;
}

static void release(rng *r)
{
    for (size_t i = 0; i < r->idle_count; i++)
        drbg_free(r->idle[i]);
    EVP_RAND_CTX_free(r->seed);
    rng_pool_free(r->pool);
    free(r);
}

void rng_free(rng *r)
{
    bool join;

    if (r == NULL)
        return;
    pthread_mutex_lock(&registry_lock);
    if (r->prev != NULL)
        r->prev->next = r->next;
    else
        registry = r->next;
    if (r->next != NULL)
        r->next->prev = r->prev;
    pthread_mutex_unlock(&registry_lock);
    pthread_mutex_lock(&r->lock);
    r->stop = true;
    pthread_cond_signal(&r->wake);
    join = r->thread_running; /* not if joined at exit already */
    r->thread_running = false;
    pthread_mutex_unlock(&r->lock);
    if (join)
        pthread_join(r->thread, NULL);
    pthread_mutex_destroy(&r->lock);
    pthread_cond_destroy(&r->filled);
    pthread_cond_destroy(&r->wake);
    release(r);
}

void rng_abandon(rng *r)
{
    if (r != NULL)
        release(r); /* its locks may be held by a thread of the parent */
}

bool rng_thread_running(rng *r)
{
    bool running;

    pthread_mutex_lock(&r->lock);
    running = r->thread_running;
    pthread_mutex_unlock(&r->lock);
    return running;
}
