/* SPDX-License-Identifier: BSD-3-Clause */
/* GET /key (initiator: a fresh key and its keyId) and GET /key/{keyId}
 * (responder: the same key, once). Every "no such key" is a 400 whose
 * reason goes to the log, not to the client. */
#include "config.h"
#include "routes.h"

#include <string.h>

#include "skip/hex.h"
#include "skip/log.h"
#include "skip/sysid.h"
#include "skip/url.h"

static void key_reply(kpd_reply *reply, const unsigned char *id, size_t id_len,
                      skip_secbuf *key)
{
    reply->body = skip_json_emit_key(id, id_len, key->data, key->len);
    reply->status = 200;
    skip_secbuf_free(key);
    if (reply->body == NULL)
        kpd_reply_error(reply, 500, "out of memory");
}

static void sync_error(kpd_reply *reply, const char *what, const char *remote,
                       const skip_err *err)
{
    if (err->rc == SKIP_E_NOT_FOUND) {
        skip_log_info("%s for %s: %s", what, remote, err->detail);
        kpd_reply_error(reply, 400, "key not found");
    } else {
        skip_log_error("%s for %s: %s", what, remote, err->detail);
        kpd_reply_error(reply, 500, "internal error");
    }
}

void kpd_api_key(kpd_ctx *ctx, const char *query, kpd_reply *reply)
{
    char remote[SKIP_SYSTEM_ID_MAX + 1], size_text[16];
    unsigned char id[SKIP_KEYID_MAX];
    unsigned size = KPD_KEY_BITS_DEFAULT;
    skip_secbuf *key;
    size_t id_len;
    skip_err err = {0};
    skip_rc rc;

    if (!kpd_api_remote(ctx, query, remote, sizeof(remote), reply))
        return;
    rc = skip_query_get(query, "size", size_text, sizeof(size_text));
    if (rc == SKIP_E_MALFORMED ||
        (rc == SKIP_OK &&
         (skip_parse_uint(size_text, KPD_KEY_BITS_MIN, KPD_KEY_BITS_MAX,
                          &size) != SKIP_OK || size % 8 != 0))) {
        kpd_reply_error(reply, 400, "size must be a multiple of 8 in 128..2048");
        return;
    }
    if (ctx->sync->ops->issue(ctx->sync, remote, size, id, &id_len, &key,
                              &err) != SKIP_OK) {
        sync_error(reply, "GET /key", remote, &err);
        return;
    }
    key_reply(reply, id, id_len, key);
}

void kpd_api_key_by_id(kpd_ctx *ctx, const char *key_id_hex, const char *query,
                       kpd_reply *reply)
{
    char remote[SKIP_SYSTEM_ID_MAX + 1];
    unsigned char id[SKIP_KEYID_MAX];
    size_t id_len = 0, hex_len = strlen(key_id_hex);
    skip_secbuf *key;
    skip_err err = {0};

    if (hex_len == 0 ||
        !skip_hex_decode(key_id_hex, hex_len, id, sizeof(id), &id_len)) {
        kpd_reply_error(reply, 400, "malformed keyId");
        return;
    }
    if (!kpd_api_remote(ctx, query, remote, sizeof(remote), reply))
        return;
    if (ctx->sync->ops->fetch(ctx->sync, remote, id, id_len, &key, &err) !=
        SKIP_OK) {
        sync_error(reply, "GET /key/{keyId}", remote, &err);
        return;
    }
    key_reply(reply, id, id_len, key);
}
