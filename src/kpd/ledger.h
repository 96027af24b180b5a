/* SPDX-License-Identifier: BSD-3-Clause */
/* The delivery ledger: which keyIds this KP has already handed out, per
 * peer, until they expire. Each record is on disk (fdatasync) before the key
 * leaves, so kill -9 and a restart never deliver a keyId twice. */
#ifndef KPD_LEDGER_H
#define KPD_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "skip/rc.h"

typedef struct kpd_ledger kpd_ledger;

/* Opens (creating) path, loads the records not expired at now_ms and
 * rewrites the file with only those. */
skip_rc kpd_ledger_open(const char *path, uint64_t now_ms, kpd_ledger **out,
                        skip_err *err);
void kpd_ledger_free(kpd_ledger *ledger);

bool kpd_ledger_contains(const kpd_ledger *ledger, const char *peer,
                         const unsigned char *id, size_t id_len);

/* Appends and syncs a record kept until expiry_ms. */
skip_rc kpd_ledger_record(kpd_ledger *ledger, const char *peer,
                          const unsigned char *id, size_t id_len,
                          uint64_t expiry_ms, skip_err *err);

/* Forgets records expired at now_ms; rewrites the file when most of it is
 * dead. */
void kpd_ledger_prune(kpd_ledger *ledger, uint64_t now_ms);

size_t kpd_ledger_count(const kpd_ledger *ledger);

#endif
