/* SPDX-License-Identifier: BSD-3-Clause */
/* Counts the places in this process's own memory that hold a key, in
 * binary or in hex of either case: every readable mapping of
 * /proc/self/maps, read through /proc/self/mem. The needles and the read
 * buffer live in one private mapping that the scan skips, so the scan
 * never finds its own copies. */
#include "config.h"
#include "memscan.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define CHUNK (1u << 20)
#define NEEDLE_MAX 64

struct scratch {
    unsigned char needle[3][2 * NEEDLE_MAX];
    size_t needle_len[3];
    unsigned char chunk[CHUNK + 2 * NEEDLE_MAX];
};

static size_t count_in(const unsigned char *buf, size_t len,
                       const struct scratch *s)
{
    size_t found = 0;

    for (int n = 0; n < 3; n++) {
        const unsigned char *p = buf, *end = buf + len;
        while ((p = memmem(p, (size_t)(end - p), s->needle[n],
                           s->needle_len[n])) != NULL) {
            found++;
            p++;
        }
    }
    return found;
}

/* Reads [start, end) in chunks that overlap by a needle's length, so a
 * copy across two chunks is seen; unreadable pages are skipped. */
static size_t scan_range(int mem, uintptr_t start, uintptr_t end,
                         struct scratch *s)
{
    size_t overlap = s->needle_len[1] - 1, found = 0;

    for (uintptr_t at = start; at < end;) {
        size_t want = end - at < CHUNK ? end - at : CHUNK;
        ssize_t got = pread(mem, s->chunk, want, (off_t)at);

        if (got <= 0) {
            at += 4096; /* a guard page or an unreadable one */
            continue;
        }
        found += count_in(s->chunk, (size_t)got, s);
        if ((size_t)got <= overlap || at + (size_t)got >= end)
            at += (size_t)got;
        else
            at += (size_t)got - overlap;
    }
    return found;
}

long memscan_count(const unsigned char *not_key, size_t len)
{
    struct scratch *s;
    FILE *maps;
    char line[512];
    int mem;
    long found = 0;
    uintptr_t self, self_end;

    if (len == 0 || len > NEEDLE_MAX)
        return -1;
    s = mmap(NULL, sizeof(*s), PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (s == MAP_FAILED)
        return -1;
    self = (uintptr_t)s;
    self_end = self + (sizeof(*s) + 4095) / 4096 * 4096;
    /* the key is made only here, where the scan does not look */
    for (size_t i = 0; i < len; i++)
        s->needle[0][i] = (unsigned char)~not_key[i];
    s->needle_len[0] = len;
    for (size_t i = 0; i < len; i++) {
        static const char lower[] = "0123456789abcdef", upper[] = "0123456789ABCDEF";
        unsigned char b = s->needle[0][i];
        s->needle[1][2 * i] = (unsigned char)lower[b >> 4];
        s->needle[1][2 * i + 1] = (unsigned char)lower[b & 15];
        s->needle[2][2 * i] = (unsigned char)upper[b >> 4];
        s->needle[2][2 * i + 1] = (unsigned char)upper[b & 15];
    }
    s->needle_len[1] = s->needle_len[2] = 2 * len;

    maps = fopen("/proc/self/maps", "re");
    mem = open("/proc/self/mem", O_RDONLY | O_CLOEXEC);
    if (maps == NULL || mem < 0) {
        found = -1;
        goto out;
    }
    while (fgets(line, sizeof(line), maps)) {
        uintptr_t start, end;
        char perms[5];

        if (sscanf(line, "%lx-%lx %4s", &start, &end, perms) != 3 ||
            perms[0] != 'r' || strstr(line, "[vvar]") ||
            strstr(line, "[vsyscall]"))
            continue;
        /* Reservations of a GiB or more are sanitizer shadow or guard
         * areas: reading them would fault in terabytes of zeros. */
        if (end - start >= ((uintptr_t)1 << 30))
            continue;
        /* our own needles and buffer, maybe merged with a neighbour */
        if (self < end && self_end > start) {
            if (start < self)
                found += (long)scan_range(mem, start, self, s);
            if (self_end < end)
                found += (long)scan_range(mem, self_end, end, s);
            continue;
        }
        found += (long)scan_range(mem, start, end, s);
    }
out:
    if (maps)
        fclose(maps);
    if (mem >= 0)
        close(mem);
    munmap(s, sizeof(*s));
    return found;
}
