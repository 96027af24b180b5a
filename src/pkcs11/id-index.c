/* SPDX-License-Identifier: BSD-3-Clause */
/* The CKA_ID index (see id-index.h). Linear probing keeps a lookup within
 * one or two adjacent cache lines; removal shifts later entries back, so
 * no tombstones accumulate as keys come and go. */
#include "config.h"
#include "id-index.h"
#include "internal.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define MIN_CAPACITY 128 /* 4 KiB: one page */
#define HUGE_PAGE (2u << 20)

struct id_index {
    id_entry *entries;
    size_t capacity; /* a power of two */
    size_t count;
};

/* FNV-1a over the keyId. keyIds reach the index only from the KP or a
 * creating caller, who gains nothing by colliding their own keys. The
 * slot is left out so that a search can find its entry's place before it
 * knows its session's slot (id_index_prefetch); the same keyId in two
 * slots is two entries of one probe run. */
static uint32_t hash_of(const unsigned char *id, size_t len)
{
    uint32_t h = 2166136261u;

    for (size_t i = 0; i < len; i++)
        h = (h ^ id[i]) * 16777619u;
    return h;
}

/* Where the last index made or resized keeps its entries, for
 * id_index_prefetch, which reads it without the module lock: atomics, so
 * that read is no data race. The module has one index. */
static _Atomic(uintptr_t) hint_entries;
static atomic_size_t hint_mask;

/* Ids longer than the entry's head are told apart by the object's tail
 * (SKIP keyIds are 16 bytes, so this is the rare path). */
static bool same_id(const id_entry *e, uint32_t h, CK_SLOT_ID slot_id,
                    const unsigned char *id, size_t len)
{
    size_t head = len < ID_INDEX_HEAD ? len : ID_INDEX_HEAD;
    const object *obj;

    if (e->hash != h || e->slot_id != slot_id || e->id_len != len ||
        memcmp(e->head, id, head) != 0)
        return false;
    if (len <= ID_INDEX_HEAD)
        return true;
    obj = store_get_locked(e->handle);
    return obj != NULL && memcmp(obj->id + ID_INDEX_HEAD, id + ID_INDEX_HEAD,
                                 len - ID_INDEX_HEAD) == 0;
}

static void place(id_entry *entries, size_t capacity, const id_entry *e)
{
    size_t i = e->hash & (capacity - 1);

    while (entries[i].handle != CK_INVALID_HANDLE)
        i = (i + 1) & (capacity - 1);
    entries[i] = *e;
}

/* Zeroed, page-aligned (so no entry straddles two cache lines) and, from
 * 2 MiB, eligible for huge pages. */
static id_entry *entries_new(size_t capacity)
{
    size_t size = capacity * sizeof(id_entry);
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

    if (p == MAP_FAILED)
        return NULL;
    if (size >= HUGE_PAGE)
        madvise(p, size, MADV_HUGEPAGE); /* a hint; fine if refused */
    return p;
}

static void entries_free(id_entry *entries, size_t capacity)
{
    if (entries != NULL)
        munmap(entries, capacity * sizeof(id_entry));
}

static bool resize(id_index *idx, size_t capacity)
{
    id_entry *entries = entries_new(capacity);

    if (entries == NULL)
        return false;
    for (size_t i = 0; i < idx->capacity; i++)
        if (idx->entries[i].handle != CK_INVALID_HANDLE)
            place(entries, capacity, &idx->entries[i]);
    entries_free(idx->entries, idx->capacity);
    idx->entries = entries;
    idx->capacity = capacity;
    atomic_store_explicit(&hint_entries, (uintptr_t)entries, memory_order_relaxed);
    atomic_store_explicit(&hint_mask, capacity - 1, memory_order_relaxed);
    return true;
}

id_index *id_index_new(void)
{
    id_index *idx = calloc(1, sizeof(*idx));

    if (idx != NULL && !resize(idx, MIN_CAPACITY)) {
        free(idx);
        return NULL;
    }
    return idx;
}

void id_index_free(id_index *idx)
{
    uintptr_t mine;

    if (idx == NULL)
        return;
    mine = (uintptr_t)idx->entries;
    atomic_compare_exchange_strong(&hint_entries, &mine, 0);
    entries_free(idx->entries, idx->capacity);
    free(idx);
}

bool id_index_add(id_index *idx, const object *obj)
{
    id_entry e = {0};

    if (obj->id_len > UINT8_MAX || obj->slot_id > UINT16_MAX)
        return false;
    /* At most 3/4 full, so probes stay short. */
    if (4 * (idx->count + 1) > 3 * idx->capacity &&
        !resize(idx, 2 * idx->capacity))
        return false;
    e.handle = obj->handle;
    memcpy(e.head, obj->id,
           obj->id_len < ID_INDEX_HEAD ? obj->id_len : ID_INDEX_HEAD);
    e.hash = hash_of(obj->id, obj->id_len);
    e.slot_id = (uint16_t)obj->slot_id;
    e.id_len = (uint8_t)obj->id_len;
    e.private_obj = obj->private_obj;
    place(idx->entries, idx->capacity, &e);
    idx->count++;
    return true;
}

const id_entry *id_index_find(const id_index *idx, CK_SLOT_ID slot_id,
                              const unsigned char *id, size_t len)
{
    uint32_t h = hash_of(id, len);
    size_t mask = idx->capacity - 1;

    for (size_t i = h & mask; idx->entries[i].handle != CK_INVALID_HANDLE;
         i = (i + 1) & mask)
        if (same_id(&idx->entries[i], h, slot_id, id, len))
            return &idx->entries[i];
    return NULL;
}

void id_index_remove(id_index *idx, const object *obj)
{
    size_t mask = idx->capacity - 1, hole, i;
    const id_entry *found = id_index_find(idx, obj->slot_id, obj->id,
                                          obj->id_len);

    if (found == NULL || found->handle != obj->handle)
        return;
    hole = (size_t)(found - idx->entries);
    idx->entries[hole].handle = CK_INVALID_HANDLE;
    idx->count--;
    /* Shift back each later entry of the run that the hole now separates
     * from its home position. */
    for (i = (hole + 1) & mask; idx->entries[i].handle != CK_INVALID_HANDLE;
         i = (i + 1) & mask) {
        size_t home = idx->entries[i].hash & mask;
        bool between = hole <= i ? (home > hole && home <= i)
                                 : (home > hole || home <= i);
        if (between)
            continue;
        idx->entries[hole] = idx->entries[i];
        idx->entries[i].handle = CK_INVALID_HANDLE;
        hole = i;
    }
}

void id_index_prefetch(const unsigned char *id, size_t len)
{
    uintptr_t entries = atomic_load_explicit(&hint_entries, memory_order_relaxed);
    size_t mask = atomic_load_explicit(&hint_mask, memory_order_relaxed);

    /* A stale address (the index resized, or freed) is harmless: a
     * prefetch never faults. */
    if (entries != 0)
        __builtin_prefetch((const id_entry *)entries + (hash_of(id, len) & mask));
}
