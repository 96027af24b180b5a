/* SPDX-License-Identifier: BSD-3-Clause */
/* The counters' storage and the exposition format's small writer: escaped
 * label values, HELP and TYPE lines, cumulative histogram buckets. What
 * skip-kpd exposes is written by mgmt.c with these. */
#include "config.h"
#include "metrics.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* From 100 µs (a delivery's group commit on a fast disk) to 10 s (a KME
 * that hardly answers). */
const double kpd_histogram_bounds[KPD_HISTOGRAM_BUCKETS] = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
    0.01,   0.025,   0.05,   0.1,   1.0,    10.0,
};

static const int statuses[KPD_STATUS_COUNT] = {200, 400, 404, 405, 413, 431,
                                               500, 501, 503, 505, 0};

uint64_t kpd_monotonic_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void kpd_histogram_observe(kpd_histogram *h, double seconds)
{
    if (!(seconds >= 0)) /* NaN, or a clock that went back */
        seconds = 0;
    for (unsigned i = 0; i < KPD_HISTOGRAM_BUCKETS; i++)
        if (seconds <= kpd_histogram_bounds[i]) {
            h->buckets[i]++;
            break;
        }
    h->count++; /* above the last bound: only +Inf holds it */
    h->sum += seconds;
}

bool kpd_metrics_init(kpd_metrics *m, size_t peer_count)
{
    uint64_t *issued = calloc(peer_count ? peer_count : 1, sizeof(*issued));
    uint64_t *delivered = calloc(peer_count ? peer_count : 1, sizeof(*delivered));

    if (issued == NULL || delivered == NULL) {
        free(issued);
        free(delivered);
        return false;
    }
    free(m->issued);
    free(m->delivered);
    m->issued = issued;
    m->delivered = delivered;
    m->peer_count = peer_count;
    return true;
}

void kpd_metrics_free(kpd_metrics *m)
{
    free(m->issued);
    free(m->delivered);
    m->issued = m->delivered = NULL;
    m->peer_count = 0;
}

unsigned kpd_metrics_status_index(int status)
{
    for (unsigned i = 0; i + 1 < KPD_STATUS_COUNT; i++)
        if (statuses[i] == status)
            return i;
    return KPD_STATUS_COUNT - 1;
}

int kpd_metrics_status_value(unsigned index)
{
    return index < KPD_STATUS_COUNT ? statuses[index] : 0;
}

const char *kpd_route_name(kpd_route_kind route)
{
    static const char *const names[KPD_ROUTE_COUNT] = {
        "capabilities", "key", "key_by_id", "entropy", "other"};

    return route < KPD_ROUTE_COUNT ? names[route] : "other";
}

const char *kpd_cause_name(kpd_cause cause)
{
    static const char *const names[KPD_CAUSE_COUNT] = {
        "none",        "forged",       "invalid",     "expired",
        "already_delivered", "unknown_key", "unauthorized", "bad_request",
        "limits",      "ledger_failure", "source_failure"};

    return cause < KPD_CAUSE_COUNT ? names[cause] : "none";
}

const char *kpd_tls_failure_name(kpd_tls_failure reason)
{
    static const char *const names[KPD_TLS_FAIL_COUNT] = {
        "psk_mismatch", "psk_hash", "no_psk", "certificate",
        "protocol",     "timeout",  "other"};

    return reason < KPD_TLS_FAIL_COUNT ? names[reason] : "other";
}

static bool grow(kpd_text *t, size_t more)
{
    char *grown;
    size_t cap;

    if (t->failed)
        return false;
    if (t->len + more + 1 <= t->cap)
        return true;
    cap = t->cap ? t->cap : 4096;
    while (cap < t->len + more + 1)
        cap *= 2;
    if ((grown = realloc(t->buf, cap)) == NULL) {
        t->failed = true;
        return false;
    }
    t->buf = grown;
    t->cap = cap;
    return true;
}

void kpd_text_printf(kpd_text *t, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !grow(t, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
    va_end(ap);
    t->len += (size_t)n;
}

void kpd_text_label(kpd_text *t, const char *value)
{
    for (const char *p = value; *p; p++) {
        if (*p == '\\')
            kpd_text_printf(t, "\\\\");
        else if (*p == '"')
            kpd_text_printf(t, "\\\"");
        else if (*p == '\n')
            kpd_text_printf(t, "\\n");
        else
            kpd_text_printf(t, "%c", *p);
    }
}

void kpd_text_family(kpd_text *t, const char *name, const char *type,
                     const char *help)
{
    kpd_text_printf(t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void kpd_text_histogram(kpd_text *t, const char *name, const char *help,
                        const kpd_histogram *h)
{
    uint64_t cumulative = 0;

    kpd_text_family(t, name, "histogram", help);
    for (unsigned i = 0; i < KPD_HISTOGRAM_BUCKETS; i++) {
        cumulative += h->buckets[i];
        kpd_text_printf(t, "%s_bucket{le=\"%g\"} %llu\n", name,
                        kpd_histogram_bounds[i], (unsigned long long)cumulative);
    }
    kpd_text_printf(t, "%s_bucket{le=\"+Inf\"} %llu\n", name,
                    (unsigned long long)h->count);
    kpd_text_printf(t, "%s_sum %.9g\n%s_count %llu\n", name, h->sum, name,
                    (unsigned long long)h->count);
}
