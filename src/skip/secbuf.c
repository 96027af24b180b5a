/* SPDX-License-Identifier: BSD-3-Clause */
/* Locked, no-dump, cleansed memory for secrets.
 *
 * Buffers of up to SLAB_MAX bytes (keys, hex scratch) share 64 KiB chunks
 * carved into slots of a few size classes, so a held key costs its slot and
 * not a page of its own; larger buffers (HTTP bodies, entropy) get their own
 * mapping. Either way the memory is mlock()ed and MADV_DONTDUMP, and every
 * byte is cleansed before it is reused or unmapped. Chunks are kept for
 * reuse, never returned to the system: the peak number of held keys sets
 * the footprint. */
#include "config.h"
#include "secbuf.h"
#include "log.h"

#include <openssl/crypto.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define CHUNK_SIZE (64 * 1024)
#define SLAB_MAX 2048

static const size_t slot_sizes[] = {64, 128, 256, 512, 1024, 2048};
#define CLASS_COUNT (sizeof(slot_sizes) / sizeof(slot_sizes[0]))

/* A free slot holds the link to the next one; nothing else. */
struct free_slot {
    struct free_slot *next;
};

static struct free_slot *free_slots[CLASS_COUNT];
static atomic_bool wipe_on_fork;
static atomic_flag mlock_warned = ATOMIC_FLAG_INIT;
static pthread_mutex_t slab_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void slab_prepare(void) { pthread_mutex_lock(&slab_lock); }
static void slab_parent(void) { pthread_mutex_unlock(&slab_lock); }
static void slab_child(void) { pthread_mutex_unlock(&slab_lock); }

/* A child forked while another thread held the lock must not inherit it
 * held: hold it across fork() ourselves. */
static void register_atfork(void)
{
    pthread_atfork(slab_prepare, slab_parent, slab_child);
}

static size_t map_size(size_t cap)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);

    return (cap + page - 1) / page * page;
}

/* The system calls themselves: AddressSanitizer's mlock() does nothing
 * and reports success, and the sanitized test builds must lock (or fail
 * to) as the real ones do. */
static int lock_memory(void *mem, size_t size)
{
    return (int)syscall(SYS_mlock, mem, size);
}

static void unlock_memory(void *mem, size_t size)
{
    (void)syscall(SYS_munlock, mem, size);
}

/* A private, zero-filled, locked, no-dump mapping of size bytes. */
static void *map_secret(size_t size)
{
    void *mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

    if (mem == MAP_FAILED)
        return NULL;
    if (madvise(mem, size, MADV_DONTDUMP) != 0)
        skip_debug("secbuf", "madvise(MADV_DONTDUMP) failed");
    if (atomic_load(&wipe_on_fork) && madvise(mem, size, MADV_WIPEONFORK) != 0)
        skip_debug("secbuf", "madvise(MADV_WIPEONFORK) failed");
    /* Without CAP_IPC_LOCK the RLIMIT_MEMLOCK budget may run out; the
     * memory is still cleansed and kept out of core dumps. Said once: a
     * host program needs to know, but not at every key. */
    if (lock_memory(mem, size) != 0 && !atomic_flag_test_and_set(&mlock_warned))
        skip_log_warning("mlock failed (RLIMIT_MEMLOCK too small and no "
                         "CAP_IPC_LOCK): key memory may be swapped out; "
                         "raise the limit (systemd: LimitMEMLOCK=)");
    return mem;
}

static int class_of(size_t cap)
{
    for (size_t i = 0; i < CLASS_COUNT; i++)
        if (cap <= slot_sizes[i])
            return (int)i;
    return -1;
}

/* A zero-filled slot of class cls, carving a new chunk when none is free. */
static void *slot_take(int cls)
{
    struct free_slot *s;

    pthread_once(&atfork_once, register_atfork);
    pthread_mutex_lock(&slab_lock);
    if (free_slots[cls] == NULL) {
        unsigned char *chunk = map_secret(CHUNK_SIZE);
        size_t size = slot_sizes[cls];

        for (size_t off = 0; chunk && off + size <= CHUNK_SIZE; off += size) {
            struct free_slot *fresh = (struct free_slot *)(chunk + off);
            fresh->next = free_slots[cls];
            free_slots[cls] = fresh;
        }
    }
    s = free_slots[cls];
    if (s != NULL) {
        free_slots[cls] = s->next;
        s->next = NULL; /* the slot is all zeros again */
    }
    pthread_mutex_unlock(&slab_lock);
    return s;
}

/* Takes back a slot the caller has cleansed. */
static void slot_give(void *mem, int cls)
{
    struct free_slot *s = mem;

    pthread_mutex_lock(&slab_lock);
    s->next = free_slots[cls];
    free_slots[cls] = s;
    pthread_mutex_unlock(&slab_lock);
}

skip_secbuf *skip_secbuf_new(size_t cap)
{
    skip_secbuf *buf;
    int cls = class_of(cap);
    void *mem;

    if (cap == 0)
        return NULL;
    buf = calloc(1, sizeof(*buf));
    if (buf == NULL)
        return NULL;
    mem = cls >= 0 ? slot_take(cls) : map_secret(map_size(cap));
    if (mem == NULL) {
        free(buf);
        return NULL;
    }
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
    OPENSSL_cleanse(buf->data, buf->len);
    buf->len = 0;
}

void skip_secbuf_wipe_on_fork(void)
{
    atomic_store(&wipe_on_fork, true);
}

void skip_secbuf_free(skip_secbuf *buf)
{
    int cls;

    if (buf == NULL)
        return;
    cls = class_of(buf->cap);
    if (cls >= 0) {
        /* The whole slot, whatever cap was asked: it goes back zeroed. */
        OPENSSL_cleanse(buf->data, slot_sizes[cls]);
        slot_give(buf->data, cls);
    } else {
        OPENSSL_cleanse(buf->data, buf->cap);
        unlock_memory(buf->data, map_size(buf->cap));
        munmap(buf->data, map_size(buf->cap));
    }
    free(buf);
}
