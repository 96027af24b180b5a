/* SPDX-License-Identifier: BSD-3-Clause */
/* skip-kpd's HTTPS listener: HTTP/1.1 over libevent's TLS bufferevents. */
#ifndef KPD_HTTP_H
#define KPD_HTTP_H

#include "kpd.h"

/* Binds the configured address (port 0: a free one, written to port_file),
 * with every limit set, and starts serving the routes with cfg.workers
 * loops. worker.h stops, holds and frees them. */
skip_rc kpd_http_start(kpd_ctx *ctx, skip_err *err);

#endif
