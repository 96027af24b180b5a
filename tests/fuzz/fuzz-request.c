/* SPDX-License-Identifier: BSD-3-Clause */
/* Fuzz target: skip-kpd's request handling. The input is "METHOD URI";
 * the router, the handlers and the prf backend run as in the daemon, on a
 * throwaway state directory. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kpd/ledger.h"
#include "kpd/routes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static kpd_ctx ctx;
static char dir[] = "/tmp/skip-fuzz-kpd-XXXXXX";

static void remove_ctx(void)
{
    char cmd[64];

    ctx.sync->ops->free(ctx.sync);
    kpd_ledger_free(ctx.ledger);
    kpd_config_clear(&ctx.cfg);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "fuzz-request: cannot remove %s\n", dir);
}

static kpd_ctx *make_ctx(void)
{
    char text[1024], path[256];
    skip_err err;
    FILE *f;

    if (mkdtemp(dir) == NULL)
        abort();
    snprintf(path, sizeof(path), "%s/psks", dir);
    f = fopen(path, "w");
    fputs("enc:0x000102030405060708090a0b0c0d0e0f\n", f);
    fclose(f);
    snprintf(path, sizeof(path), "%s/bob.secret", dir);
    f = fopen(path, "w");
    fputs("0 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n", f);
    fclose(f);
    snprintf(text, sizeof(text),
             "[kpd]\nlocal_system_id = Alice\nstate_dir = %s\npsk_file = %s/psks\n"
             "[client encryptor]\nmatch = psk:enc\nremotes = *\n"
             "[peer Bob]\nsecret_file = %s/bob.secret\n"
             "[peer Alice]\nsecret_file = %s/bob.secret\n", dir, dir, dir, dir);
    ctx.audit_fd = -1; /* no audit trail */
    /* No event loop: the ledger answers before record() returns. */
    if (kpd_config_parse_string(text, "fuzz", &ctx.cfg, &err) != SKIP_OK ||
        kpd_ledger_new(&ctx.cfg, NULL, &ctx.ledger, &err) != SKIP_OK ||
        kpd_sync_new(&ctx.cfg, ctx.base, ctx.ledger, &ctx.sync, &err) != SKIP_OK) {
        fprintf(stderr, "fuzz-request: %s\n", err.detail);
        abort();
    }
    atexit(remove_ctx);
    return &ctx;
}

struct routed {
    kpd_call call; /* first: the call's address is the struct's */
    bool done;
};

static void on_done(kpd_call *call)
{
    ((struct routed *)call)->done = true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const kpd_client client = {"psk:enc", ""};
    static kpd_ctx *live;
    const char *space;
    char *text, *method;
    struct routed r = {.done = false};

    if (live == NULL)
        live = make_ctx();
    text = malloc(size + 1);
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    space = strchr(text, ' ');
    method = space ? strndup(text, (size_t)(space - text)) : strdup("GET");
    r.call.ctx = live;
    r.call.client = &client;
    r.call.done = on_done;
    kpd_route(&r.call, method, space ? space + 1 : text);
    if (!r.done || r.call.reply.body == NULL || r.call.reply.status < 200 ||
        r.call.reply.status > 599)
        abort(); /* every request gets an answer */
    kpd_reply_clear(&r.call.reply);
    free(method);
    free(text);
    return 0;
}
