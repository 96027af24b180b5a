/* SPDX-License-Identifier: BSD-3-Clause */
/* Atomic, durable replacement of small state files. */
#include "config.h"
#include "statefile.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

skip_rc kpd_statefile_sync_dir(const char *path, skip_err *err)
{
    char *copy = strdup(path);
    int fd;

    if (copy == NULL)
        return skip_err_set(err, SKIP_E_NOMEM, "out of memory");
    fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(copy);
    if (fd < 0 || fsync(fd) != 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return skip_err_set(err, SKIP_E_INTERNAL, "fsync of the directory of "
                            "%s: %s", path, strerror(e));
    }
    close(fd);
    return SKIP_OK;
}

skip_rc kpd_statefile_write(const char *path, const void *data, size_t len,
                            skip_err *err)
{
    char tmp[4096];
    const char *p = data;
    int fd;

    if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
        return skip_err_set(err, SKIP_E_INTERNAL, "path too long: %s", path);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return skip_err_set(err, SKIP_E_INTERNAL, "%s: %s", tmp,
                            strerror(errno));
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        p += n;
        len -= (size_t)n;
    }
    if (len != 0 || fsync(fd) != 0) {
        int e = errno;
        close(fd);
        unlink(tmp);
        return skip_err_set(err, SKIP_E_INTERNAL, "writing %s: %s", tmp,
                            strerror(e));
    }
    close(fd);
    if (rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return skip_err_set(err, SKIP_E_INTERNAL, "rename to %s: %s", path,
                            strerror(e));
    }
    return kpd_statefile_sync_dir(path, err);
}

skip_rc kpd_statefile_port(int fd, const char *path, unsigned *port,
                           skip_err *err)
{
    struct sockaddr_storage addr;
    socklen_t addr_len = sizeof(addr);
    char text[16];
    int n;

    if (getsockname(fd, (struct sockaddr *)&addr, &addr_len) != 0)
        return skip_err_set(err, SKIP_E_INTERNAL, "getsockname: %s",
                            strerror(errno));
    *port = ntohs(addr.ss_family == AF_INET6
                      ? ((struct sockaddr_in6 *)&addr)->sin6_port
                      : ((struct sockaddr_in *)&addr)->sin_port);
    if (path == NULL)
        return SKIP_OK;
    n = snprintf(text, sizeof(text), "%u\n", *port);
    return kpd_statefile_write(path, text, (size_t)n, err);
}
