/* SPDX-License-Identifier: BSD-3-Clause */
/* The file ledger's table (src/kpd/ledger-table.h): every record added is
 * found until removed, in any order of removal (the backward shift keeps
 * probe runs whole, across growths), for keyIds of every length and
 * several peers; pruning removes exactly the expired ones a slice at a
 * time; a scan sees each record once while nothing moves. */
#include "config.h"
#include "unit.h"

#include <stdlib.h>

#include "kpd/ledger-table.h"

#define N 20000
#define HOUR_MS 3600000ull
#define T0_MS 1799999999000ull

/* Record i: peer i % 3, an id of 3 + i % 38 bytes (inline and heap),
 * distinct by its first three. */
static size_t make_id(unsigned i, unsigned char *id)
{
    size_t len = 3 + i % 38;

    memset(id, 0xa5, len);
    id[0] = (unsigned char)i;
    id[1] = (unsigned char)(i >> 8);
    id[2] = (unsigned char)(i >> 16);
    return len;
}

static void add_all(ledger_table *t, uint16_t *peers)
{
    unsigned char id[64];

    for (unsigned i = 0; i < N; i++) {
        size_t len = make_id(i, id);
        assert_null(ledger_table_find(t, peers[i % 3], id, len));
        ledger_slot *s = ledger_table_insert(t, peers[i % 3], id, len,
                                             T0_MS + (i % 2 ? HOUR_MS : 1000),
                                             i % 7 == 0);
        assert_non_null(s);
        assert_ptr_equal(s, ledger_table_find(t, peers[i % 3], id, len));
    }
    assert_int_equal(ledger_table_count(t), N);
}

static ledger_table *new_table(uint16_t *peers)
{
    ledger_table *t = ledger_table_new();

    assert_non_null(t);
    assert_int_equal(ledger_table_peer(t, "Bob"), 0);
    assert_int_equal(ledger_table_peer(t, "Carol"), 1);
    assert_int_equal(ledger_table_peer(t, "Bob"), 0);
    peers[0] = 0;
    peers[1] = 1;
    peers[2] = (uint16_t)ledger_table_peer(t, "Dave");
    assert_string_equal(ledger_table_peer_name(t, peers[2]), "Dave");
    return t;
}

static void found_until_removed(void **state)
{
    uint16_t peers[3];
    ledger_table *t = new_table(peers);
    unsigned *order = malloc(N * sizeof(*order));
    unsigned char id[64];

    assert_non_null(order);
    add_all(t, peers);
    /* same bytes, another peer: another record */
    make_id(3, id);
    assert_null(ledger_table_find(t, peers[1], id, make_id(3, id)));
    for (unsigned i = 0; i < N; i++)
        order[i] = i;
    srand(7);
    for (unsigned i = N - 1; i > 0; i--) {
        unsigned j = (unsigned)rand() % (i + 1), tmp = order[i];
        order[i] = order[j];
        order[j] = tmp;
    }
    for (unsigned k = 0; k < N; k++) {
        unsigned gone = order[k];
        size_t len = make_id(gone, id);
        ledger_slot *s = ledger_table_find(t, peers[gone % 3], id, len);
        assert_non_null(s);
        assert_int_equal(s->id_len, len);
        assert_memory_equal(ledger_slot_id(s), id, len);
        ledger_table_remove(t, peers[gone % 3], id, len);
        assert_null(ledger_table_find(t, peers[gone % 3], id, len));
        /* a sample of those left is still there */
        for (unsigned m = k + 1; m < N && m < k + 20; m++) {
            size_t l2 = make_id(order[m], id);
            assert_non_null(ledger_table_find(t, peers[order[m] % 3], id, l2));
        }
    }
    assert_int_equal(ledger_table_count(t), 0);
    free(order);
    ledger_table_free(t);
}

static void count_slot(const ledger_slot *s, void *arg)
{
    (*(size_t *)arg)++;
}

/* A million-record table costs 24 bytes a slot: 32..64 per record. */
static void slots_stay_small(void **state)
{
    uint16_t peers[3];
    ledger_table *t = new_table(peers);

    assert_int_equal(sizeof(ledger_slot), 24);
    add_all(t, peers);
    assert_true(ledger_table_slots(t) * 3 / 4 >= N);
    assert_true(ledger_table_slots(t) * 3 / 8 < N);
    ledger_table_free(t);
}

static void prune_in_slices(void **state)
{
    uint16_t peers[3];
    ledger_table *t = new_table(peers);
    size_t cursor = 0, removed = 0, seen = 0, slots;
    uint64_t moves;
    bool end;

    add_all(t, peers);
    slots = ledger_table_slots(t);
    /* a scan with nothing moving sees each record once */
    moves = ledger_table_moves(t);
    do
        end = ledger_table_scan(t, &cursor, 1000, count_slot, &seen);
    while (!end);
    assert_int_equal(seen, N);
    assert_int_equal(cursor, 0);
    assert_int_equal(ledger_table_moves(t), moves);

    /* at T0 + 2 s the 1-second records expire, but not the pending ones */
    for (size_t done = 0; done < 2 * slots; done += slots / 8)
        removed += ledger_table_prune(t, &cursor, slots / 8, T0_MS + 2000);
    assert_true(ledger_table_moves(t) > moves);
    {
        size_t expired_pending = 0;
        for (unsigned i = 0; i < N; i += 2)
            expired_pending += i % 7 == 0;
        assert_int_equal(removed, N / 2 - expired_pending);
        assert_int_equal(ledger_table_count(t), N / 2 + expired_pending);
    }
    /* the hour-long ones are all still found */
    for (unsigned i = 1; i < N; i += 2) {
        unsigned char id[64];
        size_t len = make_id(i, id);
        assert_non_null(ledger_table_find(t, peers[i % 3], id, len));
    }
    ledger_table_free(t);
}

/* Expiry is kept in seconds, rounded up: a record never goes early. */
static void expiry_rounds_up(void **state)
{
    uint16_t peers[3];
    ledger_table *t = new_table(peers);
    unsigned char id[1] = {1};
    size_t cursor = 0;

    assert_non_null(ledger_table_insert(t, 0, id, 1, T0_MS + 1, false));
    assert_int_equal(ledger_table_prune(t, &cursor, 4096, T0_MS + 999), 0);
    assert_int_equal(ledger_table_prune(t, &cursor, 4096, T0_MS + 1000), 1);
    ledger_table_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(found_until_removed),
        cmocka_unit_test(slots_stay_small),
        cmocka_unit_test(prune_in_slices),
        cmocka_unit_test(expiry_rounds_up),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
