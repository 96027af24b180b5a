/* SPDX-License-Identifier: BSD-3-Clause */
/* The loops that serve SKIP connections (workers = N), and the lock on
 * the KP's state.
 *
 * With one worker, the default, the worker is the main loop. With N > 1,
 * the main loop stays the first worker and N - 1 threads run the others,
 * each an event loop that accepts from the one listening socket and owns
 * the connections it accepted: their TLS, reading and parsing requests,
 * routing them, writing replies.
 *
 * The KP's state (the key source, the ledger, the per-peer counts, the
 * audit trail, the reloadable configuration) is one thread's at a time:
 * the one holding the state lock. A worker takes it to route a request;
 * each main loop callback that reaches the source or the ledger a worker
 * may be using (the file ledger's completions and rewrite steps, the
 * tick, SIGHUP, /metrics) takes it too. So a source or a ledger is
 * written as single-threaded, whatever the number of workers. A worker may add its events to the main loop (libevent's
 * locking is on when workers > 1) but must not delete or replace them:
 * libevent would make it wait for their running callback, which waits
 * for the lock. So workers > 1 goes only with the prf source and the
 * file ledger (config.c), which do not. A call that completes on
 * another thread than its connection's (a delivery, once the ledger has
 * it) is handed to the connection's worker through its mailbox. */
#ifndef KPD_WORKER_H
#define KPD_WORKER_H

#include <pthread.h>
#include <stdbool.h>
#include <sys/socket.h>

#include "kpd.h"
#include "mailbox.h"

struct kpd_conn;

typedef struct kpd_worker {
    kpd_ctx *ctx;
    unsigned index;
    struct event_base *base; /* the main loop's, with one worker */
    struct evconnlistener *listener;
    struct event *accept_resume; /* accepting again after EMFILE */
    struct kpd_conn *conns;      /* its open connections (http.c) */
    unsigned connections;        /* how many (atomic: others read it) */
    uint64_t requests;           /* answered so far (kpd_count) */
    bool draining;               /* replies close their connections */
    bool threaded;               /* a thread of its own (all but the first) */
    bool thread_started;
    pthread_t thread;
    kpd_mailbox box; /* answered calls, asks from the main loop */
} kpd_worker;

typedef struct kpd_workers {
    kpd_worker *all;
    unsigned count;
    /* A reload holds every worker (kpd_workers_hold) while it swaps the
     * configuration they read, then lets them go, each first closing its
     * connections no longer trusted against revoke_old. */
    pthread_mutex_t lock;
    pthread_cond_t changed;
    unsigned held, released;
    unsigned generation; /* one more at each release */
    const kpd_config *revoke_old;
    unsigned revoked;
} kpd_workers;

/* An event loop as skip-kpd runs them (the main one and each worker's). */
struct event_base *kpd_new_event_base(void);

/* count workers for ctx (bases and mailboxes, no thread yet). */
skip_rc kpd_workers_new(kpd_ctx *ctx, unsigned count, skip_err *err);
/* Starts the threads of a threaded crew (nothing with one worker). */
skip_rc kpd_workers_start(kpd_ctx *ctx, skip_err *err);

/* c's call is answered: on its worker's thread, the reply leaves now;
 * from any other thread, c goes to its worker's mailbox. */
void kpd_worker_answered(struct kpd_conn *c);

/* On a worker's thread, at max_connections with no connection of its
 * own to close: hands the accepted fd to the worker holding the most
 * connections, which admits it or refuses it as if it had accepted it.
 * False when there is none to hand it to (fd untouched). */
bool kpd_worker_pass_on(kpd_worker *w, int fd, const struct sockaddr *addr,
                        int addr_len);

/* On a worker's thread, for a socket it accepted: whichever worker is
 * woken first accepts, and one may take most of a burst of connections
 * and serve them all while another idles. So a worker holding more than
 * another passes the socket to the one holding the fewest, which admits
 * it. False when it keeps it. */
bool kpd_worker_balance(kpd_worker *w, int fd, const struct sockaddr *addr,
                        int addr_len);

/* How many connections w holds now; any thread. */
unsigned kpd_worker_connections(const kpd_worker *w);

/* SIGTERM: every worker stops accepting and closes after each reply. */
void kpd_workers_drain(kpd_ctx *ctx);

/* SIGHUP: kpd_workers_hold returns once no worker runs (so none reads the
 * configuration); kpd_workers_release lets them go on, each closing its
 * connections not trusted since the configuration old (NULL: nothing
 * changed), and says how many were closed. */
void kpd_workers_hold(kpd_ctx *ctx);
unsigned kpd_workers_release(kpd_ctx *ctx, const kpd_config *old);

/* At exit: requests are answered 503 from now on, and the threads are
 * stopped and joined, so the source and the ledger may be freed (they
 * answer the calls still waiting, into the workers' mailboxes). */
void kpd_workers_stop(kpd_ctx *ctx);
/* Then: sends or drops every answer, and frees every connection. */
void kpd_workers_free(kpd_ctx *ctx);

#endif
