/* SPDX-License-Identifier: BSD-3-Clause */
/* GET /capabilities: what this KP offers and whom it shares keys with. */
#include "config.h"
#include "routes.h"

#include <stdlib.h>
#include <string.h>

#include "skip/json.h"

void kpd_api_capabilities(kpd_ctx *ctx, const char *query, kpd_reply *reply)
{
    const char **ids = calloc(ctx->cfg.peer_count, sizeof(char *));
    skip_caps caps = {
        .entropy = true,
        .key = true,
        .algorithm = (char *)ctx->sync->ops->name,
        .local_id = ctx->cfg.local_id,
        .remote_count = ctx->cfg.peer_count,
    };
    char *text;

    if (ids == NULL) {
        kpd_reply_error(reply, 500, "out of memory");
        return;
    }
    for (size_t i = 0; i < ctx->cfg.peer_count; i++)
        ids[i] = ctx->cfg.peers[i].name;
    caps.remote_ids = (char **)ids;
    text = skip_json_emit_caps(&caps);
    free(ids);
    if (text == NULL) {
        kpd_reply_error(reply, 500, "out of memory");
        return;
    }
    reply->status = 200;
    reply->body = skip_secbuf_dup(text, strlen(text));
    free(text);
}
