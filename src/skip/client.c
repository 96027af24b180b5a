/* SPDX-License-Identifier: BSD-3-Clause */
/* SKIP over HTTPS with libcurl. TLS is shaped in the SSL_CTX callback so
 * that PSK works (libcurl has no PSK option) and so that PSK mode fails
 * closed when a server answers with a certificate instead. */
#include "config.h"
#include "client.h"
#include "log.h"
#include "ossl.h"
#include "psk.h"
#include "url.h"

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct skip_client {
    skip_client_opts opts;
    CURL *curl;
    skip_secbuf *body;     /* the last answer; cleansed after each use */
    bool too_large;        /* the write callback refused a byte past the cap */
    bool cert_in_psk_mode; /* the verify callback saw a server certificate */
    bool cert_requested;   /* the server asked for a client certificate we
                              do not have */
    char *allow;           /* the last answer's Allow header */
    char *content_type;    /* and its Content-Type */
    unsigned long connections; /* TCP+TLS connections opened so far */
    char errbuf[CURL_ERROR_SIZE];
};

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int ctx_index = -1;
static CURLcode global_rc = CURLE_FAILED_INIT;
static atomic_bool stopping;

void skip_client_stop_all(void)
{
    atomic_store(&stopping, true);
}

/* Nonzero ends the transfer (CURLE_ABORTED_BY_CALLBACK). */
static int progress_cb(void *arg, curl_off_t dltotal, curl_off_t dlnow,
                       curl_off_t ultotal, curl_off_t ulnow)
{
    (void)arg, (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
    return atomic_load(&stopping) ? 1 : 0;
}

/* curl_global_init is not safe to race and must not be undone while a host
 * may still use curl, so it runs once and is never cleaned up. It may load
 * the host's OpenSSL configuration, whose providers may call back into
 * us: the scope makes such a call fail at once (skip_ossl_in_scope). */
static void global_init(void)
{
    skip_ossl_scope scope;

    skip_ossl_enter_host(&scope);
    global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
    skip_ossl_leave(&scope);
    ctx_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);
}

bool skip_client_global_init(void)
{
    pthread_once(&init_once, global_init);
    return global_rc == CURLE_OK && ctx_index >= 0;
}

/* --- options --------------------------------------------------------- */

void skip_client_opts_init(skip_client_opts *opts)
{
    memset(opts, 0, sizeof(*opts));
    opts->tls = SKIP_TLS_PSK;
    opts->tls_version = SKIP_TLS_ANY;
    opts->connect_timeout_ms = SKIP_CLIENT_CONNECT_TIMEOUT_MS;
    opts->timeout_ms = SKIP_CLIENT_TIMEOUT_MS;
}

void skip_client_opts_reset_urls(skip_client_opts *opts)
{
    for (size_t i = 0; i < opts->url_count; i++)
        free(opts->urls[i]);
    opts->url_count = 0;
    free(opts->url);
    opts->url = NULL;
}

skip_rc skip_client_opts_use_url(skip_client_opts *opts, size_t i)
{
    char *copy;

    if (i >= opts->url_count || (copy = strdup(opts->urls[i])) == NULL)
        return SKIP_E_NOMEM;
    free(opts->url);
    opts->url = copy;
    return SKIP_OK;
}

bool skip_rc_fails_over(skip_rc rc)
{
    return rc == SKIP_E_TRANSPORT || rc == SKIP_E_TIMEOUT || rc == SKIP_E_TLS ||
           rc == SKIP_E_HTTP_5XX || rc == SKIP_E_HTTP_503;
}

/* Adds each blank-separated URL of value to the list; the first of the
 * list is the one clients talk to until a caller picks another. */
static skip_rc add_urls(skip_client_opts *opts, const char *name,
                        const char *value, skip_err *err)
{
    const char *p = value;
    size_t before = opts->url_count;

    while (*(p += strspn(p, " \t")) != '\0') {
        size_t n = strcspn(p, " \t");
        if (n < 9 || strncasecmp(p, "https://", 8) != 0)
            return skip_err_set(err, SKIP_E_CONFIG, "%s must start with "
                                "https://", name);
        if (opts->url_count == SKIP_URLS_MAX)
            return skip_err_set(err, SKIP_E_CONFIG, "at most %d URLs",
                                SKIP_URLS_MAX);
        if ((opts->urls[opts->url_count] = strndup(p, n)) == NULL)
            return skip_err_set(err, SKIP_E_NOMEM, "out of memory");
        opts->url_count++;
        p += n;
    }
    if (opts->url_count == before)
        return skip_err_set(err, SKIP_E_CONFIG, "%s names no URL", name);
    if (opts->url == NULL && skip_client_opts_use_url(opts, 0) != SKIP_OK)
        return skip_err_set(err, SKIP_E_NOMEM, "out of memory");
    return SKIP_OK;
}

void skip_client_opts_clear(skip_client_opts *opts)
{
    skip_client_opts_reset_urls(opts);
    free(opts->psk_identity);
    skip_secbuf_free(opts->psk);
    free(opts->ca_file);
    free(opts->cert_file);
    free(opts->key_file);
    free(opts->ciphers);
    skip_client_opts_init(opts);
}

static skip_rc set_string(char **slot, const char *value, skip_err *err)
{
    char *copy = strdup(value);

    if (copy == NULL)
        return skip_err_set(err, SKIP_E_NOMEM, "out of memory");
    free(*slot);
    *slot = copy;
    return SKIP_OK;
}

static skip_rc set_ms(long *slot, const char *name, const char *value,
                      skip_err *err)
{
    unsigned ms;

    if (skip_parse_uint(value, 1, 600000, &ms) != SKIP_OK)
        return skip_err_set(err, SKIP_E_CONFIG,
                            "%s must be 1..600000 milliseconds", name);
    *slot = (long)ms;
    return SKIP_OK;
}

skip_rc skip_client_opts_set(skip_client_opts *opts, const char *name,
                             const char *value, skip_err *err)
{
    if (strcmp(name, "url") == 0 || strcmp(name, "fallback_url") == 0)
        return add_urls(opts, name, value, err);
    if (strcmp(name, "tls") == 0)
        return skip_tls_mode_parse(value, &opts->tls)
                   ? SKIP_OK
                   : skip_err_set(err, SKIP_E_CONFIG,
                                  "tls must be psk or cert");
    if (strcmp(name, "tls_version") == 0)
        return skip_tls_version_parse(value, &opts->tls_version)
                   ? SKIP_OK
                   : skip_err_set(err, SKIP_E_CONFIG,
                                  "tls_version must be 1.2, 1.3 or any");
    if (strcmp(name, "psk_hash") == 0)
        return skip_psk_hash_parse(value, &opts->psk_hash)
                   ? SKIP_OK
                   : skip_err_set(err, SKIP_E_CONFIG,
                                  "psk_hash must be sha384 or sha256");
    if (strcmp(name, "psk_identity") == 0) {
        size_t n = strlen(value);
        if (n == 0 || n > SKIP_PSK_IDENTITY_MAX)
            return skip_err_set(err, SKIP_E_CONFIG,
                                "psk_identity must be 1..%d bytes",
                                SKIP_PSK_IDENTITY_MAX);
        return set_string(&opts->psk_identity, value, err);
    }
    if (strcmp(name, "psk_file") == 0) {
        skip_secbuf *psk;
        skip_rc rc = skip_psk_read_file(value, &psk, err);
        if (rc != SKIP_OK)
            return rc == SKIP_E_NOMEM ? rc : SKIP_E_CONFIG;
        skip_secbuf_free(opts->psk);
        opts->psk = psk;
        return SKIP_OK;
    }
    if (strcmp(name, "ca_file") == 0)
        return set_string(&opts->ca_file, value, err);
    if (strcmp(name, "cert_file") == 0)
        return set_string(&opts->cert_file, value, err);
    if (strcmp(name, "key_file") == 0)
        return set_string(&opts->key_file, value, err);
    if (strcmp(name, "ciphers") == 0)
        return set_string(&opts->ciphers, value, err);
    if (strcmp(name, "timeout_ms") == 0)
        return set_ms(&opts->timeout_ms, name, value, err);
    if (strcmp(name, "connect_timeout_ms") == 0)
        return set_ms(&opts->connect_timeout_ms, name, value, err);
    return skip_err_set(err, SKIP_E_NOT_FOUND, "unknown option %s", name);
}

skip_rc skip_client_opts_check(const skip_client_opts *opts, skip_err *err)
{
    if (opts->url == NULL)
        return skip_err_set(err, SKIP_E_CONFIG, "url is not set");
    if (opts->tls == SKIP_TLS_PSK && (opts->psk_identity == NULL ||
                                      opts->psk == NULL))
        return skip_err_set(err, SKIP_E_CONFIG,
                            "tls = psk needs psk_identity and psk_file");
    if (opts->tls == SKIP_TLS_CERT && opts->ca_file == NULL)
        return skip_err_set(err, SKIP_E_CONFIG, "tls = cert needs ca_file");
    if ((opts->cert_file == NULL) != (opts->key_file == NULL))
        return skip_err_set(err, SKIP_E_CONFIG,
                            "cert_file and key_file go together");
    return SKIP_OK;
}

skip_rc skip_client_opts_copy(skip_client_opts *dst,
                              const skip_client_opts *src)
{
    skip_client_opts_init(dst);
    dst->tls = src->tls;
    dst->tls_version = src->tls_version;
    dst->psk_hash = src->psk_hash;
    dst->connect_timeout_ms = src->connect_timeout_ms;
    dst->timeout_ms = src->timeout_ms;
#define COPY(field)                                                            \
    if (src->field && (dst->field = strdup(src->field)) == NULL)               \
        return SKIP_E_NOMEM;
    COPY(url) COPY(psk_identity) COPY(ca_file) COPY(cert_file) COPY(key_file)
    COPY(ciphers)
#undef COPY
    for (size_t i = 0; i < src->url_count; i++) {
        if ((dst->urls[i] = strdup(src->urls[i])) == NULL)
            return SKIP_E_NOMEM;
        dst->url_count++;
    }
    if (src->psk && (dst->psk = skip_secbuf_dup(src->psk->data,
                                                src->psk->len)) == NULL)
        return SKIP_E_NOMEM;
    return SKIP_OK;
}

/* --- TLS callbacks ----------------------------------------------------- */

static skip_client *client_of(SSL *ssl)
{
    return SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), ctx_index);
}

/* TLS 1.2 PSK. */
static unsigned int psk_client_cb(SSL *ssl, const char *hint, char *identity,
                                  unsigned int max_identity_len,
                                  unsigned char *psk, unsigned int max_psk_len)
{
    skip_client *c = client_of(ssl);
    size_t id_len = strlen(c->opts.psk_identity);

    if (id_len + 1 > max_identity_len || c->opts.psk->len > max_psk_len)
        return 0;
    memcpy(identity, c->opts.psk_identity, id_len + 1);
    memcpy(psk, c->opts.psk->data, c->opts.psk->len);
    return (unsigned int)c->opts.psk->len;
}

/* TLS 1.3 external PSK. md is the hash of a suite the server picked in a
 * HelloRetryRequest; a PSK bound to one hash cannot serve another. */
static int psk_use_session_cb(SSL *ssl, const EVP_MD *md,
                              const unsigned char **id, size_t *idlen,
                              SSL_SESSION **sess)
{
    skip_client *c = client_of(ssl);

    *sess = NULL;
    if (md != NULL && EVP_MD_get_type(md) != (c->opts.psk_hash == SKIP_PSK_SHA256
                                                  ? NID_sha256 : NID_sha384))
        return 1;
    *sess = skip_tls13_psk_session(ssl, c->opts.psk->data, c->opts.psk->len,
                                   c->opts.psk_hash);
    if (*sess == NULL)
        return 0;
    *id = (const unsigned char *)c->opts.psk_identity;
    *idlen = strlen(c->opts.psk_identity);
    return 1;
}

/* In PSK mode the server proves itself with the PSK alone. A certificate
 * means it did not take our PSK; refusing it keeps the connection from
 * falling back to an unauthenticated certificate handshake. */
static int refuse_certificate_cb(int preverify_ok, X509_STORE_CTX *store)
{
    SSL *ssl = X509_STORE_CTX_get_ex_data(store,
                                          SSL_get_ex_data_X509_STORE_CTX_idx());

    if (ssl != NULL && client_of(ssl) != NULL)
        client_of(ssl)->cert_in_psk_mode = true;
    return 0;
}

/* Called only when the server asks for a client certificate and none is
 * configured: remember it, so the error can say so even when the server's
 * alert is lost to a reset (TLS 1.3 refuses after the handshake). */
static int client_cert_cb(SSL *ssl, X509 **x509, EVP_PKEY **pkey)
{
    skip_client *c = client_of(ssl);

    if (c != NULL)
        c->cert_requested = true;
    return 0;
}

static CURLcode ssl_ctx_cb(CURL *curl, void *sslctx, void *parm)
{
    SSL_CTX *ctx = sslctx;
    skip_client *c = parm;

    if (skip_tls_ctx_profile(ctx, c->opts.tls, c->opts.tls_version,
                             c->opts.ciphers, NULL) != SKIP_OK)
        return CURLE_SSL_CIPHER;
    /* Answers carry keys: OpenSSL cleanses each record's plaintext once
     * curl has read it, instead of keeping it in its read buffer. */
    SSL_CTX_set_options(ctx, SSL_OP_CLEANSE_PLAINTEXT);
    if (c->opts.tls == SKIP_TLS_PSK) {
        /* the one TLS 1.3 suite of the PSK's hash */
        if (!SSL_CTX_set_ciphersuites(ctx, skip_psk_hash_suite(c->opts.psk_hash)))
            return CURLE_SSL_CIPHER;
        SSL_CTX_set_ex_data(ctx, ctx_index, c);
        SSL_CTX_set_psk_client_callback(ctx, psk_client_cb);
        SSL_CTX_set_psk_use_session_callback(ctx, psk_use_session_cb);
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, refuse_certificate_cb);
    } else if (c->opts.cert_file == NULL) {
        SSL_CTX_set_ex_data(ctx, ctx_index, c);
        SSL_CTX_set_client_cert_cb(ctx, client_cert_cb);
    }
    return CURLE_OK;
}

/* --- transfer -------------------------------------------------------- */

static size_t write_cb(char *data, size_t size, size_t nmemb, void *userp)
{
    skip_client *c = userp;
    size_t n = size * nmemb;

    if (n > SKIP_BODY_MAX - c->body->len) {
        c->too_large = true;
        return 0; /* curl aborts with CURLE_WRITE_ERROR */
    }
    memcpy(c->body->data + c->body->len, data, n);
    c->body->len += n;
    /* data is curl's receive buffer, which curl frees or reuses without
     * cleansing and never reads again once it has handed the bytes over:
     * the body's only copy is now our locked one. */
    OPENSSL_cleanse(data, n);
    return n;
}

/* Keeps the value of header name (with its colon) from line in *slot. */
static void keep_header(const char *line, size_t n, const char *name,
                        char **slot)
{
    size_t start = strlen(name), end = n;

    if (n <= start || strncasecmp(line, name, start) != 0)
        return;
    while (start < end && (line[start] == ' ' || line[start] == '\t'))
        start++;
    while (end > start && (line[end - 1] == '\r' || line[end - 1] == '\n'))
        end--;
    free(*slot);
    *slot = strndup(line + start, end - start);
}

static size_t header_cb(char *data, size_t size, size_t nmemb, void *userp)
{
    skip_client *c = userp;
    size_t n = size * nmemb;

    keep_header(data, n, "Allow:", &c->allow);
    keep_header(data, n, "Content-Type:", &c->content_type);
    return n;
}

static int debug_cb(CURL *curl, curl_infotype type, char *data, size_t size,
                    void *userp)
{
    /* Only curl's own text: headers and data may carry key material. */
    if (type == CURLINFO_TEXT)
        skip_debug("curl", "%.*s", (int)(size && data[size - 1] == '\n'
                                             ? size - 1 : size), data);
    return 0;
}

skip_client *skip_client_new(const skip_client_opts *opts, skip_err *err)
{
    skip_client *c;
    long version;

    if (skip_client_opts_check(opts, err) != SKIP_OK)
        return NULL;
    if (!skip_client_global_init()) {
        skip_err_set(err, SKIP_E_INTERNAL, "curl_global_init failed");
        return NULL;
    }
    c = calloc(1, sizeof(*c));
    if (c == NULL || skip_client_opts_copy(&c->opts, opts) != SKIP_OK ||
        (c->body = skip_secbuf_new(SKIP_BODY_MAX)) == NULL ||
        (c->curl = curl_easy_init()) == NULL) {
        skip_client_free(c);
        skip_err_set(err, SKIP_E_NOMEM, "out of memory");
        return NULL;
    }
    version = c->opts.tls_version == SKIP_TLS_12 ? CURL_SSLVERSION_TLSv1_2 |
                                                       CURL_SSLVERSION_MAX_TLSv1_2
              : c->opts.tls_version == SKIP_TLS_13 ? CURL_SSLVERSION_TLSv1_3
                                                   : CURL_SSLVERSION_TLSv1_2;
    curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c->curl, CURLOPT_PROTOCOLS_STR, "https");
    curl_easy_setopt(c->curl, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(c->curl, CURLOPT_USERAGENT, PACKAGE_NAME "/" PACKAGE_VERSION);
    curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, c->errbuf);
    curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, c);
    curl_easy_setopt(c->curl, CURLOPT_HEADERFUNCTION, header_cb);
    curl_easy_setopt(c->curl, CURLOPT_HEADERDATA, c);
    curl_easy_setopt(c->curl, CURLOPT_MAXFILESIZE, (long)SKIP_BODY_MAX);
    curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT_MS, c->opts.connect_timeout_ms);
    curl_easy_setopt(c->curl, CURLOPT_TIMEOUT_MS, c->opts.timeout_ms);
    curl_easy_setopt(c->curl, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(c->curl, CURLOPT_XFERINFOFUNCTION, progress_cb);
    curl_easy_setopt(c->curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c->curl, CURLOPT_SSLVERSION, version);
    /* A cached session could be resumed under another identity. */
    curl_easy_setopt(c->curl, CURLOPT_SSL_SESSIONID_CACHE, 0L);
    curl_easy_setopt(c->curl, CURLOPT_SSL_CTX_FUNCTION, ssl_ctx_cb);
    curl_easy_setopt(c->curl, CURLOPT_SSL_CTX_DATA, c);
    if (c->opts.tls == SKIP_TLS_PSK) {
        /* No certificate to verify: the PSK authenticates the server, and
         * refuse_certificate_cb rejects any certificate outright. */
        curl_easy_setopt(c->curl, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(c->curl, CURLOPT_SSL_VERIFYHOST, 0L);
    } else {
        curl_easy_setopt(c->curl, CURLOPT_CAINFO, c->opts.ca_file);
        curl_easy_setopt(c->curl, CURLOPT_SSL_VERIFYPEER, 1L);
        curl_easy_setopt(c->curl, CURLOPT_SSL_VERIFYHOST, 2L);
        if (c->opts.cert_file) {
            curl_easy_setopt(c->curl, CURLOPT_SSLCERT, c->opts.cert_file);
            curl_easy_setopt(c->curl, CURLOPT_SSLKEY, c->opts.key_file);
        }
    }
    if (skip_debug_enabled("curl")) {
        curl_easy_setopt(c->curl, CURLOPT_VERBOSE, 1L);
        curl_easy_setopt(c->curl, CURLOPT_DEBUGFUNCTION, debug_cb);
    }
    return c;
}

void skip_client_free(skip_client *c)
{
    skip_ossl_scope scope;

    if (c == NULL)
        return;
    if (c->curl) {
        /* closing a TLS connection fetches and frees in its context */
        skip_ossl_enter(&scope);
        curl_easy_cleanup(c->curl);
        skip_ossl_leave(&scope);
    }
    skip_secbuf_free(c->body);
    free(c->allow);
    free(c->content_type);
    skip_client_opts_clear(&c->opts);
    free(c);
}

static skip_rc status_rc(long status)
{
    switch (status) {
    case 200: return SKIP_OK;
    case 400: return SKIP_E_HTTP_400;
    case 404: return SKIP_E_HTTP_404;
    case 405: return SKIP_E_HTTP_405;
    case 503: return SKIP_E_HTTP_503;
    default: return status >= 500 && status < 600 ? SKIP_E_HTTP_5XX
                                                  : SKIP_E_HTTP_OTHER;
    }
}

/* A failed TLS-PSK handshake, named by the KP's alert: the suites, the
 * TLS 1.3 PSK hash, the identity or the PSK itself, with the setting that
 * meets it. */
static skip_rc psk_handshake_error(const skip_client *c, const char *why,
                                   skip_err *err)
{
    const char *id = c->opts.psk_identity;
    const char *hash = c->opts.psk_hash == SKIP_PSK_SHA256 ? "sha256" : "sha384";

    /* TLS 1.3 answers an unknown identity and a suite of another hash
     * alike; TLS 1.2 says "unknown psk identity" for the former. */
    if (strstr(why, "alert handshake failure") || strstr(why, "no shared cipher"))
        return skip_err_set(err, SKIP_E_TLS,
                            "the KP took neither psk_identity \"%s\" nor a "
                            "suite we offer (TLS 1.3 %s, for psk_hash = %s; "
                            "TLS 1.2 %s): check psk_identity, then the KP's "
                            "suites, tls_version and psk_hash: %s", id,
                            skip_psk_hash_suite(c->opts.psk_hash), hash,
                            c->opts.ciphers ? c->opts.ciphers
                                            : SKIP_TLS12_PSK_CIPHERS, why);
    if (strstr(why, "alert decode error") || strstr(why, "alert illegal parameter"))
        return skip_err_set(err, SKIP_E_TLS,
                            "the KP did not take our TLS 1.3 PSK binder for "
                            "\"%s\": it holds another PSK (psk_file) or binds "
                            "it to another hash (we use psk_hash = %s): %s",
                            id, hash, why);
    if (strstr(why, "unknown psk identity"))
        return skip_err_set(err, SKIP_E_TLS, "the KP does not know psk_identity "
                            "\"%s\": %s", id, why);
    if (strstr(why, "alert decrypt error") || strstr(why, "bad record mac"))
        return skip_err_set(err, SKIP_E_TLS, "the KP's PSK for \"%s\" is not "
                            "ours (psk_file): %s", id, why);
    return skip_err_set(err, SKIP_E_TLS,
                        "TLS-PSK handshake failed (check psk_identity \"%s\", "
                        "psk_file and psk_hash = %s): %s", id, hash, why);
}

/* Maps a failed transfer to a skip_rc with a detail that names the cause
 * the operator can act on. */
static skip_rc transfer_error(skip_client *c, CURLcode cc, skip_err *err)
{
    const char *why = c->errbuf[0] ? c->errbuf : curl_easy_strerror(cc);

    if (c->too_large || cc == CURLE_FILESIZE_EXCEEDED)
        return skip_err_set(err, SKIP_E_TOO_LARGE,
                            "answer body over %d bytes", SKIP_BODY_MAX);
    if (c->cert_in_psk_mode)
        return skip_err_set(err, SKIP_E_TLS,
                            "server presented a certificate in PSK mode "
                            "(it did not accept PSK identity \"%s\")",
                            c->opts.psk_identity);
    if (c->cert_requested)
        return skip_err_set(err, SKIP_E_TLS,
                            "the KP requires a client certificate (set "
                            "cert_file and key_file): %s", why);
    switch (cc) {
    case CURLE_OPERATION_TIMEDOUT:
        return skip_err_set(err, SKIP_E_TIMEOUT, "timed out: %s", why);
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
        return skip_err_set(err, SKIP_E_TLS,
                            "server certificate not trusted (ca_file): %s", why);
    case CURLE_SSL_CERTPROBLEM:
        return skip_err_set(err, SKIP_E_TLS,
                            "client certificate or key unusable: %s", why);
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_USE_SSL_FAILED:
        if (c->opts.tls == SKIP_TLS_PSK)
            return psk_handshake_error(c, why, err);
        /* A PSK listener has no certificate to offer, so it refuses a
         * client that brings no PSK with this alert. */
        if (strstr(why, "alert handshake failure"))
            return skip_err_set(err, SKIP_E_TLS, "the KP took no suite we "
                                "offer with tls = cert: it may be a tls = psk "
                                "listener (set tls = psk, psk_identity and "
                                "psk_file), or take another tls_version: %s",
                                why);
        return skip_err_set(err, SKIP_E_TLS, "TLS handshake failed: %s", why);
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
        /* A TLS 1.3 server refuses a client certificate after the
         * handshake, so its alert arrives on the first read. */
        if (strstr(why, "SSL routines") != NULL)
            return skip_err_set(err, SKIP_E_TLS, "TLS alert from the server "
                                "(client certificate or PSK refused?): %s", why);
        return skip_err_set(err, SKIP_E_TRANSPORT, "%s", why);
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
        return skip_err_set(err, SKIP_E_CONFIG, "bad url: %s", why);
    default:
        return skip_err_set(err, SKIP_E_TRANSPORT, "%s", why);
    }
}

/* Sends one request on the kept-alive handle. On return c->body holds the
 * answer (the caller cleanses it) and *status the HTTP status. */
static skip_rc perform(skip_client *c, const char *method, const char *url,
                       long *status, skip_err *err)
{
    bool get = strcmp(method, "GET") == 0;
    skip_ossl_scope scope;
    CURLcode cc;

    skip_secbuf_clear(c->body);
    c->too_large = false;
    c->cert_in_psk_mode = false;
    c->cert_requested = false;
    c->errbuf[0] = '\0';
    free(c->allow);
    c->allow = NULL;
    free(c->content_type);
    c->content_type = NULL;
    curl_easy_setopt(c->curl, CURLOPT_URL, url);
    curl_easy_setopt(c->curl, CURLOPT_CUSTOMREQUEST, get ? NULL : method);
    curl_easy_setopt(c->curl, CURLOPT_NOBODY, strcmp(method, "HEAD") == 0 ? 1L : 0L);
    if (get)
        curl_easy_setopt(c->curl, CURLOPT_HTTPGET, 1L);
    skip_ossl_enter(&scope);
    cc = curl_easy_perform(c->curl);
    skip_ossl_leave(&scope);
    {
        long opened = 0;
        curl_easy_getinfo(c->curl, CURLINFO_NUM_CONNECTS, &opened);
        c->connections += (unsigned long)opened;
    }
    if (cc != CURLE_OK) {
        skip_rc rc = transfer_error(c, cc, err);
        skip_secbuf_clear(c->body);
        skip_debug("http", "%s %s: %s", method, url, skip_rc_name(rc));
        return rc;
    }
    curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, status);
    skip_debug("http", "%s %s -> %ld (%zu bytes)", method, url, *status,
               c->body->len);
    return SKIP_OK;
}

/* GET url and require 200; the body stays in c->body for the parser. */
static skip_rc get_ok(skip_client *c, char *url, skip_err *err)
{
    long status = 0;
    skip_rc rc;

    if (url == NULL)
        return skip_err_set(err, SKIP_E_ARGS,
                            "cannot build the URL (bad remote or keyId)");
    rc = perform(c, "GET", url, &status, err);
    if (rc == SKIP_OK && status != 200) {
        /* the KP's own words, bounded and escaped */
        char said[SKIP_ERROR_TEXT_MAX + 1];
        skip_json_error_text((const char *)c->body->data, c->body->len, said,
                             sizeof(said));
        rc = skip_err_set(err, status_rc(status), "HTTP %ld from %s%s%s",
                          status, url, said[0] ? ": " : "", said);
        skip_secbuf_clear(c->body);
    }
    free(url);
    return rc;
}

skip_rc skip_client_caps(skip_client *c, skip_caps *caps, skip_err *err)
{
    skip_rc rc = get_ok(c, skip_url_caps(c->opts.url), err);

    if (rc == SKIP_OK)
        rc = skip_json_parse_caps((const char *)c->body->data, c->body->len,
                                  caps, err);
    skip_secbuf_clear(c->body);
    return rc;
}

skip_rc skip_client_key(skip_client *c, const char *remote, unsigned size_bits,
                        skip_key *key, skip_err *err)
{
    skip_rc rc;

    if (size_bits % 8 != 0 || size_bits / 8 > SKIP_KEY_MAX)
        return skip_err_set(err, SKIP_E_ARGS, "key size of %u bits", size_bits);
    rc = get_ok(c, skip_url_key(c->opts.url, remote, size_bits), err);
    if (rc == SKIP_OK)
        rc = skip_json_parse_key((const char *)c->body->data, c->body->len,
                                 size_bits ? size_bits / 8 : 32, NULL, 0, key,
                                 err);
    skip_secbuf_clear(c->body);
    return rc;
}

skip_rc skip_client_key_by_id(skip_client *c, const unsigned char *key_id,
                              size_t key_id_len, const char *remote,
                              skip_key *key, skip_err *err)
{
    skip_rc rc = get_ok(c, skip_url_key_by_id(c->opts.url, key_id, key_id_len,
                                              remote), err);

    if (rc == SKIP_OK)
        rc = skip_json_parse_key((const char *)c->body->data, c->body->len, 0,
                                 key_id, key_id_len, key, err);
    skip_secbuf_clear(c->body);
    return rc;
}

skip_rc skip_client_entropy(skip_client *c, unsigned bits, skip_secbuf **out,
                            skip_err *err)
{
    skip_rc rc;

    *out = NULL;
    if (bits % 8 != 0 || bits > SKIP_ENTROPY_MAX_BITS)
        return skip_err_set(err, SKIP_E_ARGS, "entropy of %u bits", bits);
    rc = get_ok(c, skip_url_entropy(c->opts.url, bits), err);
    if (rc == SKIP_OK)
        rc = skip_json_parse_entropy((const char *)c->body->data, c->body->len,
                                     bits ? bits : 256, out, err);
    skip_secbuf_clear(c->body);
    return rc;
}

unsigned long skip_client_connections(const skip_client *c)
{
    return c->connections;
}

skip_rc skip_client_raw(skip_client *c, const char *method, const char *path,
                        long *status, char **allow, char **content_type,
                        skip_secbuf **body, skip_err *err)
{
    size_t n = strlen(c->opts.url);
    char *url = malloc(n + strlen(path) + 1);
    skip_rc rc;

    *allow = NULL;
    *content_type = NULL;
    *body = NULL;
    if (url == NULL)
        return skip_err_set(err, SKIP_E_NOMEM, "out of memory");
    while (n > 0 && c->opts.url[n - 1] == '/')
        n--;
    memcpy(url, c->opts.url, n);
    strcpy(url + n, path);
    rc = perform(c, method, url, status, err);
    free(url);
    if (rc == SKIP_OK) {
        *body = skip_secbuf_dup(c->body->data, c->body->len);
        *allow = c->allow ? strdup(c->allow) : NULL;
        *content_type = c->content_type ? strdup(c->content_type) : NULL;
    }
    skip_secbuf_clear(c->body);
    return rc;
}
