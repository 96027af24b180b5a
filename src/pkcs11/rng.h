/* SPDX-License-Identifier: BSD-3-Clause */
/* C_GenerateRandom's generator (random = drbg): per slot, a pool of KP
 * entropy fetched ahead in bulk, and SP 800-90A CTR_DRBG instances
 * (AES-256, derivation function) whose entropy input is that pool and
 * nothing else. OpenSSL 3 gives a DRBG its entropy through its parent, so
 * the pool is served by a seed source of ours (rng-seed.c, an EVP_RAND in
 * a built-in provider of the module's private library context), and the
 * DRBGs are its children: one per concurrent caller, each used by one
 * thread at a time, so no lock is held while one generates. The
 * operating system's randomness goes in as the personalization string and
 * as additional input at every reseed, so neither the KP nor the host
 * alone decides the output (docs/random.md). */
#ifndef SKIP_PKCS11_RNG_H
#define SKIP_PKCS11_RNG_H

#include <openssl/types.h>
#include <stdbool.h>
#include <stddef.h>

#include "pkcs11-3.h"

/* The security strength asked of every DRBG, and what a seed gives. */
#define RNG_STRENGTH 256
/* KP entropy held ahead per slot, and the level that wakes a refill. */
#define RNG_POOL_BYTES 1024
#define RNG_POOL_LOW (RNG_POOL_BYTES / 2)

typedef struct rng_policy {
    size_t reseed_bytes;        /* bytes a DRBG gives between reseeds */
    unsigned reseed_seconds;    /* and seconds since its last (re)seed */
    bool prediction_resistance; /* a fresh KP sample for every call */
} rng_policy;

#define RNG_RESEED_BYTES_DEFAULT (1024 * 1024)
#define RNG_RESEED_SECONDS_DEFAULT 60

/* Fills buf with len bytes of KP entropy for the slot: kp_entropy, or a
 * scripted source in tests. Called without any lock held. */
typedef CK_RV (*rng_fetch_fn)(CK_SLOT_ID slot_id, unsigned char *buf,
                              size_t len);

typedef struct rng rng;

/* may_thread: the host lets the library create threads
 * (CKF_LIBRARY_CANT_CREATE_OS_THREADS clear), so a thread refills the
 * pool ahead; otherwise a caller that finds it empty fetches. NULL when
 * out of memory or OpenSSL has no CTR-DRBG. */
rng *rng_new(CK_SLOT_ID slot_id, const rng_policy *policy, rng_fetch_fn fetch,
             bool may_thread);
/* Stops the refill thread (waiting for a fetch under way), zeroizes every
 * DRBG state and the pool. Call with no module lock held: the thread may
 * be in kp_entropy. */
void rng_free(rng *r);
/* In a forked child, where the refill thread does not exist and the
 * parent's locks may be held: zeroizes and frees without locking. */
void rng_abandon(rng *r);

/* len bytes from a DRBG, reseeding from the pool first when its bounds are
 * reached. CKR_DEVICE_ERROR when the KP cannot give the entropy a due
 * (re)seed needs: never output past the bounds on an old seed. */
CK_RV rng_generate(rng *r, unsigned char *out, size_t len);

/* Whether the refill thread runs (tests count threads). */
bool rng_thread_running(rng *r);

/* --- the pieces, for the known-answer test --- */

/* A pool: KP entropy bytes in locked, no-dump memory. */
typedef struct rng_pool rng_pool;
rng_pool *rng_pool_new(void);
void rng_pool_free(rng_pool *p);
/* Appends up to the pool's room; returns the bytes taken. */
size_t rng_pool_put(rng_pool *p, const unsigned char *buf, size_t len);
size_t rng_pool_level(rng_pool *p);

/* The seed source over a pool (rng-seed.c), instantiated. */
EVP_RAND_CTX *rng_seed_new(rng_pool *pool);
/* A CTR_DRBG child of seed, instantiated with the personalization string:
 * its entropy input and nonce (SP 800-90A 8.6.7) are taken from the pool
 * in one piece. NULL if the pool cannot give them. */
EVP_RAND_CTX *rng_drbg_new(EVP_RAND_CTX *seed, const unsigned char *pers,
                           size_t pers_len);
/* Reseeds from the pool with the additional input. */
bool rng_drbg_reseed(EVP_RAND_CTX *drbg, bool prediction_resistance,
                     const unsigned char *addin, size_t addin_len);

#endif
