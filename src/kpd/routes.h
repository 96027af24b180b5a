/* SPDX-License-Identifier: BSD-3-Clause */
/* The SKIP API as a pure function from (method, URI) to a reply, so the
 * fuzz target and unit tests drive it without sockets. */
#ifndef KPD_ROUTES_H
#define KPD_ROUTES_H

#include <stdbool.h>

#include "kpd.h"
#include "skip/secbuf.h"

typedef struct kpd_reply {
    int status;
    skip_secbuf *body; /* JSON; key bodies live only here */
    bool allow_get;    /* 405: send "Allow: GET" */
    const char *error; /* the error message of a non-200 reply, for the log */
} kpd_reply;

/* Answers one request. method is the HTTP method name, uri the request
 * target ("/key?remoteSystemID=Bob"). reply->body is always set. */
void kpd_route(kpd_ctx *ctx, const char *method, const char *uri,
               kpd_reply *reply);

/* Sets an error reply {"error": msg}; msg never holds secrets. */
void kpd_reply_error(kpd_reply *reply, int status, const char *msg);

void kpd_reply_clear(kpd_reply *reply);

/* The handlers, one file each (api-*.c). query may be NULL. */
void kpd_api_capabilities(kpd_ctx *ctx, const char *query, kpd_reply *reply);
void kpd_api_key(kpd_ctx *ctx, const char *query, kpd_reply *reply);
void kpd_api_key_by_id(kpd_ctx *ctx, const char *key_id_hex, const char *query,
                       kpd_reply *reply);
void kpd_api_entropy(kpd_ctx *ctx, const char *query, kpd_reply *reply);

/* The remoteSystemID parameter, validated; false after an error reply. */
bool kpd_api_remote(kpd_ctx *ctx, const char *query, char *out, size_t cap,
                    kpd_reply *reply);

#endif
