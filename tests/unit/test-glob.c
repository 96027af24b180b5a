/* SPDX-License-Identifier: BSD-3-Clause */
/* remoteSystemID patterns: the draft's table 5, row by row. */
#include "config.h"
#include "unit.h"

#include "skip/glob.h"

static void table5(void **state)
{
    static const struct {
        const char *pattern, *id;
        bool match;
    } rows[] = {
        /* '*' matches multiple characters (and none) */
        {"KP_*_LOC1", "KP_ALICE_LOC1", true},
        {"KP_*_LOC1", "KP_BOB_LOC1", true},
        {"KP_*_LOC1", "KP__LOC1", true},
        {"KP_*_LOC1", "KP_BOB_LOC2", false},
        {"*", "anything at all", true},
        /* '?' matches exactly one character */
        {"Bo?", "Bob", true},
        {"Bo?", "Bo", false},
        {"Bo?", "Bobb", false},
        /* [list] matches one character in the list */
        {"KP[12]", "KP1", true},
        {"KP[12]", "KP3", false},
        {"KP[a-c]", "KPb", true},
        /* [!list] matches one character not in the list */
        {"KP[!12]", "KP3", true},
        {"KP[!12]", "KP1", false},
        /* no glob characters: only the same id */
        {"Bob", "Bob", true},
        {"Bob", "bob", false},
        /* ids are not paths: '/' and a leading '.' are ordinary */
        {"site*", "site/a", true},
        {"*", ".hidden", true},
    };

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        CHECK_CASE(rows[i].pattern, skip_glob_match(rows[i].pattern,
                                                    rows[i].id) == rows[i].match);
}

static void recognises_patterns(void **state)
{
    assert_true(skip_glob_is_pattern("KP_*"));
    assert_true(skip_glob_is_pattern("B?b"));
    assert_true(skip_glob_is_pattern("[AB]"));
    assert_false(skip_glob_is_pattern("Bob"));
}

static void caps_allow_remote(void **state)
{
    char *remotes[] = {"Bob", "KP_*_LOC1"};
    skip_caps caps = {.remote_ids = remotes, .remote_count = 2};

    assert_true(skip_caps_allows_remote(&caps, "Bob"));
    assert_true(skip_caps_allows_remote(&caps, "KP_EVE_LOC1"));
    assert_false(skip_caps_allows_remote(&caps, "Eve"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(table5),
        cmocka_unit_test(recognises_patterns),
        cmocka_unit_test(caps_allow_remote),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
