/* SPDX-License-Identifier: BSD-3-Clause */
/* libcurl's multi interface on libevent (https-client.h). libcurl tells
 * us which sockets to watch and when to wake it (socket_cb, timer_cb);
 * libevent tells libcurl when that happens (on_socket, on_timer); finished
 * transfers are collected after each such call (collect). */
#include "config.h"
#include "https-client.h"
#include "state-lock.h"

#include <curl/curl.h>
#include <event2/event.h>
#include <openssl/crypto.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define BODY_SPARES 8

struct transfer {
    struct kpd_https *https;
    CURL *easy;
    struct curl_slist *headers;
    skip_secbuf *body;
    bool too_large;
    kpd_https_done done;
    void *arg;
    char errbuf[CURL_ERROR_SIZE];
    struct transfer *prev, *next;
};

struct kpd_https {
    struct event_base *base;
    CURLM *multi;
    struct event *timer;
    char *ca_file, *cert_file, *key_file;
    long connect_timeout_ms, timeout_ms;
    struct transfer *transfers;
    unsigned in_flight;
    bool closing; /* kpd_https_free: no new requests */
    /* Answer buffers kept for the next requests: each is a locked mapping
     * of its own (secbuf.c), too dear to make and unmap per request. */
    skip_secbuf *spare[BODY_SPARES];
    size_t spare_count;
};

/* What libcurl asked us to watch on one socket. */
struct watch {
    struct event *ev;
};

static void collect(kpd_https *h);

static void on_socket_held(evutil_socket_t fd, short what, void *arg)
{
    kpd_https *h = arg;
    int running, action = (what & EV_READ ? CURL_CSELECT_IN : 0) |
                          (what & EV_WRITE ? CURL_CSELECT_OUT : 0);

    curl_multi_socket_action(h->multi, fd, action, &running);
    collect(h);
}

/* A main loop callback: what it completes reaches the KP's state, which a
 * worker may be using (state-lock.h). */
static void on_socket(evutil_socket_t fd, short what, void *arg)
{
    kpd_state_lock();
    on_socket_held(fd, what, arg);
    kpd_state_unlock();
}

static void on_timer_held(evutil_socket_t fd, short what, void *arg)
{
    kpd_https *h = arg;
    int running;

    (void)fd, (void)what;
    curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    collect(h);
}

/* A main loop callback: what it completes reaches the KP's state, which a
 * worker may be using (state-lock.h). */
static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    kpd_state_lock();
    on_timer_held(fd, what, arg);
    kpd_state_unlock();
}

static int socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp,
                     void *socketp)
{
    kpd_https *h = userp;
    struct watch *w = socketp;
    short events = (short)((what & CURL_POLL_IN ? EV_READ : 0) |
                           (what & CURL_POLL_OUT ? EV_WRITE : 0) | EV_PERSIST);

    (void)easy;
    if (what == CURL_POLL_REMOVE) {
        if (w != NULL) {
            event_free(w->ev);
            free(w);
            curl_multi_assign(h->multi, fd, NULL);
        }
        return 0;
    }
    if (w == NULL) {
        if ((w = calloc(1, sizeof(*w))) == NULL)
            return -1;
        curl_multi_assign(h->multi, fd, w);
    } else {
        event_free(w->ev);
    }
    w->ev = event_new(h->base, fd, events, on_socket, h);
    if (w->ev == NULL || event_add(w->ev, NULL) != 0)
        return -1;
    return 0;
}

/* Never acts at once: libcurl may call this from inside our own calls. */
static int timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
    kpd_https *h = userp;
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};

    (void)multi;
    if (timeout_ms < 0)
        return evtimer_del(h->timer);
    return evtimer_add(h->timer, &tv);
}

/* The body may hold a key: it goes to secure memory, and libcurl's own
 * buffer is cleansed behind it (OpenSSL's record buffers are, by
 * SSL_OP_CLEANSE_PLAINTEXT). */
static size_t write_cb(char *data, size_t size, size_t n, void *userp)
{
    struct transfer *t = userp;
    size_t len = size * n;

    if (len > t->body->cap - t->body->len) {
        t->too_large = true;
        OPENSSL_cleanse(data, len);
        return 0; /* libcurl ends the transfer with CURLE_WRITE_ERROR */
    }
    memcpy(t->body->data + t->body->len, data, len);
    OPENSSL_cleanse(data, len);
    t->body->len += len;
    return len;
}

static CURLcode ssl_ctx_cb(CURL *easy, void *ssl_ctx, void *userp)
{
    (void)easy, (void)userp;
    SSL_CTX_set_options(ssl_ctx, SSL_OP_CLEANSE_PLAINTEXT);
    return CURLE_OK;
}

static skip_rc rc_of(CURLcode cc, bool too_large)
{
    if (too_large)
        return SKIP_E_TOO_LARGE;
    switch (cc) {
    case CURLE_OPERATION_TIMEDOUT:
        return SKIP_E_TIMEOUT;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_USE_SSL_FAILED:
        return SKIP_E_TLS;
    default:
        return SKIP_E_TRANSPORT;
    }
}

static void transfer_free(struct transfer *t)
{
    kpd_https *h = t->https;

    if (t->prev)
        t->prev->next = t->next;
    else
        h->transfers = t->next;
    if (t->next)
        t->next->prev = t->prev;
    curl_multi_remove_handle(h->multi, t->easy);
    curl_easy_cleanup(t->easy);
    curl_slist_free_all(t->headers);
    if (t->body != NULL && h->spare_count < BODY_SPARES && !h->closing) {
        skip_secbuf_clear(t->body); /* cleanses what the answer wrote */
        h->spare[h->spare_count++] = t->body;
    } else {
        skip_secbuf_free(t->body);
    }
    h->in_flight--;
    free(t);
}

/* Answers every finished transfer. A done callback may send again. */
static void collect(kpd_https *h)
{
    CURLMsg *msg;
    int left;

    while ((msg = curl_multi_info_read(h->multi, &left)) != NULL) {
        struct transfer *t = NULL;
        kpd_https_answer a = {0};
        const char *type = NULL;

        if (msg->msg != CURLMSG_DONE)
            continue;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
        if (msg->data.result == CURLE_OK) {
            a.rc = SKIP_OK;
            curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &a.status);
            curl_easy_getinfo(t->easy, CURLINFO_CONTENT_TYPE, &type);
            a.json = type != NULL && strncasecmp(type, "application/json", 16) == 0;
            a.body = t->body;
        } else {
            a.rc = rc_of(msg->data.result, t->too_large);
            snprintf(a.why, sizeof(a.why), "%s",
                     t->too_large ? "answer over the body limit"
                     : t->errbuf[0] ? t->errbuf
                                    : curl_easy_strerror(msg->data.result));
        }
        t->done(t->arg, &a);
        transfer_free(t);
    }
}

kpd_https *kpd_https_new(struct event_base *base, const kpd_https_opts *opts,
                         skip_err *err)
{
    kpd_https *h = calloc(1, sizeof(*h));

    if (h == NULL)
        goto nomem;
    h->base = base;
    h->connect_timeout_ms = opts->connect_timeout_ms;
    h->timeout_ms = opts->timeout_ms;
    h->ca_file = strdup(opts->ca_file);
    h->cert_file = strdup(opts->cert_file);
    h->key_file = strdup(opts->key_file);
    h->multi = curl_multi_init();
    h->timer = evtimer_new(base, on_timer, h);
    if (!h->ca_file || !h->cert_file || !h->key_file || !h->multi || !h->timer)
        goto nomem;
    curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
    curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
    curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
    curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
    /* a small pool: a KME serves one bridge, not a crowd */
    curl_multi_setopt(h->multi, CURLMOPT_MAX_HOST_CONNECTIONS, 8L);
    curl_multi_setopt(h->multi, CURLMOPT_MAXCONNECTS, 8L);
    return h;
nomem:
    kpd_https_free(h);
    skip_err_set(err, SKIP_E_NOMEM, "out of memory");
    return NULL;
}

skip_rc kpd_https_send(kpd_https *h, const char *url, const char *json_body,
                       kpd_https_done done, void *arg)
{
    struct transfer *t;
    struct curl_slist *more;

    if (h->closing)
        return SKIP_E_INTERNAL;
    t = calloc(1, sizeof(*t));
    if (t != NULL && h->spare_count > 0)
        t->body = h->spare[--h->spare_count];
    if (t == NULL || (t->easy = curl_easy_init()) == NULL ||
        (t->body == NULL && (t->body = skip_secbuf_new(KPD_HTTPS_BODY_MAX)) == NULL) ||
        (t->headers = curl_slist_append(NULL, "Accept: application/json")) == NULL)
        goto nomem;
    if (json_body != NULL) {
        if ((more = curl_slist_append(t->headers,
                                      "Content-Type: application/json")) == NULL)
            goto nomem;
        t->headers = more;
        if ((more = curl_slist_append(t->headers, "Expect:")) == NULL)
            goto nomem;
        t->headers = more;
        curl_easy_setopt(t->easy, CURLOPT_COPYPOSTFIELDS, json_body);
    }
    t->https = h;
    t->done = done;
    t->arg = arg;
    curl_easy_setopt(t->easy, CURLOPT_URL, url);
    curl_easy_setopt(t->easy, CURLOPT_PRIVATE, t);
    curl_easy_setopt(t->easy, CURLOPT_PROTOCOLS_STR, "https");
    curl_easy_setopt(t->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(t->easy, CURLOPT_HTTPHEADER, t->headers);
    curl_easy_setopt(t->easy, CURLOPT_ERRORBUFFER, t->errbuf);
    curl_easy_setopt(t->easy, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(t->easy, CURLOPT_WRITEDATA, t);
    curl_easy_setopt(t->easy, CURLOPT_SSLVERSION, CURL_SSLVERSION_TLSv1_2);
    curl_easy_setopt(t->easy, CURLOPT_CAINFO, h->ca_file);
    curl_easy_setopt(t->easy, CURLOPT_SSLCERT, h->cert_file);
    curl_easy_setopt(t->easy, CURLOPT_SSLKEY, h->key_file);
    curl_easy_setopt(t->easy, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(t->easy, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(t->easy, CURLOPT_CONNECTTIMEOUT_MS, h->connect_timeout_ms);
    curl_easy_setopt(t->easy, CURLOPT_TIMEOUT_MS, h->timeout_ms);
    curl_easy_setopt(t->easy, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(t->easy, CURLOPT_SSL_CTX_FUNCTION, ssl_ctx_cb);
    if (curl_multi_add_handle(h->multi, t->easy) != CURLM_OK)
        goto nomem;
    t->next = h->transfers;
    if (t->next)
        t->next->prev = t;
    h->transfers = t;
    h->in_flight++;
    return SKIP_OK;
nomem:
    if (t != NULL) {
        curl_easy_cleanup(t->easy);
        curl_slist_free_all(t->headers);
        skip_secbuf_free(t->body);
        free(t);
    }
    return SKIP_E_NOMEM;
}

unsigned kpd_https_in_flight(const kpd_https *h)
{
    return h->in_flight;
}

void kpd_https_free(kpd_https *h)
{
    if (h == NULL)
        return;
    h->closing = true;
    while (h->transfers != NULL) {
        struct transfer *t = h->transfers;
        kpd_https_answer a = {.rc = SKIP_E_INTERNAL};

        snprintf(a.why, sizeof(a.why), "shutting down");
        t->done(t->arg, &a);
        transfer_free(t);
    }
    while (h->spare_count > 0)
        skip_secbuf_free(h->spare[--h->spare_count]);
    if (h->multi)
        curl_multi_cleanup(h->multi);
    if (h->timer)
        event_free(h->timer);
    free(h->ca_file);
    free(h->cert_file);
    free(h->key_file);
    free(h);
}
