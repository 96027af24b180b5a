/* SPDX-License-Identifier: BSD-3-Clause */
/* URL building and query parsing for the SKIP API. */
#include "config.h"
#include "url.h"
#include "hex.h"
#include "json.h"
#include "sysid.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
           c == '~';
}

size_t skip_url_encode(const char *s, char *out, size_t cap)
{
    static const char digits[] = "0123456789ABCDEF";
    size_t n = 0;

    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (unreserved(c)) {
            if (n + 1 >= cap)
                return (size_t)-1;
            out[n++] = (char)c;
        } else {
            if (n + 3 >= cap)
                return (size_t)-1;
            out[n++] = '%';
            out[n++] = digits[c >> 4];
            out[n++] = digits[c & 0x0f];
        }
    }
    if (n >= cap)
        return (size_t)-1;
    out[n] = '\0';
    return n;
}

/* base without its trailing slashes, so "https://kp/" + "/key" stays clean. */
static size_t base_len(const char *base)
{
    size_t n = strlen(base);

    while (n > 0 && base[n - 1] == '/')
        n--;
    return n;
}

static char *join(const char *base, const char *rest)
{
    size_t n = base_len(base), m = strlen(rest);
    char *url;

    if (n + m + 1 > SKIP_URL_MAX)
        return NULL;
    url = malloc(n + m + 1);
    if (url == NULL)
        return NULL;
    memcpy(url, base, n);
    memcpy(url + n, rest, m + 1);
    return url;
}

char *skip_url_caps(const char *base)
{
    return join(base, "/capabilities");
}

static bool encode_remote(const char *remote, char *out, size_t cap)
{
    return remote != NULL && skip_system_id_valid(remote, strlen(remote)) &&
           skip_url_encode(remote, out, cap) != (size_t)-1;
}

char *skip_url_key(const char *base, const char *remote, unsigned size_bits)
{
    char enc[3 * SKIP_SYSTEM_ID_MAX + 1], rest[sizeof(enc) + 64];

    if (!encode_remote(remote, enc, sizeof(enc)))
        return NULL;
    if (size_bits)
        snprintf(rest, sizeof(rest), "/key?remoteSystemID=%s&size=%u", enc,
                 size_bits);
    else
        snprintf(rest, sizeof(rest), "/key?remoteSystemID=%s", enc);
    return join(base, rest);
}

char *skip_url_key_by_id(const char *base, const unsigned char *key_id,
                         size_t key_id_len, const char *remote)
{
    char enc[3 * SKIP_SYSTEM_ID_MAX + 1], hex[2 * SKIP_KEYID_MAX + 1];
    char rest[sizeof(enc) + sizeof(hex) + 32];

    if (key_id_len == 0 || key_id_len > SKIP_KEYID_MAX ||
        !encode_remote(remote, enc, sizeof(enc)))
        return NULL;
    skip_hex_encode(key_id, key_id_len, hex);
    snprintf(rest, sizeof(rest), "/key/%s?remoteSystemID=%s", hex, enc);
    return join(base, rest);
}

char *skip_url_entropy(const char *base, unsigned bits)
{
    char rest[64];

    if (bits)
        snprintf(rest, sizeof(rest), "/entropy?minentropy=%u", bits);
    else
        snprintf(rest, sizeof(rest), "/entropy");
    return join(base, rest);
}

/* Decodes len bytes of a query value into out; false on a bad escape, a
 * NUL or too little room. '+' stays '+': SKIP clients encode spaces as %20. */
static bool decode(const char *s, size_t len, char *out, size_t cap)
{
    size_t n = 0;

    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '%') {
            unsigned char byte;
            if (i + 2 >= len)
                return false;
            if (!skip_hex_decode(s + i + 1, 2, &byte, 1, NULL))
                return false;
            c = byte;
            i += 2;
        }
        if (c == '\0' || n + 1 >= cap)
            return false;
        out[n++] = (char)c;
    }
    out[n] = '\0';
    return true;
}

skip_rc skip_query_get(const char *query, const char *name, char *out,
                       size_t cap)
{
    size_t name_len = strlen(name);
    bool found = false;

    if (query == NULL)
        return SKIP_E_NOT_FOUND;
    for (const char *p = query; *p;) {
        size_t len = strcspn(p, "&");
        const char *eq = memchr(p, '=', len);
        size_t key_len = eq ? (size_t)(eq - p) : len;

        if (key_len == name_len && strncmp(p, name, name_len) == 0) {
            if (found || eq == NULL)
                return SKIP_E_MALFORMED;
            if (!decode(eq + 1, len - key_len - 1, out, cap))
                return SKIP_E_MALFORMED;
            found = true;
        }
        p += len;
        if (*p == '&')
            p++;
    }
    return found ? SKIP_OK : SKIP_E_NOT_FOUND;
}

skip_rc skip_parse_uint(const char *s, unsigned min, unsigned max,
                        unsigned *out)
{
    unsigned long v = 0;
    size_t n = 0;

    for (; s[n]; n++) {
        if (s[n] < '0' || s[n] > '9' || n >= 9)
            return SKIP_E_MALFORMED;
        v = v * 10 + (unsigned long)(s[n] - '0');
    }
    if (n == 0 || v < min || v > max)
        return SKIP_E_MALFORMED;
    *out = (unsigned)v;
    return SKIP_OK;
}
