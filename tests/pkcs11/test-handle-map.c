/* SPDX-License-Identifier: BSD-3-Clause */
/* The handle map: every handle added is found until removed, whatever the
 * order of removal (the backward shift must keep each probe run whole),
 * through growth, with handles both consecutive (as the module gives them)
 * and scattered; handle 0 is never a key. */
#include "config.h"
#include "../unit/unit.h"

#include <stdlib.h>

#include "pkcs11/handle-map.h"

#define HANDLES 20000

static void add_get_remove(void **state)
{
    handle_map *m = handle_map_new();
    int a = 1, b = 2;

    assert_non_null(m);
    assert_null(handle_map_get(m, 7));
    assert_true(handle_map_add(m, 7, &a));
    assert_true(handle_map_add(m, 8, &b));
    assert_ptr_equal(handle_map_get(m, 7), &a);
    assert_ptr_equal(handle_map_get(m, 8), &b);
    assert_int_equal(handle_map_count(m), 2);
    assert_null(handle_map_remove(m, 9));
    assert_ptr_equal(handle_map_remove(m, 7), &a);
    assert_null(handle_map_get(m, 7));
    assert_ptr_equal(handle_map_get(m, 8), &b);
    assert_int_equal(handle_map_count(m), 1);
    /* 0 is CK_INVALID_HANDLE: never stored, never found */
    assert_false(handle_map_add(m, 0, &a));
    assert_null(handle_map_get(m, 0));
    assert_null(handle_map_remove(m, 0));
    assert_int_equal(handle_map_count(m), 1);
    handle_map_free(m);
    handle_map_free(NULL);
}

static void count_value(void *value, void *arg)
{
    unsigned char *seen = value;

    (*seen)++;
    (*(size_t *)arg)++;
}

/* handles[i] -> &seen[i]; removed in a shuffled order, every survivor is
 * checked after each removal batch, and each visits every survivor once. */
static void check_all(const handle_map *m, const CK_ULONG *handles,
                      unsigned char *seen, const bool *present)
{
    size_t visited = 0, live = 0;

    for (size_t i = 0; i < HANDLES; i++) {
        seen[i] = 0;
        if (present[i]) {
            live++;
            assert_ptr_equal(handle_map_get(m, handles[i]), &seen[i]);
        } else {
            assert_null(handle_map_get(m, handles[i]));
        }
    }
    assert_int_equal(handle_map_count(m), live);
    handle_map_each(m, count_value, &visited);
    assert_int_equal(visited, live);
    for (size_t i = 0; i < HANDLES; i++)
        assert_int_equal(seen[i], present[i] ? 1 : 0);
}

static void removal_keeps_runs_whole(CK_ULONG (*handle_of)(size_t))
{
    static CK_ULONG handles[HANDLES];
    static unsigned char seen[HANDLES];
    static bool present[HANDLES];
    static size_t order[HANDLES];
    handle_map *m = handle_map_new();

    assert_non_null(m);
    srand(18);
    for (size_t i = 0; i < HANDLES; i++) {
        handles[i] = handle_of(i);
        assert_true(handle_map_add(m, handles[i], &seen[i]));
        present[i] = true;
        order[i] = i;
    }
    check_all(m, handles, seen, present);
    for (size_t i = HANDLES - 1; i > 0; i--) {
        size_t j = (size_t)rand() % (i + 1), t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    for (size_t k = 0; k < HANDLES; k++) {
        size_t i = order[k];
        assert_ptr_equal(handle_map_remove(m, handles[i]), &seen[i]);
        present[i] = false;
        if (k % 2500 == 0 || k > HANDLES - 40)
            check_all(m, handles, seen, present);
    }
    assert_int_equal(handle_map_count(m), 0);
    handle_map_free(m);
}

static CK_ULONG consecutive(size_t i) { return (CK_ULONG)i + 1; }
/* multiples of a power of two: the same low bits, a plain mask's worst case */
static CK_ULONG strided(size_t i) { return ((CK_ULONG)i + 1) << 16; }

static void consecutive_handles(void **state) { removal_keeps_runs_whole(consecutive); }
static void strided_handles(void **state) { removal_keeps_runs_whole(strided); }

/* The module's pattern: a long-lived key, then many short-lived ones
 * made and destroyed one at a time; the table does not fill up. */
static void churn_beside_a_held_key(void **state)
{
    handle_map *m = handle_map_new();
    int held, churn;

    assert_non_null(m);
    assert_true(handle_map_add(m, 1, &held));
    for (CK_ULONG h = 2; h < 200000; h++) {
        assert_true(handle_map_add(m, h, &churn));
        assert_ptr_equal(handle_map_get(m, 1), &held);
        assert_ptr_equal(handle_map_remove(m, h), &churn);
    }
    assert_int_equal(handle_map_count(m), 1);
    assert_ptr_equal(handle_map_get(m, 1), &held);
    handle_map_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(add_get_remove),
        cmocka_unit_test(consecutive_handles),
        cmocka_unit_test(strided_handles),
        cmocka_unit_test(churn_beside_a_held_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
