/* SPDX-License-Identifier: BSD-3-Clause */
/* Line-oriented logging to stderr or syslog. */
#include "config.h"
#include "log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

static const char *log_prog = "skip";
static const char *log_debug_env = "SKIP_DEBUG";
/* The debug areas, read from the environment at skip_log_init: asking
 * getenv on every traced call showed in profiles. */
static const char *log_debug_list;
static bool log_debug_read;
static bool log_syslog;
static skip_log_level log_level = SKIP_LOG_INFO;
static pthread_mutex_t log_mutex = PTHREAD_MUTEX_INITIALIZER;

void skip_log_init(const char *prog, const char *debug_env, bool use_syslog)
{
    log_prog = prog;
    log_debug_env = debug_env;
    log_debug_list = getenv(debug_env);
    log_debug_read = true;
    log_syslog = use_syslog;
    if (use_syslog)
        openlog(prog, LOG_PID, LOG_DAEMON);
}

void skip_log_set_level(skip_log_level level)
{
    log_level = level;
}

/* format(printf, 3, 0): checked where callers pass their own arguments,
 * and lets clang accept the vsnprintf of a format that is not a literal. */
static void emit(skip_log_level level, const char *area, const char *fmt,
                 va_list ap) __attribute__((format(printf, 3, 0)));

/* A log line is one line of printable ASCII whatever it quotes: a remote
 * system ID, a request target or a PSK identity a client sent could
 * otherwise forge lines or drive a terminal. Control characters, bytes
 * past ASCII and the backslash itself are written \xNN (so the escaping
 * cannot be forged either). */
static void escape(const char *in, char *out, size_t cap)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;

    for (const unsigned char *p = (const unsigned char *)in; *p; p++) {
        if (*p >= 0x20 && *p < 0x7f && *p != '\\') {
            if (o + 1 >= cap)
                break;
            out[o++] = (char)*p;
        } else {
            if (o + 4 >= cap)
                break;
            out[o++] = '\\';
            out[o++] = 'x';
            out[o++] = hex[*p >> 4];
            out[o++] = hex[*p & 0xf];
        }
    }
    out[o] = '\0';
}

static void emit(skip_log_level level, const char *area, const char *fmt,
                 va_list ap)
{
    static const int prio[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};
    static const char *const tag[] = {"error", "warning", "info", "debug"};
    char raw[1024], line[4 * sizeof(raw)];

    vsnprintf(raw, sizeof(raw), fmt, ap);
    escape(raw, line, sizeof(line));
    if (log_syslog) {
        syslog(prio[level], "%s%s%s", area ? area : "", area ? ": " : "",
               line);
        return;
    }
    /* One fprintf per line under a lock keeps lines from threads whole. */
    pthread_mutex_lock(&log_mutex);
    fprintf(stderr, "%s: %s: %s%s%s\n", log_prog, tag[level],
            area ? area : "", area ? ": " : "", line);
    pthread_mutex_unlock(&log_mutex);
}

void skip_log(skip_log_level level, const char *fmt, ...)
{
    va_list ap;

    if (level > log_level)
        return;
    va_start(ap, fmt);
    emit(level, NULL, fmt, ap);
    va_end(ap);
}

bool skip_debug_enabled(const char *area)
{
    const char *list;
    size_t n;

    if (!log_debug_read) { /* a call before skip_log_init */
        log_debug_list = getenv(log_debug_env);
        log_debug_read = true;
    }
    list = log_debug_list;

    if (list == NULL || *list == '\0')
        return false; /* every call of the module asks: keep it short */
    n = strlen(area);
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, ",");
        if ((len == 3 && strncmp(p, "all", 3) == 0) ||
            (len == n && strncmp(p, area, n) == 0))
            return true;
        p += len;
        if (*p == ',')
            p++;
    }
    return false;
}

void skip_debug_area(const char *area, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    emit(SKIP_LOG_DEBUG, area, fmt, ap);
    va_end(ap);
}

void skip_precondition_failed(const char *expr, const char *func)
{
    const char *strict = getenv("SKIP_PKCS11_STRICT");

    skip_log_error("%s: precondition failed: %s", func, expr);
    if (strict != NULL && strict[0] != '\0' && strcmp(strict, "0") != 0)
        abort();
}
