/* SPDX-License-Identifier: BSD-3-Clause */
/* Reading and parsing TLS pre-shared keys. */
#include "config.h"
#include "psk.h"
#include "hex.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

skip_rc skip_psk_parse(const char *text, size_t len, skip_secbuf **out,
                       skip_err *err)
{
    skip_secbuf *key;

    *out = NULL;
    key = skip_secbuf_new(SKIP_PSK_MAX);
    if (key == NULL)
        return skip_err_set(err, SKIP_E_NOMEM, "out of memory");
    if (len >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
        if (!skip_hex_decode(text + 2, len - 2, key->data, key->cap,
                             &key->len)) {
            skip_secbuf_free(key);
            return skip_err_set(err, SKIP_E_CONFIG,
                                "hex PSK is not an even number of hex digits "
                                "or is over %d bytes", SKIP_PSK_MAX);
        }
    } else {
        for (size_t i = 0; i < len; i++) {
            if (text[i] < 0x20 || text[i] > 0x7e) {
                skip_secbuf_free(key);
                return skip_err_set(err, SKIP_E_CONFIG,
                                    "ASCII PSK has a non-printable character "
                                    "at offset %zu", i);
            }
        }
        if (len > key->cap) {
            skip_secbuf_free(key);
            return skip_err_set(err, SKIP_E_CONFIG, "PSK over %d bytes",
                                SKIP_PSK_MAX);
        }
        memcpy(key->data, text, len);
        key->len = len;
    }
    if (key->len < SKIP_PSK_MIN) {
        size_t got = key->len;
        skip_secbuf_free(key);
        return skip_err_set(err, SKIP_E_CONFIG,
                            "PSK of %zu bytes is shorter than %d", got,
                            SKIP_PSK_MIN);
    }
    *out = key;
    return SKIP_OK;
}

skip_rc skip_secret_file_read(const char *path, size_t max, skip_secbuf **out,
                              skip_err *err)
{
    skip_secbuf *buf;
    struct stat st;
    size_t cap = max + 1;
    ssize_t n = 0;
    int fd;

    *out = NULL;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return skip_err_set(err, SKIP_E_CONFIG, "%s: %s", path,
                            strerror(errno));
    /* Lock only what a regular file needs (a PSK file is a few hundred
     * bytes, its limit a megabyte); one byte more shows a file that grew
     * while it was read. Pipes and devices get the limit. */
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (size_t)st.st_size < max)
        cap = (size_t)st.st_size + 1;
    buf = skip_secbuf_new(cap);
    if (buf == NULL) {
        close(fd);
        return skip_err_set(err, SKIP_E_NOMEM, "out of memory");
    }
    while (buf->len < buf->cap &&
           (n = read(fd, buf->data + buf->len, buf->cap - buf->len)) > 0)
        buf->len += (size_t)n;
    close(fd);
    if (n < 0 || buf->len == buf->cap) {
        const char *why = n < 0 ? strerror(errno)
                          : buf->cap > max ? "file too large"
                          : "file changed while it was read";
        skip_secbuf_free(buf);
        return skip_err_set(err, SKIP_E_CONFIG, "%s: %s", path, why);
    }
    *out = buf;
    return SKIP_OK;
}

/* True when text is a KP's "identity:0xHEX" line, which a client's file
 * must not hold: read as an ASCII key it would fail with a bare TLS alert. */
static bool server_line(const char *text, size_t len)
{
    const char *colon = memchr(text, ':', len);
    size_t rest;

    if (colon == NULL || colon == text)
        return false;
    rest = len - (size_t)(colon + 1 - text);
    return rest > 2 && colon[1] == '0' && (colon[2] == 'x' || colon[2] == 'X') &&
           strspn(colon + 3, "0123456789abcdefABCDEF") == rest - 2;
}

skip_rc skip_psk_read_file(const char *path, skip_secbuf **out, skip_err *err)
{
    skip_secbuf *raw;
    size_t len;
    skip_rc rc;

    rc = skip_secret_file_read(path, 2 * SKIP_PSK_MAX + 8, &raw, err);
    if (rc != SKIP_OK)
        return rc;
    len = raw->len;
    while (len > 0 && (raw->data[len - 1] == '\n' || raw->data[len - 1] == '\r'))
        len--;
    if (server_line((const char *)raw->data, len)) {
        *out = NULL;
        skip_secbuf_free(raw);
        return skip_err_set(err, SKIP_E_CONFIG, "%s: holds an \"identity:key\" "
                            "line, as a KP's psk_file does; a client's psk_file "
                            "holds the key alone (0x... or ASCII), and its "
                            "identity goes in psk_identity", path);
    }
    rc = skip_psk_parse((const char *)raw->data, len, out, err);
    if (rc != SKIP_OK) {
        char detail[sizeof(err->detail)];
        if (err) {
            memcpy(detail, err->detail, sizeof(detail));
            skip_err_set(err, rc, "%s: %s", path, detail);
        }
    }
    skip_secbuf_free(raw);
    return rc;
}
