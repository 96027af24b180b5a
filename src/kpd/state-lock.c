/* SPDX-License-Identifier: BSD-3-Clause */
/* The lock on skip-kpd's state (state-lock.h). */
#include "config.h"
#include "state-lock.h"

#include <pthread.h>
#include <stdbool.h>

/* Recursive: a callback holding it may answer a call whose connection
 * reads its next request and routes it, on the same thread. */
static pthread_mutex_t state_lock;
static pthread_once_t state_lock_once = PTHREAD_ONCE_INIT;

static void make_state_lock(void)
{
    pthread_mutexattr_t attr;

    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&state_lock, &attr);
    pthread_mutexattr_destroy(&attr);
}

/* A spinning thread's hint to the core (and to its sibling thread). */
static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __asm__ __volatile__("pause");
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/* Tries a while before sleeping: the lock is held for one request's
 * routing, a few microseconds, and a sleeping waiter costs two context
 * switches and a futex wake-up (profiled with workers = 2). */
#define STATE_LOCK_SPINS 200

static bool try_for_a_while(void)
{
    pthread_once(&state_lock_once, make_state_lock);
    for (int i = 0; i < STATE_LOCK_SPINS; i++) {
        if (pthread_mutex_trylock(&state_lock) == 0)
            return true;
        cpu_relax();
    }
    return false;
}

void kpd_state_lock(void)
{
    if (!try_for_a_while())
        pthread_mutex_lock(&state_lock);
}

void kpd_state_unlock(void)
{
    pthread_mutex_unlock(&state_lock);
}
