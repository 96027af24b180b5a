/* SPDX-License-Identifier: BSD-3-Clause */
/* Two KP sites in a temp dir, sharing one prf secret. */
#include "config.h"
#include "unit.h"
#include "kpd-fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

uint64_t fixture_now_ms = FIXTURE_T0_MS;

static uint64_t fake_clock(void)
{
    return fixture_now_ms;
}

/* Sleeping moves the test's clock; no real time passes. */
static void fake_sleep(uint64_t ms)
{
    fixture_now_ms += ms;
}

void fixture_write(const char *dir, const char *name, const char *text)
{
    char path[256];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void site(struct fixture *f, const char *me, const char *peer,
                 const char *extra, kpd_config *cfg, kpd_ledger **ledger,
                 kpd_sync **sync)
{
    char text[2048], state[128];
    skip_err err = {0};

    snprintf(state, sizeof(state), "%s/%s-state", f->dir, me);
    mkdir(state, 0700);
    snprintf(text, sizeof(text),
             "[kpd]\nlocal_system_id = %s\nstate_dir = %s\n"
             "psk_file = %s/psks\n%s\n"
             "[client encryptor]\nmatch = psk:enc\nremotes = *\n"
             "[peer %s]\nsecret_file = %s/%s-peer.secret\n",
             me, state, f->dir, extra ? extra : "", peer, f->dir, me);
    snprintf(state, sizeof(state), "%s-peer.secret", me);
    fixture_write(f->dir, state, "0 " FIXTURE_SECRET "\n");
    if (kpd_config_parse_string(text, me, cfg, &err) != SKIP_OK)
        fail_msg("config: %s", err.detail);
    if (kpd_ledger_new(cfg, NULL, ledger, &err) != SKIP_OK)
        fail_msg("ledger: %s", err.detail);
    if (kpd_sync_new(cfg, NULL, *ledger, sync, &err) != SKIP_OK)
        fail_msg("prf: %s", err.detail);
}

void fixture_setup(struct fixture *f, const char *extra)
{
    memset(f, 0, sizeof(*f));
    strcpy(f->dir, "/tmp/skip-unit-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    fixture_now_ms = FIXTURE_T0_MS;
    kpd_clock_ms = fake_clock;
    kpd_sleep_ms = fake_sleep;
    fixture_write(f->dir, "psks", "enc:0x000102030405060708090a0b0c0d0e0f\n");
    site(f, "Alice", "Bob", extra, &f->alice_cfg, &f->alice_ledger, &f->alice);
    site(f, "Bob", "Alice", extra, &f->bob_cfg, &f->bob_ledger, &f->bob);
}

void fixture_restart_bob(struct fixture *f)
{
    skip_err err = {0};

    f->bob->ops->free(f->bob);
    kpd_ledger_free(f->bob_ledger);
    if (kpd_ledger_new(&f->bob_cfg, NULL, &f->bob_ledger, &err) != SKIP_OK)
        fail_msg("ledger: %s", err.detail);
    if (kpd_sync_new(&f->bob_cfg, NULL, f->bob_ledger, &f->bob, &err) != SKIP_OK)
        fail_msg("prf: %s", err.detail);
}

struct key_outcome {
    bool done;
    skip_rc rc;
    skip_err err;
    unsigned char *id;
    size_t *id_len;
    skip_secbuf **key;
};

static void on_key(void *arg, kpd_key_result *r)
{
    struct key_outcome *o = arg;

    o->done = true;
    o->rc = r->rc;
    o->err = r->err;
    if (o->id) {
        memcpy(o->id, r->id, r->id_len);
        *o->id_len = r->id_len;
    }
    *o->key = r->key; /* taken */
    r->key = NULL;
}

skip_rc fixture_issue(kpd_sync *s, const char *peer, unsigned bits,
                      unsigned char *id, size_t *id_len, skip_secbuf **key,
                      skip_err *err)
{
    struct key_outcome o = {.id = id, .id_len = id_len, .key = key};

    s->ops->issue(s, peer, bits, on_key, &o);
    assert_true(o.done);
    *err = o.err;
    return o.rc;
}

skip_rc fixture_fetch(kpd_sync *s, const char *peer, const unsigned char *id,
                      size_t id_len, skip_secbuf **key, skip_err *err)
{
    struct key_outcome o = {.key = key};

    s->ops->fetch(s, peer, id, id_len, on_key, &o);
    assert_true(o.done);
    *err = o.err;
    return o.rc;
}

struct routed {
    kpd_call call; /* first, so the call's address is the struct's */
    bool done;
};

static void on_route_done(kpd_call *call)
{
    ((struct routed *)call)->done = true;
}

int fixture_route(kpd_ctx *ctx, const char *method, const char *uri,
                  kpd_reply *reply)
{
    return fixture_route_as(ctx, "psk:enc", method, uri, reply);
}

int fixture_route_as(kpd_ctx *ctx, const char *identity, const char *method,
                     const char *uri, kpd_reply *reply)
{
    kpd_client client = {{0}, {0}};
    struct routed r = {
        .call = {.ctx = ctx, .client = &client, .done = on_route_done},
    };

    /* "spki:HEX": a certificate client known by its key's pin */
    if (strncmp(identity, "spki:", 5) == 0) {
        snprintf(client.spki, sizeof(client.spki), "%s", identity + 5);
        identity = "cert:/CN=pinned";
    }
    snprintf(client.identity, sizeof(client.identity), "%s", identity);

    kpd_route(&r.call, method, uri);
    assert_true(r.done);
    *reply = r.call.reply;
    assert_non_null(reply->body);
    return reply->status;
}

void fixture_teardown(struct fixture *f)
{
    char cmd[128];

    f->alice->ops->free(f->alice);
    f->bob->ops->free(f->bob);
    kpd_ledger_free(f->alice_ledger);
    kpd_ledger_free(f->bob_ledger);
    kpd_config_clear(&f->alice_cfg);
    kpd_config_clear(&f->bob_cfg);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
}
