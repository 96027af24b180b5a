/* SPDX-License-Identifier: BSD-3-Clause */
/* The INI reader (skip/ini.h), as a table: each text and what the handler
 * sees, or the line and reason of the first problem. Names and values of
 * any length come through whole. */
#include "config.h"
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>

#include "skip/ini.h"

/* What the handler saw, one "[section] name=value" per line ("[section]"
 * alone for a section's own line). */
struct seen {
    char text[4096];
    size_t used;
    const char *refuse; /* a name the handler refuses */
};

static int record(void *user, const char *section, const char *name,
                  const char *value)
{
    struct seen *s = user;

    if (name == NULL) {
        s->used += (size_t)snprintf(s->text + s->used, sizeof(s->text) - s->used,
                                    "[%s]\n", section);
        return strcmp(section, "refused") != 0;
    }
    if (s->refuse && strcmp(name, s->refuse) == 0)
        return 0;
    s->used += (size_t)snprintf(s->text + s->used, sizeof(s->text) - s->used,
                                "[%s] %s=%s\n", section, name, value);
    return 1;
}

static void table(void **state)
{
    static const struct {
        const char *text, *want;
        int line;
        const char *why;
    } cases[] = {
        {"", "", 0, NULL},
        {"a = 1\n", "[] a=1\n", 0, NULL},
        {"[s]\na=1\nb = two words \n", "[s]\n[s] a=1\n[s] b=two words\n", 0, NULL},
        {"  [ s t ]  \n\tname\t=\tv\t\n", "[s t]\n[s t] name=v\n", 0, NULL},
        {"; comment\n# comment\n\n[s]\n", "[s]\n", 0, NULL},
        /* inline comments after a blank; none inside a word */
        {"[s]\na = 3 ; why\nb = 4\t# why\nc = x#y;z\n",
         "[s]\n[s] a=3\n[s] b=4\n[s] c=x#y;z\n", 0, NULL},
        {"[peer A ; B]\nx = 1\n", "[peer A ; B]\n[peer A ; B] x=1\n", 0, NULL},
        {"[s] ; a comment\nx = 1\n", "[s]\n[s] x=1\n", 0, NULL},
        {"[s] junk\n", "", 1, "text after a section's ]"},
        {"[s]\nempty =\n", "[s]\n[s] empty=\n", 0, NULL},
        {"[s]\nurl = https://h:1/p?q=a=b\n", "[s]\n[s] url=https://h:1/p?q=a=b\n", 0, NULL},
        {"a = 1\r\nb = 2\r\n", "[] a=1\n[] b=2\n", 0, NULL},
        {"\xEF\xBB\xBF[s]\na = 1\n", "[s]\n[s] a=1\n", 0, NULL},
        {"[s]\nlast = no newline", "[s]\n[s] last=no newline\n", 0, NULL},
        {"[s]\nno equals\n", "[s]\n", 2, "expected name = value"},
        {"[s]\n= value\n", "[s]\n", 2, "expected name = value"},
        {"[s\n", "", 1, "a section must be written [name]"},
        {"[]\n", "", 1, "a section needs a name"},
        {"[ ]\n", "", 1, "a section needs a name"},
        {"a = 1\nrefused = 2\nc = 3\n", "[] a=1\n", 2, NULL},
        /* a section the handler refuses is an error at its own line, with
         * nothing under it */
        {"a = 1\n[refused]\n", "[] a=1\n[refused]\n", 2, NULL},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct seen s = {.refuse = "refused"};
        const char *why = "unset";
        int line = skip_ini_parse_string(cases[i].text, record, &s, &why);

        CHECK_CASE(cases[i].text, line == cases[i].line);
        CHECK_CASE(cases[i].text, strcmp(s.text, cases[i].want) == 0);
        CHECK_CASE(cases[i].text, cases[i].why ? why && strcmp(why, cases[i].why) == 0
                                               : why == NULL);
    }
}

/* A NUL byte is an error at its line, in a file as in a string. */
static void nul_bytes(void **state)
{
    static const char text[] = "a = 1\nb = x\0y\nc = 3\n";
    struct seen s = {0};
    const char *why = NULL;
    FILE *f = fmemopen((void *)text, sizeof(text) - 1, "r");

    assert_non_null(f);
    assert_int_equal(skip_ini_parse_file(f, record, &s, &why), 2);
    assert_string_equal(why, "a NUL byte in the line");
    assert_string_equal(s.text, "[] a=1\n");
    fclose(f);
}

/* Sections and values of 32, 60, 200, 255 and 4000 bytes, and multibyte
 * UTF-8, come through whole (libinih cut sections at 50 bytes and lines
 * at 200), two names that differ only after byte 50 stay two; a line
 * over SKIP_INI_LINE_MAX is an error, not a cut. */
static void long_names_whole(void **state)
{
    static const size_t lengths[] = {32, 60, 200, 255, 4000};
    char *text = malloc(3 * 4100 + 64), *want = malloc(3 * 4100 + 64);
    char *huge = malloc(SKIP_INI_LINE_MAX + 16);

    assert_non_null(text);
    assert_non_null(want);
    assert_non_null(huge);
    for (size_t i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++) {
        char name[4001];
        struct seen *s = calloc(1, sizeof(*s));
        size_t n = lengths[i];

        memset(name, 'N', n);
        memcpy(name + n - 4, "\xC3\xA9\xC3\xA9", 4); /* ends in two é */
        name[n] = '\0';
        if (n <= 255) {
            snprintf(text, 3 * 4100, "[peer %s]\nid = %s\n", name, name);
            snprintf(want, 3 * 4100, "[peer %s]\n[peer %s] id=%s\n", name,
                     name, name);
            assert_int_equal(skip_ini_parse_string(text, record, s, NULL), 0);
            assert_string_equal(s->text, want);
        } else {
            snprintf(text, 3 * 4100, "[s]\nv = %s\n", name);
            assert_int_equal(skip_ini_parse_string(text, record, s, NULL), 0);
            assert_int_equal(strlen(s->text), strlen("[s]\n[s] v=\n") + n);
        }
        free(s);
    }
    {
        struct seen *s = calloc(1, sizeof(*s));
        char a[61], b[61];
        memset(a, 'x', 60);
        memset(b, 'x', 60);
        a[60] = b[60] = '\0';
        a[55] = 'A';
        b[55] = 'B';
        snprintf(text, 3 * 4100, "[%s]\nk = 1\n[%s]\nk = 2\n", a, b);
        snprintf(want, 3 * 4100, "[%s]\n[%s] k=1\n[%s]\n[%s] k=2\n", a, a, b, b);
        assert_int_equal(skip_ini_parse_string(text, record, s, NULL), 0);
        assert_string_equal(s->text, want);
        free(s);
    }
    {
        struct seen *s = calloc(1, sizeof(*s));
        const char *why = NULL;
        memcpy(huge, "a = ", 4);
        memset(huge + 4, 'v', SKIP_INI_LINE_MAX);
        strcpy(huge + 4 + SKIP_INI_LINE_MAX, "\nb = 1\n");
        assert_int_equal(skip_ini_parse_string(huge, record, s, &why), 1);
        assert_string_equal(why, "a line over 65536 bytes");
        assert_string_equal(s->text, "");
        free(s);
    }
    free(text);
    free(want);
    free(huge);
}

static void unreadable_file(void **state)
{
    struct seen s = {0};
    const char *why = "unset";

    assert_int_equal(skip_ini_parse("/nonexistent/x.conf", record, &s, &why), -1);
    assert_null(why);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(table),
        cmocka_unit_test(nul_bytes),
        cmocka_unit_test(long_names_whole),
        cmocka_unit_test(unreadable_file),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
