/* SPDX-License-Identifier: BSD-3-Clause */
/* skip-kpd's TLS side: the server SSL_CTX for PSK or certificate mode, and
 * one SSL per accepted connection, counted against max_connections. */
#ifndef KPD_TLS_H
#define KPD_TLS_H

#include <openssl/ssl.h>

#include "kpd.h"

/* Builds ctx->ssl_ctx from ctx->cfg. PSKs are looked up in ctx->cfg at
 * handshake time, so a SIGHUP that swaps them takes effect at once. */
skip_rc kpd_tls_init(kpd_ctx *ctx, skip_err *err);

/* A server SSL for a new connection. Past max_connections the SSL is
 * marked so its handshake is refused with an alert. NULL when out of
 * memory. ctx->connections drops when the SSL is freed. */
SSL *kpd_tls_new_ssl(kpd_ctx *ctx);

#endif
