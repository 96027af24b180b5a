/* SPDX-License-Identifier: BSD-3-Clause */
/* A throwaway skip-kpd setup for unit tests: a temp dir with two sites'
 * configs, shared secrets and PSKs, and a clock the test moves. */
#ifndef TESTS_KPD_FIXTURE_H
#define TESTS_KPD_FIXTURE_H

#include <stdint.h>

#include "kpd/kpd.h"

#define FIXTURE_SECRET                                                         \
    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
/* 2027-01-15T08:00:00Z: inside epoch 20833 of a one-day ratchet. */
#define FIXTURE_T0_MS 1799999999000ull

struct fixture {
    char dir[64];
    kpd_config alice_cfg, bob_cfg;
    kpd_sync *alice, *bob;
};

extern uint64_t fixture_now_ms;

/* Writes text to dir/name; returns a static path buffer's copy. */
void fixture_write(const char *dir, const char *name, const char *text);

/* Builds both sites; extra is appended to both [kpd] sections. */
void fixture_setup(struct fixture *f, const char *extra);

/* Reopens Bob's backend from disk, as after a restart. */
void fixture_restart_bob(struct fixture *f);

void fixture_teardown(struct fixture *f);

#endif
