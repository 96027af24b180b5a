/* SPDX-License-Identifier: BSD-3-Clause */
/* Chained hash table with byte-string keys. */
#include "config.h"
#include "dict.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct entry {
    struct entry *next;
    uint64_t hash;
    void *value;
    size_t len;
    unsigned char key[];
};

struct dict {
    struct entry **buckets;
    size_t bucket_count; /* a power of two */
    size_t count;
};

/* FNV-1a: keys are addresses and keyIds; keyIds reach the ledger only after
 * their MAC verified, so they are not attacker-chosen at scale. */
static uint64_t hash_bytes(const void *key, size_t len)
{
    const unsigned char *p = key;
    uint64_t h = 0xcbf29ce484222325u;

    for (size_t i = 0; i < len; i++)
        h = (h ^ p[i]) * 0x100000001b3u;
    return h;
}

static bool grow(dict *d)
{
    size_t n = d->bucket_count ? d->bucket_count * 2 : 64;
    struct entry **b = calloc(n, sizeof(*b));

    if (b == NULL)
        return false;
    for (size_t i = 0; i < d->bucket_count; i++) {
        struct entry *e = d->buckets[i], *next;
        for (; e; e = next) {
            next = e->next;
            e->next = b[e->hash & (n - 1)];
            b[e->hash & (n - 1)] = e;
        }
    }
    free(d->buckets);
    d->buckets = b;
    d->bucket_count = n;
    return true;
}

dict *dict_new(void)
{
    dict *d = calloc(1, sizeof(*d));

    if (d && !grow(d)) {
        free(d);
        return NULL;
    }
    return d;
}

void dict_free(dict *d)
{
    if (d == NULL)
        return;
    for (size_t i = 0; i < d->bucket_count; i++) {
        struct entry *e = d->buckets[i], *next;
        for (; e; e = next) {
            next = e->next;
            free(e);
        }
    }
    free(d->buckets);
    free(d);
}

static struct entry **find(const dict *d, const void *key, size_t len,
                           uint64_t h)
{
    struct entry **link = &d->buckets[h & (d->bucket_count - 1)];

    for (; *link; link = &(*link)->next)
        if ((*link)->hash == h && (*link)->len == len &&
            memcmp((*link)->key, key, len) == 0)
            return link;
    return link;
}

void *dict_get(const dict *d, const void *key, size_t len)
{
    struct entry **link = find(d, key, len, hash_bytes(key, len));

    return *link ? (*link)->value : NULL;
}

bool dict_set(dict *d, const void *key, size_t len, void *value)
{
    uint64_t h = hash_bytes(key, len);
    struct entry **link = find(d, key, len, h), *e;

    if (*link) {
        (*link)->value = value;
        return true;
    }
    if (d->count >= d->bucket_count) {
        if (!grow(d))
            return false;
        link = find(d, key, len, h);
    }
    e = malloc(sizeof(*e) + len);
    if (e == NULL)
        return false;
    e->next = NULL;
    e->hash = h;
    e->value = value;
    e->len = len;
    memcpy(e->key, key, len);
    *link = e;
    d->count++;
    return true;
}

void *dict_remove(dict *d, const void *key, size_t len)
{
    struct entry **link = find(d, key, len, hash_bytes(key, len)), *e = *link;
    void *value;

    if (e == NULL)
        return NULL;
    *link = e->next;
    value = e->value;
    free(e);
    d->count--;
    return value;
}

size_t dict_count(const dict *d)
{
    return d->count;
}

void dict_each(const dict *d, void (*fn)(void *value, void *arg), void *arg)
{
    for (size_t i = 0; i < d->bucket_count; i++)
        for (struct entry *e = d->buckets[i]; e; e = e->next)
            fn(e->value, arg);
}

void dict_filter(dict *d, bool (*keep)(void *value, void *arg),
                 void (*drop)(void *value), void *arg)
{
    for (size_t i = 0; i < d->bucket_count; i++) {
        struct entry **link = &d->buckets[i];
        while (*link) {
            struct entry *e = *link;
            if (keep(e->value, arg)) {
                link = &e->next;
                continue;
            }
            *link = e->next;
            if (drop)
                drop(e->value);
            free(e);
            d->count--;
        }
    }
}
