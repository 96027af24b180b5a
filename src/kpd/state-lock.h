/* SPDX-License-Identifier: BSD-3-Clause */
/* The lock on skip-kpd's state: the key source, the ledger, the per-peer
 * counts, the audit trail and the reloadable configuration are touched by
 * one thread at a time, the one holding it. A worker takes it to route a
 * request; every main loop callback that reaches the source or the ledger
 * takes it too (worker.h). Recursive; implemented in worker.c. */
#ifndef KPD_STATE_LOCK_H
#define KPD_STATE_LOCK_H

#include <stdbool.h>

struct event_base;

void kpd_state_lock(void);
void kpd_state_unlock(void);

/* For a main loop callback on an event that a worker may delete or free
 * while it holds the lock (a ledger's socket, an HTTPS client's timer):
 * libevent makes such a worker wait until the callback has returned, so
 * the callback must not wait for the lock. True when the lock is taken;
 * false when it is busy, and the event then runs again (with what) at
 * the loop's next turn instead. */
bool kpd_state_lock_or_again(struct event_base *base, short what);

#endif
