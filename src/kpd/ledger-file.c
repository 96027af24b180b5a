/* SPDX-License-Identifier: BSD-3-Clause */
/* The file ledger: "EXPIRY_MS KEYID_HEX PEER" lines appended to
 * STATE_DIR/delivered.log, and a dict of the same records in memory, which
 * the event loop alone touches.
 *
 * Group commit: while one batch of deliveries is being made durable (one
 * write, one fdatasync) on the flusher thread, the next gathers; when the
 * flusher is done the loop answers the first batch and hands over the next.
 * Under load a batch holds every delivery of the last flush's duration, so
 * throughput grows with load; the loop itself never waits on the disk.
 *
 * After a failed write or sync the file's tail is unknown (a torn line, or
 * data the kernel may or may not keep), so the ledger never appends to it
 * again or cuts it in place: the next flush first rewrites the whole file
 * from the durable records in memory (to a temporary file, renamed over
 * it), and only then appends. Compaction is the same rewrite. */
#include "config.h"
#include "ledger.h"
#include "statefile.h"
#include "sync.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "skip/dict.h"
#include "skip/hex.h"
#include "skip/json.h"
#include "skip/log.h"
#include "skip/sysid.h"

/* "EXPIRY_MS KEYID_HEX PEER\n" at its longest. */
#define RECORD_LINE_MAX (20 + 1 + 2 * SKIP_KEYID_MAX + 1 + SKIP_SYSTEM_ID_MAX + 2)
#define KEY_MAX (SKIP_SYSTEM_ID_MAX + 1 + SKIP_KEYID_MAX)
/* Compact when the file holds this many more lines than live records. */
#define COMPACT_SLACK 1024

/* One delivered keyId. The dict key is peer, a NUL, then the id bytes:
 * system ids hold no NUL, so the split is unambiguous. */
struct record {
    uint64_t expiry_ms;
    bool pending; /* in a batch that is not durable yet */
    size_t id_len;
    unsigned char id[SKIP_KEYID_MAX];
    char peer[]; /* NUL-terminated */
};

struct text {
    char *buf;
    size_t cap, len;
};

struct waiter {
    struct record *record;
    kpd_ledger_done done;
    void *arg;
};

/* What one flush writes: optionally the whole file anew (the durable
 * records), then this batch's lines. The flusher fills in why. */
struct batch {
    bool rewrite;
    struct text snapshot;
    size_t snapshot_records;
    struct text lines;
    struct waiter *waiters;
    size_t count, cap;
    uint64_t started_ns; /* the flush's start and end, for the metrics */
    uint64_t ended_ns;
    char why[sizeof(((skip_err *)0)->detail) + 32]; /* empty: durable */
};

struct file_ledger {
    kpd_ledger base;
    char *path;
    int fd; /* O_APPEND; the flusher's while a batch is out */
    dict *records;
    size_t file_records; /* lines in the file, live or dead */
    bool needs_rewrite;  /* a write failed, or the file is mostly dead */
    bool failing;        /* logged that the ledger cannot write */
    uint64_t probed_ns;  /* file_ready's last probe, and its answer */
    bool probe_ok;
    struct batch batches[2];
    struct batch *gather; /* the loop adds deliveries here */
    struct batch *flight; /* being flushed; NULL when the flusher is idle */
    /* With an event loop: the flusher thread and its way back. */
    bool threaded;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    struct batch *work; /* under lock: handed to the flusher */
    bool stop;          /* under lock */
    int notify[2];      /* flusher -> loop: a batch is done */
    struct event *notify_event;
};

static size_t record_key(const char *peer, const unsigned char *id,
                         size_t id_len, unsigned char *key)
{
    size_t n = strlen(peer) + 1;

    memcpy(key, peer, n);
    memcpy(key + n, id, id_len);
    return n + id_len;
}

static bool text_reserve(struct text *t, size_t more)
{
    char *grown;
    size_t cap;

    if (t->len + more <= t->cap)
        return true;
    cap = t->cap ? t->cap : 4096;
    while (cap < t->len + more)
        cap *= 2;
    if ((grown = realloc(t->buf, cap)) == NULL)
        return false;
    t->buf = grown;
    t->cap = cap;
    return true;
}

static bool text_add_record(struct text *t, const struct record *r)
{
    char hex[2 * SKIP_KEYID_MAX + 1];

    if (!text_reserve(t, RECORD_LINE_MAX))
        return false;
    skip_hex_encode(r->id, r->id_len, hex);
    t->len += (size_t)snprintf(t->buf + t->len, t->cap - t->len,
                               "%" PRIu64 " %s %s\n", r->expiry_ms, hex,
                               r->peer);
    return true;
}

static struct record *record_new(const char *peer, const unsigned char *id,
                                 size_t id_len, uint64_t expiry_ms)
{
    size_t peer_len = strlen(peer);
    struct record *r = malloc(sizeof(*r) + peer_len + 1);

    if (r == NULL)
        return NULL;
    r->expiry_ms = expiry_ms;
    r->pending = false;
    r->id_len = id_len;
    memcpy(r->id, id, id_len);
    memcpy(r->peer, peer, peer_len + 1);
    return r;
}

/* --- the flusher's side: file I/O only, never the dict ----------------- */

static bool write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = ENOSPC; /* a write that makes no progress */
            return false;
        }
        p += n;
        len -= (size_t)n;
    }
    return true;
}

static void flush_timed(struct file_ledger *l, struct batch *b);

static void flush(struct file_ledger *l, struct batch *b)
{
    b->started_ns = kpd_monotonic_ns();
    flush_timed(l, b);
    b->ended_ns = kpd_monotonic_ns();
}

static void flush_timed(struct file_ledger *l, struct batch *b)
{
    skip_err err;

    b->why[0] = '\0';
    if (b->rewrite) {
        if (kpd_statefile_write(l->path, b->snapshot.buf, b->snapshot.len,
                                &err) != SKIP_OK) {
            snprintf(b->why, sizeof(b->why), "rewrite: %s", err.detail);
            return;
        }
        if (l->fd >= 0)
            close(l->fd);
        l->fd = open(l->path, O_WRONLY | O_APPEND | O_CLOEXEC);
        if (l->fd < 0) {
            snprintf(b->why, sizeof(b->why), "%s: %s", l->path,
                     strerror(errno));
            return;
        }
    }
    if (b->lines.len == 0)
        return;
    if (l->fd < 0) {
        snprintf(b->why, sizeof(b->why), "%s: not open", l->path);
        return;
    }
    if (!write_all(l->fd, b->lines.buf, b->lines.len))
        snprintf(b->why, sizeof(b->why), "%s: %s (write)", l->path,
                 strerror(errno));
    else if (fdatasync(l->fd) != 0)
        snprintf(b->why, sizeof(b->why), "%s: %s (fdatasync)", l->path,
                 strerror(errno));
}

static void *flusher_main(void *arg)
{
    struct file_ledger *l = arg;

    pthread_mutex_lock(&l->lock);
    for (;;) {
        struct batch *b;

        while (l->work == NULL && !l->stop)
            pthread_cond_wait(&l->wake, &l->lock);
        if (l->work == NULL)
            break; /* stopping, nothing left */
        b = l->work;
        pthread_mutex_unlock(&l->lock);
        flush(l, b);
        pthread_mutex_lock(&l->lock);
        l->work = NULL;
        pthread_cond_broadcast(&l->wake);
        /* A full pipe already holds a wake-up for the loop. */
        if (write(l->notify[1], "", 1) < 0 && errno != EAGAIN)
            skip_log_error("ledger: cannot wake the event loop: %s",
                           strerror(errno));
    }
    pthread_mutex_unlock(&l->lock);
    return NULL;
}

/* --- the loop's side ----------------------------------------------------- */

static void snapshot_record(void *value, void *arg)
{
    const struct record *r = value;
    struct batch *b = arg;

    if (r->pending)
        return;
    if (!text_add_record(&b->snapshot, r))
        b->snapshot_records = SIZE_MAX; /* out of memory: no rewrite */
    else if (b->snapshot_records != SIZE_MAX)
        b->snapshot_records++;
}

static void complete(struct file_ledger *l);

/* Hands the gathered batch to the flusher when it is idle. */
static void kick(struct file_ledger *l)
{
    struct batch *b = l->gather;

    if (l->flight != NULL || (b->count == 0 && !l->needs_rewrite))
        return;
    if (l->needs_rewrite) {
        b->rewrite = true;
        b->snapshot.len = 0;
        b->snapshot_records = 0;
        dict_each(l->records, snapshot_record, b);
        if (b->snapshot_records == SIZE_MAX) {
            b->rewrite = false;
            snprintf(b->why, sizeof(b->why), "out of memory");
        }
    }
    l->flight = b;
    l->gather = b == &l->batches[0] ? &l->batches[1] : &l->batches[0];
    if (b->why[0] != '\0') {
        complete(l); /* failed before any I/O */
    } else if (l->threaded) {
        pthread_mutex_lock(&l->lock);
        l->work = b;
        pthread_cond_signal(&l->wake);
        pthread_mutex_unlock(&l->lock);
    } else {
        flush(l, b);
        complete(l);
    }
}

static void forget(struct file_ledger *l, struct record *r)
{
    unsigned char key[KEY_MAX];

    dict_remove(l->records, key, record_key(r->peer, r->id, r->id_len, key));
    free(r);
}

/* Answers the batch in flight and starts the next. The done callbacks may
 * record again, so the batch is emptied before any is called. */
static void complete(struct file_ledger *l)
{
    struct batch *b = l->flight;
    struct waiter *waiters = b->waiters;
    size_t count = b->count;
    bool failed = b->why[0] != '\0';
    char why[sizeof(b->why)];

    memcpy(why, b->why, sizeof(why));
    if (failed) {
        l->needs_rewrite = true;
        if (!l->failing)
            skip_log_error("ledger: %s; deliveries answer 500 until it "
                           "can write again", why);
        l->failing = true;
    } else {
        /* A rewrite asked for after this batch left (compaction) still
         * stands unless this batch was itself a rewrite. */
        if (b->rewrite) {
            l->file_records = b->snapshot_records;
            l->needs_rewrite = false;
            l->base.compactions++;
        }
        if (b->lines.len > 0)
            kpd_histogram_observe(&l->base.commit_seconds,
                                  (double)(b->ended_ns - b->started_ns) / 1e9);
        l->file_records += count;
        if (l->failing)
            skip_log_info("ledger %s: writable again", l->path);
        l->failing = false;
    }
    b->waiters = NULL;
    b->count = b->cap = 0;
    b->lines.len = 0;
    b->rewrite = false;
    b->why[0] = '\0';
    l->flight = NULL;

    for (size_t i = 0; i < count; i++) {
        struct waiter *w = &waiters[i];
        if (failed) {
            forget(l, w->record);
            w->done(w->arg, KPD_LEDGER_FAILED, why);
        } else {
            w->record->pending = false;
            w->done(w->arg, KPD_LEDGER_RECORDED, NULL);
        }
    }
    free(waiters);
    /* The next batch, if deliveries gathered meanwhile. A rewrite alone
     * waits for the next tick: after a failure, retrying at once would
     * spin on a disk that stays full. */
    if (l->gather->count > 0)
        kick(l);
}

static void on_notify(evutil_socket_t fd, short what, void *arg)
{
    struct file_ledger *l = arg;
    char drain[64];
    bool idle;

    while (read(fd, drain, sizeof(drain)) > 0)
        ;
    pthread_mutex_lock(&l->lock);
    idle = l->work == NULL;
    pthread_mutex_unlock(&l->lock);
    if (idle && l->flight != NULL)
        complete(l);
}

static void file_record(kpd_ledger *base, const char *peer,
                        const unsigned char *id, size_t id_len,
                        uint64_t expiry_ms, kpd_ledger_done done, void *arg)
{
    struct file_ledger *l = (struct file_ledger *)base;
    struct batch *b = l->gather;
    unsigned char key[KEY_MAX];
    struct record *r;
    size_t n;

    return_if_fail(done != NULL);
    if (id_len > SKIP_KEYID_MAX || strlen(peer) > SKIP_SYSTEM_ID_MAX) {
        done(arg, KPD_LEDGER_FAILED, "record too long");
        return;
    }
    n = record_key(peer, id, id_len, key);
    if (dict_get(l->records, key, n) != NULL) {
        done(arg, KPD_LEDGER_ALREADY, NULL);
        return;
    }
    if (b->count == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 16;
        struct waiter *grown = realloc(b->waiters, cap * sizeof(*grown));
        if (grown == NULL) {
            done(arg, KPD_LEDGER_FAILED, "out of memory");
            return;
        }
        b->waiters = grown;
        b->cap = cap;
    }
    r = record_new(peer, id, id_len, expiry_ms);
    if (r == NULL || !text_add_record(&b->lines, r) ||
        !dict_set(l->records, key, n, r)) {
        free(r);
        done(arg, KPD_LEDGER_FAILED, "out of memory");
        return;
    }
    r->pending = true;
    b->waiters[b->count++] = (struct waiter){r, done, arg};
    kick(l);
}

static bool keep_live(void *value, void *arg)
{
    const struct record *r = value;

    return r->pending || r->expiry_ms > *(const uint64_t *)arg;
}

static void file_prune(kpd_ledger *base, uint64_t now_ms)
{
    struct file_ledger *l = (struct file_ledger *)base;

    dict_filter(l->records, keep_live, free, &now_ms);
    if (l->file_records > 2 * dict_count(l->records) + COMPACT_SLACK)
        l->needs_rewrite = true;
    /* Also retries a rewrite that failed (a full disk), once a second. */
    kick(l);
}

static size_t file_count(const kpd_ledger *base)
{
    return dict_count(((const struct file_ledger *)base)->records);
}

/* Ready unless the last flush failed, and the directory takes a write
 * now: a probe file beside the ledger (created, written, removed), which
 * a read-only or full file system refuses. No sync: a probe must not
 * stall the loop behind the disk's queue. At most one probe a second,
 * however often /readyz is asked: its answer is kept that long. */
static bool file_ready(kpd_ledger *base)
{
    struct file_ledger *l = (struct file_ledger *)base;
    uint64_t now = kpd_monotonic_ns();
    char probe[4096 + 16];
    int fd;

    if (l->failing)
        return false;
    if (l->probed_ns != 0 && now - l->probed_ns < 1000000000u)
        return l->probe_ok;
    l->probed_ns = now;
    snprintf(probe, sizeof(probe), "%s.probe", l->path);
    fd = open(probe, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return l->probe_ok = false;
    l->probe_ok = write(fd, "probe\n", 6) == 6;
    close(fd);
    unlink(probe);
    return l->probe_ok;
}

static bool keep_none(void *value, void *arg)
{
    return false;
}

static void file_free(kpd_ledger *base)
{
    struct file_ledger *l = (struct file_ledger *)base;

    if (l->threaded) {
        pthread_mutex_lock(&l->lock);
        l->stop = true;
        pthread_cond_broadcast(&l->wake);
        pthread_mutex_unlock(&l->lock);
        pthread_join(l->thread, NULL); /* after the batch in flight */
        pthread_mutex_destroy(&l->lock);
        pthread_cond_destroy(&l->wake);
        l->threaded = false;
        /* Answer the flushed batch; kick() then writes and answers what
         * had gathered, inline. */
        if (l->flight != NULL)
            complete(l);
        else
            kick(l);
    }
    if (l->notify_event)
        event_free(l->notify_event);
    for (int i = 0; i < 2; i++) {
        if (l->notify[i] >= 0)
            close(l->notify[i]);
        free(l->batches[i].snapshot.buf);
        free(l->batches[i].lines.buf);
        free(l->batches[i].waiters);
    }
    if (l->records) {
        dict_filter(l->records, keep_none, free, NULL);
        dict_free(l->records);
    }
    if (l->fd >= 0)
        close(l->fd);
    free(l->path);
    free(l);
}

static const kpd_ledger_ops file_ops = {
    .name = "file",
    .record = file_record,
    .prune = file_prune,
    .count = file_count,
    .ready = file_ready,
    .free = file_free,
};

/* --- opening ------------------------------------------------------------ */

/* Loads one line; a torn last line (kill -9 mid-write) is skipped: its key
 * was never sent, because the answer waits for the sync. */
static void load_line(struct file_ledger *l, char *line, unsigned lineno,
                      uint64_t now_ms)
{
    unsigned char id[SKIP_KEYID_MAX], key[KEY_MAX];
    char *hex, *peer, *end;
    struct record *r, *old;
    uint64_t expiry;
    size_t id_len, n;

    errno = 0;
    expiry = strtoull(line, &end, 10);
    if (errno || end == line || *end != ' ')
        goto bad;
    hex = end + 1;
    peer = strchr(hex, ' ');
    if (peer == NULL || *++peer == '\0' || strlen(peer) > SKIP_SYSTEM_ID_MAX)
        goto bad;
    if (!skip_hex_decode(hex, (size_t)(peer - 1 - hex), id, sizeof(id), &id_len))
        goto bad;
    if (expiry <= now_ms)
        return;
    n = record_key(peer, id, id_len, key);
    if ((old = dict_get(l->records, key, n)) != NULL) {
        if (expiry > old->expiry_ms)
            old->expiry_ms = expiry;
        return;
    }
    if ((r = record_new(peer, id, id_len, expiry)) == NULL ||
        !dict_set(l->records, key, n, r)) {
        free(r);
        skip_log_error("%s:%u: out of memory", l->path, lineno);
    }
    return;
bad:
    skip_log_warning("%s:%u: skipping a malformed ledger record", l->path,
                     lineno);
}

static skip_rc load(struct file_ledger *l, uint64_t now_ms, skip_err *err)
{
    FILE *f = fopen(l->path, "re");
    char *line = NULL;
    size_t cap = 0;
    unsigned lineno = 0;
    ssize_t n;

    if (f == NULL)
        return errno == ENOENT ? SKIP_OK
                               : skip_err_set(err, SKIP_E_CONFIG, "%s: %s",
                                              l->path, strerror(errno));
    while ((n = getline(&line, &cap, f)) > 0) {
        lineno++;
        if (line[n - 1] != '\n') {
            skip_log_warning("%s:%u: skipping a torn last record", l->path,
                             lineno);
            break;
        }
        line[n - 1] = '\0';
        load_line(l, line, lineno, now_ms);
    }
    free(line);
    fclose(f);
    return SKIP_OK;
}

/* Starts from a file of live records only, written before serving. */
static skip_rc rewrite_now(struct file_ledger *l, skip_err *err)
{
    struct batch *b = l->gather;

    b->snapshot_records = 0;
    dict_each(l->records, snapshot_record, b);
    if (b->snapshot_records == SIZE_MAX)
        return skip_err_set(err, SKIP_E_NOMEM, "out of memory");
    if (kpd_statefile_write(l->path, b->snapshot.buf, b->snapshot.len,
                            err) != SKIP_OK)
        return SKIP_E_CONFIG;
    l->file_records = b->snapshot_records;
    b->snapshot.len = 0;
    l->fd = open(l->path, O_WRONLY | O_APPEND | O_CLOEXEC);
    if (l->fd < 0)
        return skip_err_set(err, SKIP_E_CONFIG, "%s: %s", l->path,
                            strerror(errno));
    return SKIP_OK;
}

static skip_rc start_flusher(struct file_ledger *l, struct event_base *base,
                             skip_err *err)
{
    if (pipe2(l->notify, O_CLOEXEC | O_NONBLOCK) != 0)
        return skip_err_set(err, SKIP_E_INTERNAL, "ledger: pipe: %s",
                            strerror(errno));
    l->notify_event = event_new(base, l->notify[0], EV_READ | EV_PERSIST,
                                on_notify, l);
    if (l->notify_event == NULL || event_add(l->notify_event, NULL) != 0)
        return skip_err_set(err, SKIP_E_NOMEM, "ledger: event_new failed");
    pthread_mutex_init(&l->lock, NULL);
    pthread_cond_init(&l->wake, NULL);
    if (pthread_create(&l->thread, NULL, flusher_main, l) != 0) {
        pthread_mutex_destroy(&l->lock);
        pthread_cond_destroy(&l->wake);
        return skip_err_set(err, SKIP_E_INTERNAL, "ledger: cannot start the "
                            "flusher thread");
    }
    l->threaded = true;
    return SKIP_OK;
}

skip_rc kpd_ledger_file_new(const kpd_config *cfg, struct event_base *base,
                            kpd_ledger **out, skip_err *err)
{
    struct file_ledger *l = calloc(1, sizeof(*l));
    char path[4096];
    skip_rc rc;

    *out = NULL;
    if (l == NULL)
        return skip_err_set(err, SKIP_E_NOMEM, "out of memory");
    l->base.ops = &file_ops;
    l->fd = l->notify[0] = l->notify[1] = -1;
    l->gather = &l->batches[0];
    snprintf(path, sizeof(path), "%s/delivered.log", cfg->state_dir);
    if ((l->path = strdup(path)) == NULL || (l->records = dict_new()) == NULL) {
        file_free(&l->base);
        return skip_err_set(err, SKIP_E_NOMEM, "out of memory");
    }
    rc = load(l, kpd_clock_ms(), err);
    if (rc == SKIP_OK)
        rc = rewrite_now(l, err);
    if (rc == SKIP_OK && base != NULL)
        rc = start_flusher(l, base, err);
    if (rc != SKIP_OK) {
        file_free(&l->base);
        return rc;
    }
    *out = &l->base;
    return SKIP_OK;
}
