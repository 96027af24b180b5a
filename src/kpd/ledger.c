/* SPDX-License-Identifier: BSD-3-Clause */
/* Delivery ledger: an append-only text file of "EXPIRY_MS KEYID PEER" lines
 * and a chained hash set of the same records in memory. */
#include "config.h"
#include "ledger.h"
#include "statefile.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "skip/hex.h"
#include "skip/json.h"
#include "skip/log.h"

struct entry {
    struct entry *next;
    uint64_t expiry_ms;
    uint64_t hash;
    size_t id_len;
    unsigned char id[SKIP_KEYID_MAX];
    char peer[]; /* NUL-terminated */
};

struct kpd_ledger {
    char *path;
    int fd;
    struct entry **buckets;
    size_t bucket_count; /* a power of two */
    size_t count;
    size_t file_records; /* lines in the file, live or dead */
    off_t file_size;     /* bytes of whole records in the file */
    bool broken;         /* a failed write could not be undone */
};

/* FNV-1a over peer, a separator and the id. */
static uint64_t record_hash(const char *peer, const unsigned char *id,
                            size_t id_len)
{
    uint64_t h = 0xcbf29ce484222325u;

    for (const char *p = peer; *p; p++)
        h = (h ^ (unsigned char)*p) * 0x100000001b3u;
    h = (h ^ 0xff) * 0x100000001b3u;
    for (size_t i = 0; i < id_len; i++)
        h = (h ^ id[i]) * 0x100000001b3u;
    return h;
}

static struct entry *find(const kpd_ledger *l, uint64_t h, const char *peer,
                          const unsigned char *id, size_t id_len)
{
    for (struct entry *e = l->buckets[h & (l->bucket_count - 1)]; e; e = e->next)
        if (e->hash == h && e->id_len == id_len &&
            memcmp(e->id, id, id_len) == 0 && strcmp(e->peer, peer) == 0)
            return e;
    return NULL;
}

static bool grow(kpd_ledger *l)
{
    size_t n = l->bucket_count ? l->bucket_count * 2 : 1024;
    struct entry **b = calloc(n, sizeof(*b));

    if (b == NULL)
        return false;
    for (size_t i = 0; i < l->bucket_count; i++) {
        struct entry *e = l->buckets[i], *next;
        for (; e; e = next) {
            next = e->next;
            e->next = b[e->hash & (n - 1)];
            b[e->hash & (n - 1)] = e;
        }
    }
    free(l->buckets);
    l->buckets = b;
    l->bucket_count = n;
    return true;
}

static bool insert(kpd_ledger *l, const char *peer, const unsigned char *id,
                   size_t id_len, uint64_t expiry_ms)
{
    uint64_t h = record_hash(peer, id, id_len);
    size_t peer_len = strlen(peer);
    struct entry *e;

    if (id_len > SKIP_KEYID_MAX)
        return false;
    if ((e = find(l, h, peer, id, id_len)) != NULL) {
        if (expiry_ms > e->expiry_ms)
            e->expiry_ms = expiry_ms;
        return true;
    }
    if (l->count >= l->bucket_count && !grow(l))
        return false;
    e = malloc(sizeof(*e) + peer_len + 1);
    if (e == NULL)
        return false;
    e->hash = h;
    e->expiry_ms = expiry_ms;
    e->id_len = id_len;
    memcpy(e->id, id, id_len);
    memcpy(e->peer, peer, peer_len + 1);
    e->next = l->buckets[h & (l->bucket_count - 1)];
    l->buckets[h & (l->bucket_count - 1)] = e;
    l->count++;
    return true;
}

static int format_record(char *buf, size_t cap, const char *peer,
                         const unsigned char *id, size_t id_len,
                         uint64_t expiry_ms)
{
    char hex[2 * SKIP_KEYID_MAX + 1];

    skip_hex_encode(id, id_len, hex);
    return snprintf(buf, cap, "%" PRIu64 " %s %s\n", expiry_ms, hex, peer);
}

/* Rewrites the file with the live records only. */
static skip_rc compact(kpd_ledger *l, skip_err *err)
{
    size_t cap = l->count * (2 * SKIP_KEYID_MAX + 300) + 1, len = 0;
    char *text = malloc(cap);
    skip_rc rc;

    if (text == NULL)
        return skip_err_set(err, SKIP_E_NOMEM, "out of memory");
    for (size_t i = 0; i < l->bucket_count; i++)
        for (struct entry *e = l->buckets[i]; e; e = e->next)
            len += (size_t)format_record(text + len, cap - len, e->peer, e->id,
                                         e->id_len, e->expiry_ms);
    rc = kpd_statefile_write(l->path, text, len, err);
    free(text);
    l->file_size = (off_t)len;
    if (rc != SKIP_OK)
        return rc;
    if (l->fd >= 0)
        close(l->fd);
    l->fd = open(l->path, O_WRONLY | O_APPEND | O_CLOEXEC);
    if (l->fd < 0)
        return skip_err_set(err, SKIP_E_INTERNAL, "%s: %s", l->path,
                            strerror(errno));
    l->file_records = l->count;
    return SKIP_OK;
}

/* Loads one line; a torn last line (kill -9 mid-write) is skipped: its key
 * was never sent, because the answer waits for the sync. */
static void load_line(kpd_ledger *l, char *line, unsigned lineno,
                      uint64_t now_ms)
{
    unsigned char id[SKIP_KEYID_MAX];
    char *hex, *peer, *end;
    uint64_t expiry;
    size_t id_len;

    errno = 0;
    expiry = strtoull(line, &end, 10);
    if (errno || end == line || *end != ' ')
        goto bad;
    hex = end + 1;
    peer = strchr(hex, ' ');
    if (peer == NULL || *++peer == '\0')
        goto bad;
    if (!skip_hex_decode(hex, (size_t)(peer - 1 - hex), id, sizeof(id), &id_len))
        goto bad;
    if (expiry > now_ms)
        insert(l, peer, id, id_len, expiry);
    return;
bad:
    skip_log_warning("%s:%u: skipping a malformed ledger record", l->path,
                     lineno);
}

skip_rc kpd_ledger_open(const char *path, uint64_t now_ms, kpd_ledger **out,
                        skip_err *err)
{
    kpd_ledger *l = calloc(1, sizeof(*l));
    char *line = NULL;
    size_t cap = 0;
    unsigned lineno = 0;
    ssize_t n;
    FILE *f;
    skip_rc rc;

    *out = NULL;
    if (l == NULL || (l->path = strdup(path)) == NULL || !grow(l)) {
        kpd_ledger_free(l);
        return skip_err_set(err, SKIP_E_NOMEM, "out of memory");
    }
    l->fd = -1;
    f = fopen(path, "re");
    if (f == NULL && errno != ENOENT) {
        rc = skip_err_set(err, SKIP_E_CONFIG, "%s: %s", path, strerror(errno));
        kpd_ledger_free(l);
        return rc;
    }
    while (f && (n = getline(&line, &cap, f)) > 0) {
        lineno++;
        if (line[n - 1] != '\n') {
            skip_log_warning("%s:%u: skipping a torn last record", path, lineno);
            break;
        }
        line[n - 1] = '\0';
        load_line(l, line, lineno, now_ms);
    }
    free(line);
    if (f)
        fclose(f);
    rc = compact(l, err);
    if (rc != SKIP_OK) {
        kpd_ledger_free(l);
        return rc;
    }
    *out = l;
    return SKIP_OK;
}

void kpd_ledger_free(kpd_ledger *l)
{
    if (l == NULL)
        return;
    for (size_t i = 0; i < l->bucket_count; i++) {
        struct entry *e = l->buckets[i], *next;
        for (; e; e = next) {
            next = e->next;
            free(e);
        }
    }
    free(l->buckets);
    if (l->fd >= 0)
        close(l->fd);
    free(l->path);
    free(l);
}

bool kpd_ledger_contains(const kpd_ledger *l, const char *peer,
                         const unsigned char *id, size_t id_len)
{
    return find(l, record_hash(peer, id, id_len), peer, id, id_len) != NULL;
}

skip_rc kpd_ledger_record(kpd_ledger *l, const char *peer,
                          const unsigned char *id, size_t id_len,
                          uint64_t expiry_ms, skip_err *err)
{
    char buf[2 * SKIP_KEYID_MAX + 300];
    int len = format_record(buf, sizeof(buf), peer, id, id_len, expiry_ms);
    ssize_t n;

    if (len <= 0 || (size_t)len >= sizeof(buf))
        return skip_err_set(err, SKIP_E_INTERNAL, "ledger record too long");
    if (l->broken)
        return skip_err_set(err, SKIP_E_INTERNAL, "ledger %s is damaged; "
                            "restart skip-kpd", l->path);
    /* One write() of one line under O_APPEND, then the data sync: only then
     * may the caller send the key. */
    errno = 0;
    n = write(l->fd, buf, (size_t)len);
    if (n != len || fdatasync(l->fd) != 0) {
        int e = errno;
        /* A short write (disk full, file size limit) leaves half a line,
         * which the next record would run into and make unreadable; cut it
         * off, or stop recording (and so delivering) until a restart. */
        if (n != 0 && ftruncate(l->fd, l->file_size) != 0)
            l->broken = true;
        return skip_err_set(err, SKIP_E_INTERNAL, "ledger %s: %s", l->path,
                            n >= 0 && n != len && e == 0
                                ? "short write (disk full or file size limit)"
                                : strerror(e ? e : EIO));
    }
    l->file_size += len;
    l->file_records++;
    if (!insert(l, peer, id, id_len, expiry_ms))
        return skip_err_set(err, SKIP_E_NOMEM, "out of memory");
    return SKIP_OK;
}

void kpd_ledger_prune(kpd_ledger *l, uint64_t now_ms)
{
    skip_err err;

    for (size_t i = 0; i < l->bucket_count; i++) {
        struct entry **link = &l->buckets[i];
        while (*link) {
            struct entry *e = *link;
            if (e->expiry_ms <= now_ms) {
                *link = e->next;
                free(e);
                l->count--;
            } else {
                link = &e->next;
            }
        }
    }
    if (l->file_records > 2 * l->count + 1024 && compact(l, &err) != SKIP_OK)
        skip_log_error("ledger compaction: %s", err.detail);
}

size_t kpd_ledger_count(const kpd_ledger *l)
{
    return l->count;
}
