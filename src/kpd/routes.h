/* SPDX-License-Identifier: BSD-3-Clause */
/* The SKIP API as a function from (client, method, URI) to a reply, with
 * no sockets, so the fuzz target and unit tests drive it directly. A reply
 * may come later than kpd_route returns (a delivery waits for the ledger):
 * the caller learns it through the call's done callback. */
#ifndef KPD_ROUTES_H
#define KPD_ROUTES_H

#include <stdbool.h>

#include "kpd.h"
#include "metrics.h"
#include "skip/json.h"
#include "skip/secbuf.h"
#include "skip/sysid.h"

/* Longest client identity kept: "psk:" + a 128-byte PSK identity, or
 * "cert:" + a certificate subject cut to fit. */
#define KPD_CLIENT_ID_MAX 200

typedef struct kpd_reply {
    int status;
    skip_secbuf *body; /* JSON; key bodies live only here */
    bool allow_get;    /* 405: send "Allow: GET" */
    char error[160];   /* the error message of a non-200 reply, for the log */
} kpd_reply;

/* Who is asking: the identity the TLS handshake authenticated. */
typedef struct kpd_client {
    /* "psk:IDENTITY", "cert:SUBJECT", or "anonymous" (a certificate
     * listener that asks for no client certificate). Printable ASCII. */
    char identity[KPD_CLIENT_ID_MAX + 1];
    /* A certificate's SubjectPublicKeyInfo SHA-256 in hex, for "spki:"
     * rules (clients.c); "" without a certificate. */
    char spki[65];
} kpd_client;

/* One request being answered. */
typedef struct kpd_call {
    kpd_ctx *ctx;
    const kpd_client *client;
    kpd_reply reply;
    /* Called exactly once, when reply is complete: from inside kpd_route,
     * or later from the event loop. */
    void (*done)(struct kpd_call *call);
    /* The handler's, kept across a wait: for its log line. */
    const char *what;
    /* For the metrics and the audit trail (kpd_call_finish): what was
     * asked, why it was refused, and since when (CLOCK_MONOTONIC ns). */
    kpd_route_kind route;
    kpd_cause cause;
    uint64_t started_ns;
    char remote[SKIP_SYSTEM_ID_MAX + 1];
    char key_id[2 * SKIP_KEYID_MAX + 1]; /* hex; "" until one is known */
    /* What the key source is asked, kept while the call waits for the
     * main loop's thread (ctx->to_main), which then runs on_main. */
    void (*on_main)(struct kpd_call *call);
    unsigned size_bits;               /* GET /key */
    unsigned char id[SKIP_KEYID_MAX]; /* GET /key/{keyId} */
    size_t id_len;
} kpd_call;

/* Answers one request. method is the HTTP method name, uri the request
 * target ("/key?remoteSystemID=Bob"); call->ctx, client and done are set by
 * the caller. Once done is called, call->reply.body is set. */
void kpd_route(kpd_call *call, const char *method, const char *uri);

/* Ends a call: counts it (metrics, audit trail), then done(call). For
 * handlers. */
void kpd_call_finish(kpd_call *call);

/* Sets an error reply {"error": msg}; msg never holds secrets. */
void kpd_reply_error(kpd_reply *reply, int status, const char *msg);

void kpd_reply_clear(kpd_reply *reply);

/* The handlers, one file each (api-*.c). query may be NULL. */
void kpd_api_capabilities(kpd_ctx *ctx, const kpd_client *client,
                          const char *query, kpd_reply *reply);
/* These two end the call themselves (kpd_call_finish), perhaps later. */
void kpd_api_key(kpd_call *call, const char *query);
void kpd_api_key_by_id(kpd_call *call, const char *key_id_hex,
                       const char *query);
void kpd_api_entropy(kpd_ctx *ctx, const char *query, kpd_reply *reply);
/* On the main loop's thread, with the state lock: asks the source what a
 * call handed over by ctx->to_main waits for (503 once draining). */
void kpd_api_key_on_main(kpd_call *call);

/* The remoteSystemID parameter into call->remote: well-formed, one the
 * client may ask keys for (else the reply of a key not found, so a client
 * learns nothing of remotes it may not use), and a configured peer. False
 * after an error reply. */
bool kpd_api_remote(kpd_call *call, const char *query);

#endif
