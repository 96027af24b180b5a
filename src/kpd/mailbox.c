/* SPDX-License-Identifier: BSD-3-Clause */
/* Mailboxes between threads' event loops (mailbox.h). */
#include "config.h"
#include "mailbox.h"
#include "http-conn.h"

#include <errno.h>
#include <event2/event.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "skip/log.h"

skip_rc kpd_mailbox_init(kpd_mailbox *box, struct event_base *base,
                         kpd_mailbox_cb cb, void *arg, skip_err *err)
{
    memset(box, 0, sizeof(*box));
    box->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (box->fd < 0)
        return skip_err_set(err, SKIP_E_INTERNAL, "eventfd: %s",
                            strerror(errno));
    pthread_mutex_init(&box->lock, NULL);
    box->event = event_new(base, box->fd, EV_READ | EV_PERSIST, cb, arg);
    if (box->event == NULL || event_add(box->event, NULL) != 0)
        return skip_err_set(err, SKIP_E_NOMEM, "cannot watch an eventfd");
    return SKIP_OK;
}

void kpd_mailbox_clear(kpd_mailbox *box)
{
    if (box->event != NULL)
        event_free(box->event);
    if (box->fd >= 0) {
        close(box->fd);
        pthread_mutex_destroy(&box->lock);
    }
    box->event = NULL;
    box->fd = -1;
}

/* Called with box->lock held: wakes the box's loop unless a wake-up is
 * already on its way. */
static void wake_locked(kpd_mailbox *box)
{
    uint64_t one = 1;

    if (box->woken)
        return;
    box->woken = true;
    /* An eventfd write fails only when its counter would overflow, which
     * a pending wake-up it could not have missed rules out. */
    if (write(box->fd, &one, sizeof(one)) != sizeof(one))
        skip_log_error("cannot wake a loop: %s", strerror(errno));
}

void kpd_mailbox_post(kpd_mailbox *box, struct kpd_conn *c)
{
    pthread_mutex_lock(&box->lock);
    c->mail_next = NULL;
    if (box->tail != NULL)
        box->tail->mail_next = c;
    else
        box->head = c;
    box->tail = c;
    wake_locked(box);
    pthread_mutex_unlock(&box->lock);
}

void kpd_mailbox_post_socket(kpd_mailbox *box, kpd_handoff *h)
{
    pthread_mutex_lock(&box->lock);
    h->next = box->sockets;
    box->sockets = h;
    wake_locked(box);
    pthread_mutex_unlock(&box->lock);
}

void kpd_mailbox_ask(kpd_mailbox *box, unsigned ask)
{
    pthread_mutex_lock(&box->lock);
    box->asks |= ask;
    wake_locked(box);
    pthread_mutex_unlock(&box->lock);
}

struct kpd_conn *kpd_mailbox_take(kpd_mailbox *box, kpd_handoff **sockets,
                                  unsigned *asks)
{
    struct kpd_conn *list;
    uint64_t count;

    *asks = 0;
    if (sockets != NULL)
        *sockets = NULL;
    if (box->fd < 0)
        return NULL; /* never opened: one worker, no thread */
    if (read(box->fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
        skip_log_error("eventfd read: %s", strerror(errno));
    pthread_mutex_lock(&box->lock);
    list = box->head;
    box->head = box->tail = NULL;
    *asks = box->asks;
    box->asks = 0;
    if (sockets != NULL) {
        *sockets = box->sockets;
        box->sockets = NULL;
    }
    box->woken = false;
    pthread_mutex_unlock(&box->lock);
    return list;
}
