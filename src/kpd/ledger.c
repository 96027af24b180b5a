/* SPDX-License-Identifier: BSD-3-Clause */
/* Delivery ledger: an append-only text file of "EXPIRY_MS KEYID PEER" lines
 * and a dict of the same records in memory. */
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

#include "skip/dict.h"
#include "skip/hex.h"
#include "skip/json.h"
#include "skip/log.h"
#include "skip/sysid.h"

/* "EXPIRY_MS KEYID_HEX PEER\n" at its longest. */
#define RECORD_LINE_MAX (20 + 1 + 2 * SKIP_KEYID_MAX + 1 + SKIP_SYSTEM_ID_MAX + 2)

/* One delivered keyId. The dict key is peer, a NUL, then the id bytes:
 * system ids hold no NUL, so the split is unambiguous. */
struct record {
    uint64_t expiry_ms;
    size_t id_len;
    unsigned char id[SKIP_KEYID_MAX];
    char peer[]; /* NUL-terminated */
};

struct kpd_ledger {
    char *path;
    int fd;
    dict *records;
    size_t file_records; /* lines in the file, live or dead */
    off_t file_size;     /* bytes of whole records in the file */
    bool broken;         /* a failed write could not be undone */
};

#define KEY_MAX (SKIP_SYSTEM_ID_MAX + 1 + SKIP_KEYID_MAX)

static size_t record_key(const char *peer, const unsigned char *id,
                         size_t id_len, unsigned char *key)
{
    size_t n = strlen(peer) + 1;

    memcpy(key, peer, n);
    memcpy(key + n, id, id_len);
    return n + id_len;
}

static bool insert(kpd_ledger *l, const char *peer, const unsigned char *id,
                   size_t id_len, uint64_t expiry_ms)
{
    unsigned char key[KEY_MAX];
    size_t peer_len = strlen(peer), n;
    struct record *r;

    if (id_len > SKIP_KEYID_MAX || peer_len > SKIP_SYSTEM_ID_MAX)
        return false;
    n = record_key(peer, id, id_len, key);
    if ((r = dict_get(l->records, key, n)) != NULL) {
        if (expiry_ms > r->expiry_ms)
            r->expiry_ms = expiry_ms;
        return true;
    }
    r = malloc(sizeof(*r) + peer_len + 1);
    if (r == NULL)
        return false;
    r->expiry_ms = expiry_ms;
    r->id_len = id_len;
    memcpy(r->id, id, id_len);
    memcpy(r->peer, peer, peer_len + 1);
    if (!dict_set(l->records, key, n, r)) {
        free(r);
        return false;
    }
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

struct text {
    char *buf;
    size_t cap, len;
};

static void append_record(void *value, void *arg)
{
    const struct record *r = value;
    struct text *t = arg;

    t->len += (size_t)format_record(t->buf + t->len, t->cap - t->len, r->peer,
                                    r->id, r->id_len, r->expiry_ms);
}

/* Rewrites the file with the live records only. */
static skip_rc compact(kpd_ledger *l, skip_err *err)
{
    struct text t = {NULL, dict_count(l->records) * RECORD_LINE_MAX + 1, 0};
    skip_rc rc;

    if ((t.buf = malloc(t.cap)) == NULL)
        return skip_err_set(err, SKIP_E_NOMEM, "out of memory");
    dict_each(l->records, append_record, &t);
    rc = kpd_statefile_write(l->path, t.buf, t.len, err);
    free(t.buf);
    l->file_size = (off_t)t.len;
    if (rc != SKIP_OK)
        return rc;
    if (l->fd >= 0)
        close(l->fd);
    l->fd = open(l->path, O_WRONLY | O_APPEND | O_CLOEXEC);
    if (l->fd < 0)
        return skip_err_set(err, SKIP_E_INTERNAL, "%s: %s", l->path,
                            strerror(errno));
    l->file_records = dict_count(l->records);
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
    if (l == NULL || (l->path = strdup(path)) == NULL ||
        (l->records = dict_new()) == NULL) {
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

static bool keep_none(void *value, void *arg)
{
    return false;
}

void kpd_ledger_free(kpd_ledger *l)
{
    if (l == NULL)
        return;
    if (l->records) {
        dict_filter(l->records, keep_none, free, NULL);
        dict_free(l->records);
    }
    if (l->fd >= 0)
        close(l->fd);
    free(l->path);
    free(l);
}

bool kpd_ledger_contains(const kpd_ledger *l, const char *peer,
                         const unsigned char *id, size_t id_len)
{
    unsigned char key[KEY_MAX];

    if (id_len > SKIP_KEYID_MAX || strlen(peer) > SKIP_SYSTEM_ID_MAX)
        return false;
    return dict_get(l->records, key, record_key(peer, id, id_len, key)) != NULL;
}

skip_rc kpd_ledger_record(kpd_ledger *l, const char *peer,
                          const unsigned char *id, size_t id_len,
                          uint64_t expiry_ms, skip_err *err)
{
    char buf[RECORD_LINE_MAX];
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

static bool unexpired(void *value, void *arg)
{
    return ((struct record *)value)->expiry_ms > *(const uint64_t *)arg;
}

void kpd_ledger_prune(kpd_ledger *l, uint64_t now_ms)
{
    skip_err err;

    dict_filter(l->records, unexpired, free, &now_ms);
    if (l->file_records > 2 * dict_count(l->records) + 1024 &&
        compact(l, &err) != SKIP_OK)
        skip_log_error("ledger compaction: %s", err.detail);
}

size_t kpd_ledger_count(const kpd_ledger *l)
{
    return dict_count(l->records);
}
