/* SPDX-License-Identifier: BSD-3-Clause */
/* The CKA_ID index: every key added is found until removed, in any order of
 * removal (the backward shift keeps probe runs whole), per slot, and ids
 * longer than the 16 bytes an entry holds are told apart by their tail. */
#include "config.h"
#include "../unit/unit.h"

#include <stdlib.h>

#include "pkcs11/internal.h"

#define KEYS 5000

/* Objects are registered by handle, as the store does: the index reads a
 * long id's tail from the object. */
static object *make_key(CK_SLOT_ID slot_id, const unsigned char *id, size_t len,
                        CK_OBJECT_HANDLE handle)
{
    object *obj = calloc(1, sizeof(*obj));

    assert_non_null(obj);
    obj->slot_id = slot_id;
    obj->handle = handle;
    obj->id = malloc(len);
    assert_non_null(obj->id);
    memcpy(obj->id, id, len);
    obj->id_len = len;
    obj->private_obj = handle % 2 == 0;
    assert_true(handle_map_add(g_module.objects, obj->handle, obj));
    return obj;
}

static void free_key(object *obj)
{
    handle_map_remove(g_module.objects, obj->handle);
    free(obj->id);
    free(obj);
}

static bool held(const id_index *idx, const object *obj)
{
    const id_entry *e = id_index_find(idx, obj->slot_id, obj->id, obj->id_len);

    return e != NULL && e->handle == obj->handle &&
           e->private_obj == obj->private_obj;
}

static void found_until_removed(void **state)
{
    static object *keys[KEYS];
    id_index *idx = id_index_new();
    unsigned char id[16] = {0};

    (void)state;
    assert_non_null(idx);
    srand(7);
    for (int i = 0; i < KEYS; i++) {
        for (size_t b = 0; b < sizeof(id); b++)
            id[b] = (unsigned char)rand();
        keys[i] = make_key((CK_SLOT_ID)(i % 3), id, sizeof(id), (CK_ULONG)i + 1);
        assert_true(id_index_add(idx, keys[i]));
    }
    for (int i = 0; i < KEYS; i++)
        CHECK_CASE("added", held(idx, keys[i]));
    /* The same id in another slot is another key. */
    assert_null(id_index_find(idx, keys[0]->slot_id + 3, keys[0]->id, 16));
    /* Remove every third key, then check all. */
    for (int i = 0; i < KEYS; i += 3)
        id_index_remove(idx, keys[i]);
    for (int i = 0; i < KEYS; i++) {
        bool want = i % 3 != 0;
        CHECK_CASE("after removals", held(idx, keys[i]) == want);
    }
    /* Removing an object the index does not hold for its id changes
     * nothing. */
    id_index_remove(idx, keys[0]);
    for (int i = 1; i < KEYS; i++)
        if (i % 3 != 0)
            CHECK_CASE("after a second removal", held(idx, keys[i]));
    for (int i = 0; i < KEYS; i++) {
        if (i % 3 != 0)
            id_index_remove(idx, keys[i]);
        CHECK_CASE("all removed", !held(idx, keys[i]));
        free_key(keys[i]);
    }
    id_index_free(idx);
}

static void long_ids_by_their_tail(void **state)
{
    unsigned char a[40], b[40];
    object *ka, *kb, *kshort;
    id_index *idx = id_index_new();

    (void)state;
    memset(a, 0x5a, sizeof(a));
    memcpy(b, a, sizeof(b));
    b[39] ^= 1; /* same first 16 bytes and length, another id */
    ka = make_key(0, a, sizeof(a), 1);
    kb = make_key(0, b, sizeof(b), 2);
    kshort = make_key(0, a, 16, 3); /* a's first 16 bytes alone */
    assert_true(id_index_add(idx, ka));
    assert_true(id_index_add(idx, kb));
    assert_true(id_index_add(idx, kshort));
    assert_true(held(idx, ka));
    assert_true(held(idx, kb));
    assert_true(held(idx, kshort));
    id_index_remove(idx, ka);
    assert_false(held(idx, ka));
    assert_true(held(idx, kb));
    assert_true(held(idx, kshort));
    free_key(ka);
    free_key(kb);
    free_key(kshort);
    id_index_free(idx);
}

static int setup(void **state)
{
    (void)state;
    g_module.objects = handle_map_new();
    return g_module.objects ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    handle_map_free(g_module.objects);
    g_module.objects = NULL;
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(found_until_removed),
        cmocka_unit_test(long_ids_by_their_tail),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
