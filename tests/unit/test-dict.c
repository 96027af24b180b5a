/* SPDX-License-Identifier: BSD-3-Clause */
/* The hash table under skip-kpd's tables and the ledger: byte-string keys
 * (copied; NULs allowed), values not owned, growth without losing entries,
 * removal, filter and iteration. */
#include "config.h"
#include "unit.h"

#include <stdbool.h>
#include <stdio.h>

#include "skip/dict.h"

static void set_get_replace_remove(void **state)
{
    dict *d = dict_new();
    int a = 1, b = 2;
    char key[] = "k\0x";

    assert_non_null(d);
    assert_null(dict_get(d, "k", 1));
    assert_true(dict_set(d, key, 3, &a));
    key[2] = 'y'; /* the dict keeps its own copy */
    assert_ptr_equal(dict_get(d, "k\0x", 3), &a);
    assert_null(dict_get(d, "k\0y", 3));
    assert_null(dict_get(d, "k", 1)); /* a prefix is another key */
    assert_true(dict_set(d, "k\0x", 3, &b));
    assert_int_equal(dict_count(d), 1);
    assert_ptr_equal(dict_get(d, "k\0x", 3), &b);
    assert_ptr_equal(dict_remove(d, "k\0x", 3), &b);
    assert_null(dict_remove(d, "k\0x", 3));
    assert_int_equal(dict_count(d), 0);
    dict_free(d);
    dict_free(NULL);
}

static void grows_without_losing_entries(void **state)
{
    enum { N = 100000 };
    static int values[N];
    dict *d = dict_new();
    char key[16];

    for (int i = 0; i < N; i++) {
        int n = snprintf(key, sizeof(key), "%d", i);
        values[i] = i;
        assert_true(dict_set(d, key, (size_t)n, &values[i]));
    }
    assert_int_equal(dict_count(d), N);
    for (int i = 0; i < N; i++) {
        int n = snprintf(key, sizeof(key), "%d", i);
        int *v = dict_get(d, key, (size_t)n);
        assert_non_null(v);
        assert_int_equal(*v, i);
    }
    dict_free(d);
}

static bool keep_even(void *value, void *arg)
{
    return *(int *)value % 2 == 0;
}

static int dropped;

static void count_drop(void *value)
{
    dropped++;
}

static void sum(void *value, void *arg)
{
    *(long *)arg += *(int *)value;
}

static void filter_and_each(void **state)
{
    static int values[100];
    dict *d = dict_new();
    long total = 0;

    for (int i = 0; i < 100; i++) {
        values[i] = i;
        assert_true(dict_set(d, &i, sizeof(i), &values[i]));
    }
    dict_filter(d, keep_even, count_drop, NULL);
    assert_int_equal(dropped, 50);
    assert_int_equal(dict_count(d), 50);
    dict_each(d, sum, &total);
    assert_int_equal(total, 2450); /* 0 + 2 + ... + 98 */
    for (int i = 0; i < 100; i++)
        CHECK_CASE("parity", (dict_get(d, &i, sizeof(i)) != NULL) == (i % 2 == 0));
    dict_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(set_get_replace_remove),
        cmocka_unit_test(grows_without_losing_entries),
        cmocka_unit_test(filter_and_each),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
