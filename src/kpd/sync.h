/* SPDX-License-Identifier: BSD-3-Clause */
/* Key synchronisation between two Key Providers, behind one small
 * interface so that key sources (prf today; etsi014, push later) are
 * interchangeable. Each source is one file, sync-<name>.c, and one row of
 * the constructor table in backends.c. Issue and fetch are asynchronous so
 * that a source may wait on a ledger or a network without blocking the
 * loop.
 * Backends return SKIP_E_NOT_FOUND for every "no such key" case (unknown
 * peer, forged, expired, already delivered), which the API answers with 400
 * "key not found"; SKIP_E_ARGS for a request the source cannot serve (a
 * size out of its range), answered with 400 and the detail, which names the
 * limit; anything else is 500. */
#ifndef KPD_SYNC_H
#define KPD_SYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kpd-config.h"
#include "ledger.h"
#include "metrics.h"
#include "skip/json.h"
#include "skip/rc.h"
#include "skip/secbuf.h"

struct event_base;

#define KPD_KEY_BITS_DEFAULT 256
#define KPD_KEY_BITS_MIN 128
#define KPD_KEY_BITS_MAX 2048

typedef struct kpd_sync kpd_sync;

/* The outcome of an issue or a fetch. The done callback takes key (sets it
 * to NULL or frees it); everything else is the source's. */
typedef struct kpd_key_result {
    skip_rc rc;
    skip_err err; /* why, for the log; never key bytes */
    /* why, for the metrics and the audit trail: KPD_CAUSE_NONE lets the
     * API take it from rc (NOT_FOUND: unknown_key; others: source_failure) */
    kpd_cause cause;
    unsigned char id[SKIP_KEYID_MAX];
    size_t id_len;
    skip_secbuf *key;
} kpd_key_result;

/* Called exactly once per issue or fetch, from the event loop (possibly
 * before issue or fetch returns). */
typedef void (*kpd_key_done)(void *arg, kpd_key_result *result);

typedef struct kpd_sync_ops {
    const char *name; /* shown as "algorithm" in /capabilities */
    /* A fresh key shared with peer. */
    void (*issue)(kpd_sync *sync, const char *peer, unsigned size_bits,
                  kpd_key_done done, void *arg);
    /* The key peer issued for us under key_id, at most once: a source
     * whose keys could be asked for twice records each delivery in the
     * ledger it was given before answering. */
    void (*fetch)(kpd_sync *sync, const char *peer,
                  const unsigned char *key_id, size_t key_id_len,
                  kpd_key_done done, void *arg);
    /* Periodic upkeep (ratchet, expiry); now_ms is wall-clock time. */
    void (*tick)(kpd_sync *sync, uint64_t now_ms);
    /* Whether keys can be had now (/capabilities "key"); NULL: always. */
    bool (*ready)(const kpd_sync *sync);
    /* Its own gauges for /metrics (metrics.h's writer); NULL: none. */
    void (*write_metrics)(const kpd_sync *sync, kpd_text *out);
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

/* The key source cfg->key_source names (backends.c), with the ledger it
 * records deliveries in (borrowed: it must outlive the source) and the
 * loop it may wait on (NULL in unit tests of sources that never wait). */
skip_rc kpd_sync_new(const kpd_config *cfg, struct event_base *base,
                     kpd_ledger *ledger, kpd_sync **out, skip_err *err);

/* For the config loader: whether a key source of this name exists, and the
 * names there are ("prf, etsi014"). */
bool kpd_sync_known(const char *source);
const char *kpd_sync_names(void);

/* Whether source takes this [peer] setting; err->detail says why not (the
 * loader adds FILE:LINE). */
skip_rc kpd_sync_peer_option(const char *source, const char *name,
                             const char *value, skip_err *err);

/* The name of a source's own section ("kme" for etsi014), NULL when it has
 * none; the source whose section that is; and whether it takes a setting
 * there. */
const char *kpd_sync_section(const char *source);
const char *kpd_sync_section_owner(const char *section);
skip_rc kpd_sync_source_option(const char *source, const char *name,
                               const char *value, skip_err *err);

/* Checks what the source needs of the whole file (a [peer] without a
 * setting it requires); problems are "FILE:0: ...". */
skip_rc kpd_sync_check_config(const kpd_config *cfg, const char *file,
                              skip_err *err);
/* Reads what the source will read at start, and checks it may write what
 * it will write there, without writing (skip-kpd --check-config). */
skip_rc kpd_sync_check_files(const kpd_config *cfg, skip_err *err);

/* The prf source: keys derived from a secret each pair of KPs shares. */
skip_rc kpd_sync_prf_new(const kpd_config *cfg, kpd_ledger *ledger,
                         kpd_sync **out, skip_err *err);
skip_rc kpd_sync_prf_peer_option(const char *name, const char *value,
                                 skip_err *err);
skip_rc kpd_sync_prf_check_config(const kpd_config *cfg, const char *file,
                                  skip_err *err);
skip_rc kpd_sync_prf_check_files(const kpd_config *cfg, skip_err *err);

/* The etsi014 source: keys from a QKD network's KME (ETSI GS QKD 014). */
skip_rc kpd_sync_etsi014_new(const kpd_config *cfg, struct event_base *base,
                             kpd_ledger *ledger, kpd_sync **out, skip_err *err);
skip_rc kpd_sync_etsi014_peer_option(const char *name, const char *value,
                                     skip_err *err);
skip_rc kpd_sync_etsi014_source_option(const char *name, const char *value,
                                       skip_err *err);
skip_rc kpd_sync_etsi014_check_config(const kpd_config *cfg, const char *file,
                                      skip_err *err);
skip_rc kpd_sync_etsi014_check_files(const kpd_config *cfg, skip_err *err);

#endif
