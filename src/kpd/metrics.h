/* SPDX-License-Identifier: BSD-3-Clause */
/* What skip-kpd counts for its operators, and the Prometheus text
 * exposition (format 0.0.4) of it, served by the management listener
 * (mgmt.c). The counters the HTTP layer keeps (requests, refusals, TLS
 * failures, connections) are written by every worker thread (worker.h):
 * they change only through kpd_count and are read through kpd_counted.
 * The rest belongs to the main loop's thread.
 *
 * Labels are bounded: routes, statuses, causes and reasons are fixed
 * lists, peers come from the config. No keyId, client-chosen string or
 * key ever becomes a label or a value. */
#ifndef KPD_METRICS_H
#define KPD_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a request asked for. */
typedef enum {
    KPD_ROUTE_CAPABILITIES,
    KPD_ROUTE_KEY,
    KPD_ROUTE_KEY_BY_ID,
    KPD_ROUTE_ENTROPY,
    KPD_ROUTE_OTHER, /* unknown paths, and requests refused unparsed */
    KPD_ROUTE_COUNT,
} kpd_route_kind;

/* Why a key was not handed out. */
typedef enum {
    KPD_CAUSE_NONE,
    KPD_CAUSE_FORGED,            /* the keyId's MAC does not verify */
    KPD_CAUSE_INVALID,           /* no keyId of ours: layout, length, size */
    KPD_CAUSE_EXPIRED,           /* too old, or from the future */
    KPD_CAUSE_ALREADY_DELIVERED, /* once only */
    KPD_CAUSE_UNKNOWN_KEY,       /* the source has no such key */
    KPD_CAUSE_UNAUTHORIZED,      /* a remote the client may not ask for */
    KPD_CAUSE_BAD_REQUEST,       /* malformed: keyId, size, remote */
    KPD_CAUSE_LIMITS,            /* a request or a connection over a limit */
    KPD_CAUSE_LEDGER,            /* the delivery could not be recorded */
    KPD_CAUSE_SOURCE,            /* the key source failed (a KME, a secret) */
    KPD_CAUSE_COUNT,
} kpd_cause;

/* Why a TLS handshake failed. */
typedef enum {
    KPD_TLS_FAIL_PSK_MISMATCH,   /* the client's key is not ours */
    KPD_TLS_FAIL_PSK_HASH,       /* bound to the other hash */
    KPD_TLS_FAIL_NO_PSK,         /* a client that offered no PSK */
    KPD_TLS_FAIL_CERTIFICATE,    /* no or an unverifiable client certificate */
    KPD_TLS_FAIL_PROTOCOL,       /* no shared version or cipher, not TLS */
    KPD_TLS_FAIL_TIMEOUT,        /* not done within handshake_timeout_s */
    KPD_TLS_FAIL_OTHER,
    KPD_TLS_FAIL_COUNT,
} kpd_tls_failure;

#define KPD_HISTOGRAM_BUCKETS 12

/* Seconds, in the fixed buckets of kpd_histogram_bounds. */
typedef struct kpd_histogram {
    uint64_t buckets[KPD_HISTOGRAM_BUCKETS]; /* not cumulative */
    uint64_t count;
    double sum;
} kpd_histogram;

extern const double kpd_histogram_bounds[KPD_HISTOGRAM_BUCKETS];

void kpd_histogram_observe(kpd_histogram *h, double seconds);

/* CLOCK_MONOTONIC in nanoseconds, for latencies; any thread. */
uint64_t kpd_monotonic_ns(void);

/* HTTP statuses skip-kpd answers with, as label values. */
#define KPD_STATUS_COUNT 11

typedef struct kpd_metrics {
    uint64_t requests[KPD_ROUTE_COUNT][KPD_STATUS_COUNT];
    kpd_histogram request_seconds;
    uint64_t refusals[KPD_CAUSE_COUNT];
    uint64_t tls_failures[KPD_TLS_FAIL_COUNT];
    uint64_t connections_evicted;
    uint64_t connections_refused; /* over max_connections(_per_source) */
    uint64_t audit_failures;      /* audit lines that could not be written */
    /* per configured peer, in the config's order; NULL before kpd_metrics_init */
    uint64_t *issued, *delivered;
    size_t peer_count;
    double started; /* wall-clock seconds */
} kpd_metrics;

/* A counter several threads add to: relaxed, since a scrape needs each
 * count whole, not in order with the others. */
static inline void kpd_count(uint64_t *counter)
{
    __atomic_fetch_add(counter, 1, __ATOMIC_RELAXED);
}

static inline uint64_t kpd_counted(const uint64_t *counter)
{
    return __atomic_load_n(counter, __ATOMIC_RELAXED);
}

/* Sizes the per-peer counters for peer_count peers, at zero (main.c
 * carries them over a reload by peer name). */
bool kpd_metrics_init(kpd_metrics *m, size_t peer_count);
void kpd_metrics_free(kpd_metrics *m);

/* The index of a status in requests[][]. */
unsigned kpd_metrics_status_index(int status);

/* A growing text buffer the exposition is written into. */
typedef struct kpd_text {
    char *buf;
    size_t len, cap;
    bool failed; /* out of memory: the text is incomplete */
} kpd_text;

void kpd_text_printf(kpd_text *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* A label value, escaped as the format wants (\\, \", \n). */
void kpd_text_label(kpd_text *t, const char *value);
/* "# HELP name help\n# TYPE name type\n" */
void kpd_text_family(kpd_text *t, const char *name, const char *type,
                     const char *help);
void kpd_text_histogram(kpd_text *t, const char *name, const char *help,
                        const kpd_histogram *h);

/* Names of the label values, for the writer and its tests. */
const char *kpd_route_name(kpd_route_kind route);
const char *kpd_cause_name(kpd_cause cause);
const char *kpd_tls_failure_name(kpd_tls_failure reason);
int kpd_metrics_status_value(unsigned index);

#endif
