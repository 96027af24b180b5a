/* SPDX-License-Identifier: BSD-3-Clause */
/* The HTTP layer: HTTP/1.1 over bufferevent_openssl, as much of it as the
 * SKIP API needs. A request is read whole (headers at most 8 KiB, a body
 * at most 1 KiB, read and ignored: SKIP requests have none), every method
 * reaches the router (which answers SKIP's 405), and each reply leaves as
 * one TLS record in one write(2), from a locked buffer of ours: a key's
 * plaintext never enters libevent's own, uncleansed memory. Anything else
 * (a malformed request line or header, a chunked body, HTTP/2) gets an
 * error and the connection closes. Every connection is TLS; there is no
 * plaintext path.
 *
 * This replaced libevent's evhttp, whose per-request allocations, header
 * lists and formatted I/O cost a fifth of skip-kpd's time per request
 * (docs/performance.md). */
#include "config.h"
#include "http.h"
#include "http-conn.h"
#include "http-parse.h"
#include "routes.h"
#include "tls.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "skip/log.h"
#include "statefile.h"

#define REPLY_HEAD_MAX 256

/* Backpressure: a client that sends requests without reading the replies
 * stops being read once this much of its replies is unsent, until half of
 * it has left; and at most this much of its requests waits unread. */
#define OUTPUT_MAX (256 * 1024)
#define INPUT_MAX (64 * 1024)

static const char *reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 413: return "Content Too Large";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Error";
    }
}

static void free_reply_buffer(const void *data, size_t len, void *arg)
{
    skip_secbuf_free(arg); /* cleansed */
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
static void log_reply(const struct kpd_conn *c, const kpd_reply *reply)
{
    if (reply->status < 400) {
        skip_debug("http", "%s %s -> %d (client %s)", c->method, c->target,
                   reply->status, c->client.identity);
        return;
    }
    skip_log(reply->status >= 500 ? SKIP_LOG_ERROR : SKIP_LOG_INFO,
             "%s %s: %d %s (client %s)", c->method, c->target, reply->status,
             reply->error, c->client.identity);
}

/* Debug aid: shows that accepted sockets did inherit TCP_NODELAY. */
static void debug_nodelay(struct kpd_conn *c)
{
    int on = 0;
    socklen_t len = sizeof(on);

    if (getsockopt(bufferevent_getfd(c->bev), IPPROTO_TCP, TCP_NODELAY, &on,
                   &len) == 0)
        skip_debug("http", "connection TCP_NODELAY %s", on ? "on" : "off");
}

/* The one place a connection is uncounted. */
void kpd_conn_free(struct kpd_conn *c)
{
    kpd_worker *w = c->worker;

    if (c->prev)
        c->prev->next = c->next;
    else
        w->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    __atomic_sub_fetch(&w->connections, 1, __ATOMIC_RELAXED);
    __atomic_sub_fetch(&c->ctx->connections, 1, __ATOMIC_RELAXED);
    kpd_admit_forget(c);
    event_free(c->deadline);
    bufferevent_free(c->bev); /* frees the SSL, closes */
    kpd_reply_clear(&c->call.reply);
    free(c);
}

/* Frees c now; or when on_read returns, if it is inside it; or when its
 * call is done, if one is waiting (the call's reply lives in c). */
void kpd_conn_done(struct kpd_conn *c)
{
    if (c->in_read || c->pending)
        c->gone = true;
    else
        kpd_conn_free(c);
}

/* Largest reply written at once, without libevent: within what libevent
 * hands SSL_write in one call, so that a retry it makes of an unfinished
 * write passes the same length (OpenSSL requires it). */
#define WRITE_NOW_MAX 16384

/* Writes out straight away when nothing is queued before it, and says
 * whether it is gone. libevent's TLS bufferevent would instead wait for the
 * socket to be reported writable: one epoll_ctl to ask, a turn of the
 * loop, and one to stop asking, per reply (a quarter of skip-kpd's system
 * calls under load, docs/performance.md). When the socket cannot take it
 * all, OpenSSL keeps what it has encrypted and the caller queues the same
 * bytes, which libevent's next SSL_write finishes. A closing connection
 * closes here, as on_write would. */
static bool write_now(struct kpd_conn *c, skip_secbuf *out)
{
    SSL *ssl = bufferevent_openssl_get_ssl(c->bev);
    int n;

    if (out->len == 0 || out->len > WRITE_NOW_MAX ||
        evbuffer_get_length(bufferevent_get_output(c->bev)) > 0)
        return false;
    ERR_clear_error();
    n = SSL_write(ssl, out->data, (int)out->len);
    if (n <= 0) {
        ERR_clear_error(); /* libevent's own SSL_write will report it */
        return false;
    }
    skip_secbuf_free(out); /* cleansed */
    if (c->closing) {
        SSL_shutdown(ssl);
        kpd_conn_done(c); /* deferred: send_reply runs inside on_read */
    }
    return true;
}

/* Queues the reply as one buffer: status line, headers, then the body
 * unless the request was HEAD. Called only from on_read (so c outlives
 * it). */
static void send_reply(struct kpd_conn *c, const kpd_reply *reply,
                       bool head_only)
{
    char head[REPLY_HEAD_MAX];
    size_t body_len = reply->body ? reply->body->len : 0;
    int n = snprintf(head, sizeof(head),
                     "HTTP/1.1 %d %s\r\n"
                     "Content-Type: application/json\r\n"
                     "Cache-Control: no-store\r\n"
                     "%s"
                     "Content-Length: %zu\r\n"
                     "%s\r\n",
                     reply->status, reason(reply->status),
                     reply->allow_get ? "Allow: GET\r\n" : "", body_len,
                     c->closing ? "Connection: close\r\n" : "");
    size_t total = (size_t)n + (head_only ? 0 : body_len);
    skip_secbuf *out = skip_secbuf_new(total);

    if (out == NULL || n < 0 || (size_t)n >= sizeof(head)) {
        /* Nothing queued, so no write will end the connection: end it. */
        skip_secbuf_free(out);
        skip_log_error("cannot queue a reply: out of memory; closing");
        c->closing = true;
        kpd_conn_done(c);
        return;
    }
    memcpy(out->data, head, (size_t)n);
    if (!head_only && body_len)
        memcpy(out->data + n, reply->body->data, body_len);
    out->len = total;
    if (write_now(c, out))
        return;
    if (evbuffer_add_reference(bufferevent_get_output(c->bev), out->data,
                               out->len, free_reply_buffer, out) != 0) {
        skip_secbuf_free(out);
        skip_log_error("cannot queue a reply; closing");
        c->closing = true;
        kpd_conn_done(c);
    }
}

/* Answers a request that cannot be served, and closes the connection. */
static void refuse(struct kpd_conn *c, int status, const char *why)
{
    kpd_reply reply = {0};

    kpd_reply_error(&reply, status, why);
    skip_log_info("request refused: %d %s", status, why);
    kpd_count(&c->ctx->metrics.requests[KPD_ROUTE_OTHER]
                                       [kpd_metrics_status_index(status)]);
    kpd_count(&c->ctx->metrics.refusals[status == 413 || status == 431
                                            ? KPD_CAUSE_LIMITS
                                            : KPD_CAUSE_BAD_REQUEST]);
    c->closing = true;
    bufferevent_disable(c->bev, EV_READ);
    send_reply(c, &reply, false);
    kpd_reply_clear(&reply);
}

/* Sends the call's reply (or drops it, if the client left meanwhile). */
static void send_answer(struct kpd_conn *c)
{
    kpd_reply *reply = &c->call.reply;

    log_reply(c, reply);
    if (!c->gone) {
        /* While draining, a connection closes after its reply. */
        if (c->close_after || c->worker->draining) {
            c->closing = true;
            bufferevent_disable(c->bev, EV_READ);
        }
        send_reply(c, reply, c->head_only);
    }
    kpd_reply_clear(reply);
}

static void read_requests(struct kpd_conn *c, struct evbuffer *in);

void kpd_conn_answered(struct kpd_conn *c)
{
    c->pending = false;
    if (c->in_route)
        return;
    c->in_read = true;
    send_answer(c);
    if (!c->gone && !c->closing) {
        read_requests(c, bufferevent_get_input(c->bev));
        if (!c->pending && !c->closing && !c->throttled)
            bufferevent_enable(c->bev, EV_READ);
    }
    c->in_read = false;
    if (c->gone && !c->pending)
        kpd_conn_free(c);
}

/* The call is done. Inside kpd_route, answer() takes it from here;
 * otherwise the reply leaves now (on the connection's worker) and
 * buffered requests are read on. */
static void on_answered(kpd_call *call)
{
    kpd_worker_answered(kpd_conn_of(call));
}

/* Answers one parsed request, now or once its call is done. */
static void answer(struct kpd_conn *c, const kpd_request *r)
{
    if (!c->identified) {
        kpd_tls_identify(bufferevent_openssl_get_ssl(c->bev), &c->client);
        c->identified = true;
    }
    if (skip_debug_enabled("http"))
        debug_nodelay(c);
    snprintf(c->method, sizeof(c->method), "%s", r->method);
    loggable_target(r->target, c->target, sizeof(c->target));
    c->head_only = strcmp(r->method, "HEAD") == 0;
    c->close_after = r->close;
    c->call = (kpd_call){.ctx = c->ctx, .client = &c->client,
                         .done = on_answered};
    c->pending = true;
    c->in_route = true;
    kpd_count(&c->worker->requests);
    kpd_state_lock();
    kpd_route(&c->call, r->method, r->target);
    kpd_state_unlock();
    c->in_route = false;
    if (!c->pending)
        send_answer(c);
    else
        bufferevent_disable(c->bev, EV_READ); /* until on_answered */
}

/* Past OUTPUT_MAX unsent, stop answering and reading; on_write resumes
 * once the client has taken half of it. */
static bool throttle(struct kpd_conn *c)
{
    if (evbuffer_get_length(bufferevent_get_output(c->bev)) < OUTPUT_MAX)
        return false;
    c->throttled = true;
    bufferevent_disable(c->bev, EV_READ);
    bufferevent_setwatermark(c->bev, EV_WRITE, OUTPUT_MAX / 2, 0);
    return true;
}

static void read_requests(struct kpd_conn *c, struct evbuffer *in)
{
    /* More than one request may be waiting (pipelining). */
    while (!c->closing && !c->gone && !c->pending && !throttle(c) &&
           evbuffer_get_length(in) > 0) {
        char head[KPD_HTTP_MAX_HEADERS + 1];
        struct evbuffer_ptr end = evbuffer_search(in, "\r\n\r\n", 4, NULL);
        kpd_request r;
        const char *why = NULL;
        size_t head_len;
        int status;

        if (end.pos < 0) {
            if (evbuffer_get_length(in) > KPD_HTTP_MAX_HEADERS)
                refuse(c, 431, "request headers over 8 KiB");
            else
                kpd_admit_request_begun(c); /* its deadline runs */
            return; /* the rest is still on its way */
        }
        head_len = (size_t)end.pos + 4;
        if (head_len > KPD_HTTP_MAX_HEADERS) {
            refuse(c, 431, "request headers over 8 KiB");
            return;
        }
        evbuffer_copyout(in, head, head_len);
        head[head_len] = '\0';
        if (memchr(head, '\0', head_len) != NULL) {
            refuse(c, 400, "NUL byte in the request");
            return;
        }
        status = kpd_http_parse(head, &r, &why);
        if (status != 0) {
            refuse(c, status, why);
            return;
        }
        if (evbuffer_get_length(in) < head_len + r.body_len) {
            kpd_admit_request_begun(c);
            return; /* the body is still on its way */
        }
        evbuffer_drain(in, head_len + r.body_len);
        kpd_admit_request_whole(c);
        answer(c, &r);
    }
}

static void on_read(struct bufferevent *bev, void *arg)
{
    struct kpd_conn *c = arg;

    c->in_read = true;
    read_requests(c, bufferevent_get_input(bev));
    c->in_read = false;
    if (c->gone && !c->pending)
        kpd_conn_free(c);
}

/* The output is written: a closing connection closes now, with a TLS
 * close_notify, so the client can tell the end from a cut. */
static void on_write(struct bufferevent *bev, void *arg)
{
    struct kpd_conn *c = arg;

    if (c->closing) {
        /* with a write watermark set, called before the output is empty */
        if (evbuffer_get_length(bufferevent_get_output(bev)) > 0)
            return;
        SSL_shutdown(bufferevent_openssl_get_ssl(bev));
        kpd_conn_done(c);
    } else if (c->throttled) {
        c->throttled = false;
        bufferevent_setwatermark(bev, EV_WRITE, 0, 0);
        c->in_read = true;
        read_requests(c, bufferevent_get_input(bev));
        c->in_read = false;
        if (c->gone && !c->pending)
            kpd_conn_free(c);
        else if (!c->pending && !c->closing && !c->throttled)
            bufferevent_enable(bev, EV_READ);
    }
}

/* The peer closed, the idle timeout passed, or TLS failed (the handshake
 * failure is logged by the TLS layer with OpenSSL's reason). */
static void on_event(struct bufferevent *bev, short what, void *arg)
{
    struct kpd_conn *c = arg;

    if (what & BEV_EVENT_CONNECTED)
        kpd_admit_established(c); /* the TLS handshake is done */
    else if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT))
        kpd_conn_done(c);
}

unsigned kpd_http_revoke(kpd_worker *w, const kpd_config *old)
{
    kpd_ctx *ctx = w->ctx;
    struct kpd_conn *c, *next;
    unsigned closed = 0;

    for (c = w->conns; c != NULL; c = next) {
        SSL *ssl = bufferevent_openssl_get_ssl(c->bev);
        char who[KPD_CLIENT_ID_MAX + 1];

        next = c->next; /* c may be freed below */
        if (c->gone || !SSL_is_init_finished(ssl) ||
            kpd_tls_still_trusted(ctx, ssl, old))
            continue;
        kpd_tls_client_identity(ssl, who, sizeof(who));
        skip_log_info("SIGHUP: closing a connection of %s: no longer "
                      "trusted", who);
        /* A reply waiting for the ledger is dropped with it. */
        bufferevent_disable(c->bev, EV_READ | EV_WRITE);
        kpd_conn_done(c);
        closed++;
    }
    return closed;
}

/* A new connection admitted by http-admit.c: its TLS bufferevent, in
 * w->conns. NULL (fd closed) when out of memory. */
struct kpd_conn *kpd_conn_new(kpd_worker *w, evutil_socket_t fd,
                              const struct sockaddr *addr, int addr_len)
{
    kpd_ctx *ctx = w->ctx;
    struct timeval idle = {.tv_sec = ctx->cfg.idle_timeout_s};
    struct kpd_conn *c = calloc(1, sizeof(*c));
    SSL *ssl = c ? kpd_tls_new_ssl(ctx) : NULL;

    if (ssl != NULL)
        c->bev = bufferevent_openssl_socket_new(w->base, fd, ssl,
                                                BUFFEREVENT_SSL_ACCEPTING,
                                                BEV_OPT_CLOSE_ON_FREE);
    if (c != NULL && c->bev != NULL)
        c->deadline = evtimer_new(w->base, kpd_admit_on_deadline, c);
    if (c == NULL || c->bev == NULL || c->deadline == NULL) {
        skip_log_error("cannot set up a TLS connection: out of memory");
        if (c != NULL && c->bev != NULL)
            bufferevent_free(c->bev); /* frees ssl, closes fd */
        else if (ssl != NULL)
            SSL_free(ssl);
        if (c == NULL || c->bev == NULL)
            evutil_closesocket(fd);
        free(c);
        return NULL;
    }
    c->ctx = ctx;
    c->worker = w;
    kpd_admit_source(c, addr, addr_len);
    __atomic_add_fetch(&w->connections, 1, __ATOMIC_RELAXED);
    __atomic_add_fetch(&ctx->connections, 1, __ATOMIC_RELAXED);
    c->next = w->conns;
    if (w->conns)
        w->conns->prev = c;
    w->conns = c;
    bufferevent_setcb(c->bev, on_read, on_write, on_event, c);
    bufferevent_setwatermark(c->bev, EV_READ, 0, INPUT_MAX);
    bufferevent_set_timeouts(c->bev, &idle, &idle);
    bufferevent_enable(c->bev, EV_READ);
    return c;
}

/* Every worker's listener, on the one listening socket: the first one
 * binds it, the others take a duplicate, and the kernel gives each
 * connection to the first worker whose accept(2) comes. (Not one
 * SO_REUSEPORT socket each: that would let any process of the same user
 * bind the port beside skip-kpd and take a share of its clients.) */
static skip_rc listen_all(kpd_ctx *ctx, const struct evutil_addrinfo *ai,
                          skip_err *err)
{
    const unsigned flags = LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC;
    kpd_workers *crew = ctx->workers;
    kpd_worker *first = &crew->all[0];
    int fd, saved;

    first->listener = evconnlistener_new_bind(
        first->base, kpd_admit_on_accept, first, flags | LEV_OPT_REUSEABLE,
        -1, ai->ai_addr, (int)ai->ai_addrlen);
    if (first->listener == NULL)
        return skip_err_set(err, SKIP_E_CONFIG, "cannot listen on %s:%u: %s",
                            ctx->cfg.listen_host, ctx->cfg.listen_port,
                            strerror(errno));
    fd = evconnlistener_get_fd(first->listener);
    for (unsigned i = 1; i < crew->count; i++) {
        kpd_worker *w = &crew->all[i];
        int copy = fcntl(fd, F_DUPFD_CLOEXEC, 0);

        /* backlog 0: the socket listens already */
        w->listener = copy < 0 ? NULL
                               : evconnlistener_new(w->base, kpd_admit_on_accept,
                                                    w, flags, 0, copy);
        if (w->listener == NULL) {
            saved = errno;
            if (copy >= 0)
                close(copy);
            return skip_err_set(err, SKIP_E_INTERNAL, "cannot listen in "
                                "worker %u: %s", i, strerror(saved));
        }
    }
    for (unsigned i = 0; i < crew->count; i++)
        evconnlistener_set_error_cb(crew->all[i].listener,
                                    kpd_admit_on_accept_error);
    return SKIP_OK;
}

skip_rc kpd_http_start(kpd_ctx *ctx, skip_err *err)
{
    struct evutil_addrinfo hints = {.ai_family = AF_UNSPEC,
                                    .ai_socktype = SOCK_STREAM,
                                    .ai_flags = EVUTIL_AI_PASSIVE};
    struct evutil_addrinfo *ai = NULL;
    char port_text[8];
    int fd, one = 1;
    unsigned port;
    skip_rc rc;

    snprintf(port_text, sizeof(port_text), "%u", ctx->cfg.listen_port);
    if (evutil_getaddrinfo(ctx->cfg.listen_host, port_text, &hints, &ai) != 0 ||
        ai == NULL)
        return skip_err_set(err, SKIP_E_CONFIG, "cannot listen on %s:%u: "
                            "the address does not resolve",
                            ctx->cfg.listen_host, ctx->cfg.listen_port);
    rc = kpd_workers_new(ctx, ctx->cfg.workers, err);
    if (rc == SKIP_OK)
        rc = listen_all(ctx, ai, err);
    evutil_freeaddrinfo(ai);
    if (rc != SKIP_OK)
        return rc;
    fd = evconnlistener_get_fd(ctx->workers->all[0].listener);
    /* Accepted sockets inherit TCP_NODELAY from the listener on Linux. */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    /* the port file says all is up: the workers run first */
    if (kpd_workers_start(ctx, err) != SKIP_OK ||
        kpd_statefile_port(fd, ctx->cfg.port_file, &port, err) != SKIP_OK)
        return err->rc;
    skip_log_info("listening on %s port %u (%s)", ctx->cfg.listen_host, port,
                  ctx->cfg.tls == SKIP_TLS_PSK ? "TLS-PSK" : "TLS certificate");
    return SKIP_OK;
}

void kpd_http_stop_accepting(kpd_worker *w)
{
    if (w->listener) {
        evconnlistener_free(w->listener);
        w->listener = NULL;
    }
}

void kpd_http_free_worker(kpd_worker *w)
{
    kpd_http_stop_accepting(w);
    while (w->conns)
        kpd_conn_free(w->conns);
    kpd_admit_free(w);
}
