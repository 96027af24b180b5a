/* SPDX-License-Identifier: BSD-3-Clause */
/* GET /entropy[?minentropy=bits]: random bytes for the encryptor's own
 * use; 503 when the entropy source cannot deliver. */
#include "config.h"
#include "entropy.h"
#include "routes.h"

#include "skip/json.h"
#include "skip/log.h"
#include "skip/url.h"

#define ENTROPY_BITS_DEFAULT 256

void kpd_api_entropy(kpd_ctx *ctx, const char *query, kpd_reply *reply)
{
    unsigned bits = ENTROPY_BITS_DEFAULT;
    char text[16];
    skip_secbuf *random;
    skip_err err = {0};
    skip_rc rc = skip_query_get(query, "minentropy", text, sizeof(text));

    if (rc == SKIP_E_MALFORMED ||
        (rc == SKIP_OK && (skip_parse_uint(text, 8, SKIP_ENTROPY_MAX_BITS,
                                           &bits) != SKIP_OK || bits % 8 != 0))) {
        kpd_reply_error(reply, 400, "minentropy must be a multiple of 8 in "
                                    "8..32768");
        return;
    }
    random = skip_secbuf_new(bits / 8);
    if (random == NULL) {
        kpd_reply_error(reply, 500, "out of memory");
        return;
    }
    if (kpd_entropy_read(ctx->cfg.entropy_file, random->data, bits / 8,
                         &err) != SKIP_OK) {
        skip_log_error("GET /entropy: %s", err.detail);
        skip_secbuf_free(random);
        kpd_reply_error(reply, 503, "entropy source unavailable");
        return;
    }
    reply->body = skip_json_emit_entropy(random->data, bits / 8);
    reply->status = 200;
    skip_secbuf_free(random);
    if (reply->body == NULL)
        kpd_reply_error(reply, 500, "out of memory");
}
