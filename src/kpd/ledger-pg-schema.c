/* SPDX-License-Identifier: BSD-3-Clause */
/* The PostgreSQL ledger's schema and the checks a connection passes before
 * it delivers. Blocking libpq: these run at start, in --init-db and in
 * --check-config, never on the event loop (ledger-pg.c sends the same SQL
 * without blocking when it reconnects).
 *
 * Tables (docs/ha.md):
 *   skip_kpd_schema    one row: the schema version
 *   skip_kpd_instance  who last claimed (site, instance), for messages
 *   skip_kpd_delivered (site, peer, key_id) -> expires_ms: once-only delivery
 * The claim itself is a session advisory lock on (hashtext(site), instance):
 * it lives exactly as long as the claiming connection, so a killed instance
 * frees its number when PostgreSQL notices the connection gone. */
#include "config.h"
#include "ledger-pg.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "skip/log.h"

/* pg_advisory_lock key held by --init-db: "SKIPkpd\0". One bigint key;
 * the two-int keys of instance claims are another key space. */
#define SCHEMA_LOCK "6004223705127830528"

/* migrations[v - 1] takes a database from version v - 1 to v. */
static const char *const migrations[KPD_PG_SCHEMA_VERSION] = {
    "CREATE TABLE skip_kpd_schema (version integer NOT NULL);"
    "INSERT INTO skip_kpd_schema (version) VALUES (0);"
    "CREATE TABLE skip_kpd_instance ("
    "  site text COLLATE \"C\" NOT NULL, instance integer NOT NULL,"
    "  host text NOT NULL, pid integer NOT NULL, since timestamptz NOT NULL,"
    "  PRIMARY KEY (site, instance));"
    "CREATE TABLE skip_kpd_delivered ("
    "  site text COLLATE \"C\" NOT NULL, peer text COLLATE \"C\" NOT NULL,"
    "  key_id bytea NOT NULL,"
    "  expires_ms bigint NOT NULL,"
    "  PRIMARY KEY (site, peer, key_id));"
    "CREATE INDEX skip_kpd_delivered_expiry"
    "  ON skip_kpd_delivered (site, expires_ms);",
};

const char KPD_PG_VERSION_SQL[] = "SELECT max(version) FROM skip_kpd_schema";

const char KPD_PG_CLAIM_SQL[] =
    "WITH claim AS (SELECT pg_try_advisory_lock(hashtext($1), $2::integer)"
    "               AS got),"
    "     mark AS (INSERT INTO skip_kpd_instance AS i"
    "              (site, instance, host, pid, since)"
    "              SELECT $1, $2::integer, $3, $4::integer, now()"
    "              FROM claim WHERE got"
    "              ON CONFLICT (site, instance) DO UPDATE"
    "              SET host = excluded.host, pid = excluded.pid,"
    "                  since = excluded.since"
    "              RETURNING 1)"
    " SELECT claim.got,"
    "        (SELECT host || ' pid ' || pid || ' since '"
    "                || to_char(since, 'YYYY-MM-DD HH24:MI:SS TZ')"
    "         FROM skip_kpd_instance"
    "         WHERE site = $1 AND instance = $2::integer),"
    "        (SELECT count(*) FROM mark)"
    " FROM claim";

char *kpd_pg_conninfo(const kpd_config *cfg, skip_err *err)
{
    char *line = NULL, *start;
    size_t cap = 0;
    ssize_t n;
    FILE *f;

    if (cfg->ledger_conninfo != NULL) {
        if ((line = strdup(cfg->ledger_conninfo)) == NULL)
            skip_err_set(err, SKIP_E_NOMEM, "out of memory");
        return line;
    }
    if (cfg->ledger_conninfo_file == NULL) {
        skip_err_set(err, SKIP_E_CONFIG, "ledger = postgresql needs "
                     "ledger_conninfo or ledger_conninfo_file");
        return NULL;
    }
    if ((f = fopen(cfg->ledger_conninfo_file, "re")) == NULL) {
        skip_err_set(err, SKIP_E_CONFIG, "ledger_conninfo_file %s: %s",
                     cfg->ledger_conninfo_file, strerror(errno));
        return NULL;
    }
    /* the first line that is neither blank nor a # comment */
    while ((n = getline(&line, &cap, f)) >= 0) {
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' ||
                         line[n - 1] == ' ' || line[n - 1] == '\t'))
            line[--n] = '\0';
        start = line + strspn(line, " \t");
        if (*start != '\0' && *start != '#') {
            memmove(line, start, strlen(start) + 1);
            fclose(f);
            return line;
        }
    }
    fclose(f);
    if (line != NULL)
        explicit_bzero(line, cap);
    free(line);
    skip_err_set(err, SKIP_E_CONFIG, "ledger_conninfo_file %s holds no "
                 "connection string", cfg->ledger_conninfo_file);
    return NULL;
}

PGconn *kpd_pg_connect_start(const char *conninfo, bool blocking)
{
    /* Later keywords override earlier ones, and dbname expands into
     * conninfo's own settings: so conninfo may set its own timeout. */
    static const char *const keys[] = {"connect_timeout", "application_name",
                                       "dbname", NULL};
    const char *values[] = {"5", "skip-kpd", conninfo, NULL};

    return blocking ? PQconnectdbParams(keys, values, 1)
                    : PQconnectStartParams(keys, values, 1);
}

void kpd_pg_first_line(char *out, size_t len, const char *message)
{
    size_t n = strcspn(message ? message : "", "\n");

    snprintf(out, len, "%.*s", (int)n, message ? message : "");
}

bool kpd_pg_version_ok(const PGresult *res, const char *error, char *why,
                       size_t why_len)
{
    const char *state;
    char line[200];
    long version;

    if (res != NULL && PQresultStatus(res) == PGRES_TUPLES_OK &&
        PQntuples(res) == 1 && !PQgetisnull(res, 0, 0)) {
        version = strtol(PQgetvalue(res, 0, 0), NULL, 10);
        if (version == KPD_PG_SCHEMA_VERSION)
            return true;
        snprintf(why, why_len, "the database's skip-kpd schema is version "
                 "%ld, this skip-kpd's is %d: %s", version,
                 KPD_PG_SCHEMA_VERSION,
                 version > KPD_PG_SCHEMA_VERSION
                     ? "upgrade skip-kpd"
                     : "run skip-kpd --init-db to migrate it");
        return false;
    }
    state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    if (state != NULL && strcmp(state, "42P01") == 0) { /* undefined_table */
        snprintf(why, why_len, "the database has no skip-kpd schema: run "
                 "skip-kpd --init-db");
        return false;
    }
    kpd_pg_first_line(line, sizeof(line),
               res && PQresultErrorMessage(res)[0] ? PQresultErrorMessage(res)
                                                   : error);
    snprintf(why, why_len, "reading the schema version: %s",
             line[0] ? line : "no answer");
    return false;
}

bool kpd_pg_claim_ok(const PGresult *res, const char *error, unsigned instance,
                     char *why, size_t why_len)
{
    char line[200];

    if (res != NULL && PQresultStatus(res) == PGRES_TUPLES_OK &&
        PQntuples(res) == 1) {
        if (strcmp(PQgetvalue(res, 0, 0), "t") == 0)
            return true;
        snprintf(why, why_len, "instance %u of this site is already running "
                 "(%s): give each skip-kpd of a site its own instance number",
                 instance,
                 PQgetisnull(res, 0, 1) ? "unknown" : PQgetvalue(res, 0, 1));
        return false;
    }
    kpd_pg_first_line(line, sizeof(line),
               res && PQresultErrorMessage(res)[0] ? PQresultErrorMessage(res)
                                                   : error);
    snprintf(why, why_len, "claiming instance %u: %s", instance,
             line[0] ? line : "no answer");
    return false;
}

void kpd_pg_claim_params(const kpd_config *cfg, char instance[16],
                         char host[256], char pid[16],
                         const char *values[KPD_PG_CLAIM_PARAMS])
{
    snprintf(instance, 16, "%u", cfg->instance);
    if (gethostname(host, 256) != 0)
        snprintf(host, 256, "?");
    host[255] = '\0';
    snprintf(pid, 16, "%ld", (long)getpid());
    values[0] = cfg->local_id;
    values[1] = instance;
    values[2] = host;
    values[3] = pid;
}

/* --- blocking helpers for --init-db and --check-config ------------------ */

static PGconn *connect_blocking(const kpd_config *cfg, skip_err *err)
{
    char *conninfo = kpd_pg_conninfo(cfg, err);
    char line[200];
    PGconn *conn;

    if (conninfo == NULL)
        return NULL;
    conn = kpd_pg_connect_start(conninfo, true);
    explicit_bzero(conninfo, strlen(conninfo));
    free(conninfo);
    if (conn != NULL && PQstatus(conn) == CONNECTION_OK)
        return conn;
    kpd_pg_first_line(line, sizeof(line), conn ? PQerrorMessage(conn) : "out of memory");
    skip_err_set(err, SKIP_E_TRANSPORT, "ledger: cannot connect to "
                 "PostgreSQL: %s", line);
    PQfinish(conn);
    return NULL;
}

/* Runs sql; true when it succeeded. On failure err says what failed. */
static bool run(PGconn *conn, const char *what, const char *sql, skip_err *err)
{
    PGresult *res = PQexec(conn, sql);
    ExecStatusType status = PQresultStatus(res);
    char line[200];
    bool ok = status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;

    if (!ok) {
        kpd_pg_first_line(line, sizeof(line), PQresultErrorMessage(res)[0]
                                           ? PQresultErrorMessage(res)
                                           : PQerrorMessage(conn));
        skip_err_set(err, SKIP_E_TRANSPORT, "ledger: %s: %s", what, line);
    }
    PQclear(res);
    return ok;
}

/* The version, 0 for a database without the schema; -1 on failure. */
static long current_version(PGconn *conn, skip_err *err)
{
    PGresult *res = PQexec(conn, "SELECT to_regclass('skip_kpd_schema') "
                                 "IS NOT NULL");
    long version = -1;
    bool exists;

    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
        skip_err_set(err, SKIP_E_TRANSPORT, "ledger: reading the schema: %s",
                     PQerrorMessage(conn));
        PQclear(res);
        return -1;
    }
    exists = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    PQclear(res);
    if (!exists)
        return 0;
    res = PQexec(conn, KPD_PG_VERSION_SQL);
    if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
        version = strtol(PQgetvalue(res, 0, 0), NULL, 10);
    else
        skip_err_set(err, SKIP_E_TRANSPORT, "ledger: reading the schema "
                     "version: %s", PQerrorMessage(conn));
    PQclear(res);
    return version;
}

skip_rc kpd_pg_init_db(const kpd_config *cfg, skip_err *err)
{
    PGconn *conn = connect_blocking(cfg, err);
    char sql[64];
    long from;

    if (conn == NULL)
        return SKIP_E_TRANSPORT;
    /* Two --init-db at once: the second waits, then finds the work done. */
    if (!run(conn, "taking the schema lock",
             "SELECT pg_advisory_lock(" SCHEMA_LOCK ")", err) ||
        !run(conn, "BEGIN", "BEGIN", err) ||
        (from = current_version(conn, err)) < 0)
        goto fail;
    if (from > KPD_PG_SCHEMA_VERSION) {
        skip_err_set(err, SKIP_E_CONFIG, "ledger: the database's skip-kpd "
                     "schema is version %ld, newer than this skip-kpd's (%d): "
                     "upgrade skip-kpd", from, KPD_PG_SCHEMA_VERSION);
        goto fail;
    }
    for (long v = from + 1; v <= KPD_PG_SCHEMA_VERSION; v++)
        if (!run(conn, "migrating the schema", migrations[v - 1], err))
            goto fail;
    snprintf(sql, sizeof(sql), "UPDATE skip_kpd_schema SET version = %d",
             KPD_PG_SCHEMA_VERSION);
    if (!run(conn, "migrating the schema", sql, err) ||
        !run(conn, "COMMIT", "COMMIT", err))
        goto fail;
    if (from == KPD_PG_SCHEMA_VERSION)
        printf("skip-kpd: the database's schema is already at version %d\n",
               KPD_PG_SCHEMA_VERSION);
    else if (from == 0)
        printf("skip-kpd: created the schema, version %d\n",
               KPD_PG_SCHEMA_VERSION);
    else
        printf("skip-kpd: migrated the schema from version %ld to %d\n", from,
               KPD_PG_SCHEMA_VERSION);
    PQfinish(conn); /* ends the session: the lock goes with it */
    return SKIP_OK;
fail:
    PQfinish(conn); /* an open transaction rolls back */
    return err->rc != SKIP_OK ? err->rc : SKIP_E_TRANSPORT;
}

skip_rc kpd_pg_check(const kpd_config *cfg, skip_err *err)
{
    PGconn *conn = connect_blocking(cfg, err);
    char why[300];
    PGresult *res;
    bool ok;

    if (conn == NULL)
        return SKIP_E_TRANSPORT;
    res = PQexec(conn, KPD_PG_VERSION_SQL);
    ok = kpd_pg_version_ok(res, PQerrorMessage(conn), why, sizeof(why));
    PQclear(res);
    PQfinish(conn);
    if (!ok)
        return skip_err_set(err, SKIP_E_CONFIG, "ledger: %s", why);
    return SKIP_OK;
}
