/* SPDX-License-Identifier: BSD-3-Clause */
/* Worker threads (worker.h): starting, holding and stopping them,
 * handing answers and sockets between them through their mailboxes
 * (mailbox.h), and spreading connections over them. */
#include "config.h"
#include "worker.h"
#include "http-conn.h"
#include "mailbox.h"

#include <event2/event.h>
#include <event2/listener.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "skip/log.h"

#define KPD_ASK_DRAIN 1u /* stop accepting; close after each reply */
#define KPD_ASK_HOLD 2u  /* wait while the configuration changes */
#define KPD_ASK_STOP 4u  /* leave the loop */

/* The worker whose loop this thread runs (the first one on the main
 * loop's thread); NULL elsewhere. */
static __thread kpd_worker *this_worker;

void kpd_worker_answered(struct kpd_conn *c)
{
    kpd_worker *w = c->worker;

    /* Nothing of c may be touched after the post: its worker may take it
     * at once. */
    if (w->box.fd >= 0 && this_worker != w)
        kpd_mailbox_post(&w->box, c);
    else
        kpd_conn_answered(c);
}

/* ctx->to_main: call's connection goes to the main loop's mailbox, where
 * deliver() asks the source; nothing of it may be touched after. */
static bool to_main(kpd_call *call)
{
    kpd_workers *crew = call->ctx->workers;

    if (this_worker == &crew->all[0])
        return false;
    kpd_mailbox_post(&crew->all[0].box, kpd_conn_of(call));
    return true;
}

/* What a mailbox brought: an answered call, or (on the main loop) one
 * waiting to ask the source. */
static void deliver(struct kpd_conn *c)
{
    if (c->call.on_main == NULL) {
        kpd_conn_answered(c);
        return;
    }
    kpd_state_lock();
    kpd_api_key_on_main(&c->call);
    kpd_state_unlock();
}

static void hold(kpd_worker *w)
{
    kpd_workers *crew = w->ctx->workers;
    unsigned generation;

    pthread_mutex_lock(&crew->lock);
    generation = crew->generation;
    crew->held++;
    pthread_cond_broadcast(&crew->changed);
    while (crew->generation == generation)
        pthread_cond_wait(&crew->changed, &crew->lock);
    pthread_mutex_unlock(&crew->lock);
    /* the reload is done and its old configuration is kept until every
     * worker says it has looked */
    {
        unsigned closed = crew->revoke_old != NULL
                              ? kpd_http_revoke(w, crew->revoke_old) : 0;

        pthread_mutex_lock(&crew->lock);
        crew->revoked += closed;
        crew->released++;
        pthread_cond_broadcast(&crew->changed);
        pthread_mutex_unlock(&crew->lock);
    }
}

unsigned kpd_worker_connections(const kpd_worker *w)
{
    return __atomic_load_n(&w->connections, __ATOMIC_RELAXED);
}

/* Hands the socket to worker to; false without memory. */
static bool pass_to(kpd_worker *to, int fd, const struct sockaddr *addr,
                    int addr_len)
{
    kpd_handoff *h;

    if (to == NULL || addr_len < 0 || (size_t)addr_len > sizeof(h->addr) ||
        (h = calloc(1, sizeof(*h))) == NULL)
        return false;
    h->fd = fd;
    memcpy(&h->addr, addr, (size_t)addr_len);
    h->addr_len = addr_len;
    kpd_mailbox_post_socket(&to->box, h);
    return true;
}

bool kpd_worker_pass_on(kpd_worker *w, int fd, const struct sockaddr *addr,
                        int addr_len)
{
    kpd_workers *crew = w->ctx->workers;
    kpd_worker *most = NULL;

    for (unsigned i = 0; i < crew->count; i++) {
        kpd_worker *other = &crew->all[i];

        unsigned n = kpd_worker_connections(other);

        if (other != w && n > 0 &&
            (most == NULL || n > kpd_worker_connections(most)))
            most = other;
    }
    return pass_to(most, fd, addr, addr_len);
}

bool kpd_worker_balance(kpd_worker *w, int fd, const struct sockaddr *addr,
                        int addr_len)
{
    kpd_workers *crew = w->ctx->workers;
    kpd_worker *fewest = w;

    if (crew == NULL || crew->count == 1)
        return false;
    for (unsigned i = 0; i < crew->count; i++)
        if (kpd_worker_connections(&crew->all[i]) <
            kpd_worker_connections(fewest))
            fewest = &crew->all[i];
    if (kpd_worker_connections(w) <= kpd_worker_connections(fewest))
        return false; /* w is among those holding the fewest */
    return pass_to(fewest, fd, addr, addr_len);
}

/* Admits (or refuses) the sockets others passed on, and frees them. */
static void admit_handed(kpd_worker *w, kpd_handoff *h)
{
    kpd_handoff *next;

    for (; h != NULL; h = next) {
        next = h->next;
        kpd_admit_handed(w, h->fd, (struct sockaddr *)&h->addr, h->addr_len);
        free(h);
    }
}

static void on_mailbox(evutil_socket_t fd, short what, void *arg)
{
    kpd_worker *w = arg;
    unsigned asks;
    kpd_handoff *sockets;
    struct kpd_conn *c = kpd_mailbox_take(&w->box, &sockets, &asks), *next;

    (void)fd, (void)what;
    for (; c != NULL; c = next) {
        next = c->mail_next;
        deliver(c);
    }
    admit_handed(w, sockets);
    if (asks & KPD_ASK_DRAIN) {
        w->draining = true;
        kpd_http_stop_accepting(w);
    }
    if (asks & KPD_ASK_HOLD)
        hold(w);
    if (asks & KPD_ASK_STOP)
        event_base_loopbreak(w->base);
}

static void *run(void *arg)
{
    kpd_worker *w = arg;
    char name[16];

    this_worker = w;
    /* what top -H and ps -L show */
    snprintf(name, sizeof(name), "kpd-worker-%u", w->index);
    pthread_setname_np(pthread_self(), name);
    event_base_dispatch(w->base);
    return NULL;
}

/* With epoll, libevent's changelist folds the event changes of one turn of
 * the loop into fewer epoll_ctl calls. */
struct event_base *kpd_new_event_base(void)
{
    struct event_config *cfg = event_config_new();
    struct event_base *base;

    if (cfg == NULL)
        return NULL;
    event_config_set_flag(cfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
    base = event_base_new_with_config(cfg);
    event_config_free(cfg);
    return base;
}

skip_rc kpd_workers_new(kpd_ctx *ctx, unsigned count, skip_err *err)
{
    kpd_workers *crew = calloc(1, sizeof(*crew));

    if (crew == NULL || (crew->all = calloc(count, sizeof(*crew->all))) == NULL) {
        free(crew);
        return skip_err_set(err, SKIP_E_NOMEM, "out of memory");
    }
    ctx->workers = crew;
    crew->count = count;
    pthread_mutex_init(&crew->lock, NULL);
    pthread_cond_init(&crew->changed, NULL);
    for (unsigned i = 0; i < count; i++) {
        kpd_worker *w = &crew->all[i];

        w->ctx = ctx;
        w->index = i;
        w->box.fd = -1;
        /* The main loop is the first worker: N workers are N threads. */
        w->threaded = i > 0;
        w->base = w->threaded ? kpd_new_event_base() : ctx->base;
        if (w->base == NULL)
            return skip_err_set(err, SKIP_E_NOMEM, "event_base_new failed");
        if (count > 1 &&
            kpd_mailbox_init(&w->box, w->base, on_mailbox, w, err) != SKIP_OK)
            return err->rc;
    }
    this_worker = &crew->all[0];
    /* Their sockets and timers are the main loop's, where libevent lets
     * no other thread replace them safely (docs/decisions.md). */
    if (count > 1 && (strcmp(ctx->cfg.key_source, "prf") != 0 ||
                      strcmp(ctx->cfg.ledger, "file") != 0))
        ctx->to_main = to_main;
    return SKIP_OK;
}

skip_rc kpd_workers_start(kpd_ctx *ctx, skip_err *err)
{
    kpd_workers *crew = ctx->workers;
    sigset_t all, before;
    int rc = 0;

    if (crew->count == 1)
        return SKIP_OK;
    /* Signals are the main loop's: the threads start with them blocked. */
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &before);
    for (unsigned i = 1; i < crew->count && rc == 0; i++) {
        rc = pthread_create(&crew->all[i].thread, NULL, run, &crew->all[i]);
        if (rc == 0)
            crew->all[i].thread_started = true;
    }
    pthread_sigmask(SIG_SETMASK, &before, NULL);
    if (rc != 0)
        return skip_err_set(err, SKIP_E_INTERNAL, "cannot start a worker "
                            "thread: %s", strerror(rc));
    skip_log_info("%u workers serve connections", crew->count);
    return SKIP_OK;
}

void kpd_workers_drain(kpd_ctx *ctx)
{
    kpd_workers *crew = ctx->workers;

    if (crew == NULL)
        return;
    for (unsigned i = 0; i < crew->count; i++) {
        kpd_worker *w = &crew->all[i];

        if (w->threaded) {
            kpd_mailbox_ask(&w->box, KPD_ASK_DRAIN);
        } else {
            w->draining = true;
            kpd_http_stop_accepting(w);
        }
    }
}

void kpd_workers_hold(kpd_ctx *ctx)
{
    kpd_workers *crew = ctx->workers;
    unsigned threads = 0;

    if (crew == NULL)
        return;
    for (unsigned i = 0; i < crew->count; i++)
        if (crew->all[i].thread_started) {
            kpd_mailbox_ask(&crew->all[i].box, KPD_ASK_HOLD);
            threads++;
        }
    pthread_mutex_lock(&crew->lock);
    while (crew->held < threads)
        pthread_cond_wait(&crew->changed, &crew->lock);
    pthread_mutex_unlock(&crew->lock);
}

unsigned kpd_workers_release(kpd_ctx *ctx, const kpd_config *old)
{
    kpd_workers *crew = ctx->workers;
    unsigned closed;

    if (crew == NULL)
        return 0;
    closed = old != NULL ? kpd_http_revoke(&crew->all[0], old) : 0;
    if (crew->held == 0)
        return closed;
    pthread_mutex_lock(&crew->lock);
    crew->revoke_old = old;
    crew->revoked = 0;
    crew->released = 0;
    crew->generation++;
    pthread_cond_broadcast(&crew->changed);
    while (crew->released < crew->held)
        pthread_cond_wait(&crew->changed, &crew->lock);
    closed += crew->revoked;
    crew->held = crew->released = 0;
    crew->revoke_old = NULL;
    pthread_mutex_unlock(&crew->lock);
    return closed;
}

void kpd_workers_stop(kpd_ctx *ctx)
{
    kpd_workers *crew = ctx->workers;

    /* from here a request is answered 503 without reaching the source */
    kpd_state_lock();
    ctx->draining = true;
    kpd_state_unlock();
    if (crew == NULL)
        return;
    for (unsigned i = 0; i < crew->count; i++)
        if (crew->all[i].thread_started)
            kpd_mailbox_ask(&crew->all[i].box, KPD_ASK_STOP);
    for (unsigned i = 0; i < crew->count; i++)
        if (crew->all[i].thread_started) {
            pthread_join(crew->all[i].thread, NULL);
            crew->all[i].thread_started = false;
        }
}

void kpd_workers_free(kpd_ctx *ctx)
{
    kpd_workers *crew = ctx->workers;
    unsigned asks;
    struct kpd_conn *c, *next;

    if (crew == NULL)
        return;
    kpd_workers_stop(ctx);
    /* One thread from here on: every answer goes to its connection (or
     * nowhere, if its client left), then every connection closes. */
    for (unsigned i = 0; i < crew->count; i++) {
        kpd_worker *w = &crew->all[i];
        kpd_handoff *sockets;

        /* The main loop's box first: calls waiting for the source are
         * answered 503, into the other workers' boxes, emptied next. */
        for (c = kpd_mailbox_take(&w->box, &sockets, &asks); c != NULL; c = next) {
            next = c->mail_next;
            deliver(c);
        }
        kpd_http_free_worker(w); /* no listener: handed sockets close */
        admit_handed(w, sockets);
        kpd_mailbox_clear(&w->box);
        if (w->threaded && w->base != NULL)
            event_base_free(w->base);
    }
    kpd_admit_free_sources(ctx);
    pthread_cond_destroy(&crew->changed);
    pthread_mutex_destroy(&crew->lock);
    free(crew->all);
    free(crew);
    ctx->workers = NULL;
    ctx->to_main = NULL;
    this_worker = NULL;
}
