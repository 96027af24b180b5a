/* SPDX-License-Identifier: BSD-3-Clause */
/* The TLS profile SKIP asks for, shared by the client and skip-kpd: which
 * versions and suites each mode allows, and the TLS 1.3 external-PSK
 * session, bound to TLS_AES_256_GCM_SHA384 (SHA-384, as the draft's
 * required suite implies) or, where configured, to TLS_AES_128_GCM_SHA256
 * (SHA-256, RFC 8446's default, which OpenSSL's legacy PSK callbacks,
 * `openssl s_client -psk` and stunnel use). */
#ifndef SKIP_TLS_H
#define SKIP_TLS_H

#include <openssl/ssl.h>
#include <stdbool.h>

#include "rc.h"

#define SKIP_TLS13_SUITES "TLS_AES_256_GCM_SHA384"
#define SKIP_TLS13_SHA256_SUITE "TLS_AES_128_GCM_SHA256"
/* TLS 1.2 PSK suites with forward secrecy: the draft's two DHE-PSK suites
 * and the GCM one. What our clients offer unless their config names
 * others, and what skip-kpd prefers. */
#define SKIP_TLS12_PSK_CIPHERS                                                 \
    "DHE-PSK-AES256-GCM-SHA384:DHE-PSK-AES256-CBC-SHA384:"                    \
    "DHE-PSK-AES256-CBC-SHA"
/* Plain PSK, without forward secrecy (not in the draft): deployed
 * encryptors that offer nothing else. skip-kpd takes it last, if at all. */
#define SKIP_TLS12_PLAIN_PSK_CIPHERS "PSK-AES256-GCM-SHA384"
#define SKIP_TLS12_CERT_CIPHERS "ECDHE-ECDSA-AES256-GCM-SHA384:AES256-SHA256"

typedef enum { SKIP_TLS_PSK, SKIP_TLS_CERT } skip_tls_mode;

typedef enum {
    SKIP_TLS_ANY = 0, /* 1.2 or 1.3 */
    SKIP_TLS_12,
    SKIP_TLS_13,
} skip_tls_version;

/* The hash a TLS 1.3 external PSK is bound to. */
typedef enum { SKIP_PSK_SHA384 = 0, SKIP_PSK_SHA256 } skip_psk_hash;

/* "psk" / "cert", "1.2" / "1.3" / "any" and "sha384" / "sha256"; false
 * for anything else. */
bool skip_tls_mode_parse(const char *s, skip_tls_mode *out);
bool skip_tls_version_parse(const char *s, skip_tls_version *out);
bool skip_psk_hash_parse(const char *s, skip_psk_hash *out);
/* The TLS 1.3 suite a PSK of this hash is used with. */
const char *skip_psk_hash_suite(skip_psk_hash hash);

/* Restricts ctx to the versions and suites of mode; ciphers12, when not
 * NULL, narrows the TLS 1.2 list further (tests pin one suite with it). */
skip_rc skip_tls_ctx_profile(SSL_CTX *ctx, skip_tls_mode mode,
                             skip_tls_version version, const char *ciphers12,
                             skip_err *err);

/* A TLS 1.3 session that carries an external PSK for the suite of hash,
 * as both psk_use_session and psk_find_session callbacks must return. */
SSL_SESSION *skip_tls13_psk_session(SSL *ssl, const unsigned char *psk,
                                    size_t psk_len, skip_psk_hash hash);

/* The first OpenSSL error on this thread's queue as text, queue cleared. */
void skip_tls_last_error(char *buf, size_t len);

#endif
