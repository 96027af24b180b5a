/* SPDX-License-Identifier: BSD-3-Clause */
/* The audit trail: one JSON line per key issued, key delivered and key
 * request refused, with its time, client, remote system ID, keyId and
 * outcome, never the key (docs/operations.md has the fields). Written to
 * audit_file (reopened at SIGHUP, for log rotation) and/or to syslog's
 * authpriv facility, which the journal keeps apart from the daemon log. */
#ifndef KPD_AUDIT_H
#define KPD_AUDIT_H

#include "kpd.h"
#include "skip/rc.h"

struct kpd_call;

/* Opens (or reopens) what cfg names; a file that cannot be opened is an
 * error at start, a warning at a reload (the old file stays). */
skip_rc kpd_audit_open(kpd_ctx *ctx, skip_err *err);
void kpd_audit_close(kpd_ctx *ctx);

/* The line for one finished key call (routes.c). */
void kpd_audit_call(const struct kpd_call *call);

/* The line itself, without its newline, for the call at time_ms (wall
 * clock); false if it does not fit. Exposed for the unit test. */
bool kpd_audit_format(const struct kpd_call *call, uint64_t time_ms, char *out,
                      size_t cap);

#endif
