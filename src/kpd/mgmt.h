/* SPDX-License-Identifier: BSD-3-Clause */
/* The management listener: /metrics, /healthz, /readyz (mgmt.c). */
#ifndef KPD_MGMT_H
#define KPD_MGMT_H

#include "kpd.h"
#include "skip/rc.h"

/* Listens on management_listen, if the config sets it. */
skip_rc kpd_mgmt_start(kpd_ctx *ctx, skip_err *err);
void kpd_mgmt_free(kpd_ctx *ctx);

/* The Prometheus exposition of ctx's counters and state. */
void kpd_mgmt_write_metrics(kpd_ctx *ctx, kpd_text *t);

/* Why skip-kpd could not deliver a key now, or NULL when it could. */
const char *kpd_mgmt_not_ready(kpd_ctx *ctx);

#endif
