/* SPDX-License-Identifier: BSD-3-Clause */
/* The HTTP layer: evhttp over bufferevent_openssl. It sets every limit
 * libevent leaves unbounded, lets all methods through so the router can
 * answer SKIP's 405, and never serves a plaintext connection. */
#include "config.h"
#include "http.h"
#include "routes.h"
#include "tls.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "skip/log.h"
#include "statefile.h"

#define MAX_HEADERS_SIZE 8192
#define MAX_BODY_SIZE 1024

static const char *method_name(enum evhttp_cmd_type cmd)
{
    switch (cmd) {
    case EVHTTP_REQ_GET: return "GET";
    case EVHTTP_REQ_POST: return "POST";
    case EVHTTP_REQ_HEAD: return "HEAD";
    case EVHTTP_REQ_PUT: return "PUT";
    case EVHTTP_REQ_DELETE: return "DELETE";
    case EVHTTP_REQ_OPTIONS: return "OPTIONS";
    case EVHTTP_REQ_TRACE: return "TRACE";
    case EVHTTP_REQ_CONNECT: return "CONNECT";
    case EVHTTP_REQ_PATCH: return "PATCH";
    default: return "UNKNOWN";
    }
}

/* evbuffer_add_reference keeps the body in our locked memory until libevent
 * has written it, then hands it back here to be cleansed and freed: no copy
 * of a key ever sits in libevent's own buffers. */
static void free_body(const void *data, size_t len, void *arg)
{
    skip_secbuf_free(arg);
}

/* The request target as it may appear in a log line: anything outside
 * printable ASCII is shown as \xNN, and long targets are cut. */
static void loggable_target(const char *uri, char *out, size_t cap)
{
    size_t n = 0;

    for (; *uri && n + 5 < cap; uri++) {
        unsigned char c = (unsigned char)*uri;
        if (c >= 0x20 && c < 0x7f && c != '\\')
            out[n++] = (char)c;
        else
            n += (size_t)snprintf(out + n, cap - n, "\\x%02x", c);
    }
    if (*uri)
        snprintf(out + n, cap - n, "...");
    else
        out[n] = '\0';
}

/* Every refused request leaves one line: 4xx at info (the client's
 * doing), 5xx as an error (ours). */
static void log_reply(const char *method, const char *uri,
                      const kpd_reply *reply)
{
    char target[160];

    if (reply->status < 400) {
        skip_debug("http", "%s %s -> %d", method, uri, reply->status);
        return;
    }
    loggable_target(uri, target, sizeof(target));
    skip_log(reply->status >= 500 ? SKIP_LOG_ERROR : SKIP_LOG_INFO,
             "%s %s: %d %s", method, target, reply->status,
             reply->error ? reply->error : "");
}

/* Debug aid: shows that accepted sockets did inherit TCP_NODELAY. */
static void debug_nodelay(struct evhttp_request *req)
{
    struct evhttp_connection *evcon = evhttp_request_get_connection(req);
    struct bufferevent *bev = evcon ? evhttp_connection_get_bufferevent(evcon)
                                    : NULL;
    int on = 0;
    socklen_t len = sizeof(on);

    if (bev && getsockopt(bufferevent_getfd(bev), IPPROTO_TCP, TCP_NODELAY,
                          &on, &len) == 0)
        skip_debug("http", "connection TCP_NODELAY %s", on ? "on" : "off");
}

/* evhttp queues a reply as two chains, its headers and our body, and
 * bufferevent_openssl writes each chain as a TLS record of its own: two
 * records and two write(2) calls per reply, where one would do. This moves
 * the whole queued output into one locked buffer of ours (so the key's
 * plaintext never lands in libevent's own, uncleansed memory) and queues
 * that as a single chain: one record, one write. */
static void coalesce_output(struct evbuffer *output)
{
    size_t len = evbuffer_get_length(output);
    skip_secbuf *joined;

    if (len == 0 || evbuffer_get_contiguous_space(output) == len)
        return; /* already one chain */
    joined = skip_secbuf_new(len);
    if (joined == NULL)
        return; /* two records then; still correct */
    if (evbuffer_remove(output, joined->data, len) != (int)len ||
        evbuffer_add_reference(output, joined->data, len, free_body,
                               joined) != 0) {
        /* Cannot happen with the output in our hands; never send a
         * partial reply. */
        skip_log_error("cannot queue a reply; exiting");
        abort();
    }
    joined->len = len;
}

static void on_request(struct evhttp_request *req, void *arg)
{
    kpd_ctx *ctx = arg;
    const char *method = method_name(evhttp_request_get_command(req));
    const char *uri = evhttp_request_get_uri(req);
    struct evkeyvalq *headers = evhttp_request_get_output_headers(req);
    struct evbuffer *out = evbuffer_new();
    kpd_reply reply;

    if (skip_debug_enabled("http"))
        debug_nodelay(req);
    kpd_route(ctx, method, uri ? uri : "", &reply);
    if (reply.body == NULL)
        kpd_reply_error(&reply, 500, "out of memory");
    evhttp_add_header(headers, "Content-Type", "application/json");
    evhttp_add_header(headers, "Cache-Control", "no-store");
    if (reply.allow_get)
        evhttp_add_header(headers, "Allow", "GET");
    log_reply(method, uri ? uri : "", &reply);
    if (out == NULL || reply.body == NULL ||
        evbuffer_add_reference(out, reply.body->data, reply.body->len,
                               free_body, reply.body) != 0) {
        kpd_reply_clear(&reply);
        if (out)
            evbuffer_free(out);
        evhttp_send_error(req, 500, NULL);
        return;
    }
    {
        /* Taken before the reply: evhttp owns the request afterwards. */
        struct bufferevent *bev = evhttp_connection_get_bufferevent(
            evhttp_request_get_connection(req));

        evhttp_send_reply(req, reply.status, NULL, out);
        evbuffer_free(out);
        if (bev != NULL)
            coalesce_output(bufferevent_get_output(bev));
    }
}

/* Every accepted connection gets TLS. This callback must never return
 * NULL: libevent 2.1 then serves the connection in plaintext. */
static struct bufferevent *make_bev(struct event_base *base, void *arg)
{
    kpd_ctx *ctx = arg;
    SSL *ssl = kpd_tls_new_ssl(ctx);
    struct bufferevent *bev = NULL;

    if (ssl != NULL)
        bev = bufferevent_openssl_socket_new(base, -1, ssl,
                                             BUFFEREVENT_SSL_ACCEPTING,
                                             BEV_OPT_CLOSE_ON_FREE);
    if (bev == NULL) {
        /* Out of memory: no safe connection can be made, and a plaintext
         * one must not be; stop rather than fail open. */
        skip_log_error("cannot create a TLS connection; exiting");
        abort();
    }
    return bev;
}

static skip_rc write_port_file(const char *path, unsigned port, skip_err *err)
{
    char text[16];
    int n = snprintf(text, sizeof(text), "%u\n", port);

    return kpd_statefile_write(path, text, (size_t)n, err);
}

skip_rc kpd_http_start(kpd_ctx *ctx, skip_err *err)
{
    struct timeval idle = {.tv_sec = ctx->cfg.idle_timeout_s};
    struct sockaddr_storage addr;
    socklen_t addr_len = sizeof(addr);
    int fd, one = 1;
    unsigned port;

    ctx->http = evhttp_new(ctx->base);
    if (ctx->http == NULL)
        return skip_err_set(err, SKIP_E_NOMEM, "evhttp_new failed");
    evhttp_set_max_headers_size(ctx->http, MAX_HEADERS_SIZE);
    evhttp_set_max_body_size(ctx->http, MAX_BODY_SIZE);
    evhttp_set_timeout_tv(ctx->http, &idle);
    evhttp_set_allowed_methods(ctx->http,
                               EVHTTP_REQ_GET | EVHTTP_REQ_POST |
                               EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT |
                               EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS |
                               EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT |
                               EVHTTP_REQ_PATCH);
    evhttp_set_default_content_type(ctx->http, "application/json");
    evhttp_set_bevcb(ctx->http, make_bev, ctx);
    evhttp_set_gencb(ctx->http, on_request, ctx);

    ctx->listener = evhttp_bind_socket_with_handle(
        ctx->http, ctx->cfg.listen_host, (ev_uint16_t)ctx->cfg.listen_port);
    if (ctx->listener == NULL)
        return skip_err_set(err, SKIP_E_CONFIG, "cannot listen on %s:%u: %s",
                            ctx->cfg.listen_host, ctx->cfg.listen_port,
                            strerror(errno));
    fd = evhttp_bound_socket_get_fd(ctx->listener);
    /* Accepted sockets inherit TCP_NODELAY from the listener on Linux; the
     * bevcb never sees the accepted fd, so this is where it is set. */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (getsockname(fd, (struct sockaddr *)&addr, &addr_len) != 0)
        return skip_err_set(err, SKIP_E_INTERNAL, "getsockname: %s",
                            strerror(errno));
    port = ntohs(addr.ss_family == AF_INET6
                     ? ((struct sockaddr_in6 *)&addr)->sin6_port
                     : ((struct sockaddr_in *)&addr)->sin_port);
    skip_log_info("listening on %s port %u (%s)", ctx->cfg.listen_host, port,
                  ctx->cfg.tls == SKIP_TLS_PSK ? "TLS-PSK" : "TLS certificate");
    if (ctx->cfg.port_file)
        return write_port_file(ctx->cfg.port_file, port, err);
    return SKIP_OK;
}

void kpd_http_stop_accepting(kpd_ctx *ctx)
{
    if (ctx->http && ctx->listener) {
        evhttp_del_accept_socket(ctx->http, ctx->listener);
        ctx->listener = NULL;
    }
}

void kpd_http_free(kpd_ctx *ctx)
{
    if (ctx->http)
        evhttp_free(ctx->http);
    ctx->http = NULL;
    ctx->listener = NULL;
}
