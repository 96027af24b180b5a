/* SPDX-License-Identifier: BSD-3-Clause */
/* The audit trail's lines and where they go. A line is written with one
 * write(2) to a file opened O_APPEND, so lines never interleave; a write
 * that fails is counted and logged (once a minute), and the key still
 * leaves: the audit trail records service, it does not gate it. */
#include "config.h"
#include "audit.h"
#include "routes.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "skip/log.h"
#include "sync.h"

#define AUDIT_LINE_MAX 2048

skip_rc kpd_audit_open(kpd_ctx *ctx, skip_err *err)
{
    int fd;

    if (ctx->cfg.audit_file == NULL)
        return SKIP_OK;
    fd = open(ctx->cfg.audit_file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
              0640);
    if (fd < 0)
        return skip_err_set(err, SKIP_E_CONFIG, "audit_file %s: %s",
                            ctx->cfg.audit_file, strerror(errno));
    if (ctx->audit_fd >= 0)
        close(ctx->audit_fd);
    ctx->audit_fd = fd;
    return SKIP_OK;
}

void kpd_audit_close(kpd_ctx *ctx)
{
    if (ctx->audit_fd >= 0)
        close(ctx->audit_fd);
    ctx->audit_fd = -1;
}

/* A JSON string of s, quotes included; s is printable (client
 * identities) or UTF-8 without control characters (system IDs). */
static bool put_string(char *out, size_t cap, size_t *len, const char *s)
{
    if (*len + 2 >= cap)
        return false;
    out[(*len)++] = '"';
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (*len + 7 >= cap)
            return false;
        if (c == '"' || c == '\\') {
            out[(*len)++] = '\\';
            out[(*len)++] = (char)c;
        } else if (c < 0x20 || c == 0x7f) {
            *len += (size_t)snprintf(out + *len, cap - *len, "\\u%04x", c);
        } else {
            out[(*len)++] = (char)c;
        }
    }
    out[(*len)++] = '"';
    return true;
}

static bool put(char *out, size_t cap, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static bool put(char *out, size_t cap, size_t *len, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(out + *len, cap - *len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= cap - *len)
        return false;
    *len += (size_t)n;
    return true;
}

bool kpd_audit_format(const kpd_call *call, uint64_t time_ms, char *out,
                      size_t cap)
{
    int status = call->reply.status;
    bool ok = status == 200;
    const char *event = !ok                              ? "refused"
                        : call->route == KPD_ROUTE_KEY ? "issued"
                                                         : "delivered";
    time_t secs = (time_t)(time_ms / 1000);
    struct tm tm;
    char when[32];
    size_t len = 0;

    gmtime_r(&secs, &tm);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
    return put(out, cap, &len, "{\"time\":\"%s.%03uZ\",\"event\":\"%s\","
               "\"request\":\"%s\",\"client\":", when,
               (unsigned)(time_ms % 1000), event,
               call->route == KPD_ROUTE_KEY ? "GET /key" : "GET /key/{keyId}") &&
           put_string(out, cap, &len, call->client->identity) &&
           put(out, cap, &len, ",\"remote\":") &&
           (call->remote[0] ? put_string(out, cap, &len, call->remote)
                            : put(out, cap, &len, "null")) &&
           put(out, cap, &len, ",\"keyId\":") &&
           (call->key_id[0] ? put(out, cap, &len, "\"%s\"", call->key_id)
                            : put(out, cap, &len, "null")) &&
           put(out, cap, &len, ",\"outcome\":\"%s\",\"status\":%d}",
               ok ? "ok" : kpd_cause_name(call->cause), status);
}

void kpd_audit_call(const kpd_call *call)
{
    kpd_ctx *ctx = call->ctx;
    static time_t last_warned;
    char line[AUDIT_LINE_MAX];
    struct timespec now;
    uint64_t now_ms;
    size_t len;

    if (ctx->audit_fd < 0 && !ctx->cfg.audit_syslog)
        return;
    clock_gettime(CLOCK_REALTIME, &now);
    now_ms = (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_nsec / 1000000;
    if (!kpd_audit_format(call, now_ms, line, sizeof(line) - 1)) {
        ctx->metrics.audit_failures++;
        return;
    }
    if (ctx->cfg.audit_syslog)
        syslog(LOG_AUTHPRIV | LOG_NOTICE, "%s", line);
    if (ctx->audit_fd < 0)
        return;
    len = strlen(line);
    line[len++] = '\n';
    if (write(ctx->audit_fd, line, len) != (ssize_t)len) {
        ctx->metrics.audit_failures++;
        if (now.tv_sec - last_warned >= 60) {
            last_warned = now.tv_sec;
            skip_log_error("audit_file %s: cannot write: %s (keys are still "
                           "served; see skip_kpd_audit_failures_total)",
                           ctx->cfg.audit_file, strerror(errno));
        }
    }
}
