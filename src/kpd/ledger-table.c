/* SPDX-License-Identifier: BSD-3-Clause */
/* The file ledger's table of records (ledger-table.h). */
#include "config.h"
#include "ledger-table.h"

#include <stdlib.h>
#include <string.h>

/* Grown (doubled) past 3/4 full: 24-byte slots then cost 32..64 bytes per
 * record. */
#define MIN_SLOTS 1024

struct ledger_table {
    ledger_slot *slots;
    size_t mask; /* slots - 1; slots is a power of two */
    size_t count;
    uint64_t moves;
    char **peers;
    size_t peer_count;
};

/* keyIds reach the ledger only after their MAC verified (or from the
 * KME), so their bits are not chosen by a client; a multiply-xorshift over
 * 8-byte words spreads them, whatever their layout's fixed fields. */
static uint64_t hash_id(uint16_t peer, const unsigned char *id, size_t len)
{
    uint64_t h = 0x9e3779b97f4a7c15u ^ ((uint64_t)peer << 8) ^ len;
    size_t i = 0;

    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, id + i, 8);
        h = (h ^ w) * 0xbf58476d1ce4e5b9u;
        h ^= h >> 31;
    }
    if (i < len) {
        uint64_t w = 0;
        memcpy(&w, id + i, len - i);
        h = (h ^ w) * 0x94d049bb133111ebu;
        h ^= h >> 29;
    }
    return h * 0xff51afd7ed558ccdu;
}

static size_t home(const ledger_table *t, const ledger_slot *s)
{
    return (size_t)(hash_id(s->peer, ledger_slot_id(s), s->id_len) >> 20) &
           t->mask;
}

static bool same(const ledger_slot *s, uint16_t peer, const unsigned char *id,
                 size_t id_len)
{
    return s->peer == peer && s->id_len == id_len &&
           memcmp(ledger_slot_id(s), id, id_len) == 0;
}

ledger_table *ledger_table_new(void)
{
    ledger_table *t = calloc(1, sizeof(*t));

    if (t == NULL)
        return NULL;
    t->slots = calloc(MIN_SLOTS, sizeof(ledger_slot));
    if (t->slots == NULL) {
        free(t);
        return NULL;
    }
    t->mask = MIN_SLOTS - 1;
    return t;
}

void ledger_table_free(ledger_table *t)
{
    if (t == NULL)
        return;
    for (size_t i = 0; i <= t->mask; i++)
        if (t->slots[i].expiry_s != 0 && t->slots[i].id_len > LEDGER_INLINE_ID)
            free(t->slots[i].id.heap);
    free(t->slots);
    for (size_t i = 0; i < t->peer_count; i++)
        free(t->peers[i]);
    free(t->peers);
    free(t);
}

int ledger_table_peer(ledger_table *t, const char *peer)
{
    char **grown;

    for (size_t i = 0; i < t->peer_count; i++)
        if (strcmp(t->peers[i], peer) == 0)
            return (int)i;
    if (t->peer_count >= LEDGER_PEERS_MAX)
        return -1;
    grown = realloc(t->peers, (t->peer_count + 1) * sizeof(*grown));
    if (grown == NULL)
        return -1;
    t->peers = grown;
    if ((t->peers[t->peer_count] = strdup(peer)) == NULL)
        return -1;
    return (int)t->peer_count++;
}

const char *ledger_table_peer_name(const ledger_table *t, uint16_t peer)
{
    return peer < t->peer_count ? t->peers[peer] : "";
}

/* Places a slot's record in a table known to have room for it. */
static ledger_slot *place(ledger_table *t, const ledger_slot *s)
{
    size_t i = home(t, s);

    while (t->slots[i].expiry_s != 0)
        i = (i + 1) & t->mask;
    t->slots[i] = *s;
    return &t->slots[i];
}

static bool resize(ledger_table *t, size_t slots)
{
    ledger_slot *old = t->slots;
    size_t old_slots = t->mask + 1;

    t->slots = calloc(slots, sizeof(ledger_slot));
    if (t->slots == NULL) {
        t->slots = old;
        return false;
    }
    t->mask = slots - 1;
    for (size_t i = 0; i < old_slots; i++)
        if (old[i].expiry_s != 0)
            place(t, &old[i]);
    free(old);
    t->moves++;
    return true;
}

bool ledger_table_reserve(ledger_table *t, size_t records)
{
    size_t slots = t->mask + 1;

    while (records > slots / 4 * 3)
        slots *= 2;
    return slots == t->mask + 1 || resize(t, slots);
}

ledger_slot *ledger_table_find(ledger_table *t, uint16_t peer,
                               const unsigned char *id, size_t id_len)
{
    size_t i = (size_t)(hash_id(peer, id, id_len) >> 20) & t->mask;

    for (;; i = (i + 1) & t->mask) {
        ledger_slot *s = &t->slots[i];
        if (s->expiry_s == 0)
            return NULL;
        if (same(s, peer, id, id_len))
            return s;
    }
}

ledger_slot *ledger_table_insert(ledger_table *t, uint16_t peer,
                                 const unsigned char *id, size_t id_len,
                                 uint64_t expiry_ms, bool pending)
{
    uint64_t expiry_s = (expiry_ms + 999) / 1000;
    ledger_slot s = {0};

    if (id_len > UINT8_MAX || !ledger_table_reserve(t, t->count + 1))
        return NULL;
    s.expiry_s = expiry_s == 0 ? 1 : expiry_s > UINT32_MAX ? UINT32_MAX
                                                            : (uint32_t)expiry_s;
    s.peer = peer;
    s.id_len = (uint8_t)id_len;
    s.pending = pending;
    if (id_len > LEDGER_INLINE_ID) {
        if ((s.id.heap = malloc(id_len)) == NULL)
            return NULL;
        memcpy(s.id.heap, id, id_len);
    } else {
        memcpy(s.id.bytes, id, id_len);
    }
    t->count++;
    return place(t, &s);
}

/* Empties slot i, then moves back each record after it that may (one
 * whose home is not cyclically within (i, j]), so no probe run breaks. */
static void remove_at(ledger_table *t, size_t i)
{
    size_t j = i;

    if (t->slots[i].id_len > LEDGER_INLINE_ID)
        free(t->slots[i].id.heap);
    for (;;) {
        size_t k;
        j = (j + 1) & t->mask;
        if (t->slots[j].expiry_s == 0)
            break;
        k = home(t, &t->slots[j]);
        if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
            continue;
        t->slots[i] = t->slots[j];
        i = j;
    }
    memset(&t->slots[i], 0, sizeof(ledger_slot));
    t->count--;
    t->moves++;
}

void ledger_table_remove(ledger_table *t, uint16_t peer,
                         const unsigned char *id, size_t id_len)
{
    ledger_slot *s = ledger_table_find(t, peer, id, id_len);

    if (s != NULL)
        remove_at(t, (size_t)(s - t->slots));
}

size_t ledger_table_count(const ledger_table *t)
{
    return t->count;
}

size_t ledger_table_slots(const ledger_table *t)
{
    return t->mask + 1;
}

uint64_t ledger_table_moves(const ledger_table *t)
{
    return t->moves;
}

bool ledger_table_scan(const ledger_table *t, size_t *cursor,
                       size_t max_slots,
                       void (*fn)(const ledger_slot *s, void *arg), void *arg)
{
    size_t i = *cursor, end = t->mask + 1;

    if (i >= end)
        i = 0;
    for (size_t n = 0; n < max_slots && i < end; n++, i++)
        if (t->slots[i].expiry_s != 0)
            fn(&t->slots[i], arg);
    *cursor = i < end ? i : 0;
    return i >= end;
}

size_t ledger_table_prune(ledger_table *t, size_t *cursor, size_t max_slots,
                          uint64_t now_ms)
{
    uint64_t now_s = now_ms / 1000;
    size_t i = *cursor & t->mask, removed = 0;

    for (size_t n = 0; n < max_slots;) {
        ledger_slot *s = &t->slots[i];
        /* expiry_s was rounded up: gone once now_s reaches it */
        if (s->expiry_s != 0 && !s->pending && s->expiry_s <= now_s) {
            remove_at(t, i); /* slot i may now hold a record moved back */
            removed++;
        } else {
            i = (i + 1) & t->mask;
            n++;
        }
    }
    *cursor = i;
    return removed;
}
