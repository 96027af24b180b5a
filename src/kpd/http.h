/* SPDX-License-Identifier: BSD-3-Clause */
/* skip-kpd's HTTPS listener: HTTP/1.1 over libevent's TLS bufferevents. */
#ifndef KPD_HTTP_H
#define KPD_HTTP_H

#include "kpd.h"

/* Binds the configured address (port 0: a free one, written to port_file),
 * with every limit set, and starts serving the routes. */
skip_rc kpd_http_start(kpd_ctx *ctx, skip_err *err);

/* SIGHUP, with the new configuration in place and old the one before:
 * closes every connection whose client it no longer trusts (a PSK
 * identity removed or rekeyed, a certificate its client CAs no longer
 * verify), so a revoked client gets nothing more. Returns how many. */
unsigned kpd_http_revoke(kpd_ctx *ctx, const kpd_config *old);

/* Stops accepting new connections (open ones are still answered). */
void kpd_http_stop_accepting(kpd_ctx *ctx);

void kpd_http_free(kpd_ctx *ctx);

#endif
