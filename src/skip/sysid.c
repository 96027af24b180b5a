/* SPDX-License-Identifier: BSD-3-Clause */
/* Validation of system ids: they end up in URLs, logs and PKCS#11
 * attributes, so anything that could forge a log line or hide a character
 * is refused at the edge. */
#include "config.h"
#include "sysid.h"

#include <stdint.h>

/* Decodes one UTF-8 sequence at s (n bytes left); returns its length, or 0
 * when it is malformed. */
static size_t utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
    size_t len, i;
    uint32_t min;

    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    } else if ((s[0] & 0xe0) == 0xc0) {
        len = 2, *cp = s[0] & 0x1f, min = 0x80;
    } else if ((s[0] & 0xf0) == 0xe0) {
        len = 3, *cp = s[0] & 0x0f, min = 0x800;
    } else if ((s[0] & 0xf8) == 0xf0) {
        len = 4, *cp = s[0] & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        *cp = (*cp << 6) | (s[i] & 0x3f);
    }
    if (*cp < min || *cp > 0x10ffff || (*cp >= 0xd800 && *cp <= 0xdfff))
        return 0;
    return len;
}

bool skip_utf8_text_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;

    while (i < len) {
        uint32_t cp;
        size_t n = utf8_next(p + i, len - i, &cp);
        if (n == 0)
            return false;
        if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f))
            return false;
        i += n;
    }
    return true;
}

bool skip_system_id_valid(const char *s, size_t len)
{
    return len >= 1 && len <= SKIP_SYSTEM_ID_MAX && skip_utf8_text_valid(s, len);
}
