/* SPDX-License-Identifier: BSD-3-Clause */
/* The file ledger: record-if-absent answers "recorded" once and "already"
 * after, across a reopen; expired, torn and malformed lines are dropped;
 * a write that fails (a file-size limit) answers "failed", keeps every
 * earlier record, and the next flush rewrites the file and recovers; and
 * with an event loop, deliveries made durable by the flusher thread come
 * back through the loop, many per batch. */
#include "config.h"
#include "unit.h"

#include <event2/event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "kpd/ledger.h"
#include "kpd/sync.h"

#define T0 1799999999000ull
#define HOUR 3600000ull

static char dir[] = "/tmp/skip-ledger-XXXXXX";
static char path[128];
static kpd_config cfg;
static uint64_t now_ms = T0;

static uint64_t fake_clock(void)
{
    return now_ms;
}

struct answer {
    int calls;
    kpd_ledger_outcome outcome;
    char why[256];
};

static void on_done(void *arg, kpd_ledger_outcome outcome, const char *why)
{
    struct answer *a = arg;

    a->calls++;
    a->outcome = outcome;
    snprintf(a->why, sizeof(a->why), "%s", why ? why : "");
}

static kpd_ledger *open_ledger(struct event_base *base)
{
    kpd_ledger *l = NULL;
    skip_err err = {0};

    if (kpd_ledger_new(&cfg, base, &l, &err) != SKIP_OK)
        fail_msg("open: %s", err.detail);
    return l;
}

/* One record-if-absent of id n for peer, answered inline. */
static kpd_ledger_outcome record(kpd_ledger *l, const char *peer, unsigned n,
                                 uint64_t expiry)
{
    unsigned char id[16] = {0};
    struct answer a = {0};

    id[15] = (unsigned char)n;
    id[14] = (unsigned char)(n >> 8);
    id[13] = (unsigned char)(n >> 16);
    id[12] = (unsigned char)(n >> 24);
    l->ops->record(l, peer, id, sizeof(id), expiry, on_done, &a);
    assert_int_equal(a.calls, 1);
    return a.outcome;
}

static void write_file(const char *text)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static long file_size(void)
{
    struct stat st;

    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

static int complete_lines(void)
{
    FILE *f = fopen(path, "r");
    int c, n = 0;

    assert_non_null(f);
    while ((c = fgetc(f)) != EOF)
        n += c == '\n';
    fclose(f);
    return n;
}

static int setup(void **state)
{
    skip_err err = {0};
    char text[512];
    FILE *f;

    kpd_clock_ms = fake_clock;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/psks", dir);
    f = fopen(path, "w");
    fputs("enc:0x000102030405060708090a0b0c0d0e0f\n", f);
    fclose(f);
    snprintf(text, sizeof(text),
             "[kpd]\nlocal_system_id = A\nstate_dir = %s\npsk_file = %s/psks\n"
             "[client e]\nmatch = psk:enc\nremotes = B\n"
             "[peer B]\nsecret_file = /unused\n", dir, dir);
    if (kpd_config_parse_string(text, "test", &cfg, &err) != SKIP_OK)
        fail_msg("config: %s", err.detail);
    snprintf(path, sizeof(path), "%s/delivered.log", dir);
    return 0;
}

static int teardown(void **state)
{
    char cmd[128];

    kpd_config_clear(&cfg);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    return 0;
}

static int fresh(void **state)
{
    unlink(path);
    now_ms = T0;
    return 0;
}

static void once_then_already_across_reopen(void **state)
{
    kpd_ledger *l = open_ledger(NULL);

    assert_int_equal(record(l, "B", 1, T0 + HOUR), KPD_LEDGER_RECORDED);
    assert_int_equal(record(l, "B", 1, T0 + HOUR), KPD_LEDGER_ALREADY);
    /* The same id for another peer is another record. */
    assert_int_equal(record(l, "C", 1, T0 + HOUR), KPD_LEDGER_RECORDED);
    assert_int_equal(l->ops->count(l), 2);
    kpd_ledger_free(l);

    l = open_ledger(NULL);
    assert_int_equal(l->ops->count(l), 2);
    assert_int_equal(record(l, "B", 1, T0 + HOUR), KPD_LEDGER_ALREADY);
    assert_int_equal(record(l, "C", 1, T0 + HOUR), KPD_LEDGER_ALREADY);
    assert_int_equal(record(l, "B", 2, T0 + HOUR), KPD_LEDGER_RECORDED);
    kpd_ledger_free(l);
}

static void expired_torn_and_malformed_lines_are_dropped(void **state)
{
    char text[512];
    kpd_ledger *l;

    snprintf(text, sizeof(text),
             "%llu 00000000000000000000000000000001 B\n" /* live */
             "%llu 00000000000000000000000000000002 B\n" /* expired */
             "not a record\n"
             "%llu zz B\n"                               /* not hex */
             "%llu 00000000000000000000000000000003 B",  /* torn */
             (unsigned long long)(T0 + HOUR), (unsigned long long)(T0 - 1),
             (unsigned long long)(T0 + HOUR), (unsigned long long)(T0 + HOUR));
    write_file(text);
    l = open_ledger(NULL);
    assert_int_equal(l->ops->count(l), 1);
    assert_int_equal(record(l, "B", 1, T0 + HOUR), KPD_LEDGER_ALREADY);
    assert_int_equal(record(l, "B", 2, T0 + HOUR), KPD_LEDGER_RECORDED);
    assert_int_equal(record(l, "B", 3, T0 + HOUR), KPD_LEDGER_RECORDED);
    /* The start rewrote the file with the live record alone. */
    kpd_ledger_free(l);
    l = open_ledger(NULL);
    assert_int_equal(l->ops->count(l), 3);
    kpd_ledger_free(l);
}

static void prune_forgets_expired_and_compacts(void **state)
{
    kpd_ledger *l = open_ledger(NULL);
    long full;

    for (unsigned i = 0; i < 3000; i++)
        assert_int_equal(record(l, "B", i, T0 + (i < 2900 ? 1000 : HOUR)),
                         KPD_LEDGER_RECORDED);
    full = file_size();
    now_ms = T0 + 2000;
    l->ops->prune(l, now_ms);
    assert_int_equal(l->ops->count(l), 100);
    /* 3000 lines for 100 live records: rewritten with the 100. */
    assert_true(file_size() < full / 20);
    /* An expired keyId may be recorded again (the source refuses it on
     * its own, by its time). */
    assert_int_equal(record(l, "B", 5, T0 + HOUR), KPD_LEDGER_RECORDED);
    assert_int_equal(record(l, "B", 2950, T0 + HOUR), KPD_LEDGER_ALREADY);
    kpd_ledger_free(l);
}

/* Files of this process may grow to the ledger's size plus 10 bytes, not
 * one line more; *old gets the limit to restore. */
static void no_room_for_a_line(struct rlimit *old)
{
    struct rlimit small;

    signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(getrlimit(RLIMIT_FSIZE, old), 0);
    small = *old;
    small.rlim_cur = (rlim_t)file_size() + 10;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
}

static void failed_write_keeps_records_and_recovers(void **state)
{
    struct rlimit old;
    kpd_ledger *l = open_ledger(NULL);
    struct answer a = {0};
    unsigned char id[16] = {0xff};
    long size;

    for (unsigned i = 0; i < 10; i++)
        assert_int_equal(record(l, "B", i, T0 + HOUR), KPD_LEDGER_RECORDED);
    size = file_size();
    no_room_for_a_line(&old);
    l->ops->record(l, "B", id, sizeof(id), T0 + HOUR, on_done, &a);
    assert_int_equal(a.calls, 1);
    assert_int_equal(a.outcome, KPD_LEDGER_FAILED);
    assert_non_null(strstr(a.why, "File too large (write)"));
    assert_int_equal(complete_lines(), 10); /* and a torn tail */
    assert_true(file_size() > size);
    /* Not recorded: asking again is not "already"; it fails again (the
     * file is rewritten first, then the append finds no room). */
    a.calls = 0;
    l->ops->record(l, "B", id, sizeof(id), T0 + HOUR, on_done, &a);
    assert_int_equal(a.outcome, KPD_LEDGER_FAILED);
    assert_int_equal(complete_lines(), 10);

    /* Room again: the file is rewritten from memory (the torn tail goes)
     * and the record appended. */
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    assert_int_equal(record(l, "B", 0xff00, T0 + HOUR), KPD_LEDGER_RECORDED);
    assert_int_equal(file_size(), size + size / 10);
    assert_int_equal(complete_lines(), 11);
    assert_int_equal(record(l, "B", 3, T0 + HOUR), KPD_LEDGER_ALREADY);
    kpd_ledger_free(l);
    l = open_ledger(NULL);
    assert_int_equal(l->ops->count(l), 11);
    kpd_ledger_free(l);
}

struct loop_answers {
    struct event_base *base;
    int left;
    int recorded, already, failed;
};

static void on_loop_done(void *arg, kpd_ledger_outcome outcome,
                         const char *why)
{
    struct loop_answers *la = arg;

    la->recorded += outcome == KPD_LEDGER_RECORDED;
    la->already += outcome == KPD_LEDGER_ALREADY;
    la->failed += outcome == KPD_LEDGER_FAILED;
    if (--la->left == 0)
        event_base_loopbreak(la->base);
}

/* 2000 deliveries handed over at once, each id twice: the loop gets every
 * answer back from the flusher thread, each id wins exactly once, and
 * nothing is answered before record() returns except the duplicates. */
static void flusher_thread_answers_through_the_loop(void **state)
{
    enum { N = 2000 };
    struct event_base *base = event_base_new();
    struct loop_answers la = {base, 2 * N, 0, 0, 0};
    kpd_ledger *l = open_ledger(base);
    unsigned char id[16] = {0};

    for (int round = 0; round < 2; round++) {
        for (unsigned i = 0; i < N; i++) {
            id[14] = (unsigned char)(i >> 8);
            id[15] = (unsigned char)i;
            l->ops->record(l, "B", id, sizeof(id), T0 + HOUR, on_loop_done,
                           &la);
        }
    }
    /* Durable answers need the loop; "already" needs nothing. */
    assert_int_equal(la.recorded, 0);
    assert_int_equal(la.already, N);
    event_base_dispatch(base);
    assert_int_equal(la.left, 0);
    assert_int_equal(la.recorded, N);
    assert_int_equal(la.failed, 0);
    kpd_ledger_free(l);
    event_base_free(base);

    l = open_ledger(NULL);
    assert_int_equal(l->ops->count(l), N);
    kpd_ledger_free(l);
}

/* Freed with deliveries still waiting, the ledger writes and answers them
 * before it goes: no caller is left waiting for ever. */
static void free_answers_what_waits(void **state)
{
    struct event_base *base = event_base_new();
    struct loop_answers la = {base, 3, 0, 0, 0};
    kpd_ledger *l = open_ledger(base);
    unsigned char id[16] = {7};

    for (int i = 0; i < 3; i++) {
        id[15] = (unsigned char)i;
        l->ops->record(l, "B", id, sizeof(id), T0 + HOUR, on_loop_done, &la);
    }
    kpd_ledger_free(l);
    assert_int_equal(la.recorded, 3);
    event_base_free(base);
    l = open_ledger(NULL);
    assert_int_equal(l->ops->count(l), 3);
    kpd_ledger_free(l);
}

/* A whole, well-formed file is kept as it is at the start, even when
 * mostly expired (no rewrite before serving): it is compacted with the
 * first batch written once serving. */
static void mostly_dead_file_is_compacted_once_serving(void **state)
{
    FILE *f = fopen(path, "w");
    kpd_ledger *l;

    assert_non_null(f);
    for (unsigned i = 0; i < 3000; i++)
        fprintf(f, "%llu 000000000000000000000000%08x B\n",
                (unsigned long long)(i < 10 ? T0 + HOUR : T0 - 1), i);
    fclose(f);
    l = open_ledger(NULL);
    assert_int_equal(l->ops->count(l), 10);
    assert_int_equal(complete_lines(), 3000); /* not rewritten at the start */
    assert_int_equal(l->compactions, 0);
    assert_int_equal(record(l, "B", 0xffff, T0 + HOUR), KPD_LEDGER_RECORDED);
    assert_int_equal(complete_lines(), 11); /* compacted, then appended */
    assert_int_equal(l->compactions, 1);
    kpd_ledger_free(l);
    l = open_ledger(NULL);
    assert_int_equal(l->ops->count(l), 11);
    kpd_ledger_free(l);
}

/* Records id n (32-bit) for peer B through the loop, until all answer. */
static void record_many(kpd_ledger *l, struct event_base *base, unsigned from,
                        unsigned count, uint64_t expiry)
{
    struct loop_answers la = {base, (int)count, 0, 0, 0};
    unsigned char id[16] = {0};

    for (unsigned i = from; i < from + count; i++) {
        id[12] = (unsigned char)(i >> 24);
        id[13] = (unsigned char)(i >> 16);
        id[14] = (unsigned char)(i >> 8);
        id[15] = (unsigned char)i;
        l->ops->record(l, "B", id, sizeof(id), expiry, on_loop_done, &la);
    }
    event_base_dispatch(base);
    assert_int_equal(la.recorded, count);
}

/* Compaction with a loop makes the new file's text a slice at a time.
 * 90 000 of 100 000 records expire (ticks prune them, a slice each);
 * while the text is being made, 100 000 more are delivered
 * (the table grows meanwhile, so the text starts over). None is lost: the
 * rewritten file holds the 10 000 old live ones and the new ones. */
static void compaction_in_slices_loses_nothing(void **state)
{
    struct event_base *base = event_base_new();
    kpd_ledger *l = open_ledger(base);
    long before;

    record_many(l, base, 0, 90000, T0 + 1000);
    record_many(l, base, 90000, 10000, T0 + HOUR);
    before = file_size();
    now_ms = T0 + 2000;
    /* ticks prune slices until under half the file's lines are live; the
     * rewrite's text then starts, and pruning waits for it */
    for (int tick = 0; tick < 4; tick++)
        l->ops->prune(l, now_ms);
    assert_true(l->ops->count(l) < 50000);
    assert_int_equal(l->compactions, 0);
    record_many(l, base, 200000, 100000, T0 + HOUR);
    while (l->compactions == 0)
        event_base_loop(base, EVLOOP_ONCE);
    assert_int_equal(l->compactions, 1);
    assert_true(l->longest_pause_ns > 0);
    kpd_ledger_free(l);
    event_base_free(base);
    /* the 100 000 first lines and the 100 000 new ones were in the old
     * file: the new one has dropped dead ones */
    assert_true(complete_lines() < 200000);
    assert_true(file_size() < 2 * before);

    l = open_ledger(NULL);
    assert_int_equal(l->ops->count(l), 110000);
    for (unsigned i = 90000; i < 100000; i += 997)
        assert_int_equal(record(l, "B", i, T0 + HOUR), KPD_LEDGER_ALREADY);
    kpd_ledger_free(l);
}

/* After a failed write, deliveries wait for the rewrite (the file's tail
 * is unknown); freed while its text is still being made a slice at a
 * time, the ledger finishes it inline, writes and answers them: none is
 * left waiting, none lost. */
static void free_during_a_sliced_rewrite_answers_all(void **state)
{
    struct event_base *base = event_base_new();
    kpd_ledger *l = open_ledger(base);
    struct loop_answers la = {base, 1, 0, 0, 0};
    struct rlimit old;
    unsigned char id[16] = {0xee};

    record_many(l, base, 0, 200000, T0 + HOUR);
    no_room_for_a_line(&old);
    l->ops->record(l, "B", id, sizeof(id), T0 + HOUR, on_loop_done, &la);
    event_base_dispatch(base);
    assert_int_equal(la.failed, 1);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);

    l->ops->prune(l, now_ms); /* the retry's tick: the text starts */
    la = (struct loop_answers){base, 1, 0, 0, 0};
    l->ops->record(l, "B", id, sizeof(id), T0 + HOUR, on_loop_done, &la);
    assert_int_equal(la.recorded + la.failed, 0); /* waits for the rewrite */
    kpd_ledger_free(l);
    assert_int_equal(la.recorded, 1);
    event_base_free(base);

    l = open_ledger(NULL);
    assert_int_equal(l->ops->count(l), 200001);
    kpd_ledger_free(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(once_then_already_across_reopen, fresh),
        cmocka_unit_test_setup(expired_torn_and_malformed_lines_are_dropped,
                               fresh),
        cmocka_unit_test_setup(prune_forgets_expired_and_compacts, fresh),
        cmocka_unit_test_setup(failed_write_keeps_records_and_recovers, fresh),
        cmocka_unit_test_setup(flusher_thread_answers_through_the_loop, fresh),
        cmocka_unit_test_setup(free_answers_what_waits, fresh),
        cmocka_unit_test_setup(compaction_in_slices_loses_nothing, fresh),
        cmocka_unit_test_setup(mostly_dead_file_is_compacted_once_serving,
                               fresh),
        cmocka_unit_test_setup(free_during_a_sliced_rewrite_answers_all,
                               fresh),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
