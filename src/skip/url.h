/* SPDX-License-Identifier: BSD-3-Clause */
/* SKIP request URLs: building them on the client (remoteSystemID
 * percent-encoded, keyId in lower-case hex) and reading query strings on the
 * Key Provider (strict percent-decoding, no duplicate parameters). */
#ifndef SKIP_URL_H
#define SKIP_URL_H

#include <stddef.h>

#include "rc.h"

#define SKIP_URL_MAX 2048

/* Each returns a new string (free()) or NULL when out of memory or when an
 * argument is unusable (empty remote, keyId longer than SKIP_KEYID_MAX).
 * base is "https://host:port" with or without a trailing slash. A size or
 * bit count of 0 leaves the parameter out (the KP default). */
char *skip_url_caps(const char *base);
char *skip_url_key(const char *base, const char *remote, unsigned size_bits);
char *skip_url_key_by_id(const char *base, const unsigned char *key_id,
                         size_t key_id_len, const char *remote);
char *skip_url_entropy(const char *base, unsigned bits);

/* Percent-encodes s (RFC 3986 unreserved characters stay as they are) into
 * out; returns the length, or (size_t)-1 when out (cap bytes) is too small. */
size_t skip_url_encode(const char *s, char *out, size_t cap);

/* Finds parameter name in query (the part after '?', without it) and
 * percent-decodes its value into out (cap bytes, NUL-terminated).
 * SKIP_OK: found; SKIP_E_NOT_FOUND: absent; SKIP_E_MALFORMED: a bad escape,
 * a NUL, a value too long for out, or the parameter given twice. */
skip_rc skip_query_get(const char *query, const char *name, char *out,
                       size_t cap);

/* Parses a plain decimal number (digits only, at most 9 of them) within
 * [min, max]. Returns SKIP_OK or SKIP_E_MALFORMED. */
skip_rc skip_parse_uint(const char *s, unsigned min, unsigned max,
                        unsigned *out);

#endif
