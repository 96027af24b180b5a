/* SPDX-License-Identifier: BSD-3-Clause */
/* Server-side TLS for skip-kpd. */
#include "config.h"
#include "tls.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/proverr.h>
#include <openssl/sha.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "skip/hex.h"
#include "skip/log.h"
#include "skip/psk.h"
#include "skip/tls.h"

static int ctx_index = -1;      /* SSL_CTX -> kpd_ctx */
static int identity_index = -1; /* SSL -> the PSK identity it matched */
static int offered_index = -1;  /* SSL -> the known identity it offered ("": only unknown ones) */
static pthread_once_t index_once = PTHREAD_ONCE_INIT;

static void free_identity(void *parent, void *ptr, CRYPTO_EX_DATA *ad,
                          int idx, long argl, void *argp)
{
    free(ptr);
}

static void make_indexes(void)
{
    ctx_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);
    identity_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, free_identity);
    offered_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, free_identity);
}

/* A copy, since SIGHUP may free the configuration's before the
 * connection ends: under index, the identity the connection is (or, for
 * offered_index, only claims to be, for a failure's log line). */
static void remember(SSL *ssl, int index, const char *identity, size_t len)
{
    char *copy = strndup(identity, len);

    /* A HelloRetryRequest runs the callbacks a second time. */
    free(SSL_get_ex_data(ssl, index));
    if (!SSL_set_ex_data(ssl, index, copy))
        free(copy);
}

static void remember_identity(SSL *ssl, const char *identity, size_t len)
{
    remember(ssl, identity_index, identity, len);
}

static kpd_ctx *ctx_of(SSL *ssl)
{
    return SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), ctx_index);
}

/* Identities come from the network: the log escapes what is not
 * printable (log.c), and a long one is not worth a line. */
static const char *loggable(const char *s, size_t len)
{
    return len > 128 ? "(too long)" : s;
}

static const kpd_psk *find_psk(kpd_ctx *ctx, const char *identity,
                               size_t len)
{
    for (size_t i = 0; i < ctx->cfg.psk_count; i++)
        if (strlen(ctx->cfg.psks[i].identity) == len &&
            memcmp(ctx->cfg.psks[i].identity, identity, len) == 0)
            return &ctx->cfg.psks[i];
    return NULL;
}

/* TLS 1.2 PSK suites; OpenSSL also calls it in TLS 1.3 when
 * psk_find_session_cb found nothing, so this is where unknown identities
 * of both versions are logged. */
static unsigned int psk_server_cb(SSL *ssl, const char *identity,
                                  unsigned char *psk, unsigned int max_psk_len)
{
    const kpd_psk *entry = identity ? find_psk(ctx_of(ssl), identity,
                                               strlen(identity)) : NULL;

    if (entry == NULL || entry->key->len > max_psk_len) {
        skip_log_warning("unknown PSK identity %s",
                         identity ? loggable(identity, strlen(identity)) : "");
        return 0;
    }
    memcpy(psk, entry->key->data, entry->key->len);
    remember_identity(ssl, entry->identity, strlen(entry->identity));
    return (unsigned int)entry->key->len;
}

/* TLS 1.3 external PSK. Without a match the handshake goes on without a
 * PSK and then fails, since a PSK listener has no certificate to offer. */
static int psk_find_session_cb(SSL *ssl, const unsigned char *identity,
                               size_t identity_len, SSL_SESSION **sess)
{
    const kpd_psk *entry = find_psk(ctx_of(ssl), (const char *)identity,
                                    identity_len);

    *sess = NULL;
    if (entry == NULL)
        return 1; /* psk_server_cb runs next and logs the identity */
    *sess = skip_tls13_psk_session(ssl, entry->key->data, entry->key->len,
                                   entry->hash);
    if (*sess != NULL)
        remember_identity(ssl, entry->identity, strlen(entry->identity));
    return *sess != NULL;
}

/* TLS 1.3 picks the suite before it looks at the PSK, and a PSK bound to
 * one hash cannot serve a suite of another: so the suites follow the
 * identity the client offers. The pre_shared_key extension starts with
 * its identities: a 2-byte length, then each as a 2-byte length, the
 * identity and a 4-byte age. The first one we know decides. */
static int client_hello_cb(SSL *ssl, int *alert, void *arg)
{
    const unsigned char *ext, *p, *end;
    size_t len;

    (void)alert, (void)arg;
    if (!SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_psk, &ext, &len) || len < 2)
        return SSL_CLIENT_HELLO_SUCCESS;
    p = ext + 2;
    end = p + ((size_t)ext[0] << 8 | ext[1]);
    if (end > ext + len)
        return SSL_CLIENT_HELLO_SUCCESS; /* OpenSSL refuses it later */
    while (p + 2 <= end) {
        size_t id_len = (size_t)p[0] << 8 | p[1];
        const kpd_psk *entry;
        if (p + 2 + id_len + 4 > end)
            break;
        entry = find_psk(ctx_of(ssl), (const char *)p + 2, id_len);
        if (entry != NULL) {
            SSL_set_ciphersuites(ssl, skip_psk_hash_suite(entry->hash));
            remember(ssl, offered_index, entry->identity, strlen(entry->identity));
            break;
        }
        p += 2 + id_len + 4;
    }
    if (SSL_get_ex_data(ssl, offered_index) == NULL)
        remember(ssl, offered_index, "", 0); /* offered some, none known */
    return SSL_CLIENT_HELLO_SUCCESS;
}

/* The hash the PSK identity this connection offered is bound to here, for
 * a failed handshake's log line; NULL when it offered none we know. */
static const char *offered_psk_hash(SSL *ssl, const char **identity)
{
    const kpd_psk *entry;

    *identity = SSL_get_ex_data(ssl, offered_index);
    if (*identity == NULL)
        return NULL;
    entry = find_psk(ctx_of(ssl), *identity, strlen(*identity));
    return entry == NULL ? NULL : entry->hash == SKIP_PSK_SHA256 ? "sha256" : "sha384";
}

/* What an operator should check after a failed handshake, from OpenSSL's
 * error and what the client offered: " (...)" or "", and the reason the
 * metrics count it under. A wrong key shows as a binder that does not
 * verify (TLS 1.3) or a Finished message that does not decrypt (TLS 1.2);
 * a client that offers no PSK at all at a PSK listener is most often one
 * set up for certificates. */
static kpd_tls_failure handshake_hint(const SSL *ssl, unsigned long e,
                                      char *out, size_t cap)
{
    const kpd_ctx *ctx = ctx_of((SSL *)ssl);
    const char *offered, *hash = offered_psk_hash((SSL *)ssl, &offered);
    const char *matched = SSL_get_ex_data(ssl, identity_index);
    const char *id = offered && *offered ? offered : matched;
    int lib = ERR_GET_LIB(e), reason = ERR_GET_REASON(e);
    bool ssl_lib = lib == ERR_LIB_SSL;
    bool bad_finished = (ssl_lib && (reason == SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC ||
                                     reason == SSL_R_DECRYPTION_FAILED)) ||
                        (lib == ERR_LIB_PROV && reason == PROV_R_CIPHER_OPERATION_FAILED);
    char name[160] = "";

    out[0] = '\0';
    if (id != NULL)
        snprintf(name, sizeof(name), "%s", loggable(id, strlen(id)));
    if (ssl_lib && reason == SSL_R_BINDER_DOES_NOT_VERIFY && id != NULL) {
        snprintf(out, cap, " (psk:%s: the client's key is not the one in "
                 "psk_file here, or the client binds it to another hash than "
                 "%s)", name, hash ? hash : "sha384");
        return KPD_TLS_FAIL_PSK_MISMATCH;
    }
    if (bad_finished && matched != NULL) {
        snprintf(out, cap, " (psk:%s, TLS 1.2: the client's key is not the "
                 "one in psk_file here)", name);
        return KPD_TLS_FAIL_PSK_MISMATCH;
    }
    if (hash != NULL) {
        /* a binder of another hash, or no suite of this one offered */
        snprintf(out, cap, " (psk:%s is bound to %s here, by psk_hash in its "
                 "[client]; a client that binds it to the other hash, or "
                 "offers no %s suite, fails so)", name, hash,
                 strcmp(hash, "sha256") == 0 ? SKIP_TLS13_SHA256_SUITE
                                             : SKIP_TLS13_SUITES);
        return KPD_TLS_FAIL_PSK_HASH;
    }
    if (ctx->cfg.tls == SKIP_TLS_PSK && offered == NULL && matched == NULL &&
        ssl_lib && (reason == SSL_R_NO_SHARED_CIPHER ||
                    reason == SSL_R_NO_SUITABLE_SIGNATURE_ALGORITHM)) {
        snprintf(out, cap, " (the client offered no PSK: one set up with "
                 "tls = cert, at this tls = psk listener?)");
        return KPD_TLS_FAIL_NO_PSK;
    }
    if (ssl_lib && (reason == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE ||
                    reason == SSL_R_CERTIFICATE_VERIFY_FAILED ||
                    reason == SSL_R_NO_CERTIFICATES_RETURNED))
        return KPD_TLS_FAIL_CERTIFICATE;
    if (ssl_lib && (reason == SSL_R_NO_SHARED_CIPHER ||
                    reason == SSL_R_UNSUPPORTED_PROTOCOL ||
                    reason == SSL_R_WRONG_VERSION_NUMBER ||
                    reason == SSL_R_HTTP_REQUEST ||
                    reason == SSL_R_HTTPS_PROXY_REQUEST ||
                    reason == SSL_R_NO_SHARED_GROUPS ||
                    reason == SSL_R_NO_PROTOCOLS_AVAILABLE))
        return KPD_TLS_FAIL_PROTOCOL;
    return KPD_TLS_FAIL_OTHER;
}

/* A failed handshake leaves one line with OpenSSL's reason, which tells
 * the operator why an encryptor cannot connect (a wrong PSK, a plaintext
 * request on the port, no shared cipher). Alerts after the handshake are
 * logged too; close_notify is the normal end of a connection. */
static void info_cb(const SSL *ssl, int where, int ret)
{
    unsigned long e;

    /* ret <= 0 also means "wants more data"; only a failure leaves an
     * error on the queue. */
    if (where & SSL_CB_HANDSHAKE_DONE) {
        const SSL_CIPHER *c = SSL_get_current_cipher(ssl);
        if (c && SSL_CIPHER_get_kx_nid(c) == NID_kx_psk) {
            const char *id = SSL_get_ex_data(ssl, identity_index);
            skip_log_info("TLS 1.2 with %s for psk:%s: no forward secrecy "
                          "(the client offers no DHE-PSK suite)",
                          SSL_CIPHER_get_name(c), id ? id : "?");
        }
    } else if ((where & SSL_CB_EXIT) && ret <= 0 &&
               (e = ERR_peek_error()) != 0) {
        char hint[400];
        kpd_tls_failure why = handshake_hint(ssl, e, hint, sizeof(hint));
        kpd_count(&ctx_of((SSL *)ssl)->metrics.tls_failures[why]);
        skip_log_warning("TLS handshake failed: %s%s",
                         ERR_reason_error_string(e), hint);
    } else if ((where & SSL_CB_WRITE_ALERT) &&
               (ret & 0xff) != SSL3_AD_CLOSE_NOTIFY &&
               SSL_is_init_finished(ssl)) {
        skip_log_warning("TLS: sent alert \"%s\"",
                         SSL_alert_desc_string_long(ret));
    }
}

static skip_rc load_certificate(SSL_CTX *ssl_ctx, const kpd_config *cfg,
                                skip_err *err)
{
    char why[256];

    if (SSL_CTX_use_certificate_chain_file(ssl_ctx, cfg->cert_file) != 1 ||
        SSL_CTX_use_PrivateKey_file(ssl_ctx, cfg->key_file,
                                    SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ssl_ctx) != 1) {
        skip_tls_last_error(why, sizeof(why));
        return skip_err_set(err, SKIP_E_CONFIG, "%s / %s: %s", cfg->cert_file,
                            cfg->key_file, why);
    }
    if (cfg->client_ca_file == NULL)
        return SKIP_OK;
    if (SSL_CTX_load_verify_locations(ssl_ctx, cfg->client_ca_file, NULL) != 1) {
        skip_tls_last_error(why, sizeof(why));
        return skip_err_set(err, SKIP_E_CONFIG, "%s: %s", cfg->client_ca_file,
                            why);
    }
    SSL_CTX_set_client_CA_list(ssl_ctx,
                               SSL_load_client_CA_file(cfg->client_ca_file));
    SSL_CTX_set_verify(ssl_ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                       NULL);
    return SKIP_OK;
}

skip_rc kpd_tls_init(kpd_ctx *ctx, skip_err *err)
{
    SSL_CTX *ssl_ctx;
    skip_rc rc;

    pthread_once(&index_once, make_indexes);
    if (ctx_index < 0 || identity_index < 0 || offered_index < 0)
        return skip_err_set(err, SKIP_E_INTERNAL, "no OpenSSL ex_data index");
    ssl_ctx = SSL_CTX_new(TLS_server_method());
    if (ssl_ctx == NULL)
        return skip_err_set(err, SKIP_E_NOMEM, "SSL_CTX_new failed");
    SSL_CTX_set_ex_data(ssl_ctx, ctx_index, ctx);
    /* Our order, forward secrecy first; plain PSK last, if allowed. */
    rc = skip_tls_ctx_profile(ssl_ctx, ctx->cfg.tls, ctx->cfg.tls_version,
                              ctx->cfg.tls == SKIP_TLS_PSK && ctx->cfg.tls12_plain_psk
                                  ? SKIP_TLS12_PSK_CIPHERS ":" SKIP_TLS12_PLAIN_PSK_CIPHERS
                                  : NULL,
                              err);
    SSL_CTX_set_options(ssl_ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
    if (rc == SKIP_OK && ctx->cfg.tls == SKIP_TLS_PSK) {
        SSL_CTX_set_psk_server_callback(ssl_ctx, psk_server_cb);
        SSL_CTX_set_psk_find_session_callback(ssl_ctx, psk_find_session_cb);
        SSL_CTX_set_client_hello_cb(ssl_ctx, client_hello_cb, NULL);
    } else if (rc == SKIP_OK) {
        rc = load_certificate(ssl_ctx, &ctx->cfg, err);
    }
    if (rc != SKIP_OK) {
        SSL_CTX_free(ssl_ctx);
        return rc;
    }
    SSL_CTX_set_info_callback(ssl_ctx, info_cb);
    ctx->ssl_ctx = ssl_ctx;
    return SKIP_OK;
}

SSL *kpd_tls_new_ssl(kpd_ctx *ctx)
{
    return SSL_new(ctx->ssl_ctx);
}

skip_rc kpd_tls_reload_client_ca(kpd_ctx *ctx, skip_err *err)
{
    const char *path = ctx->cfg.client_ca_file;
    STACK_OF(X509_NAME) *names;
    X509_STORE *store;
    char why[256];

    if (ctx->cfg.tls != SKIP_TLS_CERT || path == NULL)
        return SKIP_OK;
    store = X509_STORE_new();
    names = SSL_load_client_CA_file(path);
    if (store == NULL || names == NULL || X509_STORE_load_file(store, path) != 1) {
        skip_tls_last_error(why, sizeof(why));
        X509_STORE_free(store);
        sk_X509_NAME_pop_free(names, X509_NAME_free);
        return skip_err_set(err, SKIP_E_CONFIG, "%s: %s", path, why);
    }
    SSL_CTX_set_cert_store(ctx->ssl_ctx, store); /* frees the old one */
    SSL_CTX_set_client_CA_list(ctx->ssl_ctx, names);
    return SKIP_OK;
}

/* The client's certificate and chain against the client CAs now held. */
static bool certificate_still_verifies(kpd_ctx *ctx, SSL *ssl)
{
    X509 *cert = SSL_get0_peer_certificate(ssl);
    X509_STORE_CTX *vctx;
    bool ok;

    if (cert == NULL)
        return true; /* anonymous: nothing was authenticated */
    vctx = X509_STORE_CTX_new();
    ok = vctx != NULL &&
         X509_STORE_CTX_init(vctx, SSL_CTX_get_cert_store(ctx->ssl_ctx), cert,
                             SSL_get_peer_cert_chain(ssl)) == 1 &&
         X509_STORE_CTX_set_purpose(vctx, X509_PURPOSE_SSL_CLIENT) == 1 &&
         X509_verify_cert(vctx) == 1;
    X509_STORE_CTX_free(vctx);
    return ok;
}

bool kpd_tls_still_trusted(kpd_ctx *ctx, SSL *ssl, const kpd_config *old)
{
    const char *identity = SSL_get_ex_data(ssl, identity_index);

    if (identity != NULL) {
        const kpd_psk *now = find_psk(ctx, identity, strlen(identity));
        const kpd_psk *then = NULL;

        for (size_t i = 0; i < old->psk_count && then == NULL; i++)
            if (strcmp(old->psks[i].identity, identity) == 0)
                then = &old->psks[i];
        /* gone, or another key under the same name */
        return now != NULL && then != NULL &&
               now->key->len == then->key->len &&
               CRYPTO_memcmp(now->key->data, then->key->data,
                             now->key->len) == 0;
    }
    return certificate_still_verifies(ctx, ssl);
}

/* prefix and s as one printable ASCII string of at most cap - 1 bytes.
 * What cannot be kept exactly (a byte outside printable ASCII, a string
 * too long) gets the prefix "unmatched-" and '?'s, so no [client] rule,
 * which names exact identities, can match it by accident. */
static void identity_copy(char *out, size_t cap, const char *prefix,
                          const char *s)
{
    bool exact = strlen(prefix) + strlen(s) < cap;
    size_t n;

    for (const char *p = s; *p && exact; p++)
        exact = *p >= 0x20 && *p < 0x7f;
    n = (size_t)snprintf(out, cap, "%s%s", exact ? "" : "unmatched-", prefix);
    for (; *s && n + 1 < cap; s++)
        out[n++] = *s >= 0x20 && *s < 0x7f ? *s : '?';
    out[n < cap ? n : cap - 1] = '\0';
}

void kpd_tls_client_identity(SSL *ssl, char *out, size_t cap)
{
    const char *psk = SSL_get_ex_data(ssl, identity_index);
    X509 *cert;
    char *subject;

    if (psk != NULL) {
        identity_copy(out, cap, "psk:", psk);
    } else if ((cert = SSL_get0_peer_certificate(ssl)) != NULL &&
               SSL_get_verify_result(ssl) == X509_V_OK &&
               (subject = X509_NAME_oneline(X509_get_subject_name(cert), NULL,
                                            0)) != NULL) {
        identity_copy(out, cap, "cert:", subject);
        OPENSSL_free(subject);
    } else {
        identity_copy(out, cap, "", "anonymous");
    }
}

void kpd_tls_identify(SSL *ssl, kpd_client *client)
{
    X509 *cert = SSL_get0_peer_certificate(ssl);
    unsigned char *der = NULL, digest[32];
    int len;

    kpd_tls_client_identity(ssl, client->identity, sizeof(client->identity));
    client->spki[0] = '\0';
    if (cert == NULL || SSL_get_verify_result(ssl) != X509_V_OK ||
        SSL_get_ex_data(ssl, identity_index) != NULL)
        return;
    len = i2d_PUBKEY(X509_get0_pubkey(cert), &der);
    if (len > 0 && SHA256(der, (size_t)len, digest) != NULL)
        skip_hex_encode(digest, sizeof(digest), client->spki);
    OPENSSL_free(der);
}
