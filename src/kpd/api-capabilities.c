/* SPDX-License-Identifier: BSD-3-Clause */
/* GET /capabilities: what this KP offers and whom it shares keys with. */
#include "config.h"
#include "routes.h"
#include "clients.h"

#include <stdlib.h>
#include <string.h>

#include "skip/json.h"

/* The remotes listed are those this client may ask keys for. */
void kpd_api_capabilities(kpd_ctx *ctx, const kpd_client *client,
                          const char *query, kpd_reply *reply)
{
    size_t listed = 0;
    const char **ids = calloc(ctx->cfg.peer_count, sizeof(char *));
    skip_caps caps = {
        .entropy = true,
        .key = ctx->sync->ops->ready == NULL || ctx->sync->ops->ready(ctx->sync),
        .algorithm = (char *)ctx->sync->ops->name,
        .local_id = ctx->cfg.local_id,
    };
    char *text;

    if (ids == NULL) {
        kpd_reply_error(reply, 500, "out of memory");
        return;
    }
    for (size_t i = 0; i < ctx->cfg.peer_count; i++)
        if (kpd_client_may_ask(&ctx->cfg, client, ctx->cfg.peers[i].name))
            ids[listed++] = ctx->cfg.peers[i].name;
    caps.remote_ids = (char **)ids;
    caps.remote_count = listed;
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
