/* SPDX-License-Identifier: BSD-3-Clause */
/* Logging for every part of the project: one line per failure through
 * skip_log_error(), and debug lines that stay silent unless the environment
 * variable named by skip_log_init() lists the area ("http,tls" or "all").
 * Nothing here ever formats key bytes, PSKs or PINs: callers pass names,
 * paths, lengths and fingerprints only. */
#ifndef SKIP_LOG_H
#define SKIP_LOG_H

#include <stdbool.h>

typedef enum {
    SKIP_LOG_ERROR = 0,
    SKIP_LOG_WARNING,
    SKIP_LOG_INFO,
    SKIP_LOG_DEBUG,
} skip_log_level;

/* prog prefixes every line ("skip-kpd"); debug_env names the variable that
 * enables debug areas. use_syslog sends lines to syslog instead of stderr. */
void skip_log_init(const char *prog, const char *debug_env, bool use_syslog);

/* Lines above this level are dropped (debug areas still need the env). */
void skip_log_set_level(skip_log_level level);

void skip_log(skip_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define skip_log_error(...) skip_log(SKIP_LOG_ERROR, __VA_ARGS__)
#define skip_log_warning(...) skip_log(SKIP_LOG_WARNING, __VA_ARGS__)
#define skip_log_info(...) skip_log(SKIP_LOG_INFO, __VA_ARGS__)

/* True when area is enabled by the debug variable. */
bool skip_debug_enabled(const char *area);

void skip_debug_area(const char *area, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define skip_debug(area, ...)                                                  \
    do {                                                                       \
        if (skip_debug_enabled(area))                                          \
            skip_debug_area(area, __VA_ARGS__);                                \
    } while (0)

/* Preconditions: a contract between our own functions that only a bug can
 * break (a NULL where the caller promised an object, an enum value out of
 * range). A failure logs the expression and the function and returns val;
 * with SKIP_PKCS11_STRICT set (the test suites set it) it aborts, so the
 * bug cannot pass unnoticed. Not for input from a host program or the
 * network: a NULL the PKCS#11 caller passes is answered CKR_ARGUMENTS_BAD
 * in the open, since conformance suites send exactly that on purpose. */
#define return_val_if_fail(expr, val)                                          \
    do {                                                                       \
        if (!(expr)) {                                                         \
            skip_precondition_failed(#expr, __func__);                         \
            return (val);                                                      \
        }                                                                      \
    } while (0)

#define return_if_fail(expr)                                                   \
    do {                                                                       \
        if (!(expr)) {                                                         \
            skip_precondition_failed(#expr, __func__);                         \
            return;                                                            \
        }                                                                      \
    } while (0)

#define return_val_if_reached(val)                                             \
    do {                                                                       \
        skip_precondition_failed("code that cannot be reached", __func__);     \
        return (val);                                                          \
    } while (0)

void skip_precondition_failed(const char *expr, const char *func);

#endif
