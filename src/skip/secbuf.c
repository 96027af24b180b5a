/* SPDX-License-Identifier: BSD-3-Clause */
/* Locked, no-dump, cleansed memory for secrets. */
#include "config.h"
#include "secbuf.h"
#include "log.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static size_t map_size(size_t cap)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);

    return (cap + page - 1) / page * page;
}

skip_secbuf *skip_secbuf_new(size_t cap)
{
    skip_secbuf *buf;
    void *mem;

    if (cap == 0)
        return NULL;
    buf = calloc(1, sizeof(*buf));
    if (buf == NULL)
        return NULL;
    /* A private mapping of its own: MADV_DONTDUMP works on whole pages,
     * and no other allocation shares (or dumps) these pages. */
    mem = mmap(NULL, map_size(cap), PROT_READ | PROT_WRITE,
               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) {
        free(buf);
        return NULL;
    }
    if (madvise(mem, map_size(cap), MADV_DONTDUMP) != 0)
        skip_debug("secbuf", "madvise(MADV_DONTDUMP) failed");
    /* Without CAP_IPC_LOCK the RLIMIT_MEMLOCK budget may run out; the
     * buffer is still cleansed and kept out of core dumps. */
    if (mlock(mem, map_size(cap)) != 0)
        skip_debug("secbuf", "mlock failed; key memory may be swapped");
    buf->data = mem;
    buf->cap = cap;
    return buf;
}

skip_secbuf *skip_secbuf_dup(const void *data, size_t len)
{
    skip_secbuf *buf = skip_secbuf_new(len ? len : 1);

    if (buf == NULL)
        return NULL;
    memcpy(buf->data, data, len);
    buf->len = len;
    return buf;
}

void skip_secbuf_clear(skip_secbuf *buf)
{
    if (buf == NULL)
        return;
    OPENSSL_cleanse(buf->data, buf->cap);
    buf->len = 0;
}

void skip_secbuf_free(skip_secbuf *buf)
{
    if (buf == NULL)
        return;
    OPENSSL_cleanse(buf->data, buf->cap);
    munlock(buf->data, map_size(buf->cap));
    munmap(buf->data, map_size(buf->cap));
    free(buf);
}
