/* SPDX-License-Identifier: BSD-3-Clause */
/* faultfs: an LD_PRELOAD shim that makes file system calls fail as a full
 * or broken disk would, for the ledger's disk-full tests. Only files whose
 * path contains FAULTFS_MATCH are touched, and only while the file named
 * by FAULTFS_TRIGGER exists, so a test turns the fault on and off (the
 * disk fills, then space returns) without restarting the daemon.
 *
 *   FAULTFS_CALLS  which calls fail, comma-separated: write, short (a
 *                  write that stores half, then fails), pwrite, fdatasync,
 *                  fsync, rename, ftruncate
 *   FAULTFS_ERRNO  ENOSPC (default), EIO, EDQUOT or EROFS (a disk turned
 *                  read-only, under PostgreSQL in ha-faults.sh)
 *   FAULTFS_LOG    optional: each call on a matching path is appended
 *                  here as "CALL PATH", whether it failed or not
 *
 * Test code only: never built into what is installed. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool wants(const char *call)
{
    const char *p = getenv("FAULTFS_CALLS");
    size_t n = strlen(call);

    while (p != NULL && *p != '\0') {
        size_t len = strcspn(p, ",");
        if (len == n && strncmp(p, call, n) == 0)
            return true;
        p += len;
        if (*p == ',')
            p++;
    }
    return false;
}

static int fault_errno(void)
{
    const char *e = getenv("FAULTFS_ERRNO");

    if (e && strcmp(e, "EIO") == 0)
        return EIO;
    if (e && strcmp(e, "EDQUOT") == 0)
        return EDQUOT;
    if (e && strcmp(e, "EROFS") == 0)
        return EROFS;
    return ENOSPC;
}

static bool triggered(void)
{
    const char *t = getenv("FAULTFS_TRIGGER");
    struct stat st;

    return t != NULL && stat(t, &st) == 0;
}

static bool matches(const char *path)
{
    const char *m = getenv("FAULTFS_MATCH");

    return m != NULL && path != NULL && strstr(path, m) != NULL;
}

static bool fd_path(int fd, char *out, size_t cap)
{
    char link[64];
    ssize_t n;

    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    n = readlink(link, out, cap - 1);
    if (n < 0)
        return false;
    out[n] = '\0';
    return true;
}

static void note(const char *call, const char *path)
{
    const char *log = getenv("FAULTFS_LOG");
    char line[4200];
    int fd, n;

    if (log == NULL)
        return;
    n = snprintf(line, sizeof(line), "%s %s\n", call, path);
    fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd >= 0) {
        ssize_t w = write(fd, line, (size_t)n); /* not ours: log is no match */
        (void)w;
        close(fd);
    }
}

/* True when this call on fd's file is to fail now. */
static bool fails_fd(const char *call, int fd)
{
    char path[4096];

    if (fd <= 2 || !fd_path(fd, path, sizeof(path)) || !matches(path))
        return false;
    note(call, path);
    return triggered() && wants(call);
}

ssize_t write(int fd, const void *buf, size_t len)
{
    static ssize_t (*real)(int, const void *, size_t);
    static __thread bool halved; /* a short write was just given */
    char path[4096];

    if (real == NULL)
        real = (ssize_t (*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
    if (fd > 2 && fd_path(fd, path, sizeof(path)) && matches(path)) {
        note("write", path);
        if (triggered() && wants("write")) {
            errno = fault_errno();
            return -1;
        }
        if (triggered() && wants("short")) {
            if (!halved && len > 1) {
                halved = true;
                return real(fd, buf, len / 2);
            }
            halved = false;
            errno = fault_errno();
            return -1;
        }
    }
    return real(fd, buf, len);
}

/* PostgreSQL writes its WAL with pwrite. */
ssize_t pwrite(int fd, const void *buf, size_t len, off_t offset)
{
    static ssize_t (*real)(int, const void *, size_t, off_t);

    if (real == NULL)
        real = (ssize_t (*)(int, const void *, size_t, off_t))dlsym(RTLD_NEXT,
                                                                   "pwrite");
    if (fails_fd("pwrite", fd)) {
        errno = fault_errno();
        return -1;
    }
    return real(fd, buf, len, offset);
}

int fdatasync(int fd)
{
    static int (*real)(int);

    if (real == NULL)
        real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
    if (fails_fd("fdatasync", fd)) {
        errno = fault_errno();
        return -1;
    }
    return real(fd);
}

int fsync(int fd)
{
    static int (*real)(int);

    if (real == NULL)
        real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    if (fails_fd("fsync", fd)) {
        errno = fault_errno();
        return -1;
    }
    return real(fd);
}

int ftruncate(int fd, off_t length)
{
    static int (*real)(int, off_t);

    if (real == NULL)
        real = (int (*)(int, off_t))dlsym(RTLD_NEXT, "ftruncate");
    if (fails_fd("ftruncate", fd)) {
        errno = fault_errno();
        return -1;
    }
    return real(fd, length);
}

int rename(const char *from, const char *to)
{
    static int (*real)(const char *, const char *);

    if (real == NULL)
        real = (int (*)(const char *, const char *))dlsym(RTLD_NEXT, "rename");
    if (matches(to)) {
        note("rename", to);
        if (triggered() && wants("rename")) {
            errno = fault_errno();
            return -1;
        }
    }
    return real(from, to);
}
