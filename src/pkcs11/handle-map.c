/* SPDX-License-Identifier: BSD-3-Clause */
/* The handle map (see handle-map.h). Linear probing at most half full, with
 * removal shifting later pairs back so no tombstones build up as derived
 * keys come and go. Handles are consecutive numbers; a Fibonacci multiply
 * spreads them so that long-lived and new handles do not pile into runs. */
#include "config.h"
#include "handle-map.h"

#include <stdint.h>
#include <stdlib.h>

#define MIN_CAPACITY 64

struct pair {
    CK_ULONG handle; /* 0: empty */
    void *value;
};

struct handle_map {
    struct pair *pairs;
    size_t capacity; /* a power of two */
    size_t count;
};

static size_t home_of(const handle_map *m, CK_ULONG handle)
{
    return (size_t)(((uint64_t)handle * 0x9e3779b97f4a7c15u) >> 32) &
           (m->capacity - 1);
}

/* The slot holding handle, or the empty one where it would go. */
static size_t probe(const handle_map *m, CK_ULONG handle)
{
    size_t i = home_of(m, handle);

    while (m->pairs[i].handle != 0 && m->pairs[i].handle != handle)
        i = (i + 1) & (m->capacity - 1);
    return i;
}

static bool resize(handle_map *m, size_t capacity)
{
    struct pair *old = m->pairs;
    size_t old_capacity = m->capacity;
    struct pair *fresh = calloc(capacity, sizeof(*fresh));

    if (fresh == NULL)
        return false;
    m->pairs = fresh;
    m->capacity = capacity;
    for (size_t i = 0; i < old_capacity; i++)
        if (old[i].handle != 0)
            m->pairs[probe(m, old[i].handle)] = old[i];
    free(old);
    return true;
}

handle_map *handle_map_new(void)
{
    handle_map *m = calloc(1, sizeof(*m));

    if (m != NULL && !resize(m, MIN_CAPACITY)) {
        free(m);
        return NULL;
    }
    return m;
}

void handle_map_free(handle_map *m)
{
    if (m == NULL)
        return;
    free(m->pairs);
    free(m);
}

void *handle_map_get(const handle_map *m, CK_ULONG handle)
{
    if (handle == 0)
        return NULL;
    return m->pairs[probe(m, handle)].value;
}

bool handle_map_add(handle_map *m, CK_ULONG handle, void *value)
{
    size_t i;

    if (handle == 0)
        return false;
    if (2 * (m->count + 1) > m->capacity && !resize(m, 2 * m->capacity))
        return false;
    i = probe(m, handle);
    if (m->pairs[i].handle == 0)
        m->count++;
    m->pairs[i] = (struct pair){handle, value};
    return true;
}

void *handle_map_remove(handle_map *m, CK_ULONG handle)
{
    size_t mask = m->capacity - 1, hole, i;
    void *value;

    if (handle == 0)
        return NULL;
    hole = probe(m, handle);
    if (m->pairs[hole].handle == 0)
        return NULL;
    value = m->pairs[hole].value;
    m->count--;
    /* Pull back each later pair of the run whose home is not between the
     * hole and it, so every pair stays reachable from its home. */
    for (i = (hole + 1) & mask; m->pairs[i].handle != 0; i = (i + 1) & mask) {
        size_t home = home_of(m, m->pairs[i].handle);
        if (((i - home) & mask) >= ((i - hole) & mask)) {
            m->pairs[hole] = m->pairs[i];
            hole = i;
        }
    }
    m->pairs[hole] = (struct pair){0, NULL};
    return value;
}

size_t handle_map_count(const handle_map *m)
{
    return m->count;
}

void handle_map_each(const handle_map *m, void (*fn)(void *value, void *arg),
                     void *arg)
{
    for (size_t i = 0; i < m->capacity; i++)
        if (m->pairs[i].handle != 0)
            fn(m->pairs[i].value, arg);
}
