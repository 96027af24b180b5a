/* SPDX-License-Identifier: BSD-3-Clause */
/* The delivery ledger: which keyIds this KP has already handed out, per
 * peer, until they expire. An interface, so that one instance keeps it in
 * a file (ledger-file.c) and several instances of one site can share one.
 *
 * Its one write operation is an atomic record-if-absent: a delivery either
 * wins (it is the first for this keyId, and its record is durable) or finds
 * the keyId already delivered, in one step; there is no "contains" to ask
 * first and race with. It is asynchronous: the event loop hands a delivery
 * over and carries on, and the ledger calls back from the loop once the
 * record is durable (or could not be made so). Only then may the key leave.
 * A key source that needs a ledger receives one from main.c. */
#ifndef KPD_LEDGER_H
#define KPD_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kpd-config.h"
#include "metrics.h"
#include "skip/rc.h"

struct event_base;

typedef enum {
    KPD_LEDGER_RECORDED, /* first delivery; the record is durable */
    KPD_LEDGER_ALREADY,  /* delivered before (or being delivered now) */
    KPD_LEDGER_FAILED,   /* the record could not be made durable */
} kpd_ledger_outcome;

/* Called exactly once per record(), from the event loop (or from inside
 * record() itself when the ledger has no loop, as in unit tests). why is
 * the cause of KPD_LEDGER_FAILED for the log, NULL otherwise. */
typedef void (*kpd_ledger_done)(void *arg, kpd_ledger_outcome outcome,
                                const char *why);

typedef struct kpd_ledger kpd_ledger;

typedef struct kpd_ledger_ops {
    const char *name;
    /* Records (peer, id) until expiry_ms unless it is already there. */
    void (*record)(kpd_ledger *ledger, const char *peer,
                   const unsigned char *id, size_t id_len, uint64_t expiry_ms,
                   kpd_ledger_done done, void *arg);
    /* Forgets records expired at now_ms (called once a second). */
    void (*prune)(kpd_ledger *ledger, uint64_t now_ms);
    /* Records held, delivered or being delivered. */
    size_t (*count)(const kpd_ledger *ledger);
    /* Whether a delivery could be recorded now (/readyz): the file ledger
     * writes a probe file beside its own, the PostgreSQL ledger answers
     * whether it is connected and its last batch went in. */
    bool (*ready)(kpd_ledger *ledger);
    /* Writes and answers every delivery still waiting (so their callers
     * must still be there), then frees. */
    void (*free)(kpd_ledger *ledger);
} kpd_ledger_ops;

struct kpd_ledger {
    const kpd_ledger_ops *ops;
    /* Kept by the ledger on the loop thread, read by /metrics. */
    kpd_histogram commit_seconds; /* from a batch's start to its durability */
    uint64_t compactions;         /* the file rewritten to live records */
    uint64_t longest_pause_ns;    /* the loop's longest wait on pruning or
                                   * on making a rewrite's text */
};

static inline void kpd_ledger_note_pause(kpd_ledger *ledger, uint64_t ns)
{
    if (ns > ledger->longest_pause_ns)
        ledger->longest_pause_ns = ns;
}

/* Opens the ledger that cfg->ledger names. With base, durable writes run off
 * the loop and completions come back through it; without (unit tests, fuzz
 * targets), record() completes before it returns. */
skip_rc kpd_ledger_new(const kpd_config *cfg, struct event_base *base,
                       kpd_ledger **out, skip_err *err);

/* For the config loader: whether a ledger of this name exists, and the
 * names there are. */
bool kpd_ledger_known(const char *name);
const char *kpd_ledger_names(void);

/* The file ledger: DIR/delivered.log under cfg->state_dir. */
skip_rc kpd_ledger_file_new(const kpd_config *cfg, struct event_base *base,
                            kpd_ledger **out, skip_err *err);

/* The PostgreSQL ledger (ledger-pg.c): shared by a site's instances. */
skip_rc kpd_ledger_pg_new(const kpd_config *cfg, struct event_base *base,
                          kpd_ledger **out, skip_err *err);

static inline void kpd_ledger_free(kpd_ledger *ledger)
{
    if (ledger)
        ledger->ops->free(ledger);
}

#endif
