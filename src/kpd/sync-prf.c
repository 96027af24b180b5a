/* SPDX-License-Identifier: BSD-3-Clause */
/* The prf synchronisation backend. Two KPs share a 32-byte secret per epoch
 * and never talk to each other: the initiator's KP derives the key from the
 * secret and a keyId it mints; the responder's KP checks the keyId's MAC and
 * age and derives the same key. docs/kpd-prf.md gives the construction
 * byte by byte; tests/integration/prf-recompute.sh recomputes a key from it. */
#include "config.h"
#include "statefile.h"
#include "sync.h"

#include <errno.h>
#include <inttypes.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "skip/hex.h"
#include "skip/hmac.h"
#include "skip/log.h"
#include "skip/ossl.h"
#include "skip/psk.h"

#define ID_TIME_BASE_MS 1704067200000ull /* 2024-01-01T00:00:00Z */
#define ID_TIME_MAX ((1ull << 40) - 1)   /* 40-bit field: until 2058 */
/* keyId layout 1 (docs/kpd-prf.md): version 1, instance 1, time 5,
 * size 1, sequence 2; then the MAC. */
#define ID_VERSION 1
#define ID_HEADER 10
#define ID_TIME_AT 2
#define ID_SIZE_AT 7
#define ID_SEQ_AT 8
#define SKEW_MS 60000ull   /* clock difference tolerated between two KPs */
#define HWM_STEP_MS 1000ull /* issue times reserved ahead: a write a second */
#define SECRET_LEN 32
#define MAC_KEY_LEN 32 /* K_mac, the keyId MAC key of an epoch */

static const char LABEL_RATCHET[] = "skip-kpd ratchet";
static const char LABEL_MAC[] = "skip-kpd keyid mac";
static const char LABEL_KEY[] = "skip-kpd key";

struct prf_peer {
    char *name;
    char *secret_file;
    uint64_t epoch;       /* the epoch `secret` belongs to */
    bool unsaved;         /* secret_file still holds a secret we ratcheted
                           * away: no keys until it is rewritten */
    skip_secbuf *secret;  /* S_epoch */
    skip_secbuf *prev;    /* S_(epoch-1) while its keyIds may be unexpired */
    /* K_mac of two epochs (slot e % 2), derived once per epoch instead of
     * once per keyId; cleansed when their epoch's secret goes. */
    skip_secbuf *mac_keys;
    uint64_t mac_epoch[2];
    bool mac_valid[2];
};

struct prf {
    kpd_sync base;
    char *local_id;
    unsigned char instance; /* this KP's number among its site's */
    size_t id_len;
    uint64_t lifetime_ms;
    uint64_t interval_ms;
    struct prf_peer *peers;
    size_t peer_count;
    kpd_ledger *ledger; /* borrowed from main */
    char *hwm_path;
    uint64_t hwm_ms;  /* keyIds are minted only with times below this */
    uint64_t last_ms; /* time of the last keyId minted */
    unsigned seq;     /* its sequence number within that millisecond */
    EVP_MD *sha256;   /* for hmac_sha256: fetched once */
    EVP_MD_CTX *md;
};

static uint64_t wall_clock_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t (*kpd_clock_ms)(void) = wall_clock_ms;

static void wall_sleep_ms(uint64_t ms)
{
    struct timespec ts = {.tv_sec = (time_t)(ms / 1000),
                          .tv_nsec = (long)(ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

void (*kpd_sleep_ms)(uint64_t ms) = wall_sleep_ms;

/* --- primitives ------------------------------------------------------ */


/* S_(e+1) = HKDF-Expand(S_e, "skip-kpd ratchet", 32). */
static skip_secbuf *ratchet(const skip_secbuf *secret)
{
    skip_secbuf *next = skip_secbuf_new(SECRET_LEN);

    if (next && !skip_hkdf_sha256(secret->data, secret->len, NULL, 0,
                                  LABEL_RATCHET, strlen(LABEL_RATCHET),
                                  next->data, SECRET_LEN)) {
        skip_secbuf_free(next);
        return NULL;
    }
    if (next)
        next->len = SECRET_LEN;
    return next;
}

struct part {
    const void *data;
    size_t len;
};

/* HMAC-SHA256 (RFC 2104) of the parts one after the other, under a key of
 * at most a block, with the source's one digest context. Every key costs
 * three HMACs under keys of their own (the keyId's MAC, HKDF's extract
 * and expand), and an EVP_MAC keyed per call copies three digest contexts
 * and looks up its parameters each time: this was a tenth of skip-kpd's
 * time per /key (docs/performance.md). */
static bool hmac_sha256(struct prf *p, const unsigned char *key,
                        size_t key_len, const struct part *parts, size_t n,
                        unsigned char out[32])
{
    unsigned char pad[64], inner[32];
    unsigned int len = 0;
    bool ok;

    if (key_len > sizeof(pad))
        return false;
    memset(pad, 0x36, sizeof(pad));
    for (size_t i = 0; i < key_len; i++)
        pad[i] ^= key[i];
    ok = EVP_DigestInit_ex(p->md, p->sha256, NULL) == 1 &&
         EVP_DigestUpdate(p->md, pad, sizeof(pad)) == 1;
    for (size_t i = 0; ok && i < n; i++)
        ok = EVP_DigestUpdate(p->md, parts[i].data, parts[i].len) == 1;
    ok = ok && EVP_DigestFinal_ex(p->md, inner, &len) == 1 && len == 32;
    for (size_t i = 0; i < sizeof(pad); i++)
        pad[i] ^= 0x36 ^ 0x5c;
    ok = ok && EVP_DigestInit_ex(p->md, p->sha256, NULL) == 1 &&
         EVP_DigestUpdate(p->md, pad, sizeof(pad)) == 1 &&
         EVP_DigestUpdate(p->md, inner, sizeof(inner)) == 1 &&
         EVP_DigestFinal_ex(p->md, out, &len) == 1 && len == 32;
    OPENSSL_cleanse(pad, sizeof(pad));
    OPENSSL_cleanse(inner, sizeof(inner));
    return ok;
}

/* HKDF-SHA256 (RFC 5869) with a salt of at most a block. */
static bool hkdf_sha256(struct prf *p, const unsigned char *ikm,
                        size_t ikm_len, const unsigned char *salt,
                        size_t salt_len, const unsigned char *info,
                        size_t info_len, unsigned char *out, size_t out_len)
{
    unsigned char prk[32], block[32];
    struct part extract = {ikm, ikm_len};
    bool ok = out_len <= 255 * sizeof(block) &&
              hmac_sha256(p, salt, salt_len, &extract, 1, prk);

    for (size_t done = 0, i = 1; ok && done < out_len; i++) {
        unsigned char counter = (unsigned char)i;
        struct part expand[3] = {{block, i == 1 ? 0 : sizeof(block)},
                                 {info, info_len},
                                 {&counter, 1}};
        size_t take = out_len - done < sizeof(block) ? out_len - done
                                                     : sizeof(block);

        ok = hmac_sha256(p, prk, sizeof(prk), expand, 3, block);
        if (ok)
            memcpy(out + done, block, take);
        done += take;
    }
    OPENSSL_cleanse(prk, sizeof(prk));
    OPENSSL_cleanse(block, sizeof(block));
    return ok;
}

/* "issuer" 0x00 "receiver": system ids never hold a NUL, so the split is
 * unambiguous. Returns the length written after prefix. */
static size_t direction(unsigned char *buf, size_t cap, const char *prefix,
                        size_t prefix_len, const char *issuer,
                        const char *receiver)
{
    size_t a = strlen(issuer), b = strlen(receiver), n = 0;

    if (prefix_len + 1 + a + 1 + b > cap)
        return 0;
    memcpy(buf, prefix, prefix_len), n += prefix_len;
    if (prefix_len)
        buf[n++] = 0;
    memcpy(buf + n, issuer, a), n += a;
    buf[n++] = 0;
    memcpy(buf + n, receiver, b), n += b;
    return n;
}

/* K_mac = HKDF-SHA256(S_e, "skip-kpd keyid mac", 32) of the peer's epoch
 * e, whose secret is given; NULL if it cannot be derived. */
static const unsigned char *mac_key_for(struct prf_peer *peer, uint64_t e,
                                        const skip_secbuf *secret)
{
    unsigned slot = (unsigned)(e % 2);
    unsigned char *k_mac;

    if (peer->mac_keys == NULL) {
        if ((peer->mac_keys = skip_secbuf_new(2 * MAC_KEY_LEN)) == NULL)
            return NULL;
        peer->mac_keys->len = 2 * MAC_KEY_LEN; /* cleansed whole on free */
    }
    k_mac = peer->mac_keys->data + slot * MAC_KEY_LEN;
    if (peer->mac_valid[slot] && peer->mac_epoch[slot] == e)
        return k_mac;
    peer->mac_valid[slot] = false;
    if (!skip_hkdf_sha256(secret->data, secret->len, NULL, 0, LABEL_MAC,
                          strlen(LABEL_MAC), k_mac, MAC_KEY_LEN))
        return NULL;
    peer->mac_epoch[slot] = e;
    peer->mac_valid[slot] = true;
    return k_mac;
}

/* Cleanses the K_mac of every epoch before `oldest`. */
static void mac_keys_forget_before(struct prf_peer *peer, uint64_t oldest)
{
    for (unsigned slot = 0; slot < 2; slot++) {
        if (peer->mac_valid[slot] && peer->mac_epoch[slot] < oldest) {
            OPENSSL_cleanse(peer->mac_keys->data + slot * MAC_KEY_LEN,
                            MAC_KEY_LEN);
            peer->mac_valid[slot] = false;
        }
    }
}

/* MAC = HMAC-SHA256(K_mac, len || id[0..10) || issuer || 0x00 || receiver),
 * len the keyId's length in one byte, truncated to fill the keyId: so no
 * prefix or extension of a keyId carries a valid MAC. */
static bool keyid_mac(struct prf *p, const unsigned char *k_mac,
                      const unsigned char *id, size_t id_len,
                      const char *issuer, const char *receiver,
                      unsigned char *mac)
{
    unsigned char msg[1 + ID_HEADER + 2 * 256 + 2];
    unsigned char full[32];
    struct part whole = {msg, 0};
    size_t n;
    bool ok;

    msg[0] = (unsigned char)id_len;
    memcpy(msg + 1, id, ID_HEADER);
    n = direction(msg + 1 + ID_HEADER, sizeof(msg) - 1 - ID_HEADER, "", 0,
                  issuer, receiver);
    whole.len = 1 + ID_HEADER + n;
    ok = n > 0 && k_mac != NULL &&
         hmac_sha256(p, k_mac, MAC_KEY_LEN, &whole, 1, full);
    if (ok)
        memcpy(mac, full, id_len - ID_HEADER);
    OPENSSL_cleanse(full, sizeof(full));
    return ok;
}

/* key = HKDF-SHA256(salt = keyId, IKM = S_e,
 *                   info = "skip-kpd key" 0x00 issuer 0x00 receiver). */
static skip_secbuf *derive_key(struct prf *p, const skip_secbuf *secret,
                               const unsigned char *id, size_t id_len,
                               const char *issuer, const char *receiver,
                               size_t key_len)
{
    unsigned char info[sizeof(LABEL_KEY) + 2 * 256 + 2];
    size_t n = direction(info, sizeof(info), LABEL_KEY, strlen(LABEL_KEY),
                         issuer, receiver);
    skip_secbuf *key = skip_secbuf_new(key_len);

    if (key == NULL || n == 0 ||
        !hkdf_sha256(p, secret->data, secret->len, id, id_len, info, n,
                     key->data, key_len)) {
        skip_secbuf_free(key);
        return NULL;
    }
    key->len = key_len;
    return key;
}

/* --- peers and their secrets ----------------------------------------- */

static void peer_clear(struct prf_peer *peer)
{
    free(peer->name);
    free(peer->secret_file);
    skip_secbuf_free(peer->secret);
    skip_secbuf_free(peer->prev);
    skip_secbuf_free(peer->mac_keys);
    memset(peer, 0, sizeof(*peer));
}

/* Parses "EPOCH HEX" lines; keeps the newest and the one just before it. */
static skip_rc peer_load(struct prf_peer *peer, skip_err *err)
{
    skip_secbuf *file;
    skip_rc rc = skip_secret_file_read(peer->secret_file, 4096, &file, err);
    unsigned lineno = 0;
    size_t pos = 0;
    bool have = false;

    if (rc != SKIP_OK)
        return rc;
    while (rc == SKIP_OK && pos < file->len) {
        char *line = (char *)file->data + pos, *end;
        char *nl = memchr(line, '\n', file->len - pos);
        size_t len = nl ? (size_t)(nl - line) : file->len - pos;
        unsigned long long epoch;
        skip_secbuf *s;

        pos += len + 1;
        lineno++;
        if (len == 0 || line[0] == '#')
            continue;
        epoch = strtoull(line, &end, 10);
        if (end == line || *end != ' ' ||
            (size_t)(line + len - (end + 1)) != 2 * SECRET_LEN ||
            (s = skip_secbuf_new(SECRET_LEN)) == NULL) {
            rc = skip_err_set(err, SKIP_E_CONFIG, "%s:%u: expected \"EPOCH "
                              "HEX\" with 64 hex digits", peer->secret_file,
                              lineno);
            break;
        }
        if (!skip_hex_decode(end + 1, 2 * SECRET_LEN, s->data, s->cap, &s->len)) {
            skip_secbuf_free(s);
            rc = skip_err_set(err, SKIP_E_CONFIG, "%s:%u: secret is not hex",
                              peer->secret_file, lineno);
            break;
        }
        if (!have || epoch > peer->epoch) {
            skip_secbuf_free(peer->prev);
            peer->prev = have && epoch == peer->epoch + 1 ? peer->secret : NULL;
            if (peer->prev == NULL)
                skip_secbuf_free(peer->secret);
            peer->secret = s;
            peer->epoch = epoch;
            have = true;
        } else if (epoch + 1 == peer->epoch && peer->prev == NULL) {
            peer->prev = s;
        } else {
            skip_secbuf_free(s);
        }
    }
    skip_secbuf_free(file);
    if (rc == SKIP_OK && !have)
        rc = skip_err_set(err, SKIP_E_CONFIG, "%s:0: no \"EPOCH HEX\" line",
                          peer->secret_file);
    return rc;
}

static skip_rc peer_save(struct prf_peer *peer, skip_err *err)
{
    skip_secbuf *text = skip_secbuf_new(2 * (2 * SECRET_LEN + 32));
    char hex[2 * SECRET_LEN + 1];
    int n = 0;
    skip_rc rc;

    if (text == NULL)
        return skip_err_set(err, SKIP_E_NOMEM, "out of memory");
    if (peer->prev) {
        skip_hex_encode(peer->prev->data, peer->prev->len, hex);
        n = snprintf((char *)text->data, text->cap, "%" PRIu64 " %s\n",
                     peer->epoch - 1, hex);
    }
    skip_hex_encode(peer->secret->data, peer->secret->len, hex);
    n += snprintf((char *)text->data + n, text->cap - (size_t)n,
                  "%" PRIu64 " %s\n", peer->epoch, hex);
    OPENSSL_cleanse(hex, sizeof(hex));
    rc = kpd_statefile_write(peer->secret_file, text->data, (size_t)n, err);
    skip_secbuf_free(text);
    return rc;
}

/* Ratchets peer up to the epoch of now and forgets the previous secret
 * once no keyId of its epoch can still be valid. Old secrets are cleansed
 * in memory and replaced on disk. A KP that cannot replace them must not
 * serve (a stolen disk would give the old keys back): the peer is marked
 * unsaved, the rewrite is tried again at each call, and each change of
 * that state is one log line. */
static void peer_advance(struct prf *p, struct prf_peer *peer, uint64_t now_ms)
{
    uint64_t cur = now_ms / p->interval_ms;
    bool changed = peer->unsaved;
    skip_err err;

    while (peer->epoch < cur) {
        skip_secbuf *next = ratchet(peer->secret);
        if (next == NULL) {
            skip_log_error("peer %s: ratchet failed", peer->name);
            return;
        }
        skip_secbuf_free(peer->prev);
        peer->prev = peer->secret;
        peer->secret = next;
        peer->epoch++;
        changed = true;
    }
    if (peer->prev && now_ms >= cur * p->interval_ms + p->lifetime_ms + SKEW_MS) {
        skip_secbuf_free(peer->prev);
        peer->prev = NULL;
        changed = true;
    }
    if (!changed)
        return;
    mac_keys_forget_before(peer, peer->prev ? peer->epoch - 1 : peer->epoch);
    if (peer_save(peer, &err) != SKIP_OK) {
        if (!peer->unsaved)
            skip_log_error("peer %s: cannot rewrite secret_file after the "
                           "ratchet: %s; the old secret stays on disk, so no "
                           "key is issued or delivered for this peer until "
                           "it can be written (keep secret files where the "
                           "daemon may write: its state directory)",
                           peer->name, err.detail);
        peer->unsaved = true;
        return;
    }
    if (peer->unsaved)
        skip_log_info("peer %s: secret_file written again; keys resume",
                      peer->name);
    else
        skip_log_info("peer %s: secret ratcheted to epoch %" PRIu64,
                      peer->name, peer->epoch);
    peer->unsaved = false;
}

/* The refusal of every key of a peer whose old secret is still on disk. */
static skip_rc refuse_unsaved(const struct prf_peer *peer, skip_err *err)
{
    return skip_err_set(err, SKIP_E_INTERNAL, "peer %s: the ratcheted secret "
                        "is still in %s", peer->name, peer->secret_file);
}

/* The secret of epoch e, if we hold it. A peer whose clock runs ahead may
 * mint a keyId in the next epoch: that secret is computed, not stored. */
static const skip_secbuf *secret_for(struct prf *p, struct prf_peer *peer,
                                     uint64_t e, skip_secbuf **scratch)
{
    *scratch = NULL;
    if (e == peer->epoch)
        return peer->secret;
    if (e + 1 == peer->epoch)
        return peer->prev;
    if (e == peer->epoch + 1)
        return *scratch = ratchet(peer->secret);
    return NULL;
}

static struct prf_peer *peer_find(struct prf *p, const char *name)
{
    for (size_t i = 0; i < p->peer_count; i++)
        if (strcmp(p->peers[i].name, name) == 0)
            return &p->peers[i];
    return NULL;
}

/* --- keyIds -------------------------------------------------------- */

static void put_be(unsigned char *out, uint64_t v, int bytes)
{
    for (int i = bytes - 1; i >= 0; i--, v >>= 8)
        out[i] = (unsigned char)v;
}

static uint64_t get_be(const unsigned char *in, int bytes)
{
    uint64_t v = 0;

    for (int i = 0; i < bytes; i++)
        v = v << 8 | in[i];
    return v;
}

/* Reserves issue times durably ahead of use, so that after a restart (even
 * with the clock set back) no (time, sequence) pair is minted twice. */
static skip_rc reserve_time(struct prf *p, uint64_t t, skip_err *err)
{
    char text[32];
    uint64_t hwm = t + HWM_STEP_MS;
    int n;

    if (t < p->hwm_ms)
        return SKIP_OK;
    n = snprintf(text, sizeof(text), "%" PRIu64 "\n", hwm);
    if (kpd_statefile_write(p->hwm_path, text, (size_t)n, err) != SKIP_OK)
        return SKIP_E_INTERNAL;
    p->hwm_ms = hwm;
    return SKIP_OK;
}

static skip_rc issue_now(struct prf *p, const char *peer_name,
                         unsigned size_bits, unsigned char id[SKIP_KEYID_MAX],
                         size_t *id_len, skip_secbuf **key, skip_err *err)
{
    struct prf_peer *peer = peer_find(p, peer_name);
    uint64_t now = kpd_clock_ms(), t;
    const skip_secbuf *secret;
    skip_secbuf *scratch;

    *key = NULL;
    if (peer == NULL)
        return skip_err_set(err, SKIP_E_NOT_FOUND, "unknown remoteSystemID");
    peer_advance(p, peer, now);
    if (peer->unsaved)
        return refuse_unsaved(peer, err);
    /* Unique (time, sequence): time never goes back, and the sequence
     * counts keyIds within one millisecond (65536 of them). */
    t = now > p->last_ms ? now : p->last_ms;
    if (t == p->last_ms && ++p->seq > 0xffff) {
        t++;
        p->seq = 0;
    } else if (t != p->last_ms) {
        p->seq = 0;
    }
    if (t < ID_TIME_BASE_MS || t - ID_TIME_BASE_MS > ID_TIME_MAX)
        return skip_err_set(err, SKIP_E_INTERNAL, "clock outside 2024..2058");
    if (reserve_time(p, t, err) != SKIP_OK)
        return SKIP_E_INTERNAL;
    p->last_ms = t;

    secret = secret_for(p, peer, t / p->interval_ms, &scratch);
    if (secret == NULL)
        return skip_err_set(err, SKIP_E_INTERNAL, "no secret for epoch %" PRIu64
                            " of peer %s", t / p->interval_ms, peer_name);
    *id_len = p->id_len;
    id[0] = ID_VERSION;
    id[1] = p->instance;
    put_be(id + ID_TIME_AT, t - ID_TIME_BASE_MS, 5);
    id[ID_SIZE_AT] = (unsigned char)(size_bits / 8 - 1);
    put_be(id + ID_SEQ_AT, p->seq, 2);
    if (!keyid_mac(p, mac_key_for(peer, t / p->interval_ms, secret), id,
                   p->id_len, p->local_id, peer_name, id + ID_HEADER) ||
        (*key = derive_key(p, secret, id, p->id_len, p->local_id, peer_name,
                           size_bits / 8)) == NULL) {
        skip_secbuf_free(scratch);
        return skip_err_set(err, SKIP_E_INTERNAL, "key derivation failed");
    }
    skip_secbuf_free(scratch);
    return SKIP_OK;
}

/* Issuing needs no ledger: the answer is ready at once. */
static void prf_issue(kpd_sync *sync, const char *peer, unsigned size_bits,
                      kpd_key_done done, void *arg)
{
    kpd_key_result result = {0};

    result.rc = issue_now((struct prf *)sync, peer, size_bits, result.id,
                          &result.id_len, &result.key, &result.err);
    done(arg, &result);
    skip_secbuf_free(result.key);
}

/* A verified keyId whose key waits for the ledger's word. */
struct delivery {
    kpd_key_result result;
    kpd_key_done done;
    void *arg;
};

static void on_recorded(void *arg, kpd_ledger_outcome outcome, const char *why)
{
    struct delivery *d = arg;
    kpd_key_result *r = &d->result;

    if (outcome != KPD_LEDGER_RECORDED) {
        skip_secbuf_free(r->key);
        r->key = NULL;
    }
    if (outcome == KPD_LEDGER_ALREADY) {
        skip_err_set(&r->err, SKIP_E_NOT_FOUND, "keyId already delivered");
        r->cause = KPD_CAUSE_ALREADY_DELIVERED;
    } else if (outcome == KPD_LEDGER_FAILED) {
        skip_err_set(&r->err, SKIP_E_INTERNAL, "ledger %s", why);
        r->cause = KPD_CAUSE_LEDGER;
    }
    r->rc = outcome == KPD_LEDGER_RECORDED ? SKIP_OK : r->err.rc;
    d->done(d->arg, r);
    skip_secbuf_free(r->key);
    free(d);
}

/* Checks the keyId and derives its key: SKIP_OK with *key, or why not. */
static skip_rc verify(struct prf *p, const char *peer_name,
                      const unsigned char *id, size_t id_len,
                      uint64_t *expiry_out, skip_secbuf **key, skip_err *err,
                      kpd_cause *cause)
{
    struct prf_peer *peer = peer_find(p, peer_name);
    uint64_t now = kpd_clock_ms(), t, expiry;
    unsigned char mac[32 - ID_HEADER];
    const skip_secbuf *secret;
    skip_secbuf *scratch = NULL;
    unsigned size_bits;
    skip_rc rc = SKIP_OK;

    *key = NULL;
    if (peer == NULL)
        return skip_err_set(err, SKIP_E_NOT_FOUND, "unknown remoteSystemID");
    *cause = KPD_CAUSE_INVALID;
    if (id_len != 16 && id_len != 24 && id_len != 32)
        return skip_err_set(err, SKIP_E_NOT_FOUND, "keyId of %zu bytes", id_len);
    /* Another layout is another MAC: peers upgrade together (NEWS). */
    if (id[0] != ID_VERSION)
        return skip_err_set(err, SKIP_E_NOT_FOUND, "keyId layout %u unknown",
                            id[0]);
    peer_advance(p, peer, now);
    *cause = KPD_CAUSE_SOURCE;
    if (peer->unsaved)
        return refuse_unsaved(peer, err);
    t = get_be(id + ID_TIME_AT, 5) + ID_TIME_BASE_MS;
    size_bits = (id[ID_SIZE_AT] + 1u) * 8;
    expiry = t + p->lifetime_ms;
    *cause = KPD_CAUSE_EXPIRED;
    if (t > now + SKEW_MS)
        return skip_err_set(err, SKIP_E_NOT_FOUND, "keyId from the future");
    if (now > expiry)
        return skip_err_set(err, SKIP_E_NOT_FOUND, "keyId expired");
    *cause = KPD_CAUSE_INVALID;
    if (size_bits < KPD_KEY_BITS_MIN)
        return skip_err_set(err, SKIP_E_NOT_FOUND, "keyId size field invalid");
    *cause = KPD_CAUSE_EXPIRED; /* its epoch's secret is gone */
    secret = secret_for(p, peer, t / p->interval_ms, &scratch);
    if (secret == NULL)
        return skip_err_set(err, SKIP_E_NOT_FOUND, "no secret for the keyId's "
                            "epoch");
    *cause = KPD_CAUSE_SOURCE;
    if (!keyid_mac(p, mac_key_for(peer, t / p->interval_ms, secret), id,
                   id_len, peer_name, p->local_id, mac))
        rc = skip_err_set(err, SKIP_E_INTERNAL, "MAC computation failed");
    else if (CRYPTO_memcmp(mac, id + ID_HEADER, id_len - ID_HEADER) != 0) {
        rc = skip_err_set(err, SKIP_E_NOT_FOUND, "keyId MAC does not verify");
        *cause = KPD_CAUSE_FORGED;
    } else if ((*key = derive_key(p, secret, id, id_len, peer_name,
                                  p->local_id, size_bits / 8)) == NULL)
        rc = skip_err_set(err, SKIP_E_INTERNAL, "key derivation failed");
    if (rc == SKIP_OK)
        *cause = KPD_CAUSE_NONE;
    /* Kept past expiry by the skew a peer's clock may have. */
    *expiry_out = expiry + SKEW_MS;
    skip_secbuf_free(scratch);
    OPENSSL_cleanse(mac, sizeof(mac));
    return rc;
}

/* The key leaves only once the ledger has the delivery on disk: a crash
 * after that loses one delivery at worst, never repeats one. The key is
 * derived first, so that a ledger's "already delivered" is the one check
 * of once-only delivery. */
static void prf_fetch(kpd_sync *sync, const char *peer_name,
                      const unsigned char *id, size_t id_len,
                      kpd_key_done done, void *arg)
{
    struct prf *p = (struct prf *)sync;
    struct delivery *d = calloc(1, sizeof(*d));
    kpd_key_result failed = {0};
    uint64_t expiry = 0;

    if (d == NULL) {
        failed.rc = skip_err_set(&failed.err, SKIP_E_NOMEM, "out of memory");
        done(arg, &failed);
        return;
    }
    d->done = done;
    d->arg = arg;
    memcpy(d->result.id, id, id_len);
    d->result.id_len = id_len;
    if (verify(p, peer_name, id, id_len, &expiry, &d->result.key,
               &d->result.err, &d->result.cause) != SKIP_OK) {
        d->result.rc = d->result.err.rc;
        done(arg, &d->result);
        skip_secbuf_free(d->result.key);
        free(d);
        return;
    }
    p->ledger->ops->record(p->ledger, peer_name, id, id_len, expiry,
                           on_recorded, d);
}

static void prf_tick(kpd_sync *sync, uint64_t now_ms)
{
    struct prf *p = (struct prf *)sync;

    for (size_t i = 0; i < p->peer_count; i++)
        peer_advance(p, &p->peers[i], now_ms);
}

/* Copies a peer's ratcheted state, so a reload keeps it without touching
 * the live table until the new one is complete. */
static skip_rc peer_copy(struct prf_peer *dst, const struct prf_peer *src)
{
    dst->epoch = src->epoch;
    dst->secret = skip_secbuf_dup(src->secret->data, src->secret->len);
    if (src->prev)
        dst->prev = skip_secbuf_dup(src->prev->data, src->prev->len);
    return dst->secret && (dst->prev || !src->prev) ? SKIP_OK : SKIP_E_NOMEM;
}

static skip_rc prf_reload_peers(kpd_sync *sync, const kpd_config *cfg,
                                skip_err *err)
{
    struct prf *p = (struct prf *)sync;
    struct prf_peer *peers = calloc(cfg->peer_count, sizeof(*peers));
    skip_rc rc = SKIP_OK;

    if (peers == NULL)
        return skip_err_set(err, SKIP_E_NOMEM, "out of memory");
    for (size_t i = 0; rc == SKIP_OK && i < cfg->peer_count; i++) {
        const struct prf_peer *old = peer_find(p, cfg->peers[i].name);

        peers[i].name = strdup(cfg->peers[i].name);
        peers[i].secret_file =
            strdup(kpd_peer_setting(&cfg->peers[i], "secret_file"));
        if (peers[i].name == NULL || peers[i].secret_file == NULL)
            rc = skip_err_set(err, SKIP_E_NOMEM, "out of memory");
        else if (old && strcmp(old->secret_file, peers[i].secret_file) == 0)
            rc = peer_copy(&peers[i], old);
        else if ((rc = peer_load(&peers[i], err)) == SKIP_OK) {
            peer_advance(p, &peers[i], kpd_clock_ms());
            /* at start (and SIGHUP): refuse, not serve without erasing */
            if (peers[i].unsaved)
                rc = skip_err_set(err, SKIP_E_CONFIG, "peer %s: cannot "
                                  "rewrite %s after the ratchet (see the line "
                                  "above); not starting with the old secret "
                                  "on disk", peers[i].name,
                                  peers[i].secret_file);
        }
    }
    if (rc != SKIP_OK) {
        /* The old peers stay in service. */
        for (size_t i = 0; i < cfg->peer_count; i++)
            peer_clear(&peers[i]);
        free(peers);
        return rc;
    }
    for (size_t i = 0; i < p->peer_count; i++)
        peer_clear(&p->peers[i]);
    free(p->peers);
    p->peers = peers;
    p->peer_count = cfg->peer_count;
    return SKIP_OK;
}

/* At a clean stop the mark comes back to the last time used, so the next
 * start needs no wait. */
static void release_unused_reservation(struct prf *p)
{
    char text[32];
    skip_err err;
    int n;

    if (p->hwm_path == NULL || p->last_ms + 1 >= p->hwm_ms)
        return;
    n = snprintf(text, sizeof(text), "%" PRIu64 "\n", p->last_ms + 1);
    if (kpd_statefile_write(p->hwm_path, text, (size_t)n, &err) != SKIP_OK)
        skip_log_warning("%s", err.detail);
}

static void prf_free(kpd_sync *sync)
{
    struct prf *p = (struct prf *)sync;

    if (p == NULL)
        return;
    release_unused_reservation(p);
    for (size_t i = 0; i < p->peer_count; i++)
        peer_clear(&p->peers[i]);
    free(p->peers);
    free(p->hwm_path);
    free(p->local_id);
    EVP_MD_CTX_free(p->md); /* cleansed */
    EVP_MD_free(p->sha256);
    free(p);
}

/* The epoch of each peer's secret: a peer stuck behind the others has
 * a secret file the ratchet cannot rewrite. */
static void prf_write_metrics(const kpd_sync *sync, kpd_text *out)
{
    const struct prf *p = (const struct prf *)sync;

    kpd_text_family(out, "skip_kpd_prf_epoch", "gauge",
                    "The ratchet epoch of the secret shared with each peer.");
    for (size_t i = 0; i < p->peer_count; i++) {
        kpd_text_printf(out, "skip_kpd_prf_epoch{peer=\"");
        kpd_text_label(out, p->peers[i].name);
        kpd_text_printf(out, "\"} %llu\n",
                        (unsigned long long)p->peers[i].epoch);
    }
}

static const kpd_sync_ops prf_ops = {
    .write_metrics = prf_write_metrics,
    .name = "PRF-HKDF-SHA256",
    .issue = prf_issue,
    .fetch = prf_fetch,
    .tick = prf_tick,
    .reload_peers = prf_reload_peers,
    .free = prf_free,
};

static skip_rc read_hwm(struct prf *p, skip_err *err)
{
    FILE *f = fopen(p->hwm_path, "re");
    unsigned long long parsed = 0;
    uint64_t v, now;

    if (f == NULL)
        return SKIP_OK; /* first start */
    if (fscanf(f, "%llu", &parsed) != 1) {
        fclose(f);
        return skip_err_set(err, SKIP_E_CONFIG, "%s: not a number", p->hwm_path);
    }
    fclose(f);
    v = parsed;
    now = kpd_clock_ms();
    if (v > now && v - now <= 2 * HWM_STEP_MS) {
        /* A crash left part of a reservation unused. Waiting it out (a
         * second at most) keeps keyId times on the clock: starting past
         * the mark instead would move them a step ahead per crash, and a
         * KP restarting in a loop would soon mint keyIds its peers refuse
         * as coming from the future. */
        skip_log_info("waiting %" PRIu64 " ms for the clock to pass the "
                      "issue times reserved before a crash", v - now);
        kpd_sleep_ms(v - now);
    } else if (v > now) {
        skip_log_warning("%s is %" PRIu64 " s ahead of the clock (was it set "
                         "back?); new keyIds carry times from that mark",
                         p->hwm_path, (v - now) / 1000);
    }
    p->hwm_ms = v;
    /* Times below the old mark may have been used before the restart. */
    p->last_ms = v;
    p->seq = 0xffff;
    return SKIP_OK;
}


skip_rc kpd_sync_prf_peer_option(const char *name, const char *value,
                                 skip_err *err)
{
    if (strcmp(name, "secret_file") != 0)
        return skip_err_set(err, SKIP_E_CONFIG, "unknown option %s (key_source "
                            "prf takes secret_file)", name);
    if (value[0] == '\0')
        return skip_err_set(err, SKIP_E_CONFIG, "secret_file is empty");
    return SKIP_OK;
}

skip_rc kpd_sync_prf_check_config(const kpd_config *cfg, const char *file,
                                  skip_err *err)
{
    for (size_t i = 0; i < cfg->peer_count; i++)
        if (kpd_peer_setting(&cfg->peers[i], "secret_file") == NULL)
            return skip_err_set(err, SKIP_E_CONFIG, "%s:0: [peer %s] has no "
                                "secret_file", file, cfg->peers[i].name);
    return SKIP_OK;
}

/* Each secret file parses, and the daemon may rewrite it in place: the
 * file and its directory writable (statefile.c renames a new file over
 * it). access() asks as the real user: the unit's, under ExecStartPre. */
skip_rc kpd_sync_prf_check_files(const kpd_config *cfg, skip_err *err)
{
    skip_rc rc = SKIP_OK;

    for (size_t i = 0; rc == SKIP_OK && i < cfg->peer_count; i++) {
        struct prf_peer peer = {0};
        char dir[4096], *slash;

        peer.name = cfg->peers[i].name;
        peer.secret_file = (char *)kpd_peer_setting(&cfg->peers[i], "secret_file");
        rc = peer_load(&peer, err);
        skip_secbuf_free(peer.secret);
        skip_secbuf_free(peer.prev);
        if (rc != SKIP_OK)
            break;
        snprintf(dir, sizeof(dir), "%s", peer.secret_file);
        slash = strrchr(dir, '/');
        if (slash == NULL)
            strcpy(dir, ".");
        else if (slash == dir)
            dir[1] = '\0';
        else
            *slash = '\0';
        if (access(peer.secret_file, W_OK) != 0 || access(dir, W_OK | X_OK) != 0)
            rc = skip_err_set(err, SKIP_E_CONFIG, "[peer %s]: secret_file %s: "
                              "the daemon must rewrite it when it ratchets, "
                              "and cannot here (%s); keep it in the state "
                              "directory", peer.name, peer.secret_file,
                              strerror(errno));
    }
    return rc;
}

skip_rc kpd_sync_prf_new(const kpd_config *cfg, kpd_ledger *ledger,
                         kpd_sync **out, skip_err *err)
{
    struct prf *p = calloc(1, sizeof(*p));
    char path[4096];
    skip_rc rc;

    *out = NULL;
    if (p == NULL)
        return skip_err_set(err, SKIP_E_NOMEM, "out of memory");
    p->base.ops = &prf_ops;
    p->ledger = ledger;
    p->id_len = cfg->key_id_bits / 8;
    p->instance = (unsigned char)cfg->instance;
    p->lifetime_ms = (uint64_t)cfg->key_lifetime_s * 1000u;
    p->interval_ms = (uint64_t)cfg->ratchet_interval_s * 1000u;
    p->local_id = strdup(cfg->local_id);
    snprintf(path, sizeof(path), "%s/issue.hwm", cfg->state_dir);
    p->hwm_path = strdup(path);
    p->sha256 = EVP_MD_fetch(skip_ossl_ctx(), "SHA256", NULL);
    p->md = EVP_MD_CTX_new();
    if (p->local_id == NULL || p->hwm_path == NULL || p->sha256 == NULL ||
        p->md == NULL) {
        prf_free(&p->base);
        return skip_err_set(err, SKIP_E_INTERNAL, "out of "
                            "memory");
    }
    rc = read_hwm(p, err);
    if (rc == SKIP_OK)
        rc = prf_reload_peers(&p->base, cfg, err);
    if (rc != SKIP_OK) {
        prf_free(&p->base);
        return rc;
    }
    *out = &p->base;
    return SKIP_OK;
}
