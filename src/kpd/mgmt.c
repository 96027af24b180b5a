/* SPDX-License-Identifier: BSD-3-Clause */
/* The management listener: /metrics (Prometheus text format 0.0.4),
 * /healthz (the process serves) and /readyz (it could deliver a key now),
 * on an address of its own (management_listen, loopback in the examples),
 * never on the SKIP listener, and never serving a key. Plain HTTP, or TLS
 * with optional client certificates (management_cert_file, _key_file,
 * _client_ca_file).
 *
 * libevent's evhttp serves it: these are a scraper's and a probe's few
 * requests a second, where the SKIP listener's own HTTP layer (http.c)
 * exists for speed and for key bodies, which never pass here. */
#include "config.h"
#include "mgmt.h"

#include <event2/buffer.h>
#include <event2/bufferevent_ssl.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger.h"
#include "skip/log.h"
#include "skip/tls.h"
#include "statefile.h"
#include "worker.h"

#define MGMT_TIMEOUT_S 10
#define MGMT_HEADERS_MAX 8192

static void counter(kpd_text *t, const char *name, const char *help,
                    uint64_t value)
{
    kpd_text_family(t, name, "counter", help);
    kpd_text_printf(t, "%s %llu\n", name, (unsigned long long)value);
}

static void gauge(kpd_text *t, const char *name, const char *help,
                  double value)
{
    kpd_text_family(t, name, "gauge", help);
    kpd_text_printf(t, "%s %.17g\n", name, value);
}

/* name{peer="..."} value, for each configured peer. */
static void per_peer(kpd_text *t, const kpd_ctx *ctx, const char *name,
                     const char *help, const uint64_t *values)
{
    kpd_text_family(t, name, "counter", help);
    for (size_t i = 0; i < ctx->cfg.peer_count && i < ctx->metrics.peer_count;
         i++) {
        kpd_text_printf(t, "%s{peer=\"", name);
        kpd_text_label(t, ctx->cfg.peers[i].name);
        kpd_text_printf(t, "\"} %llu\n", (unsigned long long)values[i]);
    }
}

void kpd_mgmt_write_metrics(kpd_ctx *ctx, kpd_text *t)
{
    const kpd_metrics *m = &ctx->metrics;

    kpd_text_family(t, "skip_kpd_build_info", "gauge",
                    "skip-kpd's version, key source and ledger.");
    kpd_text_printf(t, "skip_kpd_build_info{version=\"%s\",key_source=\"",
                    PACKAGE_VERSION);
    kpd_text_label(t, ctx->cfg.key_source);
    kpd_text_printf(t, "\",ledger=\"");
    kpd_text_label(t, ctx->cfg.ledger);
    kpd_text_printf(t, "\",instance=\"%u\"} 1\n", ctx->cfg.instance);
    gauge(t, "skip_kpd_start_time_seconds",
          "When skip-kpd started, in seconds since the epoch.", m->started);

    kpd_text_family(t, "skip_kpd_requests_total", "counter",
                    "SKIP requests answered, by route and HTTP status.");
    for (unsigned r = 0; r < KPD_ROUTE_COUNT; r++)
        for (unsigned s = 0; s < KPD_STATUS_COUNT; s++)
            /* every route's 200 always, so rates start from zero */
            if (kpd_counted(&m->requests[r][s]) != 0 || s == 0)
                kpd_text_printf(t, "skip_kpd_requests_total{route=\"%s\","
                                "status=\"%d\"} %llu\n",
                                kpd_route_name((kpd_route_kind)r),
                                kpd_metrics_status_value(s),
                                (unsigned long long)kpd_counted(&m->requests[r][s]));
    kpd_text_histogram(t, "skip_kpd_request_duration_seconds",
                       "From a request's routing to its answer, waits for "
                       "the ledger or a KME included.",
                       &m->request_seconds);
    per_peer(t, ctx, "skip_kpd_keys_issued_total",
             "Keys handed out by GET /key, per peer.", m->issued);
    per_peer(t, ctx, "skip_kpd_keys_delivered_total",
             "Keys handed out by GET /key/{keyId}, per peer.", m->delivered);
    kpd_text_family(t, "skip_kpd_refusals_total", "counter",
                    "Key requests and connections refused, by cause.");
    for (unsigned c = KPD_CAUSE_NONE + 1; c < KPD_CAUSE_COUNT; c++)
        kpd_text_printf(t, "skip_kpd_refusals_total{cause=\"%s\"} %llu\n",
                        kpd_cause_name((kpd_cause)c),
                        (unsigned long long)kpd_counted(&m->refusals[c]));
    kpd_text_family(t, "skip_kpd_tls_handshake_failures_total", "counter",
                    "TLS handshakes that failed, by reason.");
    for (unsigned r = 0; r < KPD_TLS_FAIL_COUNT; r++)
        kpd_text_printf(t, "skip_kpd_tls_handshake_failures_total{reason=\"%s\"}"
                        " %llu\n", kpd_tls_failure_name((kpd_tls_failure)r),
                        (unsigned long long)kpd_counted(&m->tls_failures[r]));
    gauge(t, "skip_kpd_connections_open", "SKIP connections open now.",
          kpd_connections_open(ctx));
    if (ctx->workers != NULL) {
        kpd_text_family(t, "skip_kpd_worker_connections_open", "gauge",
                        "SKIP connections open now, by worker.");
        for (unsigned i = 0; i < ctx->workers->count; i++)
            kpd_text_printf(t, "skip_kpd_worker_connections_open{worker=\"%u\"} "
                            "%u\n", i,
                            kpd_worker_connections(&ctx->workers->all[i]));
        kpd_text_family(t, "skip_kpd_worker_requests_total", "counter",
                        "SKIP requests answered, by worker.");
        for (unsigned i = 0; i < ctx->workers->count; i++)
            kpd_text_printf(t, "skip_kpd_worker_requests_total{worker=\"%u\"} "
                            "%llu\n", i, (unsigned long long)kpd_counted(
                                              &ctx->workers->all[i].requests));
    }
    counter(t, "skip_kpd_connections_evicted_total",
            "Connections closed to make room at max_connections.",
            kpd_counted(&m->connections_evicted));
    counter(t, "skip_kpd_connections_refused_total",
            "Connections refused at max_connections or "
            "max_connections_per_source.",
            kpd_counted(&m->connections_refused));
    gauge(t, "skip_kpd_ledger_records",
          "Delivery records held (PostgreSQL: this instance's estimate).",
          (double)ctx->ledger->ops->count(ctx->ledger));
    counter(t, "skip_kpd_ledger_compactions_total",
            "Times the file ledger was rewritten to its live records.",
            ctx->ledger->compactions);
    gauge(t, "skip_kpd_ledger_longest_pause_seconds",
          "The longest the event loop has waited, since the start, on "
          "pruning the file ledger or on making a rewrite's text.",
          (double)ctx->ledger->longest_pause_ns / 1e9);
    kpd_text_histogram(t, "skip_kpd_ledger_commit_duration_seconds",
                       "From a batch of deliveries leaving for the disk or "
                       "the database to its being durable.",
                       &ctx->ledger->commit_seconds);
    gauge(t, "skip_kpd_key_source_ready",
          "Whether the key source can give keys now.",
          ctx->sync->ops->ready == NULL || ctx->sync->ops->ready(ctx->sync));
    if (ctx->sync->ops->write_metrics != NULL)
        ctx->sync->ops->write_metrics(ctx->sync, t);
    counter(t, "skip_kpd_audit_failures_total",
            "Audit lines that could not be written.", m->audit_failures);
}

const char *kpd_mgmt_not_ready(kpd_ctx *ctx)
{
    if (ctx->draining)
        return "stopping";
    if (ctx->ledger->ops->ready != NULL && !ctx->ledger->ops->ready(ctx->ledger))
        return "the ledger cannot record deliveries";
    if (ctx->sync->ops->ready != NULL && !ctx->sync->ops->ready(ctx->sync))
        return "the key source cannot give keys";
    return NULL;
}

static void reply_text(struct evhttp_request *req, int status,
                       const char *reason, const char *type, const char *body,
                       size_t len)
{
    struct evbuffer *out = evbuffer_new();
    struct evkeyvalq *headers = evhttp_request_get_output_headers(req);

    evhttp_add_header(headers, "Content-Type", type);
    evhttp_add_header(headers, "Cache-Control", "no-store");
    if (out != NULL)
        evbuffer_add(out, body, len);
    evhttp_send_reply(req, status, reason, out);
    if (out != NULL)
        evbuffer_free(out);
}

static void on_request(struct evhttp_request *req, void *arg)
{
    kpd_ctx *ctx = arg;
    const char *uri = evhttp_request_get_uri(req);
    enum evhttp_cmd_type method = evhttp_request_get_command(req);
    size_t path_len = strcspn(uri, "?#");
    const char *why;
    char line[128];

    if (method != EVHTTP_REQ_GET && method != EVHTTP_REQ_HEAD) {
        evhttp_add_header(evhttp_request_get_output_headers(req), "Allow",
                          "GET, HEAD");
        reply_text(req, 405, "Method Not Allowed", "text/plain",
                   "only GET and HEAD\n", 18);
    } else if (path_len == 8 && strncmp(uri, "/metrics", 8) == 0) {
        kpd_text t = {0};

        kpd_state_lock(); /* the source's and the ledger's own figures */
        kpd_mgmt_write_metrics(ctx, &t);
        kpd_state_unlock();
        if (t.failed)
            reply_text(req, 500, "Internal Server Error", "text/plain",
                       "out of memory\n", 14);
        else
            reply_text(req, 200, "OK", "text/plain; version=0.0.4; "
                       "charset=utf-8", t.buf, t.len);
        free(t.buf);
    } else if (path_len == 8 && strncmp(uri, "/healthz", 8) == 0) {
        reply_text(req, 200, "OK", "text/plain", "ok\n", 3);
    } else if (path_len == 7 && strncmp(uri, "/readyz", 7) == 0) {
        kpd_state_lock();
        why = kpd_mgmt_not_ready(ctx);
        kpd_state_unlock();
        snprintf(line, sizeof(line), "%s\n", why ? why : "ready");
        reply_text(req, why ? 503 : 200, why ? "Service Unavailable" : "OK",
                   "text/plain", line, strlen(line));
    } else {
        reply_text(req, 404, "Not Found", "text/plain",
                   "only /metrics, /healthz and /readyz\n", 36);
    }
}

static struct bufferevent *tls_bufferevent(struct event_base *base, void *arg)
{
    SSL *ssl = SSL_new(arg);

    if (ssl == NULL)
        return NULL;
    return bufferevent_openssl_socket_new(base, -1, ssl,
                                          BUFFEREVENT_SSL_ACCEPTING,
                                          BEV_OPT_CLOSE_ON_FREE);
}

static skip_rc tls_setup(kpd_ctx *ctx, skip_err *err)
{
    const kpd_config *cfg = &ctx->cfg;
    SSL_CTX *ssl_ctx = SSL_CTX_new(TLS_server_method());
    char why[256];

    if (ssl_ctx == NULL)
        return skip_err_set(err, SKIP_E_NOMEM, "management TLS: out of memory");
    SSL_CTX_set_min_proto_version(ssl_ctx, TLS1_2_VERSION);
    if (SSL_CTX_use_certificate_chain_file(ssl_ctx, cfg->management_cert_file) != 1 ||
        SSL_CTX_use_PrivateKey_file(ssl_ctx, cfg->management_key_file,
                                    SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ssl_ctx) != 1 ||
        (cfg->management_client_ca_file != NULL &&
         SSL_CTX_load_verify_locations(ssl_ctx, cfg->management_client_ca_file,
                                       NULL) != 1)) {
        skip_tls_last_error(why, sizeof(why));
        SSL_CTX_free(ssl_ctx);
        return skip_err_set(err, SKIP_E_CONFIG, "management TLS: %s", why);
    }
    if (cfg->management_client_ca_file != NULL)
        SSL_CTX_set_verify(ssl_ctx, SSL_VERIFY_PEER |
                                        SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    ctx->mgmt_ssl_ctx = ssl_ctx;
    evhttp_set_bevcb(ctx->mgmt, tls_bufferevent, ssl_ctx);
    return SKIP_OK;
}

skip_rc kpd_mgmt_start(kpd_ctx *ctx, skip_err *err)
{
    const kpd_config *cfg = &ctx->cfg;
    struct evhttp_bound_socket *handle;
    unsigned port;

    if (cfg->management_host == NULL)
        return SKIP_OK;
    if ((ctx->mgmt = evhttp_new(ctx->base)) == NULL)
        return skip_err_set(err, SKIP_E_NOMEM, "management: out of memory");
    evhttp_set_timeout(ctx->mgmt, MGMT_TIMEOUT_S);
    evhttp_set_max_headers_size(ctx->mgmt, MGMT_HEADERS_MAX);
    evhttp_set_max_body_size(ctx->mgmt, 0);
    evhttp_set_allowed_methods(ctx->mgmt, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD |
                                              EVHTTP_REQ_POST | EVHTTP_REQ_PUT |
                                              EVHTTP_REQ_DELETE);
    evhttp_set_gencb(ctx->mgmt, on_request, ctx);
    if (cfg->management_cert_file != NULL && tls_setup(ctx, err) != SKIP_OK)
        return err->rc;
    handle = evhttp_bind_socket_with_handle(ctx->mgmt, cfg->management_host,
                                            (ev_uint16_t)cfg->management_port);
    if (handle == NULL)
        return skip_err_set(err, SKIP_E_CONFIG, "management_listen %s:%u: "
                            "cannot listen there", cfg->management_host,
                            cfg->management_port);
    if (kpd_statefile_port(evhttp_bound_socket_get_fd(handle),
                           cfg->management_port_file, &port, err) != SKIP_OK)
        return err->rc;
    skip_log_info("management on %s port %u (%s): /metrics, /healthz, "
                  "/readyz", cfg->management_host, port,
                  ctx->mgmt_ssl_ctx == NULL ? "HTTP"
                  : cfg->management_client_ca_file ? "TLS, client certificates"
                                                   : "TLS");
    return SKIP_OK;
}

void kpd_mgmt_free(kpd_ctx *ctx)
{
    if (ctx->mgmt != NULL)
        evhttp_free(ctx->mgmt);
    ctx->mgmt = NULL;
    SSL_CTX_free(ctx->mgmt_ssl_ctx);
    ctx->mgmt_ssl_ctx = NULL;
}
