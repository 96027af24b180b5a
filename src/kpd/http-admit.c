/* SPDX-License-Identifier: BSD-3-Clause */
/* Who gets a connection, and for how long before it proves itself. A
 * client without credentials can open connections and trickle bytes; none
 * of that may starve the clients that have them:
 *  - the TLS handshake and then each request must be done within a
 *    deadline counted from their start, which no byte extends (the idle
 *    timeout, which every byte does extend, cannot stop a slow client);
 *  - at max_connections, a connection still in its handshake, else an
 *    idle established one, makes room for the new one, taken from the
 *    address holding the most connections: a flood from a few addresses
 *    pays with its own connections, not an encryptor's;
 *  - one address holds at most max_connections_per_source;
 *  - out of file descriptors, accepting pauses briefly after making room,
 *    instead of spinning on EMFILE.
 * Every refusal is logged at most once a second, with a count.
 * With several workers (worker.h), the caps count every worker's
 * connections; a worker at max_connections makes room among its own, or
 * passes the new socket to the worker holding the most, which does. */
#include "config.h"
#include "http-conn.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent_ssl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "skip/dict.h"
#include "skip/log.h"

#define ACCEPT_PAUSE_MS 100
/* Out of descriptors, a handshake older than this is a slow client's:
 * real ones take milliseconds. */
#define STALE_HANDSHAKE_MS 500

/* One line a second at most per kind of refusal, saying how many there
 * were since the last line. */
struct log_limit {
    time_t last;
    unsigned count;
};

static struct log_limit over_cap_log, per_source_log, deadline_log,
    accept_error_log, evicted_log;
static pthread_mutex_t log_limit_lock = PTHREAD_MUTEX_INITIALIZER;

static uint64_t monotonic_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static time_t monotonic_s(void)
{
    return (time_t)(monotonic_ms() / 1000u);
}

/* True when a line may be written now; *count is then how many events it
 * stands for. */
static bool log_now(struct log_limit *l, unsigned *count)
{
    time_t now = monotonic_s();
    bool now_due;

    pthread_mutex_lock(&log_limit_lock);
    l->count++;
    now_due = l->last == 0 || now - l->last >= 1;
    if (now_due) {
        *count = l->count;
        l->count = 0;
        l->last = now;
    }
    pthread_mutex_unlock(&log_limit_lock);
    return now_due;
}

/* The key of a client address in ctx->sources: family, then its bytes. */
static size_t source_key(const struct kpd_conn *c, unsigned char key[17])
{
    key[0] = (unsigned char)c->family;
    memcpy(key + 1, c->addr, 16);
    return 17;
}

/* With ctx->sources_lock held. */
static uintptr_t connections_from_locked(kpd_ctx *ctx,
                                         const struct kpd_conn *c)
{
    unsigned char key[17];
    size_t len = source_key(c, key);

    return ctx->sources ? (uintptr_t)dict_get(ctx->sources, key, len) : 0;
}

static uintptr_t connections_from(kpd_ctx *ctx, const struct kpd_conn *c)
{
    uintptr_t n;

    pthread_mutex_lock(&ctx->sources_lock);
    n = connections_from_locked(ctx, c);
    pthread_mutex_unlock(&ctx->sources_lock);
    return n;
}

/* Adds delta to the count of c's address, unless that would pass cap;
 * a count of 0 leaves the dict. False when it would. */
static bool count_source(kpd_ctx *ctx, const struct kpd_conn *c, int delta,
                         uintptr_t cap)
{
    unsigned char key[17];
    size_t len = source_key(c, key);
    uintptr_t n;

    pthread_mutex_lock(&ctx->sources_lock);
    n = connections_from_locked(ctx, c) + (uintptr_t)(intptr_t)delta;
    if (delta > 0 && n > cap) {
        pthread_mutex_unlock(&ctx->sources_lock);
        return false;
    }
    if (ctx->sources == NULL)
        ctx->sources = dict_new();
    /* without memory the per-source cap is not applied */
    if (ctx->sources != NULL && n == 0)
        dict_remove(ctx->sources, key, len);
    else if (ctx->sources != NULL)
        dict_set(ctx->sources, key, len, (void *)n);
    pthread_mutex_unlock(&ctx->sources_lock);
    return true;
}

static void read_source(struct kpd_conn *c, const struct sockaddr *addr,
                        int addr_len)
{
    memset(c->addr, 0, sizeof(c->addr));
    c->family = addr->sa_family;
    if (addr->sa_family == AF_INET &&
        addr_len >= (int)sizeof(struct sockaddr_in))
        memcpy(c->addr, &((const struct sockaddr_in *)addr)->sin_addr, 4);
    else if (addr->sa_family == AF_INET6 &&
             addr_len >= (int)sizeof(struct sockaddr_in6))
        memcpy(c->addr, &((const struct sockaddr_in6 *)addr)->sin6_addr, 16);
}

void kpd_admit_source(struct kpd_conn *c, const struct sockaddr *addr,
                      int addr_len)
{
    read_source(c, addr, addr_len);
    c->last_used = monotonic_s();
    c->accepted_ms = monotonic_ms();
}

void kpd_admit_forget(struct kpd_conn *c)
{
    count_source(c->ctx, c, -1, 0);
}

/* Idle: established, nothing asked, nothing to send, nothing half read. */
static bool idle(struct kpd_conn *c)
{
    return c->established && !c->pending && !c->in_request && !c->closing &&
           !c->throttled && !c->gone &&
           evbuffer_get_length(bufferevent_get_output(c->bev)) == 0;
}

/* Which of two candidates to close: the one whose address holds more
 * connections (a flood comes from few addresses, an encryptor holds one
 * or two), then the older handshake or the longer idle. */
static bool worse(kpd_ctx *ctx, struct kpd_conn *c, struct kpd_conn *than)
{
    uintptr_t mine = connections_from(ctx, c), theirs;

    if (than == NULL)
        return true;
    theirs = connections_from(ctx, than);
    if (mine != theirs)
        return mine > theirs;
    return c->established ? c->last_used <= than->last_used
                          : c->accepted_ms <= than->accepted_ms;
}

/* Closes the connection that matters least: one still in its handshake,
 * else an idle one, each time from the address that holds the most. False
 * if every connection is busy. */
static bool evict_one(kpd_worker *w)
{
    kpd_ctx *ctx = w->ctx;
    struct kpd_conn *handshaking = NULL, *idlest = NULL, *victim;
    unsigned count;

    for (struct kpd_conn *c = w->conns; c != NULL; c = c->next) {
        if (!c->established && !c->gone) {
            if (worse(ctx, c, handshaking))
                handshaking = c;
        } else if (idle(c) && worse(ctx, c, idlest)) {
            idlest = c;
        }
    }
    victim = handshaking ? handshaking : idlest;
    if (victim == NULL)
        return false;
    kpd_count(&ctx->metrics.connections_evicted);
    if (log_now(&evicted_log, &count))
        skip_log_warning("at max_connections = %u: closed %u connection(s) to "
                         "make room, the last one %s", ctx->cfg.max_connections,
                         count, handshaking ? "still in its handshake" : "idle");
    kpd_conn_done(victim);
    return true;
}

static void arm(struct kpd_conn *c, unsigned seconds)
{
    struct timeval limit = {.tv_sec = seconds};

    evtimer_add(c->deadline, &limit);
}

/* A new socket on w: refused, passed on (handed is false: it was accepted
 * here), or made a connection. */
static void admit(kpd_worker *w, evutil_socket_t fd, struct sockaddr *addr,
                  int addr_len, bool handed)
{
    kpd_ctx *ctx = w->ctx;
    struct kpd_conn probe = {0}, *c;
    unsigned count;

    /* The address's place is taken where the socket was accepted (so a
     * burst passed on between workers is counted at once), and given
     * back if the socket is not kept. */
    read_source(&probe, addr, addr_len);
    if (!handed && !count_source(ctx, &probe, +1,
                                 ctx->cfg.max_connections_per_source)) {
        kpd_count(&ctx->metrics.connections_refused);
        kpd_count(&ctx->metrics.refusals[KPD_CAUSE_LIMITS]);
        if (log_now(&per_source_log, &count))
            skip_log_warning("refused %u connection(s): one address holds "
                             "max_connections_per_source = %u", count,
                             ctx->cfg.max_connections_per_source);
        evutil_closesocket(fd);
        return;
    }
    /* (at the cap, where it was accepted decides what makes room) */
    if (!handed && kpd_connections_open(ctx) < ctx->cfg.max_connections &&
        kpd_worker_balance(w, fd, addr, addr_len))
        return;
    if (kpd_connections_open(ctx) >= ctx->cfg.max_connections &&
        !evict_one(w)) {
        /* Nothing of this worker's to close: the worker holding the most
         * connections decides. */
        if (!handed && kpd_worker_pass_on(w, fd, addr, addr_len))
            return;
        kpd_count(&ctx->metrics.connections_refused);
        kpd_count(&ctx->metrics.refusals[KPD_CAUSE_LIMITS]);
        if (log_now(&over_cap_log, &count))
            skip_log_warning("refused %u connection(s): %u open, every one "
                             "busy (max_connections)", count,
                             kpd_connections_open(ctx));
        count_source(ctx, &probe, -1, 0);
        evutil_closesocket(fd);
        return;
    }
    c = kpd_conn_new(w, fd, addr, addr_len); /* NULL: fd closed */
    if (c != NULL)
        kpd_admit_accepted(c);
    else
        count_source(ctx, &probe, -1, 0);
}

void kpd_admit_on_accept(struct evconnlistener *listener, evutil_socket_t fd,
                         struct sockaddr *addr, int addr_len, void *arg)
{
    (void)listener;
    admit(arg, fd, addr, addr_len, false);
}

void kpd_admit_handed(kpd_worker *w, evutil_socket_t fd,
                      struct sockaddr *addr, int addr_len)
{
    struct kpd_conn probe = {.ctx = w->ctx};

    if (w->listener != NULL) {
        admit(w, fd, addr, addr_len, true);
        return;
    }
    /* draining or stopping: as if refused */
    read_source(&probe, addr, addr_len);
    count_source(w->ctx, &probe, -1, 0);
    evutil_closesocket(fd);
}

static void on_accept_resume(evutil_socket_t fd, short what, void *arg)
{
    kpd_worker *w = arg;

    (void)fd, (void)what;
    if (w->listener != NULL && !w->draining)
        evconnlistener_enable(w->listener);
}

/* Closes every connection whose handshake is older than
 * STALE_HANDSHAKE_MS; how many. */
static unsigned evict_stale_handshakes(kpd_worker *w)
{
    uint64_t now = monotonic_ms();
    struct kpd_conn *c, *next;
    unsigned n = 0;

    for (c = w->conns; c != NULL; c = next) {
        next = c->next;
        if (!c->established && !c->gone &&
            now - c->accepted_ms >= STALE_HANDSHAKE_MS) {
            kpd_conn_done(c);
            n++;
        }
    }
    return n;
}

/* accept(2) failed. Out of descriptors, libevent would retry at once and
 * forever: make room (every slow handshake, else the connection that
 * matters least) and pause instead. */
void kpd_admit_on_accept_error(struct evconnlistener *listener, void *arg)
{
    kpd_worker *w = arg;
    int err = EVUTIL_SOCKET_ERROR();
    struct timeval pause = {.tv_usec = ACCEPT_PAUSE_MS * 1000};
    unsigned count;

    if (err != EMFILE && err != ENFILE && err != ENOBUFS && err != ENOMEM)
        return; /* a connection that died before accept(): nothing to do */
    if (evict_stale_handshakes(w) == 0)
        evict_one(w);
    if (w->accept_resume == NULL)
        w->accept_resume = evtimer_new(w->base, on_accept_resume, w);
    if (w->accept_resume != NULL) {
        evconnlistener_disable(listener);
        evtimer_add(w->accept_resume, &pause);
    }
    if (log_now(&accept_error_log, &count))
        skip_log_error("accept: %s (%u times, %u connections open): pausing "
                       "%d ms; raise the descriptor limit (LimitNOFILE) or "
                       "lower max_connections", strerror(err), count,
                       kpd_connections_open(w->ctx), ACCEPT_PAUSE_MS);
}


/* libevent may report the handshake's end after the first request's
 * bytes were read: a request under way keeps its deadline. */
void kpd_admit_established(struct kpd_conn *c)
{
    c->established = true;
    if (!c->in_request)
        evtimer_del(c->deadline);
}

/* Request bytes come only after the handshake: it is done. */
void kpd_admit_request_begun(struct kpd_conn *c)
{
    c->established = true;
    if (!c->in_request) {
        c->in_request = true;
        arm(c, c->ctx->cfg.request_timeout_s);
    }
}

void kpd_admit_request_whole(struct kpd_conn *c)
{
    c->established = true;
    c->in_request = false;
    c->last_used = monotonic_s();
    evtimer_del(c->deadline);
}

void kpd_admit_accepted(struct kpd_conn *c)
{
    arm(c, c->ctx->cfg.handshake_timeout_s);
}

void kpd_admit_on_deadline(evutil_socket_t fd, short what, void *arg)
{
    struct kpd_conn *c = arg;
    unsigned count;

    (void)fd, (void)what;
    if (c->established)
        kpd_count(&c->ctx->metrics.refusals[KPD_CAUSE_LIMITS]);
    else
        kpd_count(&c->ctx->metrics.tls_failures[KPD_TLS_FAIL_TIMEOUT]);
    if (log_now(&deadline_log, &count))
        skip_log_info("closed %u connection(s) past their deadline, the last "
                      "one %s", count,
                      c->established ? "with a request not whole after "
                                       "request_timeout_s"
                                     : "with no TLS handshake after "
                                       "handshake_timeout_s");
    bufferevent_disable(c->bev, EV_READ | EV_WRITE);
    kpd_conn_done(c);
}

void kpd_admit_free(kpd_worker *w)
{
    if (w->accept_resume != NULL) {
        event_free(w->accept_resume);
        w->accept_resume = NULL;
    }
}

void kpd_admit_free_sources(kpd_ctx *ctx)
{
    dict_free(ctx->sources);
    ctx->sources = NULL;
}
