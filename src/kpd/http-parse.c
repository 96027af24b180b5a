/* SPDX-License-Identifier: BSD-3-Clause */
/* The request head parser of skip-kpd's HTTP layer (see http-parse.h).
 * Strict where HTTP/1.1 lets servers be: a request line of exactly three
 * parts, no obsolete line folding, one Content-Length, no chunked bodies;
 * anything else is refused rather than guessed at. */
#include "config.h"
#include "http-parse.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Case-insensitive "name" match of a header line's name. */
static bool header_is(const char *line, size_t name_len, const char *name)
{
    return strlen(name) == name_len && strncasecmp(line, name, name_len) == 0;
}

/* Whether a comma-separated header value lists token (any case). */
static bool value_lists(const char *value, const char *token)
{
    size_t len = strlen(token);

    for (const char *p = value; *p;) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        if (strncasecmp(p, token, len) == 0 &&
            (p[len] == '\0' || p[len] == ',' || p[len] == ' ' || p[len] == '\t'))
            return true;
        p += strcspn(p, ",");
    }
    return false;
}

/* Lines end in CRLF and nowhere else: a bare LF could hide a header from
 * us that a proxy in front would see (or the other way round), and a bare
 * CR or another control character has no business in a request. Tabs and
 * bytes past 0x7f (obs-text) may stand in header values. */
static const char *bad_bytes(const char *head)
{
    for (const unsigned char *p = (const unsigned char *)head; *p; p++) {
        if (*p == '\r') {
            if (p[1] != '\n')
                return "bare CR in the request";
            p++;
        } else if (*p == '\n') {
            return "bare LF in the request";
        } else if ((*p < 0x20 && *p != '\t') || *p == 0x7f) {
            return "control character in the request";
        }
    }
    return NULL;
}

/* A request target is visible ASCII (RFC 9112 §3.2): no tabs, no bytes past
 * 0x7e; percent-encoding carries anything else. */
static bool target_ok(const char *target)
{
    for (const unsigned char *p = (const unsigned char *)target; *p; p++)
        if (*p <= 0x20 || *p >= 0x7f)
            return false;
    return true;
}

int kpd_http_parse(char *head, kpd_request *r, const char **why)
{
    char *line = head, *end, *sp1, *sp2;
    bool http10, keep_alive = false, have_length = false;

    memset(r, 0, sizeof(*r));
    if ((*why = bad_bytes(head)) != NULL)
        return 400;
    if ((end = strstr(line, "\r\n")) == NULL)
        return *why = "malformed request line", 400;
    *end = '\0';
    sp1 = strchr(line, ' ');
    sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
    if (sp1 == NULL || sp2 == NULL || sp1 == line || sp2 == sp1 + 1 ||
        strchr(sp2 + 1, ' ') != NULL)
        return *why = "malformed request line", 400;
    *sp1 = *sp2 = '\0';
    for (const char *m = line; *m; m++)
        if (*m < 'A' || *m > 'Z')
            return *why = "malformed method", 400;
    if (strcmp(sp2 + 1, "HTTP/1.1") == 0)
        http10 = false;
    else if (strcmp(sp2 + 1, "HTTP/1.0") == 0)
        http10 = true;
    else if (strncmp(sp2 + 1, "HTTP/", 5) == 0)
        return *why = "only HTTP/1.1 and 1.0 are served", 505;
    else
        return *why = "malformed request line", 400;
    if (!target_ok(sp1 + 1))
        return *why = "malformed request target", 400;
    r->method = line;
    r->target = sp1 + 1;

    for (line = end + 2; strncmp(line, "\r\n", 2) != 0; line = end + 2) {
        char *colon, *value;
        size_t name_len;

        if ((end = strstr(line, "\r\n")) == NULL)
            return *why = "malformed header line", 400;
        *end = '\0';
        colon = strchr(line, ':');
        if (colon == NULL || colon == line || line[0] == ' ' || line[0] == '\t')
            return *why = "malformed header line", 400;
        name_len = (size_t)(colon - line);
        if (memchr(line, ' ', name_len) || memchr(line, '\t', name_len))
            return *why = "malformed header name", 400;
        for (value = colon + 1; *value == ' ' || *value == '\t'; value++)
            ;
        if (header_is(line, name_len, "Content-Length")) {
            char *digits_end;
            unsigned long long n;

            if (*value < '0' || *value > '9')
                return *why = "malformed Content-Length", 400;
            n = strtoull(value, &digits_end, 10);
            while (*digits_end == ' ' || *digits_end == '\t')
                digits_end++;
            if (*digits_end != '\0' || (have_length && n != r->body_len))
                return *why = "malformed Content-Length", 400;
            if (n > KPD_HTTP_MAX_BODY)
                return *why = "request body over 1 KiB", 413;
            r->body_len = (size_t)n;
            have_length = true;
        } else if (header_is(line, name_len, "Transfer-Encoding")) {
            return *why = "request bodies in chunks are not taken", 501;
        } else if (header_is(line, name_len, "Connection")) {
            if (value_lists(value, "close"))
                r->close = true;
            if (value_lists(value, "keep-alive"))
                keep_alive = true;
        }
    }
    if (http10 && !keep_alive)
        r->close = true;
    return 0;
}

