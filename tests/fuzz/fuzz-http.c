/* SPDX-License-Identifier: BSD-3-Clause */
/* Fuzz target: skip-kpd's HTTP request head parser, fed what its reader
 * would hand it: the bytes up to the first empty line (added if missing),
 * at most 8 KiB, with no NUL. Checks what a parsed request promises. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kpd/http-parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char head[KPD_HTTP_MAX_HEADERS + 5];
    const char *why = NULL, *blank;
    kpd_request r;
    size_t len = size < KPD_HTTP_MAX_HEADERS ? size : KPD_HTTP_MAX_HEADERS;

    if (memchr(data, '\0', len) != NULL)
        return 0; /* the reader refuses these before parsing */
    memcpy(head, data, len);
    head[len] = '\0';
    blank = strstr(head, "\r\n\r\n");
    if (blank != NULL)
        len = (size_t)(blank - head) + 4;
    else
        memcpy(head + len, "\r\n\r\n", 4), len += 4;
    head[len] = '\0';
    if (kpd_http_parse(head, &r, &why) == 0) {
        if (r.method == NULL || r.method[0] == '\0' || r.target == NULL ||
            r.target[0] == '\0' || r.body_len > KPD_HTTP_MAX_BODY)
            abort();
        for (const char *m = r.method; *m; m++)
            if (*m < 'A' || *m > 'Z')
                abort();
    } else if (why == NULL) {
        abort();
    }
    return 0;
}
