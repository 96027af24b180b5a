/* SPDX-License-Identifier: BSD-3-Clause */
/* The PostgreSQL ledger's two halves: ledger-pg.c serves deliveries from
 * the event loop over non-blocking libpq; ledger-pg-schema.c owns the
 * schema (created and migrated only by `skip-kpd --init-db`), its version
 * check, and the claim on this instance's number. See docs/ha.md. */
#ifndef KPD_LEDGER_PG_H
#define KPD_LEDGER_PG_H

#include <stdbool.h>
#include <libpq-fe.h>

#include "kpd-config.h"
#include "skip/rc.h"

/* The schema this skip-kpd reads and writes. A running instance refuses
 * any other; only --init-db moves a database from one to the next. */
#define KPD_PG_SCHEMA_VERSION 1

/* The connection string: ledger_conninfo, or the first line of
 * ledger_conninfo_file. May hold a password: never logged, and the
 * caller cleanses and frees it. */
char *kpd_pg_conninfo(const kpd_config *cfg, skip_err *err);

/* The first line of a libpq or server message, for one log line. */
void kpd_pg_first_line(char *out, size_t len, const char *message);

/* Starts a connection with our defaults (connect_timeout, application_name)
 * under whatever conninfo sets itself; blocking or not. */
PGconn *kpd_pg_connect_start(const char *conninfo, bool blocking);

/* The queries one (re)connection runs before it delivers, in order: the
 * schema version, then the claim on (site, instance). Their results are
 * read by the two checks below. */
extern const char KPD_PG_VERSION_SQL[];
extern const char KPD_PG_CLAIM_SQL[];
#define KPD_PG_CLAIM_PARAMS 4 /* site, instance, host, pid */

/* Whether a KPD_PG_VERSION_SQL result is our version; why says what to do
 * when not. A missing table (an error result) counts as version 0. */
bool kpd_pg_version_ok(const PGresult *res, const char *error, char *why,
                       size_t why_len);

/* Whether a KPD_PG_CLAIM_SQL result holds this instance's claim; why names
 * the other holder when not. */
bool kpd_pg_claim_ok(const PGresult *res, const char *error, unsigned instance,
                     char *why, size_t why_len);

/* The claim's parameters, as text. */
void kpd_pg_claim_params(const kpd_config *cfg, char instance[16],
                         char host[256], char pid[16],
                         const char *values[KPD_PG_CLAIM_PARAMS]);

/* skip-kpd --init-db: creates or migrates the schema under an advisory
 * lock, and says what it did on stdout. */
skip_rc kpd_pg_init_db(const kpd_config *cfg, skip_err *err);

/* --check-config: the database answers and holds our schema version. */
skip_rc kpd_pg_check(const kpd_config *cfg, skip_err *err);

#endif
