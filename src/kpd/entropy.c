/* SPDX-License-Identifier: BSD-3-Clause */
/* Entropy for GET /entropy. */
#include "config.h"
#include "entropy.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/rand.h>
#include <string.h>
#include <unistd.h>

skip_rc kpd_entropy_read(const char *file, unsigned char *out, size_t len,
                         skip_err *err)
{
    size_t got = 0;
    int fd;

    if (file == NULL)
        return RAND_priv_bytes(out, (int)len) == 1
                   ? SKIP_OK
                   : skip_err_set(err, SKIP_E_ENTROPY, "DRBG failed");
    fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return skip_err_set(err, SKIP_E_ENTROPY, "%s: %s", file,
                            strerror(errno));
    while (got < len) {
        ssize_t n = read(fd, out + got, len - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    if (got != len)
        return skip_err_set(err, SKIP_E_ENTROPY, "%s gave %zu of %zu bytes",
                            file, got, len);
    return SKIP_OK;
}
