/* SPDX-License-Identifier: BSD-3-Clause */
/* TLS profile shared by both ends. */
#include "config.h"
#include "tls.h"

#include <openssl/err.h>
#include <stdio.h>
#include <string.h>

bool skip_tls_mode_parse(const char *s, skip_tls_mode *out)
{
    if (strcmp(s, "psk") == 0)
        *out = SKIP_TLS_PSK;
    else if (strcmp(s, "cert") == 0)
        *out = SKIP_TLS_CERT;
    else
        return false;
    return true;
}

bool skip_tls_version_parse(const char *s, skip_tls_version *out)
{
    if (strcmp(s, "1.2") == 0)
        *out = SKIP_TLS_12;
    else if (strcmp(s, "1.3") == 0)
        *out = SKIP_TLS_13;
    else if (strcmp(s, "any") == 0)
        *out = SKIP_TLS_ANY;
    else
        return false;
    return true;
}

bool skip_psk_hash_parse(const char *s, skip_psk_hash *out)
{
    if (strcmp(s, "sha384") == 0)
        *out = SKIP_PSK_SHA384;
    else if (strcmp(s, "sha256") == 0)
        *out = SKIP_PSK_SHA256;
    else
        return false;
    return true;
}

const char *skip_psk_hash_suite(skip_psk_hash hash)
{
    return hash == SKIP_PSK_SHA256 ? SKIP_TLS13_SHA256_SUITE : SKIP_TLS13_SUITES;
}

skip_rc skip_tls_ctx_profile(SSL_CTX *ctx, skip_tls_mode mode,
                             skip_tls_version version, const char *ciphers12,
                             skip_err *err)
{
    int min = version == SKIP_TLS_13 ? TLS1_3_VERSION : TLS1_2_VERSION;
    int max = version == SKIP_TLS_12 ? TLS1_2_VERSION : TLS1_3_VERSION;
    const char *list = ciphers12 ? ciphers12
                       : mode == SKIP_TLS_PSK ? SKIP_TLS12_PSK_CIPHERS
                                              : SKIP_TLS12_CERT_CIPHERS;

    if (!SSL_CTX_set_min_proto_version(ctx, min) ||
        !SSL_CTX_set_max_proto_version(ctx, max))
        return skip_err_set(err, SKIP_E_TLS, "cannot set TLS versions");
    if (!SSL_CTX_set_ciphersuites(ctx, SKIP_TLS13_SUITES))
        return skip_err_set(err, SKIP_E_TLS, "cannot set TLS 1.3 suites");
    /* "@SECLEVEL=0" is not needed: every suite here is 256-bit AES. */
    if (!SSL_CTX_set_cipher_list(ctx, list))
        return skip_err_set(err, SKIP_E_TLS, "no usable cipher in \"%s\"", list);
    /* Session tickets would outlive a PSK rotation; SKIP needs none. */
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    if (mode == SKIP_TLS_PSK)
        SSL_CTX_set_dh_auto(ctx, 1); /* DHE-PSK suites */
    return SKIP_OK;
}

SSL_SESSION *skip_tls13_psk_session(SSL *ssl, const unsigned char *psk,
                                    size_t psk_len, skip_psk_hash hash)
{
    /* TLS_AES_256_GCM_SHA384 is 0x13,0x02; TLS_AES_128_GCM_SHA256 0x13,0x01. */
    const unsigned char suite_id[2] = {0x13, hash == SKIP_PSK_SHA256 ? 0x01 : 0x02};
    const SSL_CIPHER *cipher = SSL_CIPHER_find(ssl, suite_id);
    SSL_SESSION *sess;

    if (cipher == NULL)
        return NULL;
    sess = SSL_SESSION_new();
    if (sess == NULL)
        return NULL;
    if (!SSL_SESSION_set1_master_key(sess, psk, psk_len) ||
        !SSL_SESSION_set_cipher(sess, cipher) ||
        !SSL_SESSION_set_protocol_version(sess, TLS1_3_VERSION)) {
        SSL_SESSION_free(sess);
        return NULL;
    }
    return sess;
}

void skip_tls_last_error(char *buf, size_t len)
{
    unsigned long e = ERR_get_error();

    if (e == 0)
        snprintf(buf, len, "no OpenSSL error");
    else
        ERR_error_string_n(e, buf, len);
    ERR_clear_error();
}
