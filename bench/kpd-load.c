/* SPDX-License-Identifier: BSD-3-Clause */
/* kpd-load: a SKIP load generator that authenticates as an encryptor does
 * (TLS 1.3 with an external PSK, or a CA file for certificate mode), which
 * wrk cannot, and that asks each keyId once, so /key/{keyId} deliveries can
 * be measured at all (a second ask is "already delivered").
 *
 *   kpd-load [options] issue REMOTE COUNT OUT    GET /key COUNT times,
 *                                                keyIds to OUT, one a line
 *   kpd-load [options] deliver REMOTE IN         GET /key/{keyId} once per
 *                                                line of IN
 *   options: --url https://HOST:PORT  --connections N (default 32)
 *            --ca FILE | --psk-identity ID --psk-file FILE
 *
 * Prints "N requests, N ok, N refused, S s, R req/s", timed from when
 * every connection is up, so handshakes are not counted (ok: 200; refused:
 * 400) and exits 1 on any other answer or a transport error. Keys are read
 * and dropped, never printed. */
#include "config.h"

#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "skip/psk.h"
#include "skip/tls.h"

#define ID_HEX_MAX 64
#define CONNECTIONS_MAX 256

struct load {
    char host[256], port[8];
    const char *remote;
    bool issue;
    char (*ids)[ID_HEX_MAX + 1]; /* in: deliver; out: issue */
    size_t count;
    atomic_size_t next;
    atomic_size_t ok, refused, failed;
    SSL_CTX *ssl_ctx;
    const char *psk_identity;
    skip_secbuf *psk;
    pthread_barrier_t connected; /* every connection up: the clock starts */
};

static struct load L;

static int use_psk(SSL *ssl, const EVP_MD *md, const unsigned char **id,
                   size_t *id_len, SSL_SESSION **sess)
{
    *sess = skip_tls13_psk_session(ssl, L.psk->data, L.psk->len,
                                   SKIP_PSK_SHA384);
    *id = (const unsigned char *)L.psk_identity;
    *id_len = strlen(L.psk_identity);
    return *sess != NULL;
}

static int dial(void)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai;
    int fd, one = 1;

    if (getaddrinfo(L.host, L.port, &hints, &ai) != 0)
        return -1;
    fd = socket(ai->ai_family, SOCK_STREAM, 0);
    if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        close(fd);
        fd = -1;
    }
    freeaddrinfo(ai);
    if (fd >= 0)
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return fd;
}

/* Reads one HTTP/1.1 response into buf: its status, body at *body. */
static int read_response(SSL *ssl, char *buf, size_t cap, char **body)
{
    size_t have = 0, need = 0;
    char *end = NULL;
    int status = -1;

    for (;;) {
        int n;
        if (end == NULL && (end = memmem(buf, have, "\r\n\r\n", 4)) != NULL) {
            const char *cl = strcasestr(buf, "\r\ncontent-length:");
            *end = '\0';
            if (sscanf(buf, "HTTP/1.1 %d", &status) != 1 || cl == NULL)
                return -1;
            need = (size_t)(end + 4 - buf) + strtoul(cl + 17, NULL, 10);
            *body = end + 4;
            if (need >= cap)
                return -1;
        }
        if (end != NULL && have >= need) {
            buf[need] = '\0';
            return status;
        }
        if (have + 1 >= cap || (n = SSL_read(ssl, buf + have,
                                             (int)(cap - have - 1))) <= 0)
            return -1;
        have += (size_t)n;
        buf[have] = '\0';
    }
}

static void *worker(void *arg)
{
    char request[512], response[8192], *body;
    int fd = dial();
    SSL *ssl = fd >= 0 ? SSL_new(L.ssl_ctx) : NULL;
    size_t i;

    if (ssl == NULL || !SSL_set_fd(ssl, fd) || SSL_connect(ssl) != 1) {
        fprintf(stderr, "kpd-load: cannot connect to %s:%s\n", L.host, L.port);
        ERR_print_errors_fp(stderr);
        atomic_fetch_add(&L.failed, 1);
        pthread_barrier_wait(&L.connected);
        goto out;
    }
    /* the clock starts once every connection is up: requests alone */
    pthread_barrier_wait(&L.connected);
    while ((i = atomic_fetch_add(&L.next, 1)) < L.count) {
        int status, n;
        if (L.issue)
            n = snprintf(request, sizeof(request), "GET /key?remoteSystemID=%s "
                         "HTTP/1.1\r\nHost: %s\r\n\r\n", L.remote, L.host);
        else
            n = snprintf(request, sizeof(request), "GET /key/%s?remoteSystemID="
                         "%s HTTP/1.1\r\nHost: %s\r\n\r\n", L.ids[i], L.remote,
                         L.host);
        if (SSL_write(ssl, request, n) != n ||
            (status = read_response(ssl, response, sizeof(response), &body)) < 0) {
            atomic_fetch_add(&L.failed, 1);
            break;
        }
        if (status == 200) {
            const char *id = strstr(body, "\"keyId\":\"");
            if (L.issue && (id == NULL ||
                            sscanf(id + 9, "%64[0-9a-fA-F]", L.ids[i]) != 1)) {
                atomic_fetch_add(&L.failed, 1);
                break;
            }
            atomic_fetch_add(&L.ok, 1);
        } else if (status == 400) {
            atomic_fetch_add(&L.refused, 1);
        } else {
            fprintf(stderr, "kpd-load: HTTP %d\n", status);
            atomic_fetch_add(&L.failed, 1);
            break;
        }
        OPENSSL_cleanse(response, sizeof(response));
    }
out:
    if (ssl) {
        SSL_shutdown(ssl);
        SSL_free(ssl);
    }
    if (fd >= 0)
        close(fd);
    return NULL;
}

static int usage(void)
{
    fputs("usage: kpd-load --url https://HOST:PORT [--connections N]\n"
          "         (--ca FILE | --psk-identity ID --psk-file FILE)\n"
          "         (issue REMOTE COUNT OUT | deliver REMOTE IN)\n", stderr);
    return 2;
}

static bool parse_url(const char *url)
{
    const char *hp = strncmp(url, "https://", 8) == 0 ? url + 8 : NULL;
    const char *colon = hp ? strrchr(hp, ':') : NULL;

    if (colon == NULL || (size_t)(colon - hp) >= sizeof(L.host) ||
        strlen(colon + 1) >= sizeof(L.port))
        return false;
    snprintf(L.host, sizeof(L.host), "%.*s", (int)(colon - hp), hp);
    snprintf(L.port, sizeof(L.port), "%s", colon + 1);
    strtok(L.port, "/");
    return true;
}

static bool read_ids(const char *path)
{
    FILE *f = fopen(path, "r");
    char line[256];
    size_t cap = 0;

    if (f == NULL)
        return false;
    while (fgets(line, sizeof(line), f)) {
        if (L.count == cap) {
            cap = cap ? 2 * cap : 1024;
            L.ids = realloc(L.ids, cap * sizeof(*L.ids));
            if (L.ids == NULL)
                return false;
        }
        line[strcspn(line, "\r\n")] = '\0';
        line[ID_HEX_MAX] = '\0'; /* longer ones cannot be keyIds */
        memcpy(L.ids[L.count++], line, ID_HEX_MAX + 1);
    }
    fclose(f);
    return true;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"url", required_argument, NULL, 'u'},
        {"connections", required_argument, NULL, 'n'},
        {"ca", required_argument, NULL, 'c'},
        {"psk-identity", required_argument, NULL, 'i'},
        {"psk-file", required_argument, NULL, 'p'},
        {NULL, 0, NULL, 0},
    };
    pthread_t threads[CONNECTIONS_MAX];
    const char *ca = NULL, *psk_file = NULL, *out = NULL;
    unsigned connections = 32;
    struct timespec t0, t1;
    skip_err err = {0};
    double seconds;
    int opt;

    while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (opt) {
        case 'u': if (!parse_url(optarg)) return usage(); break;
        case 'n': connections = (unsigned)atoi(optarg); break;
        case 'c': ca = optarg; break;
        case 'i': L.psk_identity = optarg; break;
        case 'p': psk_file = optarg; break;
        default: return usage();
        }
    }
    argc -= optind;
    argv += optind;
    if (L.host[0] == '\0' || connections == 0 || connections > CONNECTIONS_MAX ||
        (ca == NULL) == (psk_file == NULL || L.psk_identity == NULL) || argc < 3)
        return usage();
    L.remote = argv[1];
    if (strcmp(argv[0], "issue") == 0 && argc == 4) {
        L.issue = true;
        L.count = strtoul(argv[2], NULL, 10);
        L.ids = calloc(L.count ? L.count : 1, sizeof(*L.ids));
        out = argv[3];
    } else if (strcmp(argv[0], "deliver") != 0 || argc != 3 ||
               !read_ids(argv[2])) {
        return usage();
    }

    L.ssl_ctx = SSL_CTX_new(TLS_client_method());
    if (L.ssl_ctx == NULL || L.ids == NULL)
        return 1;
    if (psk_file) {
        if (skip_psk_read_file(psk_file, &L.psk, &err) != SKIP_OK) {
            fprintf(stderr, "kpd-load: %s\n", err.detail);
            return 1;
        }
        skip_tls_ctx_profile(L.ssl_ctx, SKIP_TLS_PSK, SKIP_TLS_13, NULL, &err);
        SSL_CTX_set_psk_use_session_callback(L.ssl_ctx, use_psk);
    } else {
        skip_tls_ctx_profile(L.ssl_ctx, SKIP_TLS_CERT, SKIP_TLS_13, NULL, &err);
        if (SSL_CTX_load_verify_locations(L.ssl_ctx, ca, NULL) != 1)
            return 1;
        SSL_CTX_set_verify(L.ssl_ctx, SSL_VERIFY_PEER, NULL);
    }

    pthread_barrier_init(&L.connected, NULL, connections + 1);
    for (unsigned i = 0; i < connections; i++)
        pthread_create(&threads[i], NULL, worker, NULL);
    pthread_barrier_wait(&L.connected);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (unsigned i = 0; i < connections; i++)
        pthread_join(threads[i], NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    seconds = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;

    if (out) {
        FILE *f = fopen(out, "w");
        for (size_t i = 0; f && i < L.count; i++)
            if (L.ids[i][0])
                fprintf(f, "%s\n", L.ids[i]);
        if (f == NULL || fclose(f) != 0)
            return 1;
    }
    printf("%zu requests, %zu ok, %zu refused, %.3f s, %.0f req/s\n",
           (size_t)(atomic_load(&L.ok) + atomic_load(&L.refused)),
           (size_t)atomic_load(&L.ok), (size_t)atomic_load(&L.refused),
           seconds, (double)(atomic_load(&L.ok) + atomic_load(&L.refused)) /
                        seconds);
    skip_secbuf_free(L.psk);
    SSL_CTX_free(L.ssl_ctx);
    free(L.ids);
    return atomic_load(&L.failed) ? 1 : 0;
}
