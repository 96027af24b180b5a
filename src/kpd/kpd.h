/* SPDX-License-Identifier: BSD-3-Clause */
/* The state one skip-kpd process serves from, shared by the HTTP layer,
 * the routes and main. Only the event loop thread touches it. */
#ifndef KPD_KPD_H
#define KPD_KPD_H

#include <openssl/ssl.h>
#include <stdbool.h>

#include "kpd-config.h"
#include "metrics.h"
#include "sync.h"

struct event_base;
struct evconnlistener;
struct event;
struct kpd_conn;

typedef struct kpd_ctx {
    kpd_config cfg;
    kpd_ledger *ledger; /* deliveries, for the key source */
    kpd_sync *sync;
    SSL_CTX *ssl_ctx;
    struct event_base *base;
    struct evconnlistener *listener;
    struct kpd_conn *conns; /* open connections (http.c) */
    unsigned connections; /* open TLS connections */
    bool draining;        /* SIGTERM: new requests get 503 */
    struct event *drain_timer; /* ends the loop once connections close */
    struct event *accept_resume; /* accepting again after EMFILE */
    struct dict *sources; /* open connections per client address */
    kpd_metrics metrics;  /* what /metrics shows (metrics.h) */
    int audit_fd;         /* audit_file, or -1 (audit.c) */
    struct evhttp *mgmt;  /* the management listener, or NULL (mgmt.c) */
    SSL_CTX *mgmt_ssl_ctx; /* its TLS, or NULL for plain HTTP */
} kpd_ctx;

#endif
