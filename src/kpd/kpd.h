/* SPDX-License-Identifier: BSD-3-Clause */
/* The state one skip-kpd process serves from, shared by the HTTP layer,
 * the routes and main. The main loop's thread owns it; the worker threads
 * that serve connections (worker.h) read the configuration only while the
 * main loop cannot change it (a reload holds them first), count through
 * kpd_count, and touch connections and sources as said below. */
#ifndef KPD_KPD_H
#define KPD_KPD_H

#include <openssl/ssl.h>
#include <pthread.h>
#include <stdbool.h>

#include "kpd-config.h"
#include "metrics.h"
#include "state-lock.h"
#include "sync.h"

struct event_base;
struct event;
struct kpd_workers;
struct kpd_call;

typedef struct kpd_ctx {
    kpd_config cfg;
    kpd_ledger *ledger; /* deliveries, for the key source */
    kpd_sync *sync;
    SSL_CTX *ssl_ctx;
    struct event_base *base; /* the main loop: signals, routes, source, ledger */
    struct kpd_workers *workers; /* the loops that serve connections */
    /* With workers above 1 and a key source or ledger whose sockets and
     * timers are the main loop's (etsi014, postgresql): hands a call for
     * the source to that loop's thread, false on that thread itself
     * (worker.c). NULL: every worker asks the source itself. */
    bool (*to_main)(struct kpd_call *call);
    unsigned connections; /* open TLS connections, all workers' (atomic) */
    bool draining;        /* SIGTERM: new requests get 503 */
    struct event *drain_timer; /* ends the loop once connections close */
    /* open connections per client address, for every worker */
    struct dict *sources;
    pthread_mutex_t sources_lock;
    kpd_metrics metrics;  /* what /metrics shows (metrics.h) */
    int audit_fd;         /* audit_file, or -1 (audit.c) */
    struct evhttp *mgmt;  /* the management listener, or NULL (mgmt.c) */
    SSL_CTX *mgmt_ssl_ctx; /* its TLS, or NULL for plain HTTP */
} kpd_ctx;

static inline unsigned kpd_connections_open(const kpd_ctx *ctx)
{
    return __atomic_load_n(&ctx->connections, __ATOMIC_RELAXED);
}

#endif
