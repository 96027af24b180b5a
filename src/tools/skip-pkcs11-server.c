/* SPDX-License-Identifier: BSD-3-Clause */
/* skip-pkcs11-server: keeps skip-pkcs11.so loaded in one long-lived process
 * and serves it on a Unix socket with p11-kit's RPC protocol, so that tools
 * which run one operation per process (pkcs11-tool, p11tool) reach the same
 * token keys through p11-kit-client.so. `p11-kit server` cannot do this: it
 * starts a fresh process, and so a fresh token, for every client.
 *
 * The server holds one initialization of the module for its whole life;
 * every connection gets its own p11-kit managed instance, so a client's
 * C_Finalize closes that client's sessions and nothing else. The login is
 * the token's, as in any one PKCS#11 application: all clients share it.
 * So the server serves one uid, its own, and refuses every other, root
 * included: no client can use a login it did not make for its own uid. */
#include "config.h"

#define P11_KIT_FUTURE_UNSTABLE_API 1

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <p11-kit/p11-kit.h>
#include <p11-kit/remote.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_CLIENTS 64

struct server {
    const char *module_path;
    const char *socket_path;
    int listen_fd;
    int stop_pipe[2];
    pthread_mutex_t lock;
    pthread_cond_t idle;
    int client_fds[MAX_CLIENTS]; /* -1 when free */
    unsigned active;
};

static struct server srv = {
    .listen_fd = -1,
    .stop_pipe = {-1, -1},
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .idle = PTHREAD_COND_INITIALIZER,
};

static void usage(FILE *out)
{
    fputs("usage: skip-pkcs11-server [--module PATH] SOCKET\n"
          "\n"
          "Serves the PKCS#11 module on the Unix socket SOCKET until SIGTERM.\n"
          "Clients load p11-kit-client.so with\n"
          "  P11_KIT_SERVER_ADDRESS=unix:path=SOCKET\n"
          "\n"
          "  -m, --module PATH  module to serve (default " DEFAULT_MODULE ")\n"
          "      --version      print the version and exit\n"
          "  -h, --help         this text\n",
          out);
}

static void on_stop_signal(int sig)
{
    int saved = errno;
    char c = (char)sig;

    if (write(srv.stop_pipe[1], &c, 1) < 0) {
        /* the pipe is full: a stop is already pending */
    }
    errno = saved;
}

/* Refuses a path that a live server answers on, and removes a stale socket
 * left by a server that was killed. Anything that is not a socket stays. */
static int clear_stale_socket(const struct sockaddr_un *addr)
{
    struct stat st;
    int fd;
    int live;

    if (lstat(addr->sun_path, &st) != 0)
        return errno == ENOENT ? 0 : -1;
    if (!S_ISSOCK(st.st_mode)) {
        fprintf(stderr, "skip-pkcs11-server: %s: exists and is not a socket\n",
                addr->sun_path);
        return -1;
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    live = connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) == 0;
    close(fd);
    if (live) {
        fprintf(stderr, "skip-pkcs11-server: %s: another server is "
                        "listening\n", addr->sun_path);
        return -1;
    }
    return unlink(addr->sun_path);
}

static int listen_on(const char *path)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    mode_t old_mask;
    int fd;

    if (strlen(path) >= sizeof(addr.sun_path)) {
        fprintf(stderr, "skip-pkcs11-server: %s: path too long\n", path);
        return -1;
    }
    strcpy(addr.sun_path, path);
    if (clear_stale_socket(&addr) != 0)
        return -1;
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    /* The socket is created 0600: whoever connects uses the token's keys. */
    old_mask = umask(0177);
    if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 ||
        listen(fd, 16) != 0) {
        fprintf(stderr, "skip-pkcs11-server: %s: %s\n", path,
                strerror(errno));
        umask(old_mask);
        close(fd);
        return -1;
    }
    umask(old_mask);
    return fd;
}

static bool peer_allowed(int fd)
{
    struct ucred cred;
    socklen_t len = sizeof(cred);

    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
        return false;
    if (cred.uid == getuid())
        return true;
    fprintf(stderr, "skip-pkcs11-server: refused a client with uid %u "
                    "(pid %d): this server serves uid %u only, whose "
                    "clients share one login\n", (unsigned)cred.uid,
            (int)cred.pid, (unsigned)getuid());
    return false;
}

static int take_slot(int fd)
{
    int slot = -1;

    pthread_mutex_lock(&srv.lock);
    for (int i = 0; i < MAX_CLIENTS && slot < 0; i++) {
        if (srv.client_fds[i] < 0) {
            srv.client_fds[i] = fd;
            srv.active++;
            slot = i;
        }
    }
    pthread_mutex_unlock(&srv.lock);
    return slot;
}

static void release_slot(int slot)
{
    pthread_mutex_lock(&srv.lock);
    close(srv.client_fds[slot]);
    srv.client_fds[slot] = -1;
    if (--srv.active == 0)
        pthread_cond_signal(&srv.idle);
    pthread_mutex_unlock(&srv.lock);
}

static void *serve_client(void *arg)
{
    int slot = (int)(intptr_t)arg;
    int fd = srv.client_fds[slot];
    CK_FUNCTION_LIST *module = p11_kit_module_load(srv.module_path, 0);

    if (module == NULL) {
        fprintf(stderr, "skip-pkcs11-server: %s: %s\n", srv.module_path,
                p11_kit_message());
    } else {
        p11_kit_remote_serve_module(module, fd, fd);
        /* A client that vanished without C_Finalize leaves its sessions
         * open in this instance; finalizing it closes them. */
        p11_kit_module_finalize(module);
        p11_kit_module_release(module);
    }
    release_slot(slot);
    return NULL;
}

static void accept_client(void)
{
    pthread_attr_t attr;
    pthread_t thread;
    int fd = accept4(srv.listen_fd, NULL, NULL, SOCK_CLOEXEC);
    int slot;

    if (fd < 0)
        return;
    if (!peer_allowed(fd)) {
        close(fd);
        return;
    }
    slot = take_slot(fd);
    if (slot < 0) {
        fprintf(stderr, "skip-pkcs11-server: refused a client: %d clients "
                        "connected\n", MAX_CLIENTS);
        close(fd);
        return;
    }
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&thread, &attr, serve_client,
                       (void *)(intptr_t)slot) != 0) {
        fprintf(stderr, "skip-pkcs11-server: cannot start a thread\n");
        release_slot(slot);
    }
    pthread_attr_destroy(&attr);
}

/* Ends every connection (the RPC loops see EOF) and waits for their threads
 * to release their module instances before the server finalizes its own. */
static void drain_clients(void)
{
    pthread_mutex_lock(&srv.lock);
    for (int i = 0; i < MAX_CLIENTS; i++)
        if (srv.client_fds[i] >= 0)
            shutdown(srv.client_fds[i], SHUT_RDWR);
    while (srv.active > 0)
        pthread_cond_wait(&srv.idle, &srv.lock);
    pthread_mutex_unlock(&srv.lock);
}

static int parse_args(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"module", required_argument, NULL, 'm'},
        {"version", no_argument, NULL, 'V'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;

    srv.module_path = DEFAULT_MODULE;
    while ((c = getopt_long(argc, argv, "m:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'm':
            srv.module_path = optarg;
            break;
        case 'V':
            printf("skip-pkcs11-server %s\n", PACKAGE_VERSION);
            exit(0);
        case 'h':
            usage(stdout);
            exit(0);
        default:
            usage(stderr);
            return -1;
        }
    }
    if (optind + 1 != argc) {
        usage(stderr);
        return -1;
    }
    srv.socket_path = argv[optind];
    return 0;
}

int main(int argc, char **argv)
{
    struct sigaction sa = {.sa_handler = on_stop_signal};
    struct pollfd fds[2];
    CK_FUNCTION_LIST *keeper;
    CK_RV rv;

    if (parse_args(argc, argv) != 0)
        return 1;
    /* The module's keys live here: no core file, and no same-user process
     * may ptrace us or read /proc/PID/mem (only CAP_SYS_PTRACE). */
    setrlimit(RLIMIT_CORE, &(struct rlimit){0, 0});
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
        fprintf(stderr, "skip-pkcs11-server: prctl(PR_SET_DUMPABLE): %s\n",
                strerror(errno));
    for (int i = 0; i < MAX_CLIENTS; i++)
        srv.client_fds[i] = -1;
    signal(SIGPIPE, SIG_IGN);
    if (pipe2(srv.stop_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
        return 1;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    /* This instance stays initialized for the server's life: it is what
     * keeps token keys alive between clients. */
    keeper = p11_kit_module_load(srv.module_path, 0);
    if (keeper == NULL) {
        fprintf(stderr, "skip-pkcs11-server: %s: %s\n", srv.module_path,
                p11_kit_message());
        return 1;
    }
    rv = p11_kit_module_initialize(keeper);
    if (rv != CKR_OK) {
        fprintf(stderr, "skip-pkcs11-server: %s: C_Initialize: %s\n",
                srv.module_path, p11_kit_strerror(rv));
        p11_kit_module_release(keeper);
        return 1;
    }
    srv.listen_fd = listen_on(srv.socket_path);
    if (srv.listen_fd < 0) {
        p11_kit_module_finalize(keeper);
        p11_kit_module_release(keeper);
        return 1;
    }
    fprintf(stderr, "skip-pkcs11-server: serving %s on %s\n",
            srv.module_path, srv.socket_path);

    fds[0] = (struct pollfd){.fd = srv.listen_fd, .events = POLLIN};
    fds[1] = (struct pollfd){.fd = srv.stop_pipe[0], .events = POLLIN};
    for (;;) {
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (fds[1].revents != 0)
            break;
        if (fds[0].revents & POLLIN)
            accept_client();
    }

    close(srv.listen_fd);
    unlink(srv.socket_path);
    drain_clients();
    p11_kit_module_finalize(keeper);
    p11_kit_module_release(keeper);
    fprintf(stderr, "skip-pkcs11-server: stopped\n");
    return 0;
}
