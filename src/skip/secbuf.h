/* SPDX-License-Identifier: BSD-3-Clause */
/* Memory for key bytes and anything that held them (hex, HTTP bodies):
 * mlock()ed so it is never swapped, MADV_DONTDUMP so it never reaches a
 * core file, and cleansed before it is reused or unmapped. Small buffers
 * share locked chunks (a slot each); see secbuf.c. */
#ifndef SKIP_SECBUF_H
#define SKIP_SECBUF_H

#include <stddef.h>

typedef struct skip_secbuf {
    unsigned char *data; /* cap bytes, zero-filled at creation */
    size_t len;          /* bytes in use */
    size_t cap;
} skip_secbuf;

/* A zero-filled buffer of cap bytes (cap > 0), or NULL when out of memory. */
skip_secbuf *skip_secbuf_new(size_t cap);

/* A new buffer holding a copy of len bytes. */
skip_secbuf *skip_secbuf_dup(const void *data, size_t len);

/* Cleanses the bytes in use and sets len to 0; the buffer stays usable.
 * For buffers whose writers keep len exact (an appending HTTP body);
 * skip_secbuf_free cleanses the whole capacity whatever len says. */
void skip_secbuf_clear(skip_secbuf *buf);

/* Cleanses and releases; NULL is a no-op. */
void skip_secbuf_free(skip_secbuf *buf);

/* From now on, secure memory mapped by this process reads as zeros in a
 * child it forks (MADV_WIPEONFORK): for a library inside a host program
 * that may fork, so the child never holds the parent's keys. Call it before
 * the first buffer. A daemon that forks to detach after reading its keys
 * must not. */
void skip_secbuf_wipe_on_fork(void);

#endif
