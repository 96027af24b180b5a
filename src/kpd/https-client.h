/* SPDX-License-Identifier: BSD-3-Clause */
/* HTTPS requests from skip-kpd to another service (a QKD KME), on the
 * event loop: libcurl's multi interface driven by libevent, so a slow or
 * silent server never blocks the loop. Mutual TLS (TLS 1.2 or later), one
 * pool of kept-alive connections, every answer body in secure memory. */
#ifndef KPD_HTTPS_CLIENT_H
#define KPD_HTTPS_CLIENT_H

#include <stdbool.h>

#include "skip/rc.h"
#include "skip/secbuf.h"

struct event_base;

/* Longest answer body taken; a longer one is SKIP_E_TOO_LARGE. */
#define KPD_HTTPS_BODY_MAX (16 * 1024)

typedef struct kpd_https_opts {
    const char *ca_file;   /* the server's CA */
    const char *cert_file; /* ours, and its key */
    const char *key_file;
    long connect_timeout_ms;
    long timeout_ms; /* the whole request */
} kpd_https_opts;

typedef struct kpd_https_answer {
    skip_rc rc;   /* SKIP_OK: an HTTP answer came (any status) */
    long status;
    skip_secbuf *body; /* SKIP_OK only; the callback's until it returns */
    bool json;         /* Content-Type application/json */
    char why[256];     /* the transport or TLS cause when rc is not SKIP_OK */
} kpd_https_answer;

/* Called exactly once per request, from the loop; never from inside
 * kpd_https_send. */
typedef void (*kpd_https_done)(void *arg, kpd_https_answer *answer);

typedef struct kpd_https kpd_https;

kpd_https *kpd_https_new(struct event_base *base, const kpd_https_opts *opts,
                         skip_err *err);

/* GET url, or POST json_body to it (Content-Type: application/json).
 * SKIP_E_NOMEM when it could not even start, SKIP_E_INTERNAL while
 * shutting down (done is not called then). */
skip_rc kpd_https_send(kpd_https *https, const char *url,
                       const char *json_body, kpd_https_done done, void *arg);

/* Requests in flight. */
unsigned kpd_https_in_flight(const kpd_https *https);

/* Ends every request in flight (each done gets SKIP_E_INTERNAL, "shutting
 * down") and frees. */
void kpd_https_free(kpd_https *https);

#endif
