/* SPDX-License-Identifier: BSD-3-Clause */
/* The module lock (internal.h): exclusive around everything that changes
 * the module's tables, shared around the MAC calls, which only read them.
 *
 * A shared holder writes only a counter of its own, on a cache line of
 * its own: two threads signing on their own sessions and keys never write
 * a line the other reads, which a mutex or a reader-writer lock (one
 * counter for all readers) cannot avoid. An exclusive holder takes the
 * mutex, raises `writing`, and waits for the counters in use to drain. A
 * reader that finds `writing` raised steps back and waits on the mutex.
 *
 * The two sides meet Dekker-style, every access sequentially consistent:
 * a reader counts itself, then reads `writing`; a writer raises it, then
 * reads the counters. One of them sees the other. */
#include "config.h"
#include "internal.h"

#include <limits.h>
#include <sched.h>
#include <stdatomic.h>

/* Threads beyond this share counters: correct, only slower. */
#define READER_COUNTERS 16

static struct {
    _Alignas(64) atomic_uint holders;
} counters[READER_COUNTERS];

static atomic_uint threads_seen; /* counters handed out, unbounded */
static atomic_bool writing;
static _Thread_local unsigned my_counter = UINT_MAX;

static atomic_uint *mine(void)
{
    if (my_counter == UINT_MAX)
        my_counter = atomic_fetch_add(&threads_seen, 1) % READER_COUNTERS;
    return &counters[my_counter].holders;
}

/* With the mutex held: raise `writing`, then wait for the shared holders
 * in every counter handed out so far (a single-threaded host scans one). */
static void drain_readers(void)
{
    unsigned seen;

    atomic_store(&writing, true);
    seen = atomic_load(&threads_seen);
    if (seen > READER_COUNTERS)
        seen = READER_COUNTERS;
    for (unsigned i = 0; i < seen; i++)
        for (unsigned spins = 0; atomic_load(&counters[i].holders) != 0; spins++)
            if (spins > 100) /* a holder was preempted: let it run */
                sched_yield();
}

void module_lock(void)
{
    pthread_mutex_lock(&g_module.lock);
    drain_readers();
}

/* Lowering `writing` needs no fence: a reader that still sees it raised
 * only waits on the mutex for nothing, and one that sees it lowered sees
 * the tables as the writer left them (release, then its acquire). */
void module_unlock(void)
{
    atomic_store_explicit(&writing, false, memory_order_release);
    pthread_mutex_unlock(&g_module.lock);
}

void module_wait(pthread_cond_t *cond)
{
    /* The mutex is released while waiting: readers may run meanwhile. */
    atomic_store_explicit(&writing, false, memory_order_release);
    pthread_cond_wait(cond, &g_module.lock);
    drain_readers();
}

void module_lock_shared(void)
{
    atomic_uint *holders = mine();

    for (;;) {
        atomic_fetch_add(holders, 1);
        if (!atomic_load(&writing))
            return;
        atomic_fetch_sub(holders, 1);
        /* wait the writer out */
        pthread_mutex_lock(&g_module.lock);
        pthread_mutex_unlock(&g_module.lock);
    }
}

void module_unlock_shared(void)
{
    atomic_fetch_sub_explicit(mine(), 1, memory_order_release);
}

void module_lock_reset_in_child(void)
{
    /* The parent's other threads, and what they held, are not here. */
    for (unsigned i = 0; i < READER_COUNTERS; i++)
        atomic_store(&counters[i].holders, 0);
    atomic_store(&writing, false);
}
