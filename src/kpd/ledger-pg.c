/* SPDX-License-Identifier: BSD-3-Clause */
/* The PostgreSQL ledger: once-only delivery shared by every skip-kpd
 * instance of a site. One non-blocking libpq connection, driven by the
 * event loop; nothing here ever waits on the database.
 *
 * Group commit, as in the file ledger: while one batch INSERT is out, the
 * next gathers. A batch is one prepared statement over three arrays,
 *   INSERT ... SELECT FROM unnest(...) ON CONFLICT DO NOTHING RETURNING ...
 * in its own implicit transaction, so it costs one commit (one WAL flush)
 * however many deliveries it carries. The rows it returns are the keyIds
 * this batch delivered first; the others were delivered before, by this
 * instance or another. A delivery is answered only once the statement's
 * transaction has committed: with the extended protocol the row data
 * arrives before the commit, so the answer waits for the end of the query
 * (ReadyForQuery) and fails if any error came before it.
 *
 * A lost connection fails the batch in flight and everything gathering
 * (answered 500: never a key without its record; a batch whose commit is
 * unknown may have been recorded, so its keyIds may now be refused as
 * delivered: once at most, never twice). Until a new connection has passed
 * the schema check and re-claimed this instance's number, deliveries fail
 * at once. Reconnects back off from 100 ms to 5 s; each change of state
 * is one log line. */
#include "config.h"
#include "ledger-pg.h"
#include "ledger.h"
#include "state-lock.h"
#include "sync.h"

#include <event2/event.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "skip/dict.h"
#include "skip/log.h"
#include "skip/sysid.h"

#define KEY_MAX (SKIP_SYSTEM_ID_MAX + 1 + SKIP_KEYID_MAX)
#define BATCH_MAX 1000        /* rows per INSERT (elements per array) */
#define PRUNE_ROWS "10000"    /* expired rows removed per DELETE */
#define PRUNE_EVERY_MS 10000  /* between prunes that found less than that */
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000
/* A connection attempt or a query that takes longer is given up: libpq's
 * connect_timeout does not apply to non-blocking connects, and a database
 * behind a dead link answers nothing at all. */
#define DEADLINE_MS 5000

/* The batch INSERT, prepared once per connection: $1 the site, then the
 * batch's peers, keyIds and expiries as three arrays. */
#define RECORD_STATEMENT "skip_kpd_record"
static const char record_sql[] =
    "INSERT INTO skip_kpd_delivered (site, peer, key_id, expires_ms)"
    " SELECT $1::text, r.peer, r.key_id, r.expires_ms"
    " FROM unnest($2::text[], $3::bytea[], $4::bigint[])"
    "      AS r(peer, key_id, expires_ms)"
    " ON CONFLICT DO NOTHING RETURNING peer, key_id";

enum pg_state {
    PG_DOWN,       /* no connection; a retry is scheduled */
    PG_CONNECTING, /* PQconnectPoll in progress */
    PG_SETUP,      /* connected: version check, claim, prepare */
    PG_READY,      /* delivering */
};

/* One delivery waiting for its batch. */
struct waiter {
    size_t key_len;
    unsigned char key[KEY_MAX]; /* peer, NUL, id: the dict's key */
    uint64_t expiry_ms;
    bool first; /* the batch's INSERT returned this row */
    kpd_ledger_done done;
    void *arg;
};

struct batch {
    struct waiter **waiters;
    size_t count, cap;
};

struct pg_ledger;
/* What to do with a query's outcome: its first result (rows or an error;
 * NULL if the connection went first) and, when the query failed anywhere,
 * the first line of why. */
typedef void (*query_done)(struct pg_ledger *l, PGresult *res,
                           const char *error);

struct pg_ledger {
    kpd_ledger base;
    struct event_base *loop;
    char *conninfo; /* may hold a password: cleansed at free */
    const kpd_config *cfg;
    PGconn *conn;
    enum pg_state state;
    struct event *io;    /* the connection's socket */
    /* PG_DOWN: when to reconnect; otherwise the deadline of the connect or
     * query under way */
    struct event *timer;
    unsigned backoff_ms;
    bool failing;        /* logged that the ledger cannot deliver */
    char failing_why[300]; /* and why: a new cause is a new line */
    /* the query in flight */
    query_done on_done;
    PGresult *result;
    char error[200];
    uint64_t batch_sent_ns; /* for the commit latency */
    /* deliveries: every waiter is in pending (by key) and in one batch */
    dict *pending;
    struct batch gather, flight;
    uint64_t next_prune_ms;
    uint64_t prune_before_ms; /* set: a DELETE is due with this bound */
    /* for count(): rows this instance added, less those its prunes
     * removed (which may be another instance's): an estimate */
    size_t recorded;
};

static void kick(struct pg_ledger *l);
static void reconnect_later(struct pg_ledger *l, const char *why);

static void arm(struct pg_ledger *l, unsigned ms)
{
    struct timeval delay = {.tv_sec = ms / 1000,
                            .tv_usec = (ms % 1000) * 1000};

    evtimer_add(l->timer, &delay);
}

/* Notices (a WARNING from the server) are not ours to print on stderr. */
static void quiet_notice(void *arg, const char *message)
{
    (void)arg;
    skip_debug("ledger", "PostgreSQL says: %s", message);
}

/* --- answering deliveries ----------------------------------------------- */

static void answer(struct pg_ledger *l, struct waiter *w,
                   kpd_ledger_outcome outcome, const char *why)
{
    dict_remove(l->pending, w->key, w->key_len);
    w->done(w->arg, outcome, why);
    free(w);
}

static void fail_batch(struct pg_ledger *l, struct batch *b, const char *why)
{
    size_t count = b->count;

    b->count = 0;
    for (size_t i = 0; i < count; i++)
        answer(l, b->waiters[i], KPD_LEDGER_FAILED, why);
}

/* --- the socket --------------------------------------------------------- */

static void on_io(evutil_socket_t fd, short what, void *arg);

/* Waits for what on the connection's current socket, which libpq may
 * change while it connects: EV_WRITE while a query is still being sent,
 * then EV_READ | EV_PERSIST, kept while connected, so that a connection
 * the server closes while idle is noticed at once. */
static bool watch(struct pg_ledger *l, short what)
{
    if (l->io != NULL)
        event_free(l->io);
    l->io = event_new(l->loop, PQsocket(l->conn), what, on_io, l);
    return l->io != NULL && event_add(l->io, NULL) == 0;
}

static void drop_connection(struct pg_ledger *l)
{
    if (l->timer != NULL)
        evtimer_del(l->timer);
    if (l->io != NULL)
        event_free(l->io);
    l->io = NULL;
    PQfinish(l->conn);
    l->conn = NULL;
    if (l->result != NULL)
        PQclear(l->result);
    l->result = NULL;
    l->on_done = NULL;
}

/* After a PQsend* call that returned queued: on_done will hear how the
 * query went, within the deadline. */
static bool sent(struct pg_ledger *l, int queued, query_done on_done)
{
    int flushed;

    if (!queued)
        return false;
    l->on_done = on_done;
    l->error[0] = '\0';
    arm(l, DEADLINE_MS);
    flushed = PQflush(l->conn);
    return flushed >= 0 && watch(l, flushed ? EV_WRITE : EV_READ | EV_PERSIST);
}

/* Connection lost or unusable: everything waiting fails, and we retry.
 * The query's handler hears of it with the connection already gone. */
static void broken(struct pg_ledger *l, const char *why)
{
    query_done on_done = l->on_done;
    char line[200];

    kpd_pg_first_line(line, sizeof(line), why);
    drop_connection(l);
    if (on_done != NULL)
        on_done(l, NULL, line);
    fail_batch(l, &l->flight, line);
    reconnect_later(l, line);
}

/* Files one result of the query in flight: the first is kept for its
 * handler, and so is the first line of the first error, whatever came
 * before it (an INSERT's rows, then its failed commit). */
static void keep_result(struct pg_ledger *l, PGresult *res)
{
    ExecStatusType status = PQresultStatus(res);

    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK &&
        l->error[0] == '\0')
        kpd_pg_first_line(l->error, sizeof(l->error),
                          PQresultErrorMessage(res));
    if (l->result == NULL)
        l->result = res;
    else
        PQclear(res);
}

/* The query in flight has ended (ReadyForQuery: committed, or not): its
 * handler hears how. */
static void end_query(struct pg_ledger *l)
{
    query_done on_done = l->on_done;
    PGresult *res = l->result;

    evtimer_del(l->timer);
    l->on_done = NULL;
    l->result = NULL;
    on_done(l, res, l->error[0] ? l->error : NULL);
    PQclear(res);
}

/* Reads what has arrived of the query in flight, without blocking. */
static void read_results(struct pg_ledger *l)
{
    while (l->on_done != NULL && !PQisBusy(l->conn)) {
        PGresult *res = PQgetResult(l->conn);

        if (res == NULL) {
            end_query(l);
            kick(l);
            return;
        }
        keep_result(l, res);
    }
}

static void on_connect_poll(struct pg_ledger *l);

static void on_io_held(evutil_socket_t fd, short what, void *arg)
{
    struct pg_ledger *l = arg;
    int flushed;

    (void)fd;
    if (l->state == PG_CONNECTING) {
        on_connect_poll(l);
        return;
    }
    if (what & EV_WRITE) {
        if ((flushed = PQflush(l->conn)) < 0) {
            broken(l, PQerrorMessage(l->conn));
            return;
        }
        if (!watch(l, flushed ? EV_WRITE : EV_READ | EV_PERSIST))
            broken(l, "event_add failed");
        return;
    }
    if (!PQconsumeInput(l->conn)) {
        broken(l, PQerrorMessage(l->conn));
        return;
    }
    read_results(l);
    if (l->conn != NULL && PQstatus(l->conn) == CONNECTION_BAD)
        broken(l, PQerrorMessage(l->conn));
}

/* A main loop callback: what it completes reaches the KP's state, which a
 * worker may be using (state-lock.h). */
static void on_io(evutil_socket_t fd, short what, void *arg)
{
    kpd_state_lock();
    on_io_held(fd, what, arg);
    kpd_state_unlock();
}

/* --- (re)connecting ----------------------------------------------------- */

static void on_claim(struct pg_ledger *l, PGresult *res, const char *error);
static void on_prepared(struct pg_ledger *l, PGresult *res, const char *error);
static void note_success(struct pg_ledger *l);

static void on_version(struct pg_ledger *l, PGresult *res, const char *error)
{
    char instance[16], host[256], pid[16], why[300];
    const char *values[KPD_PG_CLAIM_PARAMS];

    if (l->conn == NULL)
        return; /* broken() already took care of it */
    if (!kpd_pg_version_ok(res, error, why, sizeof(why))) {
        drop_connection(l);
        reconnect_later(l, why);
        return;
    }
    kpd_pg_claim_params(l->cfg, instance, host, pid, values);
    if (!sent(l, PQsendQueryParams(l->conn, KPD_PG_CLAIM_SQL,
                                   KPD_PG_CLAIM_PARAMS, NULL, values, NULL,
                                   NULL, 0),
              on_claim))
        broken(l, PQerrorMessage(l->conn));
}

static void on_claim(struct pg_ledger *l, PGresult *res, const char *error)
{
    char why[300];

    if (l->conn == NULL)
        return;
    if (!kpd_pg_claim_ok(res, error, l->cfg->instance, why, sizeof(why))) {
        drop_connection(l);
        reconnect_later(l, why);
        return;
    }
    if (!sent(l, PQsendPrepare(l->conn, RECORD_STATEMENT, record_sql, 4, NULL),
              on_prepared))
        broken(l, PQerrorMessage(l->conn));
}

static void on_prepared(struct pg_ledger *l, PGresult *res, const char *error)
{
    if (l->conn == NULL)
        return;
    if (error != NULL || res == NULL) {
        drop_connection(l);
        reconnect_later(l, error ? error : "preparing the INSERT: no answer");
        return;
    }
    l->state = PG_READY;
    l->backoff_ms = BACKOFF_MIN_MS;
    note_success(l);
}

static void on_connect_poll(struct pg_ledger *l)
{
    switch (PQconnectPoll(l->conn)) {
    case PGRES_POLLING_READING:
        if (!watch(l, EV_READ))
            broken(l, "event_add failed");
        return;
    case PGRES_POLLING_WRITING:
        if (!watch(l, EV_WRITE))
            broken(l, "event_add failed");
        return;
    case PGRES_POLLING_OK:
        l->state = PG_SETUP;
        PQsetNoticeProcessor(l->conn, quiet_notice, NULL);
        if (PQsetnonblocking(l->conn, 1) != 0 ||
            !sent(l, PQsendQueryParams(l->conn, KPD_PG_VERSION_SQL, 0, NULL,
                                       NULL, NULL, NULL, 0),
                  on_version))
            broken(l, PQerrorMessage(l->conn));
        return;
    default:
        broken(l, PQerrorMessage(l->conn));
    }
}

static void on_timer_held(evutil_socket_t fd, short what, void *arg)
{
    struct pg_ledger *l = arg;

    (void)fd;
    (void)what;
    if (l->state != PG_DOWN) {
        broken(l, l->state == PG_CONNECTING
                      ? "no connection within 5 s"
                      : "no answer within 5 s");
        return;
    }
    l->conn = kpd_pg_connect_start(l->conninfo, false);
    if (l->conn == NULL || PQstatus(l->conn) == CONNECTION_BAD) {
        broken(l, l->conn ? PQerrorMessage(l->conn) : "out of memory");
        return;
    }
    l->state = PG_CONNECTING;
    arm(l, DEADLINE_MS);
    /* libpq's first poll waits for the socket to be writable */
    if (!watch(l, EV_WRITE))
        broken(l, "event_add failed");
}

/* A main loop callback: what it completes reaches the KP's state, which a
 * worker may be using (state-lock.h). */
static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    kpd_state_lock();
    on_timer_held(fd, what, arg);
    kpd_state_unlock();
}

/* One log line per change of state: the first failure, each new cause
 * (retries with the same one are quiet), and the recovery. */
static void note_failure(struct pg_ledger *l, const char *why)
{
    if (!l->failing || strcmp(l->failing_why, why) != 0)
        skip_log_error("ledger: PostgreSQL: %s; deliveries answer 500 until "
                       "it is back", why);
    l->failing = true;
    snprintf(l->failing_why, sizeof(l->failing_why), "%s", why);
}

static void note_success(struct pg_ledger *l)
{
    if (l->failing)
        skip_log_info("ledger: PostgreSQL is back; delivering again");
    l->failing = false;
}

static void reconnect_later(struct pg_ledger *l, const char *why)
{
    l->state = PG_DOWN;
    skip_debug("ledger", "PostgreSQL: %s; retrying in %u ms", why,
               l->backoff_ms);
    note_failure(l, why);
    fail_batch(l, &l->gather, "the database is unreachable");
    arm(l, l->backoff_ms);
    if (l->backoff_ms < BACKOFF_MAX_MS)
        l->backoff_ms = l->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS
                                                           : l->backoff_ms * 2;
}

/* --- delivering --------------------------------------------------------- */

static void on_batch(struct pg_ledger *l, PGresult *res, const char *error)
{
    struct batch *b = &l->flight;
    size_t count = b->count;

    if (error != NULL || res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
        /* A statement refused (a read-only database, a revoked grant):
         * the connection stays, and the next batch tries again. */
        if (l->conn != NULL)
            note_failure(l, error ? error : "the database did not answer");
        fail_batch(l, b, error ? error : "the database did not answer");
        return;
    }
    note_success(l);
    kpd_histogram_observe(&l->base.commit_seconds,
                          (double)(kpd_monotonic_ns() - l->batch_sent_ns) / 1e9);
    /* RETURNING peer, key_id in binary: the rows this batch added. */
    for (int row = 0; row < PQntuples(res); row++) {
        unsigned char key[KEY_MAX];
        size_t peer_len = (size_t)PQgetlength(res, row, 0);
        size_t id_len = (size_t)PQgetlength(res, row, 1);
        struct waiter *w;

        if (peer_len > SKIP_SYSTEM_ID_MAX || id_len > SKIP_KEYID_MAX)
            continue;
        memcpy(key, PQgetvalue(res, row, 0), peer_len);
        key[peer_len] = '\0';
        memcpy(key + peer_len + 1, PQgetvalue(res, row, 1), id_len);
        if ((w = dict_get(l->pending, key, peer_len + 1 + id_len)) != NULL)
            w->first = true;
    }
    b->count = 0;
    for (size_t i = 0; i < count; i++) {
        struct waiter *w = b->waiters[i];
        if (w->first)
            l->recorded++;
        answer(l, w, w->first ? KPD_LEDGER_RECORDED : KPD_LEDGER_ALREADY,
               NULL);
    }
}

/* A one-dimensional array in PostgreSQL's binary format: a header (1
 * dimension, no NULLs, the element type, the length, lower bound 1), then
 * each element as a 4-byte length and its bytes, all big-endian. */
struct pg_array {
    unsigned char *buf;
    size_t len;
};

static void put32(struct pg_array *a, uint32_t v)
{
    a->buf[a->len++] = (unsigned char)(v >> 24);
    a->buf[a->len++] = (unsigned char)(v >> 16);
    a->buf[a->len++] = (unsigned char)(v >> 8);
    a->buf[a->len++] = (unsigned char)v;
}

static bool array_begin(struct pg_array *a, uint32_t type_oid, size_t n,
                        size_t data)
{
    a->len = 0;
    if ((a->buf = malloc(20 + 4 * n + data)) == NULL)
        return false;
    put32(a, 1);
    put32(a, 0);
    put32(a, type_oid);
    put32(a, (uint32_t)n);
    put32(a, 1);
    return true;
}

static void array_add(struct pg_array *a, const void *data, size_t len)
{
    put32(a, (uint32_t)len);
    memcpy(a->buf + a->len, data, len);
    a->len += len;
}

#define OID_TEXT 25
#define OID_BYTEA 17
#define OID_INT8 20

static void send_batch(struct pg_ledger *l)
{
    struct batch *g = &l->gather, *f = &l->flight;
    size_t n = g->count < BATCH_MAX ? g->count : BATCH_MAX;
    struct pg_array peers = {0}, ids = {0}, expiries = {0};
    size_t peer_bytes = 0, id_bytes = 0;
    const char *values[4];
    int lengths[4], formats[4] = {0, 1, 1, 1};

    for (size_t i = 0; i < n; i++) {
        size_t peer_len = strlen((const char *)g->waiters[i]->key);
        peer_bytes += peer_len;
        id_bytes += g->waiters[i]->key_len - peer_len - 1;
    }
    if (!array_begin(&peers, OID_TEXT, n, peer_bytes) ||
        !array_begin(&ids, OID_BYTEA, n, id_bytes) ||
        !array_begin(&expiries, OID_INT8, n, 8 * n)) {
        fail_batch(l, g, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        struct waiter *w = g->waiters[i];
        size_t peer_len = strlen((const char *)w->key);
        unsigned char be[8];

        for (int b = 0; b < 8; b++)
            be[b] = (unsigned char)(w->expiry_ms >> (56 - 8 * b));
        array_add(&peers, w->key, peer_len);
        array_add(&ids, w->key + peer_len + 1, w->key_len - peer_len - 1);
        array_add(&expiries, be, sizeof(be));
        f->waiters[i] = w; /* room for BATCH_MAX since the start */
    }
    f->count = n;
    l->batch_sent_ns = kpd_monotonic_ns();
    memmove(g->waiters, g->waiters + n, (g->count - n) * sizeof(*g->waiters));
    g->count -= n;
    values[0] = l->cfg->local_id;
    lengths[0] = 0;
    values[1] = (const char *)peers.buf;
    lengths[1] = (int)peers.len;
    values[2] = (const char *)ids.buf;
    lengths[2] = (int)ids.len;
    values[3] = (const char *)expiries.buf;
    lengths[3] = (int)expiries.len;
    /* binary results: key_id comes back as its bytes */
    if (!sent(l, PQsendQueryPrepared(l->conn, RECORD_STATEMENT, 4, values,
                                     lengths, formats, 1),
              on_batch))
        broken(l, PQerrorMessage(l->conn));
out:
    free(peers.buf);
    free(ids.buf);
    free(expiries.buf);
}

/* A prune is also the ledger's probe: while deliveries fail on a
 * statement (a read-only database), it runs every second, and its DELETE
 * succeeding says writes go in again (/readyz turns ready without a
 * delivery having to try first). */
static void on_prune(struct pg_ledger *l, PGresult *res, const char *error)
{
    unsigned long removed;

    if (l->conn == NULL)
        return; /* broken() said why */
    if (error != NULL || res == NULL) {
        note_failure(l, error ? error : "the database did not answer");
        return;
    }
    note_success(l);
    removed = strtoul(PQcmdTuples(res), NULL, 10);
    l->recorded -= removed < l->recorded ? removed : l->recorded;
    /* A full DELETE means more are waiting: go on at the next tick. */
    if (strcmp(PQcmdTuples(res), PRUNE_ROWS) == 0)
        l->next_prune_ms = 0;
}

static void send_prune(struct pg_ledger *l)
{
    static const char sql[] =
        "DELETE FROM skip_kpd_delivered WHERE ctid = ANY(ARRAY("
        " SELECT ctid FROM skip_kpd_delivered"
        " WHERE site = $1 AND expires_ms <= $2::bigint"
        " LIMIT " PRUNE_ROWS "))";
    char before[24];
    const char *values[2] = {l->cfg->local_id, before};

    snprintf(before, sizeof(before), "%" PRIu64, l->prune_before_ms);
    l->prune_before_ms = 0;
    if (!sent(l, PQsendQueryParams(l->conn, sql, 2, NULL, values, NULL, NULL, 0),
              on_prune))
        broken(l, PQerrorMessage(l->conn));
}

/* Sends the next piece of work if the connection is free: deliveries
 * first, then a due prune. */
static void kick(struct pg_ledger *l)
{
    if (l->state != PG_READY || l->on_done != NULL || l->conn == NULL)
        return;
    if (l->gather.count > 0)
        send_batch(l);
    else if (l->prune_before_ms != 0)
        send_prune(l);
}

/* --- the ops ------------------------------------------------------------ */

static void pg_record(kpd_ledger *base, const char *peer,
                      const unsigned char *id, size_t id_len,
                      uint64_t expiry_ms, kpd_ledger_done done, void *arg)
{
    struct pg_ledger *l = (struct pg_ledger *)base;
    struct batch *g = &l->gather;
    size_t peer_len = strlen(peer);
    struct waiter *w;

    return_if_fail(done != NULL);
    if (id_len > SKIP_KEYID_MAX || peer_len > SKIP_SYSTEM_ID_MAX) {
        done(arg, KPD_LEDGER_FAILED, "record too long");
        return;
    }
    if (l->state != PG_READY) {
        done(arg, KPD_LEDGER_FAILED, "the database is unreachable");
        return;
    }
    if ((w = calloc(1, sizeof(*w))) == NULL) {
        done(arg, KPD_LEDGER_FAILED, "out of memory");
        return;
    }
    memcpy(w->key, peer, peer_len + 1);
    memcpy(w->key + peer_len + 1, id, id_len);
    w->key_len = peer_len + 1 + id_len;
    /* The same keyId twice at once in this instance: the second loses
     * here, as it would in the database. */
    if (dict_get(l->pending, w->key, w->key_len) != NULL) {
        free(w);
        done(arg, KPD_LEDGER_ALREADY, NULL);
        return;
    }
    w->expiry_ms = expiry_ms;
    w->done = done;
    w->arg = arg;
    if (g->count == g->cap) {
        size_t cap = g->cap ? 2 * g->cap : 64;
        struct waiter **grown = realloc(g->waiters, cap * sizeof(*grown));
        if (grown == NULL) {
            free(w);
            done(arg, KPD_LEDGER_FAILED, "out of memory");
            return;
        }
        g->waiters = grown;
        g->cap = cap;
    }
    if (!dict_set(l->pending, w->key, w->key_len, w)) {
        free(w);
        done(arg, KPD_LEDGER_FAILED, "out of memory");
        return;
    }
    g->waiters[g->count++] = w;
    kick(l);
}

/* Every instance prunes its site's rows; a DELETE that finds another
 * instance's work done deletes nothing. */
static void pg_prune(kpd_ledger *base, uint64_t now_ms)
{
    struct pg_ledger *l = (struct pg_ledger *)base;

    if (now_ms < l->next_prune_ms && !l->failing)
        return;
    l->next_prune_ms = now_ms + PRUNE_EVERY_MS;
    l->prune_before_ms = now_ms;
    kick(l);
}

static bool pg_ready(kpd_ledger *base)
{
    const struct pg_ledger *l = (const struct pg_ledger *)base;

    return l->state == PG_READY && !l->failing;
}

static size_t pg_count(const kpd_ledger *base)
{
    const struct pg_ledger *l = (const struct pg_ledger *)base;

    return l->recorded + dict_count(l->pending);
}

/* Blocks until the query in flight has its answer (at shutdown). */
static void finish_blocking(struct pg_ledger *l)
{
    if (l->conn == NULL || l->on_done == NULL)
        return;
    if (PQsetnonblocking(l->conn, 0) != 0 || PQflush(l->conn) != 0) {
        broken(l, PQerrorMessage(l->conn));
        return;
    }
    while (l->on_done != NULL) {
        PGresult *res = PQgetResult(l->conn);

        if (res == NULL)
            end_query(l);
        else
            keep_result(l, res);
    }
}

static void pg_free(kpd_ledger *base)
{
    struct pg_ledger *l = (struct pg_ledger *)base;

    /* Answer every delivery still waiting: the batch out, then the rest
     * in batches of their own, each waited for. */
    finish_blocking(l);
    while (l->gather.count > 0 && l->state == PG_READY && l->conn != NULL) {
        send_batch(l);
        finish_blocking(l);
    }
    fail_batch(l, &l->flight, "skip-kpd is stopping");
    fail_batch(l, &l->gather, "skip-kpd is stopping");
    drop_connection(l);
    if (l->timer != NULL)
        event_free(l->timer);
    free(l->gather.waiters);
    free(l->flight.waiters);
    dict_free(l->pending);
    if (l->conninfo != NULL) {
        explicit_bzero(l->conninfo, strlen(l->conninfo));
        free(l->conninfo);
    }
    free(l);
}

static const kpd_ledger_ops pg_ops = {
    .name = "postgresql",
    .record = pg_record,
    .prune = pg_prune,
    .count = pg_count,
    .ready = pg_ready,
    .free = pg_free,
};

/* --- opening ------------------------------------------------------------ */

/* The first connection is made before serving, blocking: a start that
 * cannot reach the database, finds the wrong schema or finds its instance
 * number taken refuses to run rather than serve without a ledger. */
static skip_rc first_connection(struct pg_ledger *l, skip_err *err)
{
    char instance[16], host[256], pid[16], why[300], line[200];
    const char *values[KPD_PG_CLAIM_PARAMS];
    PGresult *res;
    bool ok;

    l->conn = kpd_pg_connect_start(l->conninfo, true);
    if (l->conn == NULL || PQstatus(l->conn) != CONNECTION_OK) {
        kpd_pg_first_line(line, sizeof(line),
                   l->conn ? PQerrorMessage(l->conn) : "out of memory");
        return skip_err_set(err, SKIP_E_TRANSPORT, "ledger: cannot connect "
                            "to PostgreSQL: %s", line);
    }
    res = PQexec(l->conn, KPD_PG_VERSION_SQL);
    ok = kpd_pg_version_ok(res, PQerrorMessage(l->conn), why, sizeof(why));
    PQclear(res);
    if (!ok)
        return skip_err_set(err, SKIP_E_CONFIG, "ledger: %s", why);
    kpd_pg_claim_params(l->cfg, instance, host, pid, values);
    res = PQexecParams(l->conn, KPD_PG_CLAIM_SQL, KPD_PG_CLAIM_PARAMS, NULL,
                       values, NULL, NULL, 0);
    ok = kpd_pg_claim_ok(res, PQerrorMessage(l->conn), l->cfg->instance, why,
                         sizeof(why));
    PQclear(res);
    if (!ok)
        return skip_err_set(err, SKIP_E_CONFIG, "ledger: %s", why);
    res = PQprepare(l->conn, RECORD_STATEMENT, record_sql, 4, NULL);
    ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    kpd_pg_first_line(line, sizeof(line), PQresultErrorMessage(res));
    PQclear(res);
    if (!ok)
        return skip_err_set(err, SKIP_E_CONFIG, "ledger: preparing the "
                            "INSERT: %s", line);
    res = PQexec(l->conn, "SHOW synchronous_commit");
    if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 &&
        strcmp(PQgetvalue(res, 0, 0), "off") == 0)
        skip_log_warning("ledger: synchronous_commit is off for this role or "
                         "database: a crash of PostgreSQL may forget "
                         "deliveries it acknowledged (docs/ha.md)");
    PQclear(res);
    PQsetNoticeProcessor(l->conn, quiet_notice, NULL);
    if (PQsetnonblocking(l->conn, 1) != 0 || !watch(l, EV_READ | EV_PERSIST))
        return skip_err_set(err, SKIP_E_INTERNAL, "ledger: %s",
                            PQerrorMessage(l->conn));
    l->state = PG_READY;
    return SKIP_OK;
}

skip_rc kpd_ledger_pg_new(const kpd_config *cfg, struct event_base *base,
                          kpd_ledger **out, skip_err *err)
{
    struct pg_ledger *l;
    skip_rc rc;

    *out = NULL;
    if (base == NULL)
        return skip_err_set(err, SKIP_E_CONFIG, "ledger = postgresql needs "
                            "the daemon's event loop");
    if ((l = calloc(1, sizeof(*l))) == NULL)
        return skip_err_set(err, SKIP_E_NOMEM, "out of memory");
    l->base.ops = &pg_ops;
    l->loop = base;
    l->cfg = cfg;
    l->backoff_ms = BACKOFF_MIN_MS;
    l->state = PG_DOWN;
    l->pending = dict_new();
    l->timer = evtimer_new(base, on_timer, l);
    l->flight.waiters = calloc(BATCH_MAX, sizeof(*l->flight.waiters));
    l->flight.cap = BATCH_MAX;
    if (l->pending == NULL || l->timer == NULL || l->flight.waiters == NULL) {
        pg_free(&l->base);
        return skip_err_set(err, SKIP_E_NOMEM, "out of memory");
    }
    if ((l->conninfo = kpd_pg_conninfo(cfg, err)) == NULL) {
        pg_free(&l->base);
        return err->rc;
    }
    rc = first_connection(l, err);
    if (rc != SKIP_OK) {
        pg_free(&l->base);
        return rc;
    }
    *out = &l->base;
    return SKIP_OK;
}
