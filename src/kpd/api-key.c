/* SPDX-License-Identifier: BSD-3-Clause */
/* GET /key (initiator: a fresh key and its keyId) and GET /key/{keyId}
 * (responder: the same key, once). Every "no such key" is a 400 whose
 * reason goes to the log, not to the client, and so is a remote the
 * client may not ask for ([client] rules): its answer is byte for byte a
 * key not found, so it tells nothing of the keyId. Every delivery and
 * every refusal is logged with the client and the keyId, never the key. */
#include "config.h"
#include "routes.h"

#include <string.h>

#include "skip/hex.h"
#include "skip/log.h"
#include "skip/sysid.h"
#include "skip/url.h"

/* The source's answer: a key reply, or the error it maps to. Every "no
 * such key" is one 400 whose reason goes to the log only. */
static void on_key(void *arg, kpd_key_result *result)
{
    kpd_call *call = arg;
    kpd_reply *reply = &call->reply;

    if (result->rc == SKIP_OK && call->key_id[0] == '\0')
        skip_hex_encode(result->id, result->id_len, call->key_id);
    call->cause = result->cause != KPD_CAUSE_NONE ? result->cause
                  : result->rc == SKIP_OK          ? KPD_CAUSE_NONE
                  : result->rc == SKIP_E_NOT_FOUND ? KPD_CAUSE_UNKNOWN_KEY
                  : result->rc == SKIP_E_ARGS      ? KPD_CAUSE_BAD_REQUEST
                                                   : KPD_CAUSE_SOURCE;
    if (result->rc == SKIP_E_ARGS) {
        /* a request the source cannot serve (a size its KME refuses): the
         * detail says which limit, and holds nothing secret */
        skip_log_info("%s for %s (client %s): %s", call->what, call->remote,
                      call->client->identity, result->err.detail);
        kpd_reply_error(reply, 400, result->err.detail);
    } else if (result->rc == SKIP_E_NOT_FOUND) {
        skip_log_info("%s for %s (client %s): keyId %s: %s", call->what,
                      call->remote, call->client->identity, call->key_id,
                      result->err.detail);
        kpd_reply_error(reply, 400, "key not found");
    } else if (result->rc != SKIP_OK) {
        skip_log_error("%s for %s (client %s): keyId %s: %s", call->what,
                       call->remote, call->client->identity,
                       call->key_id[0] ? call->key_id : "(new)",
                       result->err.detail);
        kpd_reply_error(reply, 500, "internal error");
    } else {
        reply->body = skip_json_emit_key(result->id, result->id_len,
                                         result->key->data, result->key->len);
        reply->status = 200;
        if (reply->body == NULL)
            kpd_reply_error(reply, 500, "out of memory");
        else
            skip_log_info("%s for %s (client %s%s): keyId %s delivered",
                          call->what, call->remote, call->client->identity,
                          call->ctx->cfg.client_auth_none ? ", unauthenticated"
                                                          : "",
                          call->key_id);
    }
    kpd_call_finish(call);
}

static void issue(kpd_call *call)
{
    call->ctx->sync->ops->issue(call->ctx->sync, call->remote, call->size_bits,
                                on_key, call);
}

static void fetch(kpd_call *call)
{
    call->ctx->sync->ops->fetch(call->ctx->sync, call->remote, call->id,
                                call->id_len, on_key, call);
}

/* Asks the source here, or on the main loop's thread when its sockets
 * and timers are there. */
static void ask_source(kpd_call *call, void (*ask)(kpd_call *call))
{
    call->on_main = ask;
    if (call->ctx->to_main == NULL || !call->ctx->to_main(call)) {
        call->on_main = NULL;
        ask(call);
    }
}

void kpd_api_key_on_main(kpd_call *call)
{
    void (*ask)(kpd_call *call) = call->on_main;

    call->on_main = NULL;
    if (call->ctx->draining) {
        kpd_reply_error(&call->reply, 503, "shutting down");
        kpd_call_finish(call);
        return;
    }
    ask(call);
}

void kpd_api_key(kpd_call *call, const char *query)
{
    char size_text[16];
    unsigned size = KPD_KEY_BITS_DEFAULT;
    skip_rc rc;

    call->what = "GET /key";
    if (!kpd_api_remote(call, query)) {
        kpd_call_finish(call);
        return;
    }
    rc = skip_query_get(query, "size", size_text, sizeof(size_text));
    if (rc == SKIP_E_MALFORMED ||
        (rc == SKIP_OK &&
         (skip_parse_uint(size_text, KPD_KEY_BITS_MIN, KPD_KEY_BITS_MAX,
                          &size) != SKIP_OK || size % 8 != 0))) {
        kpd_reply_error(&call->reply, 400,
                        "size must be a multiple of 8 in 128..2048");
        call->cause = KPD_CAUSE_BAD_REQUEST;
        kpd_call_finish(call);
        return;
    }
    call->size_bits = size;
    ask_source(call, issue);
}

void kpd_api_key_by_id(kpd_call *call, const char *key_id_hex,
                       const char *query)
{
    unsigned char id[SKIP_KEYID_MAX];
    size_t id_len = 0, hex_len = strlen(key_id_hex);

    call->what = "GET /key/{keyId}";
    if (hex_len == 0 ||
        !skip_hex_decode(key_id_hex, hex_len, id, sizeof(id), &id_len)) {
        kpd_reply_error(&call->reply, 400, "malformed keyId");
        call->cause = KPD_CAUSE_BAD_REQUEST;
        kpd_call_finish(call);
        return;
    }
    skip_hex_encode(id, id_len, call->key_id);
    if (!kpd_api_remote(call, query)) {
        kpd_call_finish(call);
        return;
    }
    memcpy(call->id, id, id_len);
    call->id_len = id_len;
    ask_source(call, fetch);
}
