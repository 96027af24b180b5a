/* SPDX-License-Identifier: BSD-3-Clause */
/* The INI reader (ini.h). One line at a time, in place: the section name
 * lives in a buffer grown to fit, so no name or value is ever cut. */
#include "config.h"
#include "ini.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static bool blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' ||
           c == '\v';
}

/* s without the blanks around it (s is changed in place). */
static char *trim(char *s)
{
    char *end = s + strlen(s);

    while (*s && blank(*s))
        s++;
    while (end > s && blank(end[-1]))
        *--end = '\0';
    return s;
}

/* Cuts an inline comment: a ';' or '#' after a blank. */
static void cut_comment(char *s)
{
    for (char *p = s + 1; *p; p++) {
        if ((*p == ';' || *p == '#') && blank(p[-1])) {
            *p = '\0';
            return;
        }
    }
}

struct reader {
    skip_ini_handler handler;
    void *user;
    char *section; /* the current section's name ("" before the first) */
    const char *why;
};

/* One line, NUL-terminated (len bytes before the NUL): true to go on. */
static bool read_line(struct reader *r, char *line, size_t len, int number)
{
    char *s, *eq, *name, *value;

    if (strlen(line) != len) {
        r->why = "a NUL byte in the line";
        return false;
    }
    if (number == 1 && strncmp(line, "\xEF\xBB\xBF", 3) == 0)
        line += 3;
    s = trim(line);
    if (*s == '\0' || *s == ';' || *s == '#')
        return true;
    if (*s == '[') {
        /* the name is all up to the first ']'; a comment may follow */
        char *end = strchr(s, ']');
        char *rest, *copy;
        if (end == NULL) {
            r->why = "a section must be written [name]";
            return false;
        }
        *end = '\0';
        rest = trim(end + 1);
        if (*rest != '\0' && *rest != ';' && *rest != '#') {
            r->why = "text after a section's ]";
            return false;
        }
        name = trim(s + 1);
        if (*name == '\0') {
            r->why = "a section needs a name";
            return false;
        }
        if ((copy = strdup(name)) == NULL) {
            r->why = "out of memory";
            return false;
        }
        free(r->section);
        r->section = copy;
        return r->handler(r->user, r->section, NULL, NULL) != 0;
    }
    cut_comment(s);
    s = trim(s);
    eq = strchr(s, '=');
    if (eq == NULL || eq == s) {
        r->why = "expected name = value";
        return false;
    }
    *eq = '\0';
    name = trim(s);
    value = trim(eq + 1);
    if (*name == '\0') {
        r->why = "expected name = value";
        return false;
    }
    return r->handler(r->user, r->section ? r->section : "", name, value) != 0;
}

/* Lines from next(ctx) until it returns -1; the number of the first line
 * with a problem, or 0. */
static int read_lines(struct reader *r,
                      ssize_t (*next)(void *ctx, char **line, size_t *cap),
                      void *ctx)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int number = 0, failed = 0;

    while ((len = next(ctx, &line, &cap)) >= 0) {
        number++;
        if ((size_t)len > SKIP_INI_LINE_MAX) {
            r->why = "a line over 65536 bytes";
            failed = number;
            break;
        }
        if (!read_line(r, line, (size_t)len, number)) {
            failed = number;
            break;
        }
    }
    free(line);
    free(r->section);
    r->section = NULL;
    return failed;
}

static ssize_t next_from_file(void *ctx, char **line, size_t *cap)
{
    return getline(line, cap, ctx);
}

/* Strings: the rest of the text up to a newline, copied into *line. */
static ssize_t next_from_string(void *ctx, char **line, size_t *cap)
{
    const char **text = ctx;
    const char *start = *text, *end;
    size_t len;

    if (*start == '\0')
        return -1;
    end = strchr(start, '\n');
    len = end ? (size_t)(end - start + 1) : strlen(start);
    if (len + 1 > *cap) {
        char *grown = realloc(*line, len + 1);
        if (grown == NULL)
            return -1;
        *line = grown;
        *cap = len + 1;
    }
    memcpy(*line, start, len);
    (*line)[len] = '\0';
    *text = start + len;
    return (ssize_t)len;
}

int skip_ini_parse_file(FILE *f, skip_ini_handler handler, void *user,
                        const char **why)
{
    struct reader r = {handler, user, NULL, NULL};
    int line = read_lines(&r, next_from_file, f);

    if (why)
        *why = r.why;
    return line;
}

int skip_ini_parse(const char *path, skip_ini_handler handler, void *user,
                   const char **why)
{
    FILE *f = fopen(path, "re");
    int line;

    if (why)
        *why = NULL;
    if (f == NULL)
        return -1;
    line = skip_ini_parse_file(f, handler, user, why);
    fclose(f);
    return line;
}

int skip_ini_parse_string(const char *text, skip_ini_handler handler,
                          void *user, const char **why)
{
    struct reader r = {handler, user, NULL, NULL};
    int line = read_lines(&r, next_from_string, &text);

    if (why)
        *why = r.why;
    return line;
}
