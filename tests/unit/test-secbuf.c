/* SPDX-License-Identifier: BSD-3-Clause */
/* Secure buffers: small ones share locked chunks slot by slot, large ones
 * have their own mapping; both come zero-filled and go back cleansed. */
#include "config.h"
#include "unit.h"

#include <stdbool.h>
#include <sys/wait.h>
#include <unistd.h>

#include "skip/secbuf.h"

static bool all_zero(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != 0)
            return false;
    return true;
}

static void small_buffers_are_distinct_and_zeroed(void **state)
{
    enum { N = 3000 }; /* 64-byte slots: three chunks' worth */
    static skip_secbuf *bufs[N];

    for (int i = 0; i < N; i++) {
        bufs[i] = skip_secbuf_new(32);
        assert_non_null(bufs[i]);
        assert_true(all_zero(bufs[i]->data, 32));
        assert_int_equal(bufs[i]->cap, 32);
        memset(bufs[i]->data, i & 0xff, 32);
    }
    /* No two overlap: each still holds its own pattern. */
    for (int i = 0; i < N; i++) {
        assert_int_equal(bufs[i]->data[0], i & 0xff);
        assert_int_equal(bufs[i]->data[31], i & 0xff);
        for (int j = i + 1; j < i + 4 && j < N; j++)
            assert_true(bufs[j]->data >= bufs[i]->data + 64 ||
                        bufs[i]->data >= bufs[j]->data + 64);
    }
    for (int i = 0; i < N; i++)
        skip_secbuf_free(bufs[i]);
}

static void a_freed_slot_comes_back_cleansed(void **state)
{
    skip_secbuf *a = skip_secbuf_new(200);
    unsigned char *slot = a->data;
    skip_secbuf *b;

    memset(a->data, 0xa5, 200);
    skip_secbuf_free(a);
    /* The slot is free but still mapped: its bytes must already be gone,
     * but for the free list's link in its first word. */
    assert_true(all_zero(slot + sizeof(void *), 256 - sizeof(void *)));
    b = skip_secbuf_new(256); /* the same class takes the same slot back */
    assert_ptr_equal(b->data, slot);
    assert_true(all_zero(b->data, 256));
    skip_secbuf_free(b);
}

static void large_buffers_have_their_own_mapping(void **state)
{
    skip_secbuf *big = skip_secbuf_new(64 * 1024);

    assert_non_null(big);
    assert_true(all_zero(big->data, 64 * 1024));
    memset(big->data, 0x5a, 64 * 1024);
    skip_secbuf_free(big);
    assert_null(skip_secbuf_new(0));
}

static void clear_cleanses_what_is_in_use(void **state)
{
    skip_secbuf *b = skip_secbuf_dup("secret bytes", 12);

    assert_int_equal(b->len, 12);
    assert_memory_equal(b->data, "secret bytes", 12);
    skip_secbuf_clear(b);
    assert_int_equal(b->len, 0);
    assert_true(all_zero(b->data, 12));
    skip_secbuf_free(b);
    skip_secbuf_free(NULL);
}

/* A child of a forked process can allocate, even while another of the
 * parent's threads is inside the allocator (the lock is held over fork). */
static void works_in_a_forked_child(void **state)
{
    skip_secbuf *held = skip_secbuf_new(64);
    pid_t pid = fork();
    int status = 0;

    if (pid == 0) {
        skip_secbuf *b = skip_secbuf_new(64);
        int distinct = b != NULL && b->data != held->data;

        /* freed, so a leak checker in the child finds nothing to report */
        skip_secbuf_free(b);
        skip_secbuf_free(held);
        _exit(distinct ? 0 : 1);
    }
    assert_true(pid > 0);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    skip_secbuf_free(held);
}

/* After skip_secbuf_wipe_on_fork (the module calls it at C_Initialize), a
 * forked child reads zeros where the parent keeps its keys, in a slot and
 * in a mapping of its own; memory mapped before the call is not covered,
 * which is why it comes first. Runs last: the setting cannot be undone. */
static void a_forked_child_sees_no_keys(void **state)
{
    skip_secbuf *before = skip_secbuf_dup("key bytes, before", 17);
    skip_secbuf *slot, *own;
    pid_t pid;
    int status = 0;

    (void)state;
    skip_secbuf_wipe_on_fork();
    slot = skip_secbuf_new(1000); /* a size class no test used: new chunk */
    own = skip_secbuf_new(10000);
    assert_non_null(slot);
    assert_non_null(own);
    memset(slot->data, 0xA5, 1000);
    memset(own->data, 0x5A, 10000);
    pid = fork();
    if (pid == 0) {
        int code = (all_zero(slot->data, 1000) ? 0 : 1) |
                   (all_zero(own->data, 10000) ? 0 : 2) |
                   (memcmp(before->data, "key bytes, before", 17) == 0 ? 0 : 4);
        _exit(code);
    }
    assert_true(pid > 0);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    /* the parent keeps its bytes */
    assert_int_equal(slot->data[999], 0xA5);
    assert_int_equal(own->data[9999], 0x5A);
    skip_secbuf_free(before);
    skip_secbuf_free(slot);
    skip_secbuf_free(own);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(small_buffers_are_distinct_and_zeroed),
        cmocka_unit_test(a_freed_slot_comes_back_cleansed),
        cmocka_unit_test(large_buffers_have_their_own_mapping),
        cmocka_unit_test(clear_cleanses_what_is_in_use),
        cmocka_unit_test(works_in_a_forked_child),
        cmocka_unit_test(a_forked_child_sees_no_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
