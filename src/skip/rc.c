/* SPDX-License-Identifier: BSD-3-Clause */
/* Names and detail strings for skip_rc. */
#include "config.h"
#include "rc.h"

#include <stdarg.h>
#include <stdio.h>

static const char *const rc_names[SKIP_RC_COUNT] = {
    [SKIP_OK] = "ok",
    [SKIP_E_ARGS] = "bad-arguments",
    [SKIP_E_NOMEM] = "out-of-memory",
    [SKIP_E_CONFIG] = "config",
    [SKIP_E_TRANSPORT] = "transport",
    [SKIP_E_TLS] = "tls",
    [SKIP_E_TIMEOUT] = "timeout",
    [SKIP_E_HTTP_400] = "http-400",
    [SKIP_E_HTTP_404] = "http-404",
    [SKIP_E_HTTP_405] = "http-405",
    [SKIP_E_HTTP_5XX] = "http-5xx",
    [SKIP_E_HTTP_503] = "http-503",
    [SKIP_E_HTTP_OTHER] = "http-other",
    [SKIP_E_MALFORMED] = "malformed-answer",
    [SKIP_E_TOO_LARGE] = "too-large",
    [SKIP_E_NOT_FOUND] = "not-found",
    [SKIP_E_ENTROPY] = "entropy",
    [SKIP_E_INTERNAL] = "internal",
};

const char *skip_rc_name(skip_rc rc)
{
    if ((unsigned)rc >= SKIP_RC_COUNT)
        return "unknown";
    return rc_names[rc];
}

skip_rc skip_err_set(skip_err *err, skip_rc rc, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL)
        return rc;
    err->rc = rc;
    va_start(ap, fmt);
    vsnprintf(err->detail, sizeof(err->detail), fmt, ap);
    va_end(ap);
    return rc;
}
