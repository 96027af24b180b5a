/* SPDX-License-Identifier: BSD-3-Clause */
/* skip-kpd: a SKIP Key Provider. main() reads the configuration, opens the
 * key synchronisation backend, serves HTTPS until SIGTERM (drained) and
 * reloads PSKs and peers on SIGHUP. */
#include "config.h"

#include <errno.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <time.h>
#include <stdio.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "clients.h"
#include "http.h"
#include "kpd.h"
#include "ledger-pg.h"
#include "mgmt.h"
#include "notify.h"
#include "audit.h"
#include "skip/log.h"
#include "tls.h"
#include "worker.h"

#define DRAIN_CHECK_MS 100
#define DRAIN_MAX_MS 5000

struct kpd_options {
    const char *config;
    const char *pidfile; /* written once ready, removed at a clean stop */
    bool foreground;
    bool check_config;
    bool init_db; /* --init-db: the ledger's schema, then exit */
};

struct kpd_events {
    struct event *sigterm, *sigint, *sighup, *tick, *watchdog;
};

static void usage(FILE *out)
{
    fputs("usage: skip-kpd [-c FILE] [-f] [-p FILE] [--check-config | "
          "--init-db]\n"
          "  -c, --config FILE  configuration (default " SYSCONFDIR
          "/skip-kpd.conf)\n"
          "  -f, --foreground   do not detach; log to stderr unless "
          "log = syslog\n"
          "                     (detached, it logs to syslog)\n"
          "  -p, --pidfile FILE write the process ID to FILE once serving\n"
          "      --check-config read the configuration, report, exit\n"
          "      --init-db      create or migrate the ledger's database "
          "schema, exit\n"
          "      --version      print the version and exit\n",
          out);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    kpd_ctx *ctx = arg;

    uint64_t now = kpd_clock_ms();

    kpd_state_lock();
    ctx->sync->ops->tick(ctx->sync, now);
    ctx->ledger->ops->prune(ctx->ledger, now);
    kpd_state_unlock();
#ifdef __GLIBC__
    /* Hand free heap pages back to the kernel once a second. Connections
     * come and go with 34 KB of OpenSSL record buffers each, and without
     * this the heap keeps the high-water mark of that churn (RSS grew 8 %
     * over the first million requests, then stayed). Pages handed back
     * are also zero when next used: OpenSSL's buffers held keys' TLS
     * plaintext and are freed without being cleansed. */
    malloc_trim(0);
#endif
}

/* Proves to systemd that the loop turns: WATCHDOG=1 at half WatchdogSec. */
static void on_watchdog(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what, (void)arg;
    kpd_notify("WATCHDOG=1");
}

static void on_drain_check(evutil_socket_t fd, short what, void *arg)
{
    kpd_ctx *ctx = arg;

    if (kpd_connections_open(ctx) == 0)
        event_base_loopbreak(ctx->base);
}

static void on_sigterm(evutil_socket_t sig, short what, void *arg)
{
    kpd_ctx *ctx = arg;
    struct timeval limit = {.tv_sec = DRAIN_MAX_MS / 1000};
    struct timeval check = {.tv_usec = DRAIN_CHECK_MS * 1000};

    if (ctx->draining)
        return;
    kpd_notify("STOPPING=1");
    skip_log_info("signal %d: draining %u connections", (int)sig,
                  kpd_connections_open(ctx));
    kpd_state_lock();
    ctx->draining = true;
    kpd_state_unlock();
    kpd_workers_drain(ctx);
    /* Open keep-alive connections get 503 on their next request; wait for
     * them to close, but never longer than DRAIN_MAX_MS. */
    event_base_loopexit(ctx->base, &limit);
    ctx->drain_timer = event_new(ctx->base, -1, EV_PERSIST, on_drain_check, ctx);
    if (ctx->drain_timer)
        evtimer_add(ctx->drain_timer, &check);
}

/* A [client] whose PSK is gone: a revoked client, or a typo. */
static void warn_unknown_clients(const kpd_config *cfg)
{
    const kpd_client_rule *r = kpd_clients_unknown_psk(cfg);

    if (r != NULL)
        skip_log_warning("[client %s]: %s is no identity of psk_file; it can "
                         "ask for nothing", r->name, r->match);
}

/* The per-peer counters follow their peers by name across a reload; a
 * new peer starts at zero. */
static void carry_peer_counters(kpd_ctx *ctx, const kpd_peer *old,
                                size_t old_count)
{
    kpd_metrics *m = &ctx->metrics, fresh = {0};

    if (!kpd_metrics_init(&fresh, ctx->cfg.peer_count))
        return; /* out of memory: the old counters stay, by position */
    for (size_t i = 0; i < ctx->cfg.peer_count; i++)
        for (size_t j = 0; j < old_count && j < m->peer_count; j++)
            if (strcmp(ctx->cfg.peers[i].name, old[j].name) == 0) {
                fresh.issued[i] = m->issued[j];
                fresh.delivered[i] = m->delivered[j];
            }
    kpd_metrics_free(m);
    m->issued = fresh.issued;
    m->delivered = fresh.delivered;
    m->peer_count = fresh.peer_count;
}

/* Takes fresh's PSKs, clients, client CAs and peers (the other listener
 * settings need a restart); fresh keeps the ones they replace. With the
 * workers held and the state locked. False if nothing changed. */
static bool take_reloaded(kpd_ctx *ctx, kpd_config *fresh)
{
    skip_err err = {0};

    if (ctx->sync->ops->reload_peers(ctx->sync, fresh, &err) != SKIP_OK) {
        skip_log_error("SIGHUP: keeping the running configuration: %s",
                       err.detail);
        return false;
    }
    {
        kpd_psk *psks = ctx->cfg.psks;
        size_t psk_count = ctx->cfg.psk_count;
        kpd_peer *peers = ctx->cfg.peers;
        size_t peer_count = ctx->cfg.peer_count;
        kpd_client_rule *clients = ctx->cfg.clients;
        size_t client_count = ctx->cfg.client_count;

        ctx->cfg.psks = fresh->psks;
        ctx->cfg.psk_count = fresh->psk_count;
        ctx->cfg.peers = fresh->peers;
        ctx->cfg.peer_count = fresh->peer_count;
        ctx->cfg.clients = fresh->clients;
        ctx->cfg.client_count = fresh->client_count;
        fresh->psks = psks;
        fresh->psk_count = psk_count;
        fresh->peers = peers;
        fresh->peer_count = peer_count;
        fresh->clients = clients;
        fresh->client_count = client_count;
    }
    if (ctx->cfg.client_ca_file != NULL && fresh->client_ca_file == NULL) {
        skip_log_error("SIGHUP: client_ca_file stays until a restart (a "
                       "reload does not turn client certificates off)");
    } else if (ctx->cfg.client_ca_file != NULL) {
        char *running = ctx->cfg.client_ca_file;

        ctx->cfg.client_ca_file = fresh->client_ca_file;
        fresh->client_ca_file = running;
        if (kpd_tls_reload_client_ca(ctx, &err) != SKIP_OK) {
            skip_log_error("SIGHUP: client CAs kept: %s", err.detail);
            fresh->client_ca_file = ctx->cfg.client_ca_file;
            ctx->cfg.client_ca_file = running;
        }
    }
    warn_unknown_clients(&ctx->cfg);
    carry_peer_counters(ctx, fresh->peers, fresh->peer_count);
    /* A rotated audit file: the same path, a new file. */
    if (kpd_audit_open(ctx, &err) != SKIP_OK)
        skip_log_error("SIGHUP: the audit trail stays in the file it had: %s",
                       err.detail);
    skip_log_info("SIGHUP: reloaded %zu PSK identities, %zu clients and %zu "
                  "peers", ctx->cfg.psk_count, ctx->cfg.client_count,
                  ctx->cfg.peer_count);
    return true;
}

static void on_sighup(evutil_socket_t sig, short what, void *arg)
{
    kpd_ctx *ctx = arg;
    kpd_config fresh;
    skip_err err = {0};
    bool taken;

    if (kpd_config_load(ctx->cfg.path, &fresh, &err) != SKIP_OK) {
        skip_log_error("SIGHUP: keeping the running configuration: %s",
                       err.detail);
        return;
    }
    /* No worker runs meanwhile: they read PSKs, clients and CAs in their
     * handshakes. Held before the lock is taken: a worker waiting for the
     * lock could not stop to be held. */
    kpd_workers_hold(ctx);
    kpd_state_lock();
    taken = take_reloaded(ctx, &fresh);
    kpd_state_unlock();
    /* Who was trusted and no longer is gets nothing more. */
    kpd_workers_release(ctx, taken ? &fresh : NULL);
    kpd_config_clear(&fresh);
}

static int daemonize(void)
{
    pid_t pid = fork();
    int fd;

    if (pid < 0)
        return -1;
    if (pid > 0)
        _exit(0);
    if (setsid() < 0)
        return -1;
    pid = fork();
    if (pid < 0)
        return -1;
    if (pid > 0)
        _exit(0);
    if (chdir("/") != 0)
        return -1;
    umask(077);
    fd = open("/dev/null", O_RDWR);
    if (fd < 0)
        return -1;
    dup2(fd, STDIN_FILENO);
    dup2(fd, STDOUT_FILENO);
    dup2(fd, STDERR_FILENO);
    if (fd > STDERR_FILENO)
        close(fd);
    return 0;
}

/* Keys live in this process's memory: never let them reach a core file,
 * nor another process of the same user through ptrace or /proc/PID/mem
 * (not dumpable: only CAP_SYS_PTRACE may look). */
static void no_core_dumps(void)
{
    struct rlimit none = {0, 0};

    setrlimit(RLIMIT_CORE, &none);
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
        skip_log_warning("prctl(PR_SET_DUMPABLE, 0): %s", strerror(errno));
}

/* Each connection is a descriptor: raise the soft limit toward
 * max_connections as far as the hard one allows, and say so if it falls
 * short (accepting then pauses on EMFILE rather than failing). */
#define SPARE_DESCRIPTORS 64 /* listener, ledger, state files, event base */
static void check_descriptors(const kpd_config *cfg)
{
    struct rlimit nofile;
    rlim_t want = (rlim_t)cfg->max_connections + SPARE_DESCRIPTORS;

    if (getrlimit(RLIMIT_NOFILE, &nofile) != 0)
        return;
    if (nofile.rlim_cur < want && nofile.rlim_max > nofile.rlim_cur) {
        nofile.rlim_cur = nofile.rlim_max < want ? nofile.rlim_max : want;
        setrlimit(RLIMIT_NOFILE, &nofile);
    }
    if (nofile.rlim_cur < want)
        skip_log_warning("max_connections = %u needs %llu file descriptors "
                         "and RLIMIT_NOFILE allows %llu: raise LimitNOFILE",
                         cfg->max_connections, (unsigned long long)want,
                         (unsigned long long)nofile.rlim_cur);
}

/* The process ID, for init systems without systemd; written whole (a new
 * file renamed over the old) once the daemon serves. */
static int write_pidfile(const char *path)
{
    char tmp[4096];
    FILE *f;
    bool ok;

    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    f = fopen(tmp, "we");
    ok = f != NULL && fprintf(f, "%ld\n", (long)getpid()) > 0;
    if (f != NULL && fclose(f) != 0)
        ok = false;
    if (!ok || rename(tmp, path) != 0) {
        skip_log_error("pidfile %s: %s", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

static int parse_args(int argc, char **argv, struct kpd_options *opts)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"foreground", no_argument, NULL, 'f'},
        {"check-config", no_argument, NULL, 'C'},
        {"init-db", no_argument, NULL, 'I'},
        {"pidfile", required_argument, NULL, 'p'},
        {"version", no_argument, NULL, 'V'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int opt;

    opts->config = SYSCONFDIR "/skip-kpd.conf";
    while ((opt = getopt_long(argc, argv, "c:fp:h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'c': opts->config = optarg; break;
        case 'f': opts->foreground = true; break;
        case 'p': opts->pidfile = optarg; break;
        case 'C': opts->check_config = true; break;
        case 'I': opts->init_db = true; break;
        case 'V': printf("skip-kpd %s\n", PACKAGE_VERSION); exit(0);
        case 'h': usage(stdout); exit(0);
        default: usage(stderr); return -1;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct kpd_options opts = {0};
    struct kpd_events ev = {0};
    struct timeval one_second = {.tv_sec = 1};
    kpd_ctx ctx = {.audit_fd = -1, .sources_lock = PTHREAD_MUTEX_INITIALIZER};
    skip_err err = {0};
    uint64_t watchdog_ms;
    struct timeval watchdog_every;
    int status = 1;

    no_core_dumps(); /* before the first key is read */
    if (parse_args(argc, argv, &opts) != 0)
        return 2;
    skip_log_init("skip-kpd", "SKIP_KPD_DEBUG", false);
    if (kpd_config_load(opts.config, &ctx.cfg, &err) != SKIP_OK) {
        skip_log_error("%s", err.detail);
        return 1;
    }
    /* everything a start reads, and where it writes, before it serves */
    if (kpd_check_files(&ctx.cfg, &err) != SKIP_OK) {
        skip_log_error("%s: %s", opts.config, err.detail);
        kpd_config_clear(&ctx.cfg);
        return 1;
    }
    if (opts.init_db || (opts.check_config &&
                         strcmp(ctx.cfg.ledger, "postgresql") == 0)) {
        skip_rc rc = strcmp(ctx.cfg.ledger, "postgresql") != 0
                         ? skip_err_set(&err, SKIP_E_CONFIG, "--init-db: "
                                        "ledger = %s has no database",
                                        ctx.cfg.ledger)
                     : opts.init_db ? kpd_pg_init_db(&ctx.cfg, &err)
                                    : kpd_pg_check(&ctx.cfg, &err);
        if (rc != SKIP_OK || opts.init_db) {
            if (rc != SKIP_OK)
                skip_log_error("%s: %s", opts.config, err.detail);
            kpd_config_clear(&ctx.cfg);
            return rc == SKIP_OK ? 0 : 1;
        }
    }
    if (opts.check_config) {
        printf("%s: OK (%s, %zu peers)\n", opts.config, ctx.cfg.local_id,
               ctx.cfg.peer_count);
        kpd_config_clear(&ctx.cfg);
        return 0;
    }
    skip_log_set_level(ctx.cfg.log_level);
    if (ctx.cfg.use_syslog || !opts.foreground)
        skip_log_init("skip-kpd", "SKIP_KPD_DEBUG", true);
    check_descriptors(&ctx.cfg);
    warn_unknown_clients(&ctx.cfg);
    if (ctx.cfg.client_auth_none)
        skip_log_warning("client_auth = none: any TLS client may connect, and "
                         "its deliveries are logged as unauthenticated; for "
                         "labs and benchmarks only");
    signal(SIGPIPE, SIG_IGN);
    /* A full disk or file-size limit must fail the ledger write (answered
     * with 500), not kill the daemon. */
    signal(SIGXFSZ, SIG_IGN);
    if (!opts.foreground && daemonize() != 0) {
        skip_log_error("cannot detach from the terminal");
        goto out;
    }
    if (mkdir(ctx.cfg.state_dir, 0700) != 0 && access(ctx.cfg.state_dir, W_OK)) {
        skip_log_error("state_dir %s is not a writable directory",
                       ctx.cfg.state_dir);
        goto out;
    }
    /* Workers add events to the main loop (the file ledger's rewrite
     * steps): libevent's locks, before the first event base. */
    if (ctx.cfg.workers > 1 && evthread_use_pthreads() != 0) {
        skip_log_error("libevent has no thread support");
        goto out;
    }
    ctx.base = kpd_new_event_base();
    if (ctx.base == NULL) {
        skip_log_error("event_base_new failed");
        goto out;
    }
    ctx.metrics.started = (double)time(NULL);
    if (!kpd_metrics_init(&ctx.metrics, ctx.cfg.peer_count)) {
        skip_log_error("out of memory");
        goto out;
    }
    if (kpd_audit_open(&ctx, &err) != SKIP_OK ||
        kpd_ledger_new(&ctx.cfg, ctx.base, &ctx.ledger, &err) != SKIP_OK ||
        kpd_sync_new(&ctx.cfg, ctx.base, ctx.ledger, &ctx.sync, &err) != SKIP_OK ||
        kpd_tls_init(&ctx, &err) != SKIP_OK ||
        /* before the SKIP listener, whose port file says all is up */
        kpd_mgmt_start(&ctx, &err) != SKIP_OK ||
        kpd_http_start(&ctx, &err) != SKIP_OK) {
        skip_log_error("%s", err.detail);
        goto out;
    }
    ev.sigterm = evsignal_new(ctx.base, SIGTERM, on_sigterm, &ctx);
    ev.sigint = evsignal_new(ctx.base, SIGINT, on_sigterm, &ctx);
    ev.sighup = evsignal_new(ctx.base, SIGHUP, on_sighup, &ctx);
    ev.tick = event_new(ctx.base, -1, EV_PERSIST, on_tick, &ctx);
    if (!ev.sigterm || !ev.sigint || !ev.sighup || !ev.tick ||
        evsignal_add(ev.sigterm, NULL) || evsignal_add(ev.sigint, NULL) ||
        evsignal_add(ev.sighup, NULL) || evtimer_add(ev.tick, &one_second)) {
        skip_log_error("cannot install signal handlers");
        goto out;
    }
    if (opts.pidfile && write_pidfile(opts.pidfile) != 0)
        goto out;
    if ((watchdog_ms = kpd_notify_watchdog_ms()) != 0) {
        watchdog_every.tv_sec = (time_t)(watchdog_ms / 1000);
        watchdog_every.tv_usec = (suseconds_t)(watchdog_ms % 1000) * 1000;
        ev.watchdog = event_new(ctx.base, -1, EV_PERSIST, on_watchdog, NULL);
        if (ev.watchdog == NULL || evtimer_add(ev.watchdog, &watchdog_every)) {
            skip_log_error("cannot start the watchdog timer");
            goto out;
        }
    }
    kpd_notify("READY=1\nSTATUS=serving");
    skip_log_info("Key Provider %s ready: %zu peers, key source %s (%s), "
                  "ledger %s", ctx.cfg.local_id, ctx.cfg.peer_count,
                  ctx.cfg.key_source, ctx.sync->ops->name, ctx.cfg.ledger);
    event_base_dispatch(ctx.base);
    if (opts.pidfile)
        unlink(opts.pidfile);
    skip_log_info("stopped");
    status = 0;
out:
    /* Reverse order of creation, but the key source and the ledger first:
     * they answer the calls still waiting (on a KME, on the disk), into
     * their connections, once no worker thread runs; then connections (and
     * their SSLs) go, because freeing them updates ctx. The source goes
     * before the ledger it records in. */
    kpd_workers_stop(&ctx);
    if (ctx.sync)
        ctx.sync->ops->free(ctx.sync);
    ctx.sync = NULL;
    kpd_ledger_free(ctx.ledger);
    kpd_mgmt_free(&ctx);
    kpd_workers_free(&ctx);
    if (ctx.drain_timer)
        event_free(ctx.drain_timer);
    if (ev.tick)
        event_free(ev.tick);
    if (ev.watchdog)
        event_free(ev.watchdog);
    if (ev.sighup)
        event_free(ev.sighup);
    if (ev.sigint)
        event_free(ev.sigint);
    if (ev.sigterm)
        event_free(ev.sigterm);
    SSL_CTX_free(ctx.ssl_ctx);
    if (ctx.base)
        event_base_free(ctx.base);
    kpd_audit_close(&ctx);
    kpd_metrics_free(&ctx.metrics);
    kpd_config_clear(&ctx.cfg);
    return status;
}
