/* SPDX-License-Identifier: BSD-3-Clause */
/* skip-kpd's TLS side: the server SSL_CTX for PSK or certificate mode, one
 * SSL per accepted connection, and who its client turned out to be. */
#ifndef KPD_TLS_H
#define KPD_TLS_H

#include <openssl/ssl.h>

#include "kpd.h"
#include "routes.h"

/* Builds ctx->ssl_ctx from ctx->cfg. PSKs are looked up in ctx->cfg at
 * handshake time, so a SIGHUP that swaps them takes effect at once. */
skip_rc kpd_tls_init(kpd_ctx *ctx, skip_err *err);

/* A server SSL for a new connection; NULL when out of memory. */
SSL *kpd_tls_new_ssl(kpd_ctx *ctx);

/* After the handshake: "psk:IDENTITY", "cert:SUBJECT" (a verified client
 * certificate), or "anonymous", as printable ASCII cut to cap. */
void kpd_tls_client_identity(SSL *ssl, char *out, size_t cap);

/* After the handshake: who the client is, for the log and for the
 * [client] rules: its identity as above and, with a verified certificate,
 * its key's SHA-256 pin. A subject too long to keep whole matches no
 * rule. */
void kpd_tls_identify(SSL *ssl, kpd_client *client);

/* SIGHUP: the client CAs of the new configuration (ctx->cfg) for the
 * handshakes to come. On error the running ones stay. */
skip_rc kpd_tls_reload_client_ca(kpd_ctx *ctx, skip_err *err);

/* False when the configuration now in ctx no longer trusts what ssl's
 * handshake authenticated: its PSK identity is gone or its key changed
 * (old: the configuration before), or its certificate no longer verifies
 * against the client CAs. */
bool kpd_tls_still_trusted(kpd_ctx *ctx, SSL *ssl, const kpd_config *old);

#endif
