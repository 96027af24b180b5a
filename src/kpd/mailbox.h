/* SPDX-License-Identifier: BSD-3-Clause */
/* A mailbox: what other threads hand one event loop (answered
 * connections, sockets to admit, asks), behind a mutex held only to link
 * or unlink a list, and an eventfd written only when no wake-up is
 * pending, so a loop under load takes many at one wake. */
#ifndef KPD_MAILBOX_H
#define KPD_MAILBOX_H

#include <event2/util.h>
#include <pthread.h>
#include <stdbool.h>
#include <sys/socket.h>

#include "skip/rc.h"

struct event_base;
struct kpd_conn;

/* A socket accepted by one worker for another to admit. */
typedef struct kpd_handoff {
    struct kpd_handoff *next;
    int fd;
    struct sockaddr_storage addr;
    int addr_len;
} kpd_handoff;

/* Connections and sockets handed from one thread to another's loop, and
 * what that loop is asked to do, behind an eventfd that wakes it. */
typedef struct kpd_mailbox {
    pthread_mutex_t lock;
    struct kpd_conn *head, *tail; /* through kpd_conn.mail_next */
    kpd_handoff *sockets;         /* to admit (in any order) */
    unsigned asks;                /* bits the owner defines */
    bool woken;                   /* a wake-up is on its way */
    int fd;                       /* eventfd, or -1 */
    struct event *event;
} kpd_mailbox;

typedef void (*kpd_mailbox_cb)(evutil_socket_t fd, short what, void *arg);

/* Opens box on base: cb runs there whenever something was posted. */
skip_rc kpd_mailbox_init(kpd_mailbox *box, struct event_base *base,
                         kpd_mailbox_cb cb, void *arg, skip_err *err);
void kpd_mailbox_clear(kpd_mailbox *box);

/* From any thread. */
void kpd_mailbox_post(kpd_mailbox *box, struct kpd_conn *c);
void kpd_mailbox_post_socket(kpd_mailbox *box, kpd_handoff *h);
void kpd_mailbox_ask(kpd_mailbox *box, unsigned ask);

/* On the box's loop: everything posted so far, as a list through
 * kpd_conn.mail_next; the sockets into *sockets (when not NULL) and the
 * asks into *asks. NULL and nothing from a box never opened. */
struct kpd_conn *kpd_mailbox_take(kpd_mailbox *box, kpd_handoff **sockets,
                                  unsigned *asks);

#endif
