/* SPDX-License-Identifier: BSD-3-Clause */
/* Fuzz target: the INI reader (skip/ini.h), as a string and as a file
 * stream, with a handler that refuses now and then; every name and value
 * it is handed is read to its end. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "skip/ini.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int handler(void *user, const char *section, const char *name,
                   const char *value)
{
    size_t *total = user;

    if (name == NULL) /* a section's own line */
        return strcmp(section, "stop") != 0;
    *total += strlen(section) + strlen(name) + strlen(value);
    return strcmp(name, "stop") != 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    size_t total = 0;
    FILE *f;

    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    skip_ini_parse_string(text, handler, &total, NULL);
    f = fmemopen(text, size ? size : 1, "r");
    if (f != NULL) {
        skip_ini_parse_file(f, handler, &total, NULL);
        fclose(f);
    }
    free(text);
    return 0;
}
