/* SPDX-License-Identifier: BSD-3-Clause */
/* Parsing one HTTP/1.x request head, as skip-kpd's HTTP layer reads it:
 * a pure function, so the fuzz target drives it without sockets. */
#ifndef KPD_HTTP_PARSE_H
#define KPD_HTTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#define KPD_HTTP_MAX_HEADERS 8192 /* request line and headers */
#define KPD_HTTP_MAX_BODY 1024    /* read and ignored: SKIP takes no bodies */

/* One request head; the strings point into the parsed buffer. */
typedef struct kpd_request {
    const char *method; /* upper-case letters */
    const char *target; /* as sent, not empty */
    size_t body_len;    /* from Content-Length, at most KPD_HTTP_MAX_BODY */
    bool close;         /* "Connection: close", or HTTP/1.0 without keep-alive */
} kpd_request;

/* Parses head: a request line and headers, each ending in CRLF, then an
 * empty line; NUL-terminated and holding no other NUL. Cuts head into
 * strings. Returns 0, or the status to refuse the request with (400, 413,
 * 501, 505) and sets *why to a message for the reply and the log. */
int kpd_http_parse(char *head, kpd_request *r, const char **why);

#endif
