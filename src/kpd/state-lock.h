/* SPDX-License-Identifier: BSD-3-Clause */
/* The lock on skip-kpd's state: the key source, the ledger, the per-peer
 * counts, the audit trail and the reloadable configuration are touched by
 * one thread at a time, the one holding it. A worker takes it to route a
 * request; every main loop callback that reaches the source or the ledger
 * a worker may use takes it too (worker.h). Recursive. */
#ifndef KPD_STATE_LOCK_H
#define KPD_STATE_LOCK_H

void kpd_state_lock(void);
void kpd_state_unlock(void);

#endif
