/* SPDX-License-Identifier: BSD-3-Clause */
/* The etsi014 key source: skip-kpd as the bridge between a site's
 * encryptors (SKIP) and its QKD network's Key Management Entity (ETSI GS
 * QKD 014). This KP is a Secure Application Entity of its KME; each peer
 * KP is one of the peer KME's.
 *
 *   GET /key?remoteSystemID=Bob       -> enc_keys for Bob's SAE (we are master)
 *   GET /key/{keyId}?remoteSystemID=A -> dec_keys from A's SAE (we are slave)
 *
 * The keyId carries the KME's key_ID (etsi014-wire.h), so the peer needs
 * no state. No key is stored here; each passes through secure memory. The
 * KME's one-time delivery is not trusted: every key_ID this KP hands out,
 * issued or fetched, is recorded in the ledger first, so none leaves
 * twice whatever the KME does. Decisions follow HTTP statuses and the
 * KME's own Status, never the wording of its errors. docs/etsi014.md. */
#include "config.h"
#include "sync.h"

#include <event2/event.h>
#include <openssl/ssl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "etsi014-wire.h"
#include "https-client.h"
#include "state-lock.h"
#include "skip/dict.h"
#include "skip/json.h"
#include "skip/log.h"
#include "skip/sysid.h"
#include "skip/url.h"

#define SAE_ID_MAX 128
#define ISSUED_REMEMBERED 65536
#define PREFETCH_MAX 64
#define BACKOFF_FIRST_MS 50

/* A key asked ahead (prefetch), not yet handed out nor recorded. */
struct pooled {
    unsigned char id[SKIP_KEYID_MAX];
    size_t id_len;
    char key_id[ETSI014_KEY_ID_MAX + 1];
    skip_secbuf *key;
};

struct etsi_peer {
    char *name;   /* its localSystemID */
    char *sae_id; /* its SAE at the peer KME */
    /* The last Status of the link to it, and when (0: never). */
    etsi014_status status;
    uint64_t status_at_ms;
    struct pooled *pool; /* prefetch: keys of KPD_KEY_BITS_DEFAULT bits */
    size_t pooled;
    bool refilling;      /* a prefetch request is on its way */
};

struct etsi {
    kpd_sync base;
    struct event_base *loop;
    kpd_ledger *ledger;
    kpd_https *https;
    char *url; /* https://host:port, no trailing slash */
    char *sae_id;
    unsigned status_ttl_ms, retention_s, pool_wait_ms;
    unsigned prefetch;   /* keys held ahead per peer; 0: none */
    struct etsi_peer *peers;
    size_t peer_count;
    /* whether the KME answered its last Status; unknown until it is asked */
    enum { KME_UNKNOWN, KME_UP, KME_DOWN } kme;
    size_t probe_next;   /* tick: whose Status to refresh next */
    bool probing;
    struct op *ops;      /* waiting on the KME or on a back-off */
    dict *issued;        /* keyIds handed out lately (issued_before) */
    unsigned char (*issued_ring)[1 + SKIP_KEYID_MAX]; /* length, bytes */
    size_t issued_next;
};

/* One /key or /key/{keyId} on its way through the KME. */
struct op {
    struct etsi *e;
    char peer[SKIP_SYSTEM_ID_MAX + 1];
    bool issue;            /* else fetch */
    bool ahead;            /* an issue for the prefetch pool: no ledger */
    enum { WANT_STATUS_FIRST, WANT_KEYS, WANT_STATUS_AFTER } step;
    long keys_status;      /* the HTTP status of enc_keys / dec_keys */
    unsigned size_bits;    /* issue */
    unsigned number;       /* keys asked at once (prefetch), else 1 */
    char key_id[ETSI014_KEY_ID_MAX + 1];
    char path[160 + SAE_ID_MAX]; /* for log lines: the KME call */
    uint64_t started_ms;
    unsigned backoff_ms;
    struct event *retry;
    kpd_key_result result;
    kpd_key_done done;
    void *arg;
    /* in e->ops while it waits on the KME or a back-off; not while the
     * ledger has it, which may outlive e at shutdown */
    bool linked;
    struct op *prev, *next;
};

static struct etsi_peer *peer_find(struct etsi *e, const char *name)
{
    for (size_t i = 0; i < e->peer_count; i++)
        if (strcmp(e->peers[i].name, name) == 0)
            return &e->peers[i];
    return NULL;
}

/* A failure that says the KME cannot be reached (not one of its answers). */
static bool unreachable(skip_rc rc)
{
    return rc == SKIP_E_TRANSPORT || rc == SKIP_E_TLS || rc == SKIP_E_TIMEOUT;
}

/* Whether the KME answers, logged once per change. */
static void kme_is_up(struct etsi *e, bool up, const char *why)
{
    if (up && e->kme != KME_UP)
        skip_log_info("KME %s is available", e->url);
    else if (!up && e->kme != KME_DOWN)
        skip_log_warning("KME %s is unavailable: %s", e->url, why);
    e->kme = up ? KME_UP : KME_DOWN;
}

static void op_unlink(struct op *op)
{
    struct etsi *e = op->e;

    if (!op->linked)
        return;
    op->linked = false;
    if (op->prev)
        op->prev->next = op->next;
    else
        e->ops = op->next;
    if (op->next)
        op->next->prev = op->prev;
    op->prev = op->next = NULL;
}

/* Answers the call and frees the op; the key, if any, goes with it. */
static void op_finish(struct op *op)
{
    op_unlink(op);
    if (op->retry)
        event_free(op->retry);
    if (op->result.rc != SKIP_OK) {
        skip_secbuf_free(op->result.key);
        op->result.key = NULL;
    }
    op->done(op->arg, &op->result);
    skip_secbuf_free(op->result.key);
    free(op);
}

static void op_fail(struct op *op, skip_rc rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The detail names the KME, the call and the cause, for the one log line
 * api-key.c writes. */
static void op_fail(struct op *op, skip_rc rc, const char *fmt, ...)
{
    char why[200];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    op->result.rc = skip_err_set(&op->result.err, rc, "KME %s %s: %s",
                                 op->e->url, op->path, why);
    op_finish(op);
}

static void on_answer(void *arg, kpd_https_answer *a);

/* GET (body NULL) or POST one call of the KME API for op's peer. */
/* The URL of one call of the KME API for an SAE. */
static void kme_url(const struct etsi *e, const char *sae_id, const char *call,
                    char *out, size_t cap)
{
    snprintf(out, cap, "%s/api/v1/keys/%s/%s", e->url, sae_id, call);
}

static void send_call(struct op *op, const char *call, const char *body)
{
    struct etsi *e = op->e;
    const struct etsi_peer *peer = peer_find(e, op->peer);
    char url[512];
    skip_rc rc;

    if (peer == NULL) { /* a reload removed it meanwhile */
        op->result.rc = skip_err_set(&op->result.err, SKIP_E_NOT_FOUND,
                                     "remoteSystemID no longer a peer");
        op_finish(op);
        return;
    }
    snprintf(op->path, sizeof(op->path), "%s /api/v1/keys/%s/%s",
             body ? "POST" : "GET", peer->sae_id, call);
    kme_url(e, peer->sae_id, call, url, sizeof(url));
    rc = kpd_https_send(e->https, url, body, on_answer, op);
    if (rc != SKIP_OK)
        op_fail(op, rc == SKIP_E_NOMEM ? SKIP_E_NOMEM : SKIP_E_INTERNAL,
                "%s", rc == SKIP_E_NOMEM ? "out of memory" : "shutting down");
}

static void send_status(struct op *op, bool after)
{
    op->step = after ? WANT_STATUS_AFTER : WANT_STATUS_FIRST;
    send_call(op, "status", NULL);
}

static void send_keys(struct op *op)
{
    char *body = op->issue ? etsi014_enc_keys_body(op->number ? op->number : 1,
                                                   op->size_bits)
                           : etsi014_dec_keys_body(op->key_id);

    op->step = WANT_KEYS;
    if (body == NULL) {
        op_fail(op, SKIP_E_NOMEM, "out of memory");
        return;
    }
    send_call(op, op->issue ? "enc_keys" : "dec_keys", body);
    free(body);
}

/* The KME's status code and words, for a failure's detail. */
static void kme_words(const kpd_https_answer *a, char *out, size_t cap)
{
    char text[4 * SKIP_ERROR_TEXT_MAX + 1];

    skip_json_error_text((const char *)a->body->data, a->body->len, text,
                         sizeof(text));
    snprintf(out, cap, "HTTP %ld%s%.240s", a->status, text[0] ? ": " : "", text);
}

/* Whether a size is one the KME's Status says it serves; else the detail
 * (sent to the client) names the limit. */
static bool size_served(struct op *op, const etsi014_status *st)
{
    if (op->size_bits >= st->min_key_size && op->size_bits <= st->max_key_size)
        return true;
    op->result.rc = skip_err_set(&op->result.err, SKIP_E_ARGS,
                                 "size must be within the KME's %u..%u bits",
                                 st->min_key_size, st->max_key_size);
    op_finish(op);
    return false;
}

/* A fetched key leaves only once its delivery is on disk. */
static void on_recorded(void *arg, kpd_ledger_outcome outcome, const char *why)
{
    struct op *op = arg;

    if (outcome == KPD_LEDGER_RECORDED) {
        op->result.rc = SKIP_OK;
        op_finish(op);
    } else if (outcome == KPD_LEDGER_ALREADY) {
        op->result.rc = skip_err_set(&op->result.err, SKIP_E_NOT_FOUND,
                                     "keyId already delivered");
        op->result.cause = KPD_CAUSE_ALREADY_DELIVERED;
        op_finish(op);
    } else { /* the disk, not the KME: no KME call in the detail */
        op->result.cause = KPD_CAUSE_LEDGER;
        op->result.rc = skip_err_set(&op->result.err, SKIP_E_INTERNAL,
                                     "ledger %s", why);
        op_finish(op);
    }
}

/* Whether keyId was issued before, remembering it if not: the last
 * ISSUED_REMEMBERED issued keyIds, in memory. An issued key does not wait
 * for the disk (a prf key needs none at all), and a repeat it misses (the
 * KME repeating a key_ID older than that, or from before a restart) is
 * still refused where the standard's promise lies: the peer KP's ledger
 * delivers each keyId once, so no two sessions share a key. */
static bool issued_before(struct etsi *e, const unsigned char *id, size_t len)
{
    unsigned char *slot = e->issued_ring[e->issued_next];

    if (dict_get(e->issued, id, len) != NULL)
        return true;
    if (slot[0] != 0) /* the oldest goes */
        dict_remove(e->issued, slot + 1, slot[0]);
    slot[0] = (unsigned char)len;
    memcpy(slot + 1, id, len);
    if (!dict_set(e->issued, slot + 1, len, slot)) {
        slot[0] = 0;
        return false; /* out of memory: the peer's ledger still holds */
    }
    e->issued_next = (e->issued_next + 1) % ISSUED_REMEMBERED;
    return false;
}

/* An issued key leaves at once, unless this KP issued its keyId before. */
static void hand_out(struct op *op)
{
    if (issued_before(op->e, op->result.id, op->result.id_len)) {
        op_fail(op, SKIP_E_INTERNAL, "key_ID %s was handed out before: the "
                "KME repeats keys, and this one is not delivered again",
                op->key_id);
        return;
    }
    op->result.rc = SKIP_OK;
    op_finish(op);
}

static void prefetch_more(struct etsi *e, struct etsi_peer *peer);

/* A prefetch batch came: each key of the size asked goes into the peer's
 * pool while there is room; the rest are cleansed. */
static void take_batch(struct op *op, const kpd_https_answer *a)
{
    struct etsi_peer *peer = peer_find(op->e, op->peer);
    etsi014_key keys[PREFETCH_MAX];
    skip_err err = {0};
    size_t n;

    if (etsi014_parse_keys((const char *)a->body->data, a->body->len, keys,
                           op->number, &n, &err) != SKIP_OK) {
        op_fail(op, SKIP_E_INTERNAL, "malformed key container: %s", err.detail);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        struct pooled *p;
        if (peer == NULL || peer->pooled >= op->e->prefetch ||
            keys[i].key->len * 8 != op->size_bits)
            continue;
        p = &peer->pool[peer->pooled];
        if (!etsi014_key_id_encode(keys[i].key_id, p->id, &p->id_len))
            continue;
        strcpy(p->key_id, keys[i].key_id);
        p->key = keys[i].key;
        keys[i].key = NULL;
        peer->pooled++;
    }
    etsi014_keys_clear(keys, n);
    op->result.rc = SKIP_OK;
    op_finish(op);
}

/* A key came: check it is the one asked, then record it before it leaves. */
static void take_key(struct op *op, const kpd_https_answer *a)
{
    struct etsi *e = op->e;
    char key_id[ETSI014_KEY_ID_MAX + 1];
    skip_err err = {0};

    if (op->ahead) {
        take_batch(op, a);
        return;
    }
    if (etsi014_parse_key((const char *)a->body->data, a->body->len, key_id,
                          &op->result.key, &err) != SKIP_OK) {
        op_fail(op, SKIP_E_INTERNAL, "malformed key container: %s", err.detail);
        return;
    }
    if (op->issue && op->result.key->len * 8 != op->size_bits) {
        op_fail(op, SKIP_E_INTERNAL, "a key of %zu bits for %u asked (the KME "
                "ignores size?); refused", op->result.key->len * 8,
                op->size_bits);
        return;
    }
    if (!op->issue && strcmp(key_id, op->key_id) != 0) {
        op_fail(op, SKIP_E_INTERNAL, "answered key_ID %s for %s; refused",
                key_id, op->key_id);
        return;
    }
    if (op->issue) {
        strcpy(op->key_id, key_id);
        if (!etsi014_key_id_encode(key_id, op->result.id, &op->result.id_len)) {
            op_fail(op, SKIP_E_INTERNAL, "key_ID %s does not fit a keyId", key_id);
            return;
        }
    }
    if (op->issue) {
        hand_out(op);
        return;
    }
    op_unlink(op); /* the ledger has it now; shutdown does not touch it */
    e->ledger->ops->record(e->ledger, op->peer, op->result.id,
                           op->result.id_len,
                           kpd_clock_ms() + (uint64_t)e->retention_s * 1000,
                           on_recorded, op);
}

static void on_retry_held(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    send_keys(arg);
}

/* A main loop callback: what it completes reaches the KP's state, which a
 * worker may be using (state-lock.h). */
static void on_retry(evutil_socket_t fd, short what, void *arg)
{
    kpd_state_lock();
    on_retry_held(fd, what, arg);
    kpd_state_unlock();
}

/* The pool is empty or refilling: ask again after a back-off, within
 * pool_wait_ms; the loop goes on meanwhile. */
static void retry_later(struct op *op, const char *why)
{
    struct etsi *e = op->e;
    uint64_t waited = kpd_clock_ms() - op->started_ms;
    struct timeval tv;

    op->backoff_ms = op->backoff_ms ? op->backoff_ms * 2 : BACKOFF_FIRST_MS;
    if (waited + op->backoff_ms > e->pool_wait_ms) {
        op_fail(op, SKIP_E_INTERNAL, "%s; still so after %llu ms "
                "(pool_wait_ms)", why, (unsigned long long)waited);
        return;
    }
    if (op->retry == NULL &&
        (op->retry = evtimer_new(e->loop, on_retry, op)) == NULL) {
        op_fail(op, SKIP_E_NOMEM, "out of memory");
        return;
    }
    tv.tv_sec = op->backoff_ms / 1000;
    tv.tv_usec = (op->backoff_ms % 1000) * 1000;
    evtimer_add(op->retry, &tv);
}

/* A Status answer for peer: kept, and the KME marked available, when it
 * parses and takes this KP for its own SAE; else why not, and the KME
 * marked unavailable. Requests and the idle probe alike come here. */
static bool take_status(struct etsi *e, struct etsi_peer *peer,
                        const kpd_https_answer *a, char *why, size_t cap)
{
    etsi014_status st;
    skip_err err = {0};

    if (a->rc != SKIP_OK) {
        snprintf(why, cap, "%s: %s", skip_rc_name(a->rc), a->why);
    } else if (a->status != 200) {
        kme_words(a, why, cap);
    } else if (etsi014_parse_status((const char *)a->body->data, a->body->len,
                                    &st, &err) != SKIP_OK) {
        snprintf(why, cap, "malformed status: %s", err.detail);
    } else if (st.master_sae_id[0] && strcmp(st.master_sae_id, e->sae_id) != 0) {
        snprintf(why, cap, "the KME takes this KP for SAE %s, not sae_id %s "
                 "(another certificate?)", st.master_sae_id, e->sae_id);
    } else {
        kme_is_up(e, true, NULL);
        peer->status = st;
        peer->status_at_ms = kpd_clock_ms();
        return true;
    }
    kme_is_up(e, false, why);
    return false;
}

/* take_status for an op's peer, which a reload may have removed. */
static bool status_taken(struct op *op, const kpd_https_answer *a, char *why,
                         size_t cap)
{
    struct etsi_peer *peer = peer_find(op->e, op->peer);

    if (peer == NULL) {
        snprintf(why, cap, "remoteSystemID no longer a peer");
        return false;
    }
    return take_status(op->e, peer, a, why, cap);
}

/* enc_keys answered: a key, an empty pool to wait for, or a failure. */
static void on_enc_keys(struct op *op, const kpd_https_answer *a)
{
    char words[300];

    if (a->rc != SKIP_OK) {
        if (unreachable(a->rc))
            kme_is_up(op->e, false, skip_rc_name(a->rc));
        op_fail(op, SKIP_E_INTERNAL, "%s: %s", skip_rc_name(a->rc), a->why);
    } else if (a->status == 200) {
        take_key(op, a);
    } else if (a->status == 400 || a->status == 503) {
        /* an empty or refilling pool, or a real refusal: its Status says */
        op->keys_status = a->status;
        send_status(op, true);
    } else {
        kme_words(a, words, sizeof(words));
        op_fail(op, SKIP_E_INTERNAL, "%s", words);
    }
}

/* dec_keys answered. A key_ID the KME does not know, or gave already, is
 * a "key not found" whatever status says so (400, 401, 404; a 500 while
 * its Status answers); anything else is the KME's failure. */
static void on_dec_keys(struct op *op, const kpd_https_answer *a)
{
    char words[300];

    if (a->rc != SKIP_OK) {
        if (unreachable(a->rc))
            kme_is_up(op->e, false, skip_rc_name(a->rc));
        op_fail(op, SKIP_E_INTERNAL, "%s: %s", skip_rc_name(a->rc), a->why);
        return;
    }
    if (a->status == 200) {
        take_key(op, a);
        return;
    }
    kme_words(a, words, sizeof(words));
    if (a->status == 400 || a->status == 401 || a->status == 404) {
        op->result.rc = skip_err_set(&op->result.err, SKIP_E_NOT_FOUND,
                                     "KME %s %s: %s", op->e->url, op->path,
                                     words);
        op_finish(op);
    } else if (a->status == 500) {
        op->keys_status = 500;
        send_status(op, true);
    } else {
        op_fail(op, SKIP_E_INTERNAL, "%s", words);
    }
}

/* The Status asked after enc_keys or dec_keys failed decides. */
static void on_status_after(struct op *op, const kpd_https_answer *a)
{
    const struct etsi_peer *peer = peer_find(op->e, op->peer);
    char why[300];
    bool up = status_taken(op, a, why, sizeof(why));

    if (!op->issue) {
        if (up) {
            op->result.rc = skip_err_set(&op->result.err, SKIP_E_NOT_FOUND,
                                         "KME %s: dec_keys answered 500 while "
                                         "its status answers: key_ID %s taken "
                                         "as unknown", op->e->url, op->key_id);
            op_finish(op);
        } else {
            op_fail(op, SKIP_E_INTERNAL, "dec_keys answered 500, and status: %s",
                    why);
        }
    } else if (up && peer->status.stored_key_count == 0) {
        retry_later(op, "the KME's key pool is empty");
    } else if (op->keys_status == 503) {
        retry_later(op, "enc_keys answered 503");
    } else if (up) {
        op_fail(op, SKIP_E_INTERNAL, "enc_keys refused (HTTP %ld) with keys "
                "in store", op->keys_status);
    } else {
        op_fail(op, SKIP_E_INTERNAL, "enc_keys refused (HTTP %ld), and "
                "status: %s", op->keys_status, why);
    }
}

static void on_answer(void *arg, kpd_https_answer *a)
{
    struct op *op = arg;
    char why[300];

    switch (op->step) {
    case WANT_STATUS_FIRST:
        if (!status_taken(op, a, why, sizeof(why)))
            op_fail(op, SKIP_E_INTERNAL, "%s", why);
        else if (size_served(op, &peer_find(op->e, op->peer)->status))
            send_keys(op);
        break;
    case WANT_KEYS:
        if (op->issue)
            on_enc_keys(op, a);
        else
            on_dec_keys(op, a);
        break;
    case WANT_STATUS_AFTER:
        on_status_after(op, a);
        break;
    }
}

static struct op *op_new(struct etsi *e, const char *peer, kpd_key_done done,
                         void *arg)
{
    struct op *op = calloc(1, sizeof(*op));
    kpd_key_result failed = {0};

    if (op == NULL) {
        failed.rc = skip_err_set(&failed.err, SKIP_E_NOMEM, "out of memory");
        done(arg, &failed);
        return NULL;
    }
    op->e = e;
    snprintf(op->peer, sizeof(op->peer), "%s", peer);
    op->done = done;
    op->arg = arg;
    op->started_ms = kpd_clock_ms();
    op->linked = true;
    op->next = e->ops;
    if (op->next)
        op->next->prev = op;
    e->ops = op;
    return op;
}

/* A prefetch batch is done: more if the pool is still low. */
static void on_prefetched(void *arg, kpd_key_result *result)
{
    struct op *op = arg; /* NULL: op_new found no memory */
    struct etsi_peer *peer = op ? peer_find(op->e, op->peer) : NULL;

    if (peer == NULL)
        return; /* reloaded away */
    peer->refilling = false;
    if (result->rc == SKIP_OK)
        prefetch_more(op->e, peer);
    /* else the next tick asks again */
}

static void send_first(struct op *op, struct etsi_peer *peer)
{
    if (peer->status_at_ms == 0 ||
        kpd_clock_ms() - peer->status_at_ms > op->e->status_ttl_ms)
        send_status(op, false);
    else if (size_served(op, &peer->status))
        send_keys(op);
}

/* Once the peer's pool is down to half, asks the KME for the keys that
 * fill it, in as few requests as its Status allows (max_key_per_request),
 * so a burst of /key costs the KME one request, not one each. */
static void prefetch_more(struct etsi *e, struct etsi_peer *peer)
{
    unsigned want = e->prefetch - (unsigned)peer->pooled;
    unsigned most = peer->status_at_ms ? peer->status.max_key_per_request : 1;
    struct op *op;

    if (e->prefetch == 0 || peer->refilling || peer->pooled > e->prefetch / 2 ||
        (op = op_new(e, peer->name, on_prefetched, NULL)) == NULL)
        return;
    op->arg = op;
    op->issue = op->ahead = true;
    op->size_bits = KPD_KEY_BITS_DEFAULT;
    op->number = want < most ? want : most;
    op->started_ms = kpd_clock_ms() - e->pool_wait_ms; /* never waits */
    peer->refilling = true;
    send_first(op, peer);
}

/* A key from the pool, handed out as any issued key. */
static void issue_pooled(struct op *op, struct etsi_peer *peer)
{
    struct etsi *e = op->e;
    struct pooled *p = &peer->pool[--peer->pooled];

    op->result.key = p->key;
    memcpy(op->result.id, p->id, p->id_len);
    op->result.id_len = p->id_len;
    strcpy(op->key_id, p->key_id);
    memset(p, 0, sizeof(*p));
    hand_out(op);
    prefetch_more(e, peer);
}

static void etsi_issue(kpd_sync *sync, const char *peer_name, unsigned size_bits,
                       kpd_key_done done, void *arg)
{
    struct etsi *e = (struct etsi *)sync;
    struct etsi_peer *peer = peer_find(e, peer_name);
    struct op *op = op_new(e, peer_name, done, arg);

    if (op == NULL)
        return;
    op->issue = true;
    op->size_bits = size_bits;
    if (peer == NULL) {
        op->result.rc = skip_err_set(&op->result.err, SKIP_E_NOT_FOUND,
                                     "unknown remoteSystemID");
        op_finish(op);
    } else if (peer->pooled > 0 && size_bits == KPD_KEY_BITS_DEFAULT) {
        issue_pooled(op, peer);
    } else {
        send_first(op, peer);
    }
}

static void etsi_fetch(kpd_sync *sync, const char *peer_name,
                       const unsigned char *id, size_t id_len,
                       kpd_key_done done, void *arg)
{
    struct etsi *e = (struct etsi *)sync;
    struct op *op = op_new(e, peer_name, done, arg);

    if (op == NULL)
        return;
    memcpy(op->result.id, id, id_len);
    op->result.id_len = id_len;
    if (peer_find(e, peer_name) == NULL) {
        op->result.rc = skip_err_set(&op->result.err, SKIP_E_NOT_FOUND,
                                     "unknown remoteSystemID");
        op_finish(op);
    } else if (!etsi014_key_id_decode(id, id_len, op->key_id)) {
        op->result.rc = skip_err_set(&op->result.err, SKIP_E_NOT_FOUND,
                                     "keyId encodes no ETSI 014 key_ID");
        op->result.cause = KPD_CAUSE_INVALID;
        op_finish(op);
    } else {
        send_keys(op);
    }
}

/* A probe keeps /capabilities' "key" and the Status cache current while
 * no encryptor asks: one peer's Status per status_ttl. */
static void on_probe(void *arg, kpd_https_answer *a)
{
    struct etsi *e = arg;
    struct etsi_peer *peer;
    char why[300];

    e->probing = false;
    if (a->rc == SKIP_E_INTERNAL) /* shutting down */
        return;
    peer = &e->peers[e->probe_next % e->peer_count];
    e->probe_next++;
    if (!take_status(e, peer, a, why, sizeof(why)))
        peer->status_at_ms = 0; /* asked again at the next tick */
}

static void etsi_tick(kpd_sync *sync, uint64_t now_ms)
{
    struct etsi *e = (struct etsi *)sync;
    struct etsi_peer *peer;
    char url[512];

    for (size_t i = 0; i < e->peer_count; i++)
        prefetch_more(e, &e->peers[i]);

    if (e->probing || e->peer_count == 0)
        return;
    peer = &e->peers[e->probe_next % e->peer_count];
    if (peer->status_at_ms != 0 && now_ms - peer->status_at_ms < e->status_ttl_ms)
        return;
    kme_url(e, peer->sae_id, "status", url, sizeof(url));
    e->probing = kpd_https_send(e->https, url, NULL, on_probe, e) == SKIP_OK;
}

static bool etsi_ready(const kpd_sync *sync)
{
    return ((const struct etsi *)sync)->kme == KME_UP;
}

/* Pooled keys are cleansed with their peer (at reload and shutdown). */
static void peers_free(struct etsi_peer *peers, size_t count)
{
    for (size_t i = 0; peers && i < count; i++) {
        for (size_t k = 0; k < peers[i].pooled; k++)
            skip_secbuf_free(peers[i].pool[k].key);
        free(peers[i].pool);
        free(peers[i].name);
        free(peers[i].sae_id);
    }
    free(peers);
}

/* Peers and their SAE IDs from cfg; a known peer keeps its Status. */
static skip_rc peers_from(struct etsi *e, const kpd_config *cfg,
                          struct etsi_peer **out, skip_err *err)
{
    struct etsi_peer *peers = calloc(cfg->peer_count, sizeof(*peers));

    if (peers == NULL)
        return skip_err_set(err, SKIP_E_NOMEM, "out of memory");
    for (size_t i = 0; i < cfg->peer_count; i++) {
        const char *sae = kpd_peer_setting(&cfg->peers[i], "sae_id");
        struct etsi_peer *old = peer_find(e, cfg->peers[i].name);
        peers[i].name = strdup(cfg->peers[i].name);
        peers[i].sae_id = strdup(sae);
        peers[i].pool = calloc(e->prefetch ? e->prefetch : 1, sizeof(struct pooled));
        if (peers[i].name == NULL || peers[i].sae_id == NULL || peers[i].pool == NULL) {
            peers_free(peers, cfg->peer_count);
            return skip_err_set(err, SKIP_E_NOMEM, "out of memory");
        }
        if (old != NULL && strcmp(old->sae_id, sae) == 0) {
            peers[i].status = old->status;
            peers[i].status_at_ms = old->status_at_ms;
        }
    }
    *out = peers;
    return SKIP_OK;
}

static skip_rc etsi_reload_peers(kpd_sync *sync, const kpd_config *cfg,
                                 skip_err *err)
{
    struct etsi *e = (struct etsi *)sync;
    struct etsi_peer *peers;
    skip_rc rc = peers_from(e, cfg, &peers, err);

    if (rc != SKIP_OK)
        return rc;
    peers_free(e->peers, e->peer_count);
    e->peers = peers;
    e->peer_count = cfg->peer_count;
    e->probe_next = 0;
    return SKIP_OK;
}

/* Every call still waiting is answered (500) before the connections go. */
static void etsi_free(kpd_sync *sync)
{
    struct etsi *e = (struct etsi *)sync;

    if (e == NULL)
        return;
    kpd_https_free(e->https); /* answers each transfer: its op fails */
    e->https = NULL;
    while (e->ops != NULL) { /* those waiting on a back-off */
        struct op *op = e->ops;
        op_fail(op, SKIP_E_INTERNAL, "shutting down");
    }
    peers_free(e->peers, e->peer_count);
    dict_free(e->issued);
    free(e->issued_ring);
    free(e->url);
    free(e->sae_id);
    free(e);
}

/* The KME as its last Status showed it, per peer SAE. */
static void etsi_write_metrics(const kpd_sync *sync, kpd_text *out)
{
    const struct etsi *e = (const struct etsi *)sync;

    kpd_text_family(out, "skip_kpd_kme_up", "gauge",
                    "Whether the KME answered its last request.");
    kpd_text_printf(out, "skip_kpd_kme_up %d\n", e->kme == KME_UP);
    kpd_text_family(out, "skip_kpd_kme_stored_keys", "gauge",
                    "stored_key_count of the KME's last Status, per peer.");
    for (size_t i = 0; i < e->peer_count; i++) {
        if (e->peers[i].status_at_ms == 0)
            continue;
        kpd_text_printf(out, "skip_kpd_kme_stored_keys{peer=\"");
        kpd_text_label(out, e->peers[i].name);
        kpd_text_printf(out, "\"} %llu\n",
                        (unsigned long long)e->peers[i].status.stored_key_count);
    }
    kpd_text_family(out, "skip_kpd_kme_pooled_keys", "gauge",
                    "Keys asked ahead (prefetch) and not yet handed out.");
    for (size_t i = 0; i < e->peer_count; i++) {
        kpd_text_printf(out, "skip_kpd_kme_pooled_keys{peer=\"");
        kpd_text_label(out, e->peers[i].name);
        kpd_text_printf(out, "\"} %zu\n", e->peers[i].pooled);
    }
}

static const kpd_sync_ops etsi_ops = {
    .name = "ETSI-GS-QKD-014",
    .issue = etsi_issue,
    .fetch = etsi_fetch,
    .tick = etsi_tick,
    .ready = etsi_ready,
    .write_metrics = etsi_write_metrics,
    .reload_peers = etsi_reload_peers,
    .free = etsi_free,
};

/* --- configuration ---------------------------------------------------- */

static bool sae_id_valid(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > SAE_ID_MAX)
        return false;
    /* it goes into URL paths as it is: unreserved characters only */
    return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                     "0123456789-._~") == n;
}

static unsigned setting_uint(const kpd_config *cfg, const char *name,
                             unsigned dflt)
{
    const char *v = kpd_source_setting(cfg, name);
    unsigned n = dflt;

    if (v != NULL)
        skip_parse_uint(v, 0, ~0u, &n);
    return n;
}

skip_rc kpd_sync_etsi014_peer_option(const char *name, const char *value,
                                     skip_err *err)
{
    if (strcmp(name, "sae_id") != 0)
        return skip_err_set(err, SKIP_E_CONFIG, "unknown setting %s (an "
                            "etsi014 peer takes sae_id)", name);
    if (!sae_id_valid(value))
        return skip_err_set(err, SKIP_E_CONFIG, "sae_id must be 1..%d of "
                            "A-Z a-z 0-9 - . _ ~", SAE_ID_MAX);
    return SKIP_OK;
}

skip_rc kpd_sync_etsi014_source_option(const char *name, const char *value,
                                       skip_err *err)
{
    static const struct {
        const char *name;
        unsigned min, max;
    } numbers[] = {
        {"timeout_ms", 1, 600000},     {"connect_timeout_ms", 1, 600000},
        {"status_ttl_s", 1, 3600},     {"retention_s", 60, 31536000},
        {"pool_wait_ms", 0, 60000},    {"prefetch", 0, PREFETCH_MAX},
    };
    unsigned n;

    if (strcmp(name, "url") == 0)
        return strncmp(value, "https://", 8) == 0 && strlen(value) < 256
                   ? SKIP_OK
                   : skip_err_set(err, SKIP_E_CONFIG, "url must be https://...");
    if (strcmp(name, "sae_id") == 0)
        return kpd_sync_etsi014_peer_option(name, value, err);
    if (strcmp(name, "ca_file") == 0 || strcmp(name, "cert_file") == 0 ||
        strcmp(name, "key_file") == 0)
        return SKIP_OK;
    for (size_t i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++)
        if (strcmp(name, numbers[i].name) == 0)
            return skip_parse_uint(value, numbers[i].min, numbers[i].max, &n) ==
                           SKIP_OK
                       ? SKIP_OK
                       : skip_err_set(err, SKIP_E_CONFIG, "%s must be %u..%u",
                                      name, numbers[i].min, numbers[i].max);
    return skip_err_set(err, SKIP_E_CONFIG, "unknown setting %s", name);
}

skip_rc kpd_sync_etsi014_check_config(const kpd_config *cfg, const char *file,
                                      skip_err *err)
{
    static const char *const required[] = {"url", "ca_file", "cert_file",
                                           "key_file", "sae_id"};

    for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
        if (kpd_source_setting(cfg, required[i]) == NULL)
            return skip_err_set(err, SKIP_E_CONFIG, "%s:0: key_source = "
                                "etsi014 needs %s in [kme]", file, required[i]);
    for (size_t i = 0; i < cfg->peer_count; i++)
        if (kpd_peer_setting(&cfg->peers[i], "sae_id") == NULL)
            return skip_err_set(err, SKIP_E_CONFIG, "%s:0: [peer %s] needs "
                                "sae_id (key_source = etsi014)", file,
                                cfg->peers[i].name);
    return SKIP_OK;
}

/* The SAE certificate, its key and the KME's CA load, and belong together. */
skip_rc kpd_sync_etsi014_check_files(const kpd_config *cfg, skip_err *err)
{
    const char *ca = kpd_source_setting(cfg, "ca_file");
    const char *cert = kpd_source_setting(cfg, "cert_file");
    const char *key = kpd_source_setting(cfg, "key_file");
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    skip_rc rc = SKIP_OK;

    if (ctx == NULL)
        return skip_err_set(err, SKIP_E_NOMEM, "out of memory");
    if (SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1)
        rc = skip_err_set(err, SKIP_E_CONFIG, "[kme] ca_file %s: no CA "
                          "certificate could be read", ca);
    else if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1)
        rc = skip_err_set(err, SKIP_E_CONFIG, "[kme] cert_file %s: no "
                          "certificate could be read", cert);
    else if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
             SSL_CTX_check_private_key(ctx) != 1)
        rc = skip_err_set(err, SKIP_E_CONFIG, "[kme] key_file %s: not the key "
                          "of cert_file %s", key, cert);
    SSL_CTX_free(ctx);
    return rc;
}

skip_rc kpd_sync_etsi014_new(const kpd_config *cfg, struct event_base *base,
                             kpd_ledger *ledger, kpd_sync **out, skip_err *err)
{
    struct etsi *e = calloc(1, sizeof(*e));
    kpd_https_opts opts = {
        .ca_file = kpd_source_setting(cfg, "ca_file"),
        .cert_file = kpd_source_setting(cfg, "cert_file"),
        .key_file = kpd_source_setting(cfg, "key_file"),
        .connect_timeout_ms = setting_uint(cfg, "connect_timeout_ms", 2000),
        .timeout_ms = setting_uint(cfg, "timeout_ms", 5000),
    };
    const char *url = kpd_source_setting(cfg, "url");
    skip_rc rc;

    *out = NULL;
    if (e == NULL)
        return skip_err_set(err, SKIP_E_NOMEM, "out of memory");
    if (base == NULL) {
        free(e);
        return skip_err_set(err, SKIP_E_ARGS, "etsi014 needs an event loop");
    }
    e->base.ops = &etsi_ops;
    e->loop = base;
    e->ledger = ledger;
    e->status_ttl_ms = setting_uint(cfg, "status_ttl_s", 5) * 1000;
    e->retention_s = setting_uint(cfg, "retention_s", 7 * 86400);
    e->pool_wait_ms = setting_uint(cfg, "pool_wait_ms", 2000);
    e->prefetch = setting_uint(cfg, "prefetch", 0);
    e->url = strndup(url, strlen(url) - (url[strlen(url) - 1] == '/'));
    e->sae_id = strdup(kpd_source_setting(cfg, "sae_id"));
    e->issued = dict_new();
    e->issued_ring = calloc(ISSUED_REMEMBERED, sizeof(*e->issued_ring));
    if (e->url == NULL || e->sae_id == NULL || e->issued == NULL ||
        e->issued_ring == NULL) {
        etsi_free(&e->base);
        return skip_err_set(err, SKIP_E_NOMEM, "out of memory");
    }
    if ((rc = kpd_sync_etsi014_check_files(cfg, err)) != SKIP_OK ||
        (rc = peers_from(e, cfg, &e->peers, err)) != SKIP_OK ||
        (e->https = kpd_https_new(base, &opts, err)) == NULL) {
        etsi_free(&e->base);
        return rc != SKIP_OK ? rc : err->rc;
    }
    e->peer_count = cfg->peer_count;
    *out = &e->base;
    return SKIP_OK;
}
