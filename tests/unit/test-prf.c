/* SPDX-License-Identifier: BSD-3-Clause */
/* The prf backend: keys agree across the two KPs, keyIds are unique and
 * authenticated, expire, are delivered once (also across a restart), and
 * the secret ratchets with the old one erased. */
#include "config.h"
#include "unit.h"
#include "kpd-fixture.h"

#include <stdio.h>
#include <stdlib.h>

#include "skip/hex.h"

struct issued {
    unsigned char id[SKIP_KEYID_MAX];
    size_t id_len;
    skip_secbuf *key;
};

static void issue(kpd_sync *s, const char *peer, unsigned bits,
                  struct issued *out)
{
    skip_err err = {0};

    if (fixture_issue(s, peer, bits, out->id, &out->id_len, &out->key,
                      &err) != SKIP_OK)
        fail_msg("issue: %s", err.detail);
}

static skip_rc fetch(kpd_sync *s, const char *peer, const struct issued *in,
                     skip_secbuf **key)
{
    skip_err err = {0};

    return fixture_fetch(s, peer, in->id, in->id_len, key, &err);
}

static int setup(void **state)
{
    static struct fixture f;

    fixture_setup(&f, NULL);
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    fixture_teardown(*state);
    return 0;
}

static void keys_agree(void **state)
{
    struct fixture *f = *state;
    struct issued a;
    skip_secbuf *b;

    issue(f->alice, "Bob", 256, &a);
    assert_int_equal(a.id_len, 16);
    assert_int_equal(a.key->len, 32);
    assert_int_equal(fetch(f->bob, "Alice", &a, &b), SKIP_OK);
    assert_memory_equal(a.key->data, b->data, 32);
    skip_secbuf_free(b);
    /* Delivered once: the second ask finds nothing. */
    assert_int_equal(fetch(f->bob, "Alice", &a, &b), SKIP_E_NOT_FOUND);
    assert_null(b);
    skip_secbuf_free(a.key);
}

static void size_travels_in_the_key_id(void **state)
{
    struct fixture *f = *state;
    struct issued a;
    skip_secbuf *b;

    issue(f->alice, "Bob", 128, &a);
    assert_int_equal(a.key->len, 16);
    assert_int_equal(fetch(f->bob, "Alice", &a, &b), SKIP_OK);
    assert_int_equal(b->len, 16);
    assert_memory_equal(a.key->data, b->data, 16);
    skip_secbuf_free(b);
    skip_secbuf_free(a.key);
}

static void forged_ids_refused(void **state)
{
    struct fixture *f = *state;
    struct issued a, forged;
    skip_secbuf *b;

    issue(f->alice, "Bob", 256, &a);
    for (size_t byte = 0; byte < a.id_len; byte++) {
        forged = a;
        forged.id[byte] ^= 0x01;
        CHECK_CASE("flipped byte", fetch(f->bob, "Alice", &forged, &b) ==
                                       SKIP_E_NOT_FOUND);
    }
    forged = a;
    forged.id_len = 15;
    assert_int_equal(fetch(f->bob, "Alice", &forged, &b), SKIP_E_NOT_FOUND);
    /* The right id asked for the wrong direction or peer. */
    assert_int_equal(fetch(f->alice, "Bob", &a, &b), SKIP_E_NOT_FOUND);
    assert_int_equal(fetch(f->bob, "Eve", &a, &b), SKIP_E_NOT_FOUND);
    /* And the genuine one still works afterwards. */
    assert_int_equal(fetch(f->bob, "Alice", &a, &b), SKIP_OK);
    skip_secbuf_free(b);
    skip_secbuf_free(a.key);
}

static void ids_expire(void **state)
{
    struct fixture *f = *state;
    struct issued a, c;
    skip_secbuf *b;

    issue(f->alice, "Bob", 256, &a);
    issue(f->alice, "Bob", 256, &c);
    fixture_now_ms += 3600 * 1000; /* exactly the lifetime: still valid */
    assert_int_equal(fetch(f->bob, "Alice", &a, &b), SKIP_OK);
    skip_secbuf_free(b);
    fixture_now_ms += 1000;
    assert_int_equal(fetch(f->bob, "Alice", &c, &b), SKIP_E_NOT_FOUND);
    skip_secbuf_free(a.key);
    skip_secbuf_free(c.key);
}

static void ids_from_the_future_refused(void **state)
{
    struct fixture *f = *state;
    struct issued a;
    skip_secbuf *b;

    fixture_now_ms += 61 * 1000;
    issue(f->alice, "Bob", 256, &a);
    fixture_now_ms -= 61 * 1000;
    assert_int_equal(fetch(f->bob, "Alice", &a, &b), SKIP_E_NOT_FOUND);
    fixture_now_ms += 61 * 1000;
    assert_int_equal(fetch(f->bob, "Alice", &a, &b), SKIP_OK);
    skip_secbuf_free(b);
    skip_secbuf_free(a.key);
}

static int compare_ids(const void *x, const void *y)
{
    return memcmp(x, y, 16);
}

/* 100k keys minted in one frozen millisecond (more than 65536, so the
 * sequence rolls over into the next millisecond): all ids distinct. */
static void ids_unique_at_100k(void **state)
{
    enum { N = 100000 };
    struct fixture *f = *state;
    unsigned char (*ids)[16] = malloc(N * 16);
    struct issued a;

    for (int i = 0; i < N; i++) {
        issue(f->alice, "Bob", 128, &a);
        memcpy(ids[i], a.id, 16);
        skip_secbuf_free(a.key);
    }
    qsort(ids, N, 16, compare_ids);
    for (int i = 1; i < N; i++)
        if (memcmp(ids[i - 1], ids[i], 16) == 0)
            fail_msg("keyId %d repeats", i);
    free(ids);
}

static void delivered_ids_survive_restart(void **state)
{
    struct fixture *f = *state;
    struct issued a, c;
    skip_secbuf *b;

    issue(f->alice, "Bob", 256, &a);
    issue(f->alice, "Bob", 256, &c);
    assert_int_equal(fetch(f->bob, "Alice", &a, &b), SKIP_OK);
    skip_secbuf_free(b);
    fixture_restart_bob(f);
    assert_int_equal(fetch(f->bob, "Alice", &a, &b), SKIP_E_NOT_FOUND);
    /* Not yet delivered before the restart: still served once. */
    assert_int_equal(fetch(f->bob, "Alice", &c, &b), SKIP_OK);
    assert_memory_equal(c.key->data, b->data, 32);
    skip_secbuf_free(b);
    skip_secbuf_free(a.key);
    skip_secbuf_free(c.key);
}

static void restart_with_clock_set_back_stays_unique(void **state)
{
    struct fixture *f = *state;
    struct issued before, after;
    skip_err err = {0};

    issue(f->alice, "Bob", 256, &before);
    f->alice->ops->free(f->alice);
    fixture_now_ms -= 5000;
    assert_int_equal(kpd_sync_prf_new(&f->alice_cfg, f->alice_ledger, &f->alice, &err), SKIP_OK);
    issue(f->alice, "Bob", 256, &after);
    /* The reserved time mark moves new ids past every old one. */
    assert_true(memcmp(after.id + 2, before.id + 2, 5) > 0);
    skip_secbuf_free(before.key);
    skip_secbuf_free(after.key);
}

/* Milliseconds since 2024 in a keyId's time field. */
static uint64_t id_time(const struct issued *a)
{
    uint64_t t = 0;

    for (int i = 2; i < 7; i++) /* layout 1: the time is bytes 2..6 */
        t = t << 8 | a->id[i];
    return t + 1704067200000ull;
}

/* A KP killed right after minting a keyId, twenty times in a row, a
 * millisecond apart: every restart waits out what the crash left reserved,
 * so keyId times stay on the clock (before, each crash moved them a
 * reservation ahead, and 60 s ahead the peer refuses them), and they
 * still never repeat. */
static void crash_loop_keeps_ids_on_the_clock(void **state)
{
    struct fixture *f = *state;
    char path[128], reserved[64] = {0};
    uint64_t last = 0;
    skip_err err = {0};

    snprintf(path, sizeof(path), "%s/Alice-state/issue.hwm", f->dir);
    for (int round = 0; round < 20; round++) {
        struct issued a;
        FILE *file;

        issue(f->alice, "Bob", 256, &a);
        assert_true(id_time(&a) > last);
        assert_true(id_time(&a) <= fixture_now_ms + 1);
        last = id_time(&a);
        skip_secbuf_free(a.key);
        /* The crash: the reservation on disk stays as the kill left it
         * (a clean stop would give back its unused part). */
        file = fopen(path, "r");
        assert_non_null(file);
        assert_non_null(fgets(reserved, sizeof(reserved), file));
        fclose(file);
        f->alice->ops->free(f->alice);
        fixture_write(f->dir, "Alice-state/issue.hwm", reserved);
        fixture_now_ms += 1;
        assert_int_equal(kpd_sync_prf_new(&f->alice_cfg, f->alice_ledger, &f->alice, &err),
                         SKIP_OK);
    }
}

static bool file_contains(const char *path, const char *needle)
{
    char buf[1024] = {0};
    FILE *file = fopen(path, "r");
    size_t n;

    assert_non_null(file);
    n = fread(buf, 1, sizeof(buf) - 1, file);
    fclose(file);
    buf[n] = '\0';
    return strstr(buf, needle) != NULL;
}

static void secret_ratchets_and_old_one_is_erased(void **state)
{
    struct fixture *f = *state;
    uint64_t day = 86400ull * 1000, epoch = FIXTURE_T0_MS / day;
    char path[128], line[32];
    struct issued a;
    skip_secbuf *b;

    snprintf(path, sizeof(path), "%s/Bob-peer.secret", f->dir);
    assert_false(file_contains(path, FIXTURE_SECRET)); /* epoch 0 is gone */
    snprintf(line, sizeof(line), "%llu ", (unsigned long long)epoch);
    assert_true(file_contains(path, line));

    /* A key minted just before midnight is still served just after. */
    fixture_now_ms = (epoch + 1) * day - 1000;
    issue(f->alice, "Bob", 256, &a);
    fixture_now_ms = (epoch + 1) * day + 1000;
    f->bob->ops->tick(f->bob, fixture_now_ms);
    snprintf(line, sizeof(line), "%llu ", (unsigned long long)epoch + 1);
    assert_true(file_contains(path, line));
    assert_int_equal(fetch(f->bob, "Alice", &a, &b), SKIP_OK);
    assert_memory_equal(a.key->data, b->data, 32);
    skip_secbuf_free(b);

    /* Past the lifetime of every old-epoch id, the old secret is erased. */
    fixture_now_ms = (epoch + 1) * day + 3600 * 1000 + 61 * 1000;
    f->bob->ops->tick(f->bob, fixture_now_ms);
    snprintf(line, sizeof(line), "%llu ", (unsigned long long)epoch);
    assert_false(file_contains(path, line));
    skip_secbuf_free(a.key);
}

/* Fetches in at Bob and checks the key is the one Alice issued. */
static void fetch_same(struct fixture *f, struct issued *in)
{
    skip_secbuf *b;

    assert_int_equal(fetch(f->bob, "Alice", in, &b), SKIP_OK);
    assert_memory_equal(in->key->data, b->data, in->key->len);
    skip_secbuf_free(b);
    skip_secbuf_free(in->key);
}

/* The keyId MAC key is derived once per epoch and kept: keyIds of two
 * epochs checked in turn all verify, a changed MAC byte still fails once
 * its epoch's key is kept, and an id from a clock ahead in the next epoch
 * (whose secret Bob computes without keeping) verifies too. */
static void mac_keys_kept_per_epoch(void **state)
{
    struct fixture *f = *state;
    uint64_t day = 86400ull * 1000, epoch = FIXTURE_T0_MS / day;
    struct issued old1, old2, new1, ahead;
    skip_secbuf *b;

    fixture_now_ms = (epoch + 1) * day - 2000;
    issue(f->alice, "Bob", 256, &old1);
    issue(f->alice, "Bob", 256, &old2);
    fixture_now_ms = (epoch + 1) * day + 1000;
    issue(f->alice, "Bob", 256, &new1);
    fetch_same(f, &new1);
    fetch_same(f, &old1);
    old2.id[old2.id_len - 1] ^= 1;
    assert_int_equal(fetch(f->bob, "Alice", &old2, &b), SKIP_E_NOT_FOUND);
    old2.id[old2.id_len - 1] ^= 1;
    fetch_same(f, &old2);

    fixture_now_ms = (epoch + 2) * day + 1000;
    issue(f->alice, "Bob", 256, &ahead);
    fixture_now_ms = (epoch + 2) * day - 20000; /* Bob 21 s behind */
    fetch_same(f, &ahead);
}

static void wider_key_ids(void **state)
{
    struct fixture f;
    struct issued a;
    skip_secbuf *b;

    fixture_setup(&f, "key_id_bits = 256");
    issue(f.alice, "Bob", 256, &a);
    assert_int_equal(a.id_len, 32);
    assert_int_equal(fetch(f.bob, "Alice", &a, &b), SKIP_OK);
    skip_secbuf_free(b);
    skip_secbuf_free(a.key);
    fixture_teardown(&f);
}

/* The MAC binds the keyId's length: no prefix of a longer keyId and no
 * extension of a shorter one verifies, though they share the header (the
 * MAC is one HMAC truncated to fit). */
static void no_prefix_or_extension_verifies(void **state)
{
    struct fixture f;
    struct issued a, cut;
    skip_secbuf *b;

    (void)state;
    fixture_setup(&f, "key_id_bits = 256");
    issue(f.alice, "Bob", 256, &a);
    for (size_t len = 16; len < 32; len += 8) {
        cut = a;
        cut.id_len = len;
        CHECK_CASE("prefix", fetch(f.bob, "Alice", &cut, &b) == SKIP_E_NOT_FOUND);
    }
    /* the 24-byte prefix extended back by other bytes, and by zeros */
    cut = a;
    cut.id[31] ^= 0x80;
    assert_int_equal(fetch(f.bob, "Alice", &cut, &b), SKIP_E_NOT_FOUND);
    cut = a;
    cut.id_len = 16;
    memset(cut.id + 16, 0, 16);
    cut.id_len = 32;
    assert_int_equal(fetch(f.bob, "Alice", &cut, &b), SKIP_E_NOT_FOUND);
    /* the genuine one, untouched by all that */
    assert_int_equal(fetch(f.bob, "Alice", &a, &b), SKIP_OK);
    skip_secbuf_free(b);
    skip_secbuf_free(a.key);
    fixture_teardown(&f);
}

/* Layout 1: version, then the minting instance; another version is
 * refused by name, and the instance is covered by the MAC. */
static void layout_version_and_instance(void **state)
{
    struct fixture f;
    struct issued a, other;
    skip_secbuf *b = NULL;
    skip_err err = {0};

    (void)state;
    fixture_setup(&f, "instance = 7");
    issue(f.alice, "Bob", 256, &a);
    assert_int_equal(a.id[0], 1);
    assert_int_equal(a.id[1], 7);
    other = a;
    other.id[0] = 0; /* the layout before versions */
    assert_int_equal(fixture_fetch(f.bob, "Alice", other.id, other.id_len, &b,
                                   &err), SKIP_E_NOT_FOUND);
    assert_string_equal(err.detail, "keyId layout 0 unknown");
    other = a;
    other.id[1] = 8; /* another instance's number */
    memset(&err, 0, sizeof(err));
    assert_int_equal(fixture_fetch(f.bob, "Alice", other.id, other.id_len, &b,
                                   &err), SKIP_E_NOT_FOUND);
    assert_string_equal(err.detail, "keyId MAC does not verify");
    assert_int_equal(fetch(f.bob, "Alice", &a, &b), SKIP_OK);
    skip_secbuf_free(b);
    skip_secbuf_free(a.key);
    fixture_teardown(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(keys_agree, setup, teardown),
        cmocka_unit_test_setup_teardown(size_travels_in_the_key_id, setup, teardown),
        cmocka_unit_test_setup_teardown(forged_ids_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(ids_expire, setup, teardown),
        cmocka_unit_test_setup_teardown(ids_from_the_future_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(ids_unique_at_100k, setup, teardown),
        cmocka_unit_test_setup_teardown(delivered_ids_survive_restart, setup, teardown),
        cmocka_unit_test_setup_teardown(restart_with_clock_set_back_stays_unique,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(secret_ratchets_and_old_one_is_erased,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(mac_keys_kept_per_epoch, setup, teardown),
        cmocka_unit_test_setup_teardown(crash_loop_keeps_ids_on_the_clock, setup,
                                        teardown),
        cmocka_unit_test(wider_key_ids),
        cmocka_unit_test(no_prefix_or_extension_verifies),
        cmocka_unit_test(layout_version_and_instance),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
