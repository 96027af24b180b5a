/* SPDX-License-Identifier: BSD-3-Clause */
/* Result codes of the SKIP wire layer. src/skip never speaks CK_RV: the
 * module maps these in errmap.c, skip-kpd maps them to HTTP statuses and
 * skip-tool to exit codes. */
#ifndef SKIP_RC_H
#define SKIP_RC_H

#include <stddef.h>

typedef enum {
    SKIP_OK = 0,
    SKIP_E_ARGS,        /* caller passed something unusable */
    SKIP_E_NOMEM,
    SKIP_E_CONFIG,      /* bad configuration value or file */
    SKIP_E_TRANSPORT,   /* DNS, connect refused, connection reset */
    SKIP_E_TLS,         /* handshake, certificate or PSK failure */
    SKIP_E_TIMEOUT,
    SKIP_E_HTTP_400,    /* KP: malformed request or key not found */
    SKIP_E_HTTP_404,
    SKIP_E_HTTP_405,
    SKIP_E_HTTP_5XX,    /* KP: 500 and other server errors except 503 */
    SKIP_E_HTTP_503,    /* KP: no entropy */
    SKIP_E_HTTP_OTHER,  /* any status SKIP does not define */
    SKIP_E_MALFORMED,   /* KP answer violates the SKIP schema or our limits */
    SKIP_E_TOO_LARGE,   /* body over SKIP_BODY_MAX */
    SKIP_E_NOT_FOUND,   /* KP side: no such key, forged, expired or delivered */
    SKIP_E_ENTROPY,     /* KP side: the entropy source failed */
    SKIP_E_INTERNAL,
    SKIP_RC_COUNT
} skip_rc;

/* A result with a short human-readable cause. The detail never holds key
 * material: callers put names, paths and numbers in it, nothing else. */
typedef struct skip_err {
    skip_rc rc;
    char detail[256];
} skip_err;

/* Stable lower-case name ("transport", "http-400", ...) for logs. */
const char *skip_rc_name(skip_rc rc);

/* Records rc and a printf-style detail in err (which may be NULL) and
 * returns rc, so callers can write `return skip_err_set(err, ...)`. */
skip_rc skip_err_set(skip_err *err, skip_rc rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
