/* SPDX-License-Identifier: BSD-3-Clause */
/* The module's way to its KPs. Each slot keeps a small pool of kept-alive
 * clients; a caller takes one under the module lock, talks to the KP with
 * the lock released, and gives it back. Capabilities are cached for
 * CAPS_TTL_S. Every failure leaves one log line: call, slot, path, cause. */
#include "config.h"
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "skip/glob.h"
#include "skip/log.h"

/* How long a URL that failed is passed over (unless it is the last). */
#define URL_BACKOFF_S 5

struct lease {
    CK_SLOT_ID slot_id;
    skip_client *client;
    skip_client_opts opts; /* a copy: the slot may be finalised meanwhile */
    size_t url;            /* the index in opts.urls the client talks to */
    bool tried[SKIP_URLS_MAX];
    char *remote;          /* the slot's default remote */
    char slot_name[64];
    char failed[512];      /* "URL (cause), ..." of the URLs that failed */
};

static void lease_end(struct lease *l, bool keep)
{
    slot *s;

    module_lock();
    s = module_ready() == CKR_OK ? slot_get_locked(l->slot_id) : NULL;
    if (keep && l->client && s && s->idle_count < CLIENT_POOL_MAX) {
        s->idle_url[s->idle_count] = l->url;
        s->idle[s->idle_count++] = l->client;
        l->client = NULL;
    }
    module_unlock();
    skip_client_free(l->client);
    skip_client_opts_clear(&l->opts);
    free(l->remote);
}

/* An idle client of the slot talking to URL i, or NULL. Module lock held. */
static skip_client *take_idle_locked(slot *s, size_t i)
{
    for (size_t k = s->idle_count; k-- > 0;) {
        if (s->idle_url[k] == i) {
            skip_client *c = s->idle[k];
            s->idle[k] = s->idle[s->idle_count - 1];
            s->idle_url[k] = s->idle_url[s->idle_count - 1];
            s->idle_count--;
            return c;
        }
    }
    return NULL;
}

/* The first URL not passed over, else the first. Module lock held. */
static size_t preferred_url_locked(const slot *s, time_t now)
{
    for (size_t i = 0; i < s->cfg.kp.url_count; i++)
        if (s->url_down_until[i] <= now)
            return i;
    return 0;
}

/* Points the lease's options at URL l->url and makes a client for it,
 * outside the module lock. */
static bool lease_new_client(struct lease *l)
{
    skip_err err = {0};

    if (skip_client_opts_use_url(&l->opts, l->url) != SKIP_OK)
        return false;
    if ((l->client = skip_client_new(&l->opts, &err)) == NULL)
        skip_log_error("slot %s: %s", l->slot_name, err.detail);
    return l->client != NULL;
}

/* Takes an idle client of the slot or prepares to make one. */
static CK_RV lease_begin(CK_SLOT_ID slot_id, struct lease *l)
{
    CK_RV rv = CKR_OK;
    slot *s;

    memset(l, 0, sizeof(*l));
    l->slot_id = slot_id;
    module_lock();
    s = slot_get_locked(slot_id);
    if (s == NULL) {
        rv = CKR_SLOT_ID_INVALID;
        goto out;
    }
    snprintf(l->slot_name, sizeof(l->slot_name), "%s", s->cfg.name);
    rv = skip_client_opts_copy(&l->opts, &s->cfg.kp) == SKIP_OK
             ? CKR_OK : CKR_HOST_MEMORY;
    if (rv == CKR_OK && s->cfg.remote && !(l->remote = strdup(s->cfg.remote)))
        rv = CKR_HOST_MEMORY;
    if (rv == CKR_OK) {
        l->url = preferred_url_locked(s, time(NULL));
        l->tried[l->url] = true;
        l->client = take_idle_locked(s, l->url);
        if (skip_client_opts_use_url(&l->opts, l->url) != SKIP_OK)
            rv = CKR_HOST_MEMORY;
    }
out:
    module_unlock();
    if (rv == CKR_OK && l->client == NULL && !lease_new_client(l))
        rv = CKR_DEVICE_ERROR;
    return rv;
}

/* The request failed at URL l->url in a way another KP of the site may
 * not (skip_rc_fails_over): passes that URL over for a while and moves
 * the lease to the next URL not tried yet, preferring those not passed
 * over. False when none is left. Each switch is logged. */
static bool next_url(struct lease *l, const skip_err *why)
{
    size_t n = l->opts.url_count, next = n, len = strlen(l->failed);
    time_t now = time(NULL);
    slot *s;

    module_lock();
    s = module_ready() == CKR_OK ? slot_get_locked(l->slot_id) : NULL;
    if (s != NULL)
        s->url_down_until[l->url] = now + URL_BACKOFF_S;
    for (size_t k = 1; k <= n && next == n; k++) { /* not passed over */
        size_t i = (l->url + k) % n;
        if (!l->tried[i] && (s == NULL || s->url_down_until[i] <= now))
            next = i;
    }
    for (size_t k = 1; k <= n && next == n; k++) /* any left */
        if (!l->tried[(l->url + k) % n])
            next = (l->url + k) % n;
    if (next == n) {
        module_unlock();
        return false; /* the caller's log line names this last URL */
    }
    snprintf(l->failed + len, sizeof(l->failed) - len, "%s%s (%s)",
             len ? ", " : "", l->opts.url, skip_rc_name(why->rc));
    skip_client_free(l->client);
    l->url = next;
    l->tried[next] = true;
    l->client = s != NULL ? take_idle_locked(s, next) : NULL;
    module_unlock();
    skip_log_info("slot %s: %s failed (%s: %s); trying %s", l->slot_name,
                  l->opts.url, skip_rc_name(why->rc), why->detail,
                  l->opts.urls[next]);
    if (l->client != NULL)
        return skip_client_opts_use_url(&l->opts, next) == SKIP_OK;
    return lease_new_client(l);
}

/* One line for a request that failed, naming every URL it tried. */
static void log_failure(const struct lease *l, const char *call,
                        const char *path, const skip_err *err)
{
    skip_log_error("%s: slot %s: %s %s: %s: %s%s%s%s", call, l->slot_name,
                   l->opts.url, path, skip_rc_name(err->rc), err->detail,
                   l->failed[0] ? " (after " : "", l->failed,
                   l->failed[0] ? ")" : "");
}

/* Copies the remote ids of src into a fresh dst; false when out of memory
 * (dst is then empty). Callers only ever read the remote ids. */
static bool copy_remotes(const skip_caps *src, skip_caps *dst)
{
    memset(dst, 0, sizeof(*dst));
    dst->remote_ids = calloc(src->remote_count ? src->remote_count : 1,
                             sizeof(char *));
    if (dst->remote_ids == NULL)
        return false;
    for (size_t i = 0; i < src->remote_count; i++) {
        if ((dst->remote_ids[i] = strdup(src->remote_ids[i])) == NULL) {
            skip_caps_clear(dst);
            return false;
        }
        dst->remote_count++;
    }
    return true;
}

/* The cached capabilities, refreshed after CAPS_TTL_S (lock not held). */
static CK_RV caps_get(struct lease *l, const char *call, skip_caps *out)
{
    skip_caps fresh;
    skip_err err = {0};
    skip_rc rc;
    slot *s;
    bool have = false, copied;

    memset(out, 0, sizeof(*out));
    module_lock();
    s = slot_get_locked(l->slot_id);
    if (s && s->have_caps && time(NULL) - s->caps_time < CAPS_TTL_S)
        have = copy_remotes(&s->caps, out);
    module_unlock();
    if (have)
        return CKR_OK;
    while ((rc = skip_client_caps(l->client, &fresh, &err)) != SKIP_OK &&
           skip_rc_fails_over(rc) && next_url(l, &err))
        ;
    if (rc != SKIP_OK) {
        log_failure(l, call, "/capabilities", &err);
        return CKR_DEVICE_ERROR;
    }
    copied = copy_remotes(&fresh, out);
    module_lock();
    s = module_ready() == CKR_OK ? slot_get_locked(l->slot_id) : NULL;
    if (s) {
        skip_caps_clear(&s->caps);
        s->caps = fresh;
        s->have_caps = true;
        s->caps_time = time(NULL);
    } else {
        skip_caps_clear(&fresh);
    }
    module_unlock();
    return copied ? CKR_OK : CKR_HOST_MEMORY;
}

/* The order docs/skip-pkcs11.md gives: the template's remote, the slot's, the KP's only
 * non-glob remote; and it must match the KP's list. */
static CK_RV pick_remote(struct lease *l, const char *call, const char *asked,
                         char **out)
{
    skip_caps caps;
    const char *only = NULL;
    CK_RV rv = caps_get(l, call, &caps);

    *out = NULL;
    if (rv != CKR_OK)
        return rv;
    if (asked == NULL)
        asked = l->remote;
    if (asked == NULL) {
        size_t concrete = 0;
        for (size_t i = 0; i < caps.remote_count; i++)
            if (!skip_glob_is_pattern(caps.remote_ids[i]))
                only = caps.remote_ids[i], concrete++;
        if (concrete != 1) {
            skip_log_error("%s: slot %s: no remote given and the KP lists %zu "
                           "concrete remoteSystemIDs; set remote in the slot "
                           "or CKA_SKIP_REMOTE_SYSTEM_ID", call, l->slot_name,
                           concrete);
            rv = CKR_TEMPLATE_INCOMPLETE;
            goto out;
        }
        asked = only;
    }
    if (!skip_caps_allows_remote(&caps, asked)) {
        skip_log_error("%s: slot %s: remote \"%s\" matches no remoteSystemID "
                       "of the KP", call, l->slot_name, asked);
        rv = CKR_ATTRIBUTE_VALUE_INVALID;
        goto out;
    }
    if ((*out = strdup(asked)) == NULL)
        rv = CKR_HOST_MEMORY;
out:
    skip_caps_clear(&caps);
    return rv;
}

CK_RV kp_generate(CK_SLOT_ID slot_id, const char *remote_asked,
                  unsigned size_bits, skip_key *key, char **remote_used)
{
    struct lease l;
    skip_err err = {0};
    skip_rc rc;
    CK_RV rv = lease_begin(slot_id, &l);

    *remote_used = NULL;
    if (rv == CKR_OK)
        rv = pick_remote(&l, "C_GenerateKey", remote_asked, remote_used);
    if (rv != CKR_OK) {
        lease_end(&l, rv != CKR_DEVICE_ERROR);
        return rv;
    }
    while ((rc = skip_client_key(l.client, *remote_used, size_bits, key,
                                 &err)) != SKIP_OK &&
           skip_rc_fails_over(rc) && next_url(&l, &err))
        ;
    if (rc != SKIP_OK) {
        log_failure(&l, "C_GenerateKey", "/key", &err);
        rv = errmap_rv(rc);
    } else if (key->key_id_len < KEYID_MIN_LEN) {
        /* A guessable keyId; and a search could not name it (object.c). */
        skip_log_error("C_GenerateKey: slot %s: the KP's keyId has %zu bytes "
                       "(this token holds %d..%d)", l.slot_name,
                       key->key_id_len, KEYID_MIN_LEN, KEYID_MAX_LEN);
        skip_key_clear(key);
        rv = CKR_DEVICE_ERROR;
    }
    if (rv != CKR_OK) {
        free(*remote_used);
        *remote_used = NULL;
    }
    lease_end(&l, rc == SKIP_OK);
    return rv;
}

CK_RV kp_fetch(CK_SLOT_ID slot_id, const char *remote_asked,
               const unsigned char *id, size_t id_len, skip_key *key,
               char **remote_used, bool *not_found)
{
    struct lease l;
    skip_err err = {0};
    skip_rc rc;
    CK_RV rv = lease_begin(slot_id, &l);

    *remote_used = NULL;
    *not_found = false;
    if (rv == CKR_OK)
        rv = pick_remote(&l, "C_FindObjectsInit", remote_asked, remote_used);
    if (rv != CKR_OK) {
        lease_end(&l, rv != CKR_DEVICE_ERROR);
        return rv;
    }
    while ((rc = skip_client_key_by_id(l.client, id, id_len, *remote_used, key,
                                       &err)) != SKIP_OK &&
           skip_rc_fails_over(rc) && next_url(&l, &err))
        ;
    if (rc == SKIP_E_HTTP_400) {
        /* "No such key" is an answer, not a fault: the search is empty. */
        skip_log_info("C_FindObjectsInit: slot %s: the KP holds no key for "
                      "this keyId", l.slot_name);
        *not_found = true;
    } else if (rc != SKIP_OK) {
        log_failure(&l, "C_FindObjectsInit", "/key/{keyId}", &err);
        rv = errmap_rv(rc);
    } else if (key->key->len < KEY_MIN_LEN || key->key->len > KEY_MAX_LEN) {
        skip_log_error("C_FindObjectsInit: slot %s: the KP's key has %zu "
                       "bytes (this token holds %d..%d)", l.slot_name,
                       key->key->len, KEY_MIN_LEN, KEY_MAX_LEN);
        skip_key_clear(key);
        rv = CKR_DEVICE_ERROR;
    }
    if (rv != CKR_OK || *not_found) {
        free(*remote_used);
        *remote_used = NULL;
    }
    lease_end(&l, rc == SKIP_OK || rc == SKIP_E_HTTP_400);
    return rv;
}

/* A KP's refusal of a sample size: any 4xx (skip-kpd takes 8..32768
 * bits; other KPs cap at 2048, or take only 128, 192 or 256). */
static bool refused_size(skip_rc rc)
{
    return rc == SKIP_E_HTTP_400 || rc == SKIP_E_HTTP_404 ||
           rc == SKIP_E_HTTP_405 || rc == SKIP_E_HTTP_OTHER;
}

static bool small_samples(CK_SLOT_ID slot_id, bool set)
{
    bool small = false;
    slot *s;

    module_lock();
    s = module_ready() == CKR_OK ? slot_get_locked(slot_id) : NULL;
    if (s && set && !s->entropy_small) {
        s->entropy_small = true;
        skip_log_info("C_GenerateRandom: slot %s: the KP refuses large "
                      "entropy samples; asking %d bits at a time from now on",
                      s->cfg.name, ENTROPY_SMALL_BITS);
    }
    small = s && s->entropy_small;
    module_unlock();
    return small;
}

/* One sample of want bytes (at most SKIP_ENTROPY_MAX_BITS / 8), or of
 * ENTROPY_SMALL_BITS when the slot's KP takes no other size: the draft
 * guarantees only its 256-bit default. */
static skip_rc entropy_sample(struct lease *l, size_t want, skip_secbuf **random,
                              skip_err *err)
{
    bool small = small_samples(l->slot_id, false);
    unsigned bits = small ? ENTROPY_SMALL_BITS : (unsigned)want * 8;
    skip_rc rc;

    while ((rc = skip_client_entropy(l->client, bits, random, err)) != SKIP_OK &&
           skip_rc_fails_over(rc) && next_url(l, err))
        ;
    if (rc != SKIP_OK && refused_size(rc) && bits != ENTROPY_SMALL_BITS) {
        small_samples(l->slot_id, true);
        bits = ENTROPY_SMALL_BITS;
        rc = skip_client_entropy(l->client, bits, random, err);
    }
    return rc;
}

CK_RV kp_entropy(CK_SLOT_ID slot_id, unsigned char *out, size_t len)
{
    struct lease l;
    skip_err err = {0};
    skip_rc rc = SKIP_OK;
    CK_RV rv = lease_begin(slot_id, &l);
    size_t done = 0;

    if (rv != CKR_OK) {
        lease_end(&l, false);
        return rv;
    }
    while (done < len) {
        size_t chunk = len - done;
        skip_secbuf *random;

        if (chunk > SKIP_ENTROPY_MAX_BITS / 8)
            chunk = SKIP_ENTROPY_MAX_BITS / 8;
        rc = entropy_sample(&l, chunk, &random, &err);
        if (rc != SKIP_OK) {
            log_failure(&l, "C_GenerateRandom", "/entropy", &err);
            rv = errmap_rv(rc);
            break;
        }
        /* a 256-bit sample may hold more than is left to fill */
        if (chunk > random->len)
            chunk = random->len;
        memcpy(out + done, random->data, chunk);
        skip_secbuf_free(random); /* cleansed, the unused part too */
        done += chunk;
    }
    lease_end(&l, rc == SKIP_OK);
    return rv;
}

void kp_slot_release_locked(slot *s)
{
    while (s->idle_count > 0)
        skip_client_free(s->idle[--s->idle_count]);
}
