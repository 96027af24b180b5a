/* SPDX-License-Identifier: BSD-3-Clause */
/* Key synchronisation between two Key Providers, behind one small
 * interface so that backends (prf today, push later) are interchangeable.
 * Backends return SKIP_E_NOT_FOUND for every "no such key" case (unknown
 * peer, forged, expired, already delivered), which the API answers with 400. */
#ifndef KPD_SYNC_H
#define KPD_SYNC_H

#include <stddef.h>
#include <stdint.h>

#include "kpd-config.h"
#include "skip/json.h"
#include "skip/rc.h"
#include "skip/secbuf.h"

#define KPD_KEY_BITS_DEFAULT 256
#define KPD_KEY_BITS_MIN 128
#define KPD_KEY_BITS_MAX 2048

typedef struct kpd_sync kpd_sync;

typedef struct kpd_sync_ops {
    const char *name; /* shown as "algorithm" in /capabilities */
    /* A fresh key shared with peer: key_id gets *key_id_len bytes. */
    skip_rc (*issue)(kpd_sync *sync, const char *peer, unsigned size_bits,
                     unsigned char key_id[SKIP_KEYID_MAX], size_t *key_id_len,
                     skip_secbuf **key, skip_err *err);
    /* The key peer issued for us under key_id, at most once. */
    skip_rc (*fetch)(kpd_sync *sync, const char *peer,
                     const unsigned char *key_id, size_t key_id_len,
                     skip_secbuf **key, skip_err *err);
    /* Periodic upkeep (ratchet, expiry); now_ms is wall-clock time. */
    void (*tick)(kpd_sync *sync, uint64_t now_ms);
    /* Takes the peers of a reloaded configuration. */
    skip_rc (*reload_peers)(kpd_sync *sync, const kpd_config *cfg,
                            skip_err *err);
    void (*free)(kpd_sync *sync);
} kpd_sync_ops;

struct kpd_sync {
    const kpd_sync_ops *ops;
};

/* Wall-clock milliseconds; backends take time through this pointer so
 * unit tests can move the clock. */
extern uint64_t (*kpd_clock_ms)(void);
/* Sleeps ms milliseconds of that clock (tests move it instead). */
extern void (*kpd_sleep_ms)(uint64_t ms);

/* The prf backend: keys derived from a secret each pair of KPs shares. */
skip_rc kpd_sync_prf_new(const kpd_config *cfg, kpd_sync **out, skip_err *err);

#endif
