/* SPDX-License-Identifier: BSD-3-Clause */
/* sd_notify by hand: the protocol is one datagram on a Unix socket whose
 * path is $NOTIFY_SOCKET ("@name" for the abstract namespace). */
#include "config.h"
#include "notify.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

bool kpd_notify(const char *state)
{
    const char *path = getenv("NOTIFY_SOCKET");
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    size_t len;
    socklen_t addr_len;
    ssize_t sent;
    int fd;

    if (path == NULL || (path[0] != '/' && path[0] != '@'))
        return false;
    len = strlen(path);
    if (len >= sizeof(addr.sun_path))
        return false;
    memcpy(addr.sun_path, path, len);
    if (path[0] == '@')
        addr.sun_path[0] = '\0'; /* abstract: no terminating NUL counts */
    addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len +
                           (path[0] == '/'));
    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    sent = sendto(fd, state, strlen(state), MSG_NOSIGNAL,
                  (struct sockaddr *)&addr, addr_len);
    close(fd);
    return sent == (ssize_t)strlen(state);
}

uint64_t kpd_notify_watchdog_ms(void)
{
    const char *usec = getenv("WATCHDOG_USEC");
    const char *pid = getenv("WATCHDOG_PID");
    unsigned long long value;
    char *end;

    if (usec == NULL)
        return 0;
    if (pid != NULL && strtol(pid, NULL, 10) != (long)getpid())
        return 0; /* meant for another process */
    value = strtoull(usec, &end, 10);
    if (*end != '\0' || value == 0)
        return 0;
    return value / 2000 ? value / 2000 : 1;
}
