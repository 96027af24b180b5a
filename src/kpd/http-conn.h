/* SPDX-License-Identifier: BSD-3-Clause */
/* Inside skip-kpd's HTTP layer: one connection, shared by http.c (reading
 * and answering) and http-admit.c (who gets a connection, and for how
 * long before it proves itself). */
#ifndef KPD_HTTP_CONN_H
#define KPD_HTTP_CONN_H

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include "kpd.h"
#include "routes.h"
#include "worker.h"

#define LOG_TARGET_MAX 160

struct kpd_conn {
    kpd_ctx *ctx;
    kpd_worker *worker; /* whose loop it belongs to */
    struct bufferevent *bev;
    struct kpd_conn *prev, *next; /* worker->conns, to free them all at exit */
    /* answered on another thread: the next in its worker's mailbox */
    struct kpd_conn *mail_next;
    bool closing;                 /* close once the reply is written */
    /* libevent may call on_write or on_event from inside on_read (a reply
     * is written as soon as it is queued): the connection is then freed
     * when on_read returns, not under its feet. */
    bool in_read, gone;
    bool identified; /* client holds the handshake's identity */
    kpd_client client;
    /* The request being answered. One at a time: while it waits (for the
     * ledger), reading stops and pipelined requests stay buffered, so
     * replies leave in order and a client cannot pile up work. */
    kpd_call call;
    bool pending;  /* call not done yet */
    bool in_route; /* inside kpd_route: answer() sends the reply */
    bool throttled; /* replies unsent past OUTPUT_MAX: not reading */
    /* Admission (http-admit.c): a deadline no byte extends, first for the
     * TLS handshake, then for each request from its first byte. */
    struct event *deadline;
    bool established;  /* the TLS handshake is done */
    bool in_request;   /* a request has begun and is not whole yet */
    time_t last_used;  /* the last request (monotonic s): evict idlest */
    uint64_t accepted_ms; /* monotonic */
    int family;        /* the client's address, for the per-source cap */
    unsigned char addr[16];
    bool head_only, close_after;
    char method[16];
    char target[LOG_TARGET_MAX]; /* loggable_target() of the request */
};

/* http.c */
/* A TLS connection for fd, in w->conns; NULL (fd closed) without
 * memory. */
struct kpd_conn *kpd_conn_new(kpd_worker *w, evutil_socket_t fd,
                              const struct sockaddr *addr, int addr_len);
/* Frees c now, or as soon as nothing is running on it. */
void kpd_conn_done(struct kpd_conn *c);
void kpd_conn_free(struct kpd_conn *c);
/* On c's worker: its call is answered; the reply leaves (or is dropped,
 * if the client left) and buffered requests are read on. */
void kpd_conn_answered(struct kpd_conn *c);
/* The connection a call is part of. */
static inline struct kpd_conn *kpd_conn_of(kpd_call *call)
{
    return (struct kpd_conn *)((char *)call - offsetof(struct kpd_conn, call));
}
/* Closes every connection of w whose client is no longer trusted since
 * the configuration old (see kpd_workers_release); how many. */
unsigned kpd_http_revoke(kpd_worker *w, const kpd_config *old);
/* w accepts no more connections. */
void kpd_http_stop_accepting(kpd_worker *w);
/* Closes every connection of w, and its listener. */
void kpd_http_free_worker(kpd_worker *w);

/* http-admit.c */
/* The listener's callbacks: caps, eviction, descriptors running out. */
void kpd_admit_on_accept(struct evconnlistener *listener, evutil_socket_t fd,
                         struct sockaddr *addr, int addr_len, void *arg);
void kpd_admit_on_accept_error(struct evconnlistener *listener, void *arg);
/* A socket another worker accepted and passed on (kpd_worker_pass_on,
 * kpd_worker_balance), its address already counted. */
void kpd_admit_handed(kpd_worker *w, evutil_socket_t fd,
                      struct sockaddr *addr, int addr_len);
/* Records c's client address, whose count admission raised for c
 * (kpd_conn_free calls kpd_admit_forget). */
void kpd_admit_source(struct kpd_conn *c, const struct sockaddr *addr,
                      int addr_len);
void kpd_admit_forget(struct kpd_conn *c);
/* A new connection: its handshake's deadline starts. */
void kpd_admit_accepted(struct kpd_conn *c);
/* The handshake is done: its deadline ends. */
void kpd_admit_established(struct kpd_conn *c);
/* A request began (its deadline starts) or is whole (it ends). */
void kpd_admit_request_begun(struct kpd_conn *c);
void kpd_admit_request_whole(struct kpd_conn *c);
void kpd_admit_on_deadline(evutil_socket_t fd, short what, void *arg);
void kpd_admit_free(kpd_worker *w);
/* Once every worker's connections are closed. */
void kpd_admit_free_sources(kpd_ctx *ctx);

#endif
