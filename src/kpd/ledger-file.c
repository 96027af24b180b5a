/* SPDX-License-Identifier: BSD-3-Clause */
/* The file ledger: "EXPIRY_MS KEYID_HEX PEER" lines appended to
 * STATE_DIR/delivered.log, and a table of the same records in memory
 * (ledger-table.h), which the event loop alone touches.
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
 * it), and only then appends. Compaction is the same rewrite.
 *
 * Nothing here holds the loop for long, whatever the number of records
 * (a million at a busy site): pruning visits a slice of the table per
 * tick, and the text of a rewrite is made a slice per loop turn
 * (struct snapshot), with appends to the old file going on meanwhile. */
#include "config.h"
#include "ledger.h"
#include "ledger-table.h"
#include "statefile.h"
#include "state-lock.h"
#include "sync.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "skip/hex.h"
#include "skip/json.h"
#include "skip/log.h"
#include "skip/sysid.h"

/* Compact when the file holds this many more lines than live records. */
#define COMPACT_SLACK 1024

/* The loop's time per tick for pruning, and per turn for making a
 * rewrite's text, counted in steps of STEP_SLOTS slots: requests are
 * served between slices whatever the number of records (a million
 * records' table is pruned in about 10 s, its text made in about 0.2 s
 * of turns). */
#define SLICE_NS 2000000u
#define STEP_SLOTS 4096

struct text {
    char *buf;
    size_t cap, len;
};

/* A delivery waiting for its batch: its record is found again by key,
 * since records move within the table. */
struct waiter {
    uint16_t peer;
    uint8_t id_len;
    unsigned char id[SKIP_KEYID_MAX];
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

/* The text of a rewrite, made on the loop a slice at a time: the durable
 * records the table holds, plus the lines of every batch made durable
 * while it was being made (the old file gets them too, so no record is
 * lost whichever file a crash leaves). A record that moved in the table
 * meanwhile (a removal, a growth) may have been missed: it starts over. */
struct snapshot {
    bool active;
    bool done; /* every slot visited: ready to go with the next batch */
    size_t cursor;
    uint64_t moves; /* the table's moves when it started */
    struct text text;
    size_t records;
    bool out_of_memory;
};

struct file_ledger {
    kpd_ledger base;
    char *path;
    int fd; /* O_APPEND; the flusher's while a batch is out */
    ledger_table *records;
    size_t prune_cursor;
    size_t file_records; /* lines in the file, live or dead */
    bool needs_rewrite;  /* a write failed, or the file is mostly dead */
    bool tail_unknown;   /* a write failed: no append before the rewrite */
    bool hold_rewrite;   /* it failed: the next try waits for the tick */
    bool failing;        /* logged that the ledger cannot write */
    struct snapshot snap;
    struct event *snap_event; /* the next slice, after the loop's I/O */
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

/* "EXPIRY_MS KEYID_HEX PEER\n", formatted by hand: a rewrite makes a
 * million of them on the loop. */
static bool text_add_record(struct text *t, const ledger_slot *s,
                            const char *peer)
{
    static const char digits[] = "0123456789abcdef";
    uint64_t expiry_ms = (uint64_t)s->expiry_s * 1000;
    const unsigned char *id = ledger_slot_id(s);
    char num[20], *p;
    size_t n = 0, peer_len = strlen(peer);

    if (!text_reserve(t, 20 + 1 + 2 * (size_t)s->id_len + 1 + peer_len + 1))
        return false;
    do
        num[n++] = (char)('0' + expiry_ms % 10);
    while ((expiry_ms /= 10) != 0);
    p = t->buf + t->len;
    while (n > 0)
        *p++ = num[--n];
    *p++ = ' ';
    for (size_t i = 0; i < s->id_len; i++) {
        *p++ = digits[id[i] >> 4];
        *p++ = digits[id[i] & 15];
    }
    *p++ = ' ';
    memcpy(p, peer, peer_len);
    p += peer_len;
    *p++ = '\n';
    t->len = (size_t)(p - t->buf);
    return true;
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

static void snapshot_slot(const ledger_slot *s, void *arg)
{
    struct file_ledger *l = arg;

    if (s->pending || l->snap.out_of_memory)
        return;
    if (!text_add_record(&l->snap.text, s,
                         ledger_table_peer_name(l->records, s->peer)))
        l->snap.out_of_memory = true;
    else
        l->snap.records++;
}

static void snapshot_restart(struct file_ledger *l)
{
    l->snap.active = true;
    l->snap.done = false;
    l->snap.cursor = 0;
    l->snap.moves = ledger_table_moves(l->records);
    l->snap.text.len = 0;
    l->snap.records = 0;
    l->snap.out_of_memory = false;
}

static void kick(struct file_ledger *l);

/* One slice of the rewrite's text, the next one queued behind the loop's
 * I/O; with no loop (unit tests), all of it. True once it is made. */
static bool snapshot_step(struct file_ledger *l)
{
    uint64_t started = kpd_monotonic_ns();
    const struct timeval next_turn = {0, 0};
    bool end;

    if (!l->snap.active || ledger_table_moves(l->records) != l->snap.moves)
        snapshot_restart(l);
    do
        end = ledger_table_scan(l->records, &l->snap.cursor, STEP_SLOTS,
                                snapshot_slot, l);
    while (!end && (l->snap_event == NULL ||
                    kpd_monotonic_ns() - started < SLICE_NS));
    kpd_ledger_note_pause(&l->base, kpd_monotonic_ns() - started);
    if (!end) {
        event_add(l->snap_event, &next_turn);
        return false;
    }
    l->snap.done = true;
    return true;
}

static void on_snapshot_step_held(evutil_socket_t fd, short what, void *arg)
{
    struct file_ledger *l = arg;

    (void)fd, (void)what;
    if (l->snap.active && !l->snap.done && snapshot_step(l))
        kick(l);
}

/* A main loop callback: it reaches the KP's state, which a worker may
 * be using (state-lock.h). */
static void on_snapshot_step(evutil_socket_t fd, short what, void *arg)
{
    kpd_state_lock();
    on_snapshot_step_held(fd, what, arg);
    kpd_state_unlock();
}

static void complete(struct file_ledger *l);

/* Hands the gathered batch to the flusher when it is idle: with the
 * rewrite's text first once a rewrite is due and its text is made. */
static void kick(struct file_ledger *l)
{
    struct batch *b = l->gather;

    if (l->flight != NULL)
        return;
    if (l->needs_rewrite && !l->hold_rewrite) {
        /* started here, continued by on_snapshot_step; without a loop
         * (unit tests, the last writes at free) made here whole */
        if (!l->snap.done && (!l->snap.active || l->snap_event == NULL))
            snapshot_step(l);
        if (!l->snap.done && (l->tail_unknown || b->count == 0))
            return; /* deliveries wait for the rewrite */
        if (l->snap.done) {
            struct text swap = b->snapshot;
            b->rewrite = true;
            b->snapshot = l->snap.text;
            b->snapshot_records = l->snap.records;
            l->snap.text = swap;
            if (l->snap.out_of_memory) {
                b->rewrite = false;
                snprintf(b->why, sizeof(b->why), "out of memory");
            }
            l->snap.active = l->snap.done = false;
        }
    }
    if (b->count == 0 && !b->rewrite)
        return;
    if (l->tail_unknown && !b->rewrite) {
        /* a rewrite that cannot be tried before the next tick */
        snprintf(b->why, sizeof(b->why), "%s: waiting to rewrite after a "
                 "failed write", l->path);
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
        l->needs_rewrite = l->tail_unknown = true;
        l->hold_rewrite = l->threaded; /* no spinning on a full disk */
        if (!l->failing)
            skip_log_error("ledger: %s; deliveries answer 500 until it "
                           "can write again", why);
        l->failing = true;
    } else {
        if (b->rewrite) {
            l->file_records = b->snapshot_records;
            l->needs_rewrite = l->tail_unknown = false;
            l->base.compactions++;
        } else if (l->snap.active && !l->snap.out_of_memory) {
            /* durable in the old file: the new one must have them too */
            if (!text_reserve(&l->snap.text, b->lines.len))
                l->snap.out_of_memory = true;
            else {
                memcpy(l->snap.text.buf + l->snap.text.len, b->lines.buf,
                       b->lines.len);
                l->snap.text.len += b->lines.len;
                l->snap.records += count;
            }
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
            ledger_table_remove(l->records, w->peer, w->id, w->id_len);
            w->done(w->arg, KPD_LEDGER_FAILED, why);
        } else {
            ledger_slot *s =
                ledger_table_find(l->records, w->peer, w->id, w->id_len);
            if (s != NULL)
                s->pending = 0;
            w->done(w->arg, KPD_LEDGER_RECORDED, NULL);
        }
    }
    free(waiters);
    /* The next batch, if deliveries gathered meanwhile, or a rewrite whose
     * text is ready. After a failure the rewrite waits for the next tick:
     * retrying at once would spin on a disk that stays full. */
    if (l->gather->count > 0 || (l->needs_rewrite && l->snap.done))
        kick(l);
}

static void on_notify_held(evutil_socket_t fd, short what, void *arg)
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

/* A main loop callback: it reaches the KP's state, which a worker may
 * be using (state-lock.h). */
static void on_notify(evutil_socket_t fd, short what, void *arg)
{
    kpd_state_lock();
    on_notify_held(fd, what, arg);
    kpd_state_unlock();
}

static void file_record(kpd_ledger *base, const char *peer,
                        const unsigned char *id, size_t id_len,
                        uint64_t expiry_ms, kpd_ledger_done done, void *arg)
{
    struct file_ledger *l = (struct file_ledger *)base;
    struct batch *b = l->gather;
    ledger_slot *s;
    int p;

    return_if_fail(done != NULL);
    if (id_len > SKIP_KEYID_MAX || strlen(peer) > SKIP_SYSTEM_ID_MAX) {
        done(arg, KPD_LEDGER_FAILED, "record too long");
        return;
    }
    if ((p = ledger_table_peer(l->records, peer)) < 0) {
        done(arg, KPD_LEDGER_FAILED, "out of memory");
        return;
    }
    if (ledger_table_find(l->records, (uint16_t)p, id, id_len) != NULL) {
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
    s = ledger_table_insert(l->records, (uint16_t)p, id, id_len, expiry_ms,
                           true);
    if (s == NULL) {
        done(arg, KPD_LEDGER_FAILED, "out of memory");
        return;
    }
    if (!text_add_record(&b->lines, s, peer)) {
        ledger_table_remove(l->records, (uint16_t)p, id, id_len);
        done(arg, KPD_LEDGER_FAILED, "out of memory");
        return;
    }
    b->waiters[b->count] = (struct waiter){.peer = (uint16_t)p,
                                           .id_len = (uint8_t)id_len,
                                           .done = done, .arg = arg};
    memcpy(b->waiters[b->count++].id, id, id_len);
    kick(l);
}

/* A slice of the table per tick, none while a rewrite's text is being
 * made (a removal would restart it); then compaction when the file holds
 * more than twice the live records. */
static void file_prune(kpd_ledger *base, uint64_t now_ms)
{
    struct file_ledger *l = (struct file_ledger *)base;
    size_t slots = ledger_table_slots(l->records);

    if (!l->snap.active) {
        uint64_t started = kpd_monotonic_ns();
        size_t seen = 0;
        /* without a loop (unit tests), one whole pass */
        do {
            ledger_table_prune(l->records, &l->prune_cursor, STEP_SLOTS,
                               now_ms);
            seen += STEP_SLOTS;
        } while (seen < slots && (!l->threaded ||
                                  kpd_monotonic_ns() - started < SLICE_NS));
        kpd_ledger_note_pause(&l->base, kpd_monotonic_ns() - started);
    }
    if (l->file_records > 2 * ledger_table_count(l->records) + COMPACT_SLACK)
        l->needs_rewrite = true;
    /* Also retries a rewrite that failed (a full disk), once a second. */
    l->hold_rewrite = false;
    kick(l);
}

static size_t file_count(const kpd_ledger *base)
{
    return ledger_table_count(((const struct file_ledger *)base)->records);
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
        /* A rewrite's text under way is finished inline from here on. */
        if (l->snap_event != NULL) {
            event_free(l->snap_event);
            l->snap_event = NULL;
        }
        /* Answer the flushed batch; kick() then writes and answers what
         * had gathered, inline. */
        if (l->flight != NULL)
            complete(l);
        else
            kick(l);
    }
    if (l->notify_event)
        event_free(l->notify_event);
    if (l->snap_event)
        event_free(l->snap_event);
    free(l->snap.text.buf);
    for (int i = 0; i < 2; i++) {
        if (l->notify[i] >= 0)
            close(l->notify[i]);
        free(l->batches[i].snapshot.buf);
        free(l->batches[i].lines.buf);
        free(l->batches[i].waiters);
    }
    ledger_table_free(l->records);
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

/* Loads one line. False for a malformed one. */
static bool load_line(struct file_ledger *l, char *line, unsigned lineno,
                      uint64_t now_ms)
{
    unsigned char id[SKIP_KEYID_MAX];
    char *hex, *peer, *end;
    ledger_slot *old;
    uint64_t expiry;
    size_t id_len;
    int p;

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
        return true;
    if ((p = ledger_table_peer(l->records, peer)) < 0)
        goto out_of_memory;
    if ((old = ledger_table_find(l->records, (uint16_t)p, id, id_len)) != NULL) {
        uint64_t expiry_s = (expiry + 999) / 1000;
        if (expiry_s > old->expiry_s && expiry_s <= UINT32_MAX)
            old->expiry_s = (uint32_t)expiry_s;
        return true;
    }
    if (ledger_table_insert(l->records, (uint16_t)p, id, id_len, expiry,
                            false) == NULL)
        goto out_of_memory;
    return true;
out_of_memory:
    skip_log_error("%s:%u: out of memory", l->path, lineno);
    return false;
bad:
    skip_log_warning("%s:%u: skipping a malformed ledger record", l->path,
                     lineno);
    return false;
}

/* Reads the file's records into the table. *clean: every line whole and
 * well-formed, so the file may be appended to as it is; a torn last line
 * (kill -9 mid-write) is skipped, its key never sent, because the answer
 * waits for the sync. */
static skip_rc load(struct file_ledger *l, uint64_t now_ms, bool *clean,
                    skip_err *err)
{
    FILE *f = fopen(l->path, "re");
    char *line = NULL;
    size_t cap = 0;
    unsigned lineno = 0;
    struct stat st;
    ssize_t n;

    *clean = f != NULL;
    if (f == NULL)
        return errno == ENOENT ? SKIP_OK
                               : skip_err_set(err, SKIP_E_CONFIG, "%s: %s",
                                              l->path, strerror(errno));
    /* sized once for the lines the file likely holds (about 50 bytes) */
    if (fstat(fileno(f), &st) == 0)
        ledger_table_reserve(l->records, (size_t)st.st_size / 48);
    while ((n = getline(&line, &cap, f)) > 0) {
        lineno++;
        if (line[n - 1] != '\n') {
            skip_log_warning("%s:%u: skipping a torn last record", l->path,
                             lineno);
            *clean = false;
            break;
        }
        line[n - 1] = '\0';
        if (!load_line(l, line, lineno, now_ms))
            *clean = false;
    }
    l->file_records = lineno;
    free(line);
    fclose(f);
    return SKIP_OK;
}

/* Writes a file of live records only, before serving: when there was none,
 * or it had a torn or malformed line that an append must not follow. */
static skip_rc rewrite_now(struct file_ledger *l, skip_err *err)
{
    snapshot_step(l); /* no loop yet: the whole text */
    if (l->snap.out_of_memory)
        return skip_err_set(err, SKIP_E_NOMEM, "out of memory");
    if (kpd_statefile_write(l->path, l->snap.text.buf, l->snap.text.len,
                            err) != SKIP_OK)
        return SKIP_E_CONFIG;
    l->file_records = l->snap.records;
    l->snap.active = l->snap.done = false;
    l->snap.text.len = 0;
    return SKIP_OK;
}

static skip_rc open_for_append(struct file_ledger *l, skip_err *err)
{
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
    l->snap_event = evtimer_new(base, on_snapshot_step, l);
    if (l->notify_event == NULL || event_add(l->notify_event, NULL) != 0 ||
        l->snap_event == NULL)
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
    bool clean;
    skip_rc rc;

    *out = NULL;
    if (l == NULL)
        return skip_err_set(err, SKIP_E_NOMEM, "out of memory");
    l->base.ops = &file_ops;
    l->fd = l->notify[0] = l->notify[1] = -1;
    l->gather = &l->batches[0];
    snprintf(path, sizeof(path), "%s/delivered.log", cfg->state_dir);
    if ((l->path = strdup(path)) == NULL ||
        (l->records = ledger_table_new()) == NULL) {
        file_free(&l->base);
        return skip_err_set(err, SKIP_E_NOMEM, "out of memory");
    }
    rc = load(l, kpd_clock_ms(), &clean, err);
    if (rc == SKIP_OK && !clean)
        rc = rewrite_now(l, err);
    if (rc == SKIP_OK)
        rc = open_for_append(l, err);
    /* mostly expired lines: compacted once serving, a slice at a time */
    if (l->file_records > 2 * ledger_table_count(l->records) + COMPACT_SLACK)
        l->needs_rewrite = true;
    if (rc == SKIP_OK && base != NULL)
        rc = start_flusher(l, base, err);
    if (rc != SKIP_OK) {
        file_free(&l->base);
        return rc;
    }
    *out = &l->base;
    return SKIP_OK;
}
