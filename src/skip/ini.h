/* SPDX-License-Identifier: BSD-3-Clause */
/* The INI reader of skip-kpd.conf, skip-pkcs11.conf and skip-tool's
 * config. Lines may be of any length up to SKIP_INI_LINE_MAX, so a section
 * or value holds a 255-byte system ID whole (libinih's compiled-in limits
 * cut them without a word). The format:
 *
 *   - leading and trailing blanks are ignored; an empty line too;
 *   - a line starting with ';' or '#' is a comment, and so is the rest of
 *     a name = value line from a ';' or '#' that follows a blank
 *     ("name = v  ; why"): a value cannot hold " ;" or " #";
 *   - "[name]" starts a section (name: 1 or more bytes up to the first
 *     ']', blanks around it ignored; a comment may follow the ']');
 *   - "name = value" sets a name in the current section (blanks around
 *     both ignored; the value may be empty);
 *   - anything else, a NUL byte, or a line over the limit is an error at
 *     that line. A UTF-8 byte-order mark at the start is skipped. */
#ifndef SKIP_INI_H
#define SKIP_INI_H

#include <stdio.h>

#define SKIP_INI_LINE_MAX 65536

/* Called for each section line with name and value NULL, and for each
 * name = value; returns nonzero to go on, 0 for an error at this line (the
 * handler keeps its own account of why). So a bad section is an error at
 * its own line, even with no setting under it. */
typedef int (*skip_ini_handler)(void *user, const char *section,
                                const char *name, const char *value);

/* 0 when every line was read and accepted; else the number of the first
 * line with a problem, the reader stopping there. *why (unless NULL) is
 * the reader's own reason, or NULL when the handler refused the line.
 * skip_ini_parse is -1 when the file cannot be opened. */
int skip_ini_parse_file(FILE *f, skip_ini_handler handler, void *user,
                        const char **why);
int skip_ini_parse(const char *path, skip_ini_handler handler, void *user,
                   const char **why);
int skip_ini_parse_string(const char *text, skip_ini_handler handler,
                          void *user, const char **why);

#endif
