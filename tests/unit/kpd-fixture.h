/* SPDX-License-Identifier: BSD-3-Clause */
/* A throwaway skip-kpd setup for unit tests: a temp dir with two sites'
 * configs, shared secrets and PSKs, and a clock the test moves. */
#ifndef TESTS_KPD_FIXTURE_H
#define TESTS_KPD_FIXTURE_H

#include <stdint.h>

#include "kpd/kpd.h"
#include "kpd/routes.h"

#define FIXTURE_SECRET                                                         \
    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
/* 2027-01-15T08:00:00Z: inside epoch 20833 of a one-day ratchet. */
#define FIXTURE_T0_MS 1799999999000ull

struct fixture {
    char dir[64];
    kpd_config alice_cfg, bob_cfg;
    kpd_sync *alice, *bob;
    kpd_ledger *alice_ledger, *bob_ledger;
};

extern uint64_t fixture_now_ms;

/* Writes text to dir/name; returns a static path buffer's copy. */
void fixture_write(const char *dir, const char *name, const char *text);

/* Builds both sites; extra is appended to both [kpd] sections. */
void fixture_setup(struct fixture *f, const char *extra);

/* Reopens Bob's key source and ledger from disk, as after a restart. */
void fixture_restart_bob(struct fixture *f);

/* A key source's issue and fetch, run to completion: the fixture's ledgers
 * have no event loop, so they answer before returning. */
skip_rc fixture_issue(kpd_sync *s, const char *peer, unsigned bits,
                      unsigned char *id, size_t *id_len, skip_secbuf **key,
                      skip_err *err);
skip_rc fixture_fetch(kpd_sync *s, const char *peer, const unsigned char *id,
                      size_t id_len, skip_secbuf **key, skip_err *err);

/* kpd_route as the fixture's encryptor (psk:enc, which may ask for
 * every peer), run to completion; returns the status
 * and leaves the reply (body always set) for kpd_reply_clear. */
int fixture_route(kpd_ctx *ctx, const char *method, const char *uri,
                  kpd_reply *reply);
/* The same, as the client with this identity ("psk:ID", "cert:SUBJECT"). */
int fixture_route_as(kpd_ctx *ctx, const char *identity, const char *method,
                     const char *uri, kpd_reply *reply);

void fixture_teardown(struct fixture *f);

#endif
