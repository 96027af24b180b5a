/* SPDX-License-Identifier: BSD-3-Clause */
/* Dispatch of SKIP requests: a static table of paths, 404 for the rest,
 * 405 (Allow: GET) for any method other than GET on a known path. */
#include "config.h"
#include "routes.h"
#include "audit.h"
#include "clients.h"

#include <stdio.h>
#include <string.h>

#include "skip/log.h"
#include "skip/sysid.h"
#include "skip/url.h"

enum match { EXACT, PREFIX };

struct route {
    const char *path;
    enum match match;
    kpd_route_kind kind;
    void (*handler)(kpd_call *call, const char *rest, const char *query);
};

/* The handlers that answer at once; the router ends their calls. */
static void capabilities(kpd_call *call, const char *rest, const char *query)
{
    kpd_api_capabilities(call->ctx, call->client, query, &call->reply);
    kpd_call_finish(call);
}

static void entropy(kpd_call *call, const char *rest, const char *query)
{
    kpd_api_entropy(call->ctx, query, &call->reply);
    kpd_call_finish(call);
}

static void key(kpd_call *call, const char *rest, const char *query)
{
    kpd_api_key(call, query);
}

static void key_by_id(kpd_call *call, const char *rest, const char *query)
{
    kpd_api_key_by_id(call, rest, query);
}

static const struct route routes[] = {
    {"/capabilities", EXACT, KPD_ROUTE_CAPABILITIES, capabilities},
    {"/key", EXACT, KPD_ROUTE_KEY, key},
    {"/key/", PREFIX, KPD_ROUTE_KEY_BY_ID, key_by_id},
    {"/entropy", EXACT, KPD_ROUTE_ENTROPY, entropy},
};

void kpd_reply_error(kpd_reply *reply, int status, const char *msg)
{
    char body[256];
    int n = snprintf(body, sizeof(body), "{\"error\":\"%s\"}", msg);

    skip_secbuf_free(reply->body);
    reply->status = status;
    snprintf(reply->error, sizeof(reply->error), "%s", msg); /* msg may not outlive us */
    reply->body = skip_secbuf_dup(body, n > 0 && (size_t)n < sizeof(body)
                                            ? (size_t)n : 0);
}

void kpd_reply_clear(kpd_reply *reply)
{
    skip_secbuf_free(reply->body);
    reply->body = NULL;
}

bool kpd_api_remote(kpd_call *call, const char *query)
{
    char *out = call->remote;
    kpd_reply *reply = &call->reply;
    skip_rc rc = skip_query_get(query, "remoteSystemID", out,
                                sizeof(call->remote));

    call->cause = KPD_CAUSE_BAD_REQUEST;
    if (rc == SKIP_E_NOT_FOUND) {
        kpd_reply_error(reply, 400, "remoteSystemID missing");
        return false;
    }
    if (rc != SKIP_OK || !skip_system_id_valid(out, strlen(out))) {
        out[0] = '\0'; /* not a system ID: kept out of the audit trail */
        kpd_reply_error(reply, 400, "remoteSystemID invalid");
        return false;
    }
    call->cause = KPD_CAUSE_UNAUTHORIZED;
    if (!kpd_client_may_ask(&call->ctx->cfg, call->client, out)) {
        skip_log_info("%s for %s (client %s): keyId %s: this client may not "
                      "ask keys for this remote", call->what, out,
                      call->client->identity,
                      call->key_id[0] ? call->key_id : "(new)");
        kpd_reply_error(reply, 400, "key not found");
        return false;
    }
    call->cause = KPD_CAUSE_BAD_REQUEST;
    if (kpd_config_peer(&call->ctx->cfg, out) == NULL) {
        kpd_reply_error(reply, 400, "remoteSystemID unknown");
        return false;
    }
    call->cause = KPD_CAUSE_NONE;
    return true;
}

/* Every answered call, counted once: by route and status, its latency,
 * and for keys the peer's issued or delivered count or the refusal's
 * cause, and a line of the audit trail. */
static void account(kpd_call *call)
{
    kpd_metrics *m = &call->ctx->metrics;
    int status = call->reply.status;
    const kpd_peer *peer;

    kpd_count(&m->requests[call->route][kpd_metrics_status_index(status)]);
    kpd_histogram_observe(&m->request_seconds,
                          (double)(kpd_monotonic_ns() - call->started_ns) / 1e9);
    if (call->route != KPD_ROUTE_KEY && call->route != KPD_ROUTE_KEY_BY_ID)
        return;
    if (status == 200) {
        peer = kpd_config_peer(&call->ctx->cfg, call->remote);
        if (peer != NULL && m->issued != NULL &&
            (size_t)(peer - call->ctx->cfg.peers) < m->peer_count) {
            uint64_t *counts = call->route == KPD_ROUTE_KEY ? m->issued
                                                            : m->delivered;
            counts[peer - call->ctx->cfg.peers]++;
        }
    } else if (call->cause != KPD_CAUSE_NONE) {
        kpd_count(&m->refusals[call->cause]);
    } else {
        return; /* 405, 503 while stopping: no key was asked for */
    }
    kpd_audit_call(call);
}

void kpd_call_finish(kpd_call *call)
{
    return_if_fail(call->done != NULL);
    if (call->reply.body == NULL)
        kpd_reply_error(&call->reply, 500, "out of memory");
    account(call);
    call->done(call);
}

void kpd_route(kpd_call *call, const char *method, const char *uri)
{
    kpd_reply *reply = &call->reply;
    char path[SKIP_URL_MAX + 1];
    const char *query = NULL;
    size_t path_len;

    /* A call nobody can hear the end of would leave its connection
     * waiting for ever. */
    return_if_fail(call->ctx != NULL && call->client != NULL &&
                   call->done != NULL);
    memset(reply, 0, sizeof(*reply));
    call->route = KPD_ROUTE_OTHER;
    call->cause = KPD_CAUSE_NONE;
    call->started_ns = kpd_monotonic_ns();
    if (strlen(uri) > SKIP_URL_MAX) {
        kpd_reply_error(reply, 400, "request target too long");
        kpd_call_finish(call);
        return;
    }
    path_len = strcspn(uri, "?#");
    memcpy(path, uri, path_len);
    path[path_len] = '\0';
    if (uri[path_len] == '?')
        query = uri + path_len + 1;

    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        const struct route *r = &routes[i];
        size_t n = strlen(r->path);

        if (r->match == EXACT ? strcmp(path, r->path) != 0
                              : strncmp(path, r->path, n) != 0)
            continue;
        call->route = r->kind;
        if (strcmp(method, "GET") != 0) {
            kpd_reply_error(reply, 405, "only GET is allowed");
            reply->allow_get = true;
        } else if (call->ctx->draining) {
            kpd_reply_error(reply, 503, "shutting down");
        } else {
            r->handler(call, path + (r->match == PREFIX ? n : 0), query);
            return;
        }
        kpd_call_finish(call);
        return;
    }
    kpd_reply_error(reply, 404, "unknown path");
    kpd_call_finish(call);
}
