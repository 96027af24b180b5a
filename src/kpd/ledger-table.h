/* SPDX-License-Identifier: BSD-3-Clause */
/* The file ledger's records in memory: an open-addressing hash table of
 * 24-byte slots (linear probing, backward-shift removal), so a site with a
 * million live deliveries holds about 50 MB, not 190 (docs/performance.md).
 * A slot holds the expiry in seconds, the peer as an index into a table of
 * peer names, and the keyId itself when it is 16 bytes or shorter (the
 * draft's default and an ETSI UUID); a longer one lives in a heap copy.
 * Only the event loop touches it. */
#ifndef KPD_LEDGER_TABLE_H
#define KPD_LEDGER_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LEDGER_INLINE_ID 16
#define LEDGER_PEERS_MAX 65535

typedef struct ledger_slot {
    uint32_t expiry_s; /* 0: the slot is empty */
    uint16_t peer;
    uint8_t id_len;
    uint8_t pending; /* in a batch that is not durable yet */
    union {
        unsigned char bytes[LEDGER_INLINE_ID];
        unsigned char *heap; /* id_len > LEDGER_INLINE_ID */
    } id;
} ledger_slot;

typedef struct ledger_table ledger_table;

ledger_table *ledger_table_new(void);
void ledger_table_free(ledger_table *t);

/* The index of a peer's name, added when new; -1 when out of memory or
 * past LEDGER_PEERS_MAX. */
int ledger_table_peer(ledger_table *t, const char *peer);
const char *ledger_table_peer_name(const ledger_table *t, uint16_t peer);

static inline const unsigned char *ledger_slot_id(const ledger_slot *s)
{
    return s->id_len > LEDGER_INLINE_ID ? s->id.heap : s->id.bytes;
}

/* The record of (peer, id), or NULL. The pointer is valid until the next
 * insert or remove. */
ledger_slot *ledger_table_find(ledger_table *t, uint16_t peer,
                               const unsigned char *id, size_t id_len);
/* Adds a record known to be absent and returns its slot (valid until the
 * next insert or remove); NULL when out of memory. A record's expiry is
 * kept in whole seconds, rounded up. */
ledger_slot *ledger_table_insert(ledger_table *t, uint16_t peer,
                         const unsigned char *id, size_t id_len,
                         uint64_t expiry_ms, bool pending);
/* Removes (peer, id) if present. */
void ledger_table_remove(ledger_table *t, uint16_t peer,
                         const unsigned char *id, size_t id_len);
size_t ledger_table_count(const ledger_table *t);
/* Room for this many records without growing (a load's estimate). */
bool ledger_table_reserve(ledger_table *t, size_t records);

/* Bumped whenever a record may have moved to another slot (a removal's
 * backward shift, a growth): a scan that saw it change must start over
 * to be sure it saw every record. */
uint64_t ledger_table_moves(const ledger_table *t);

/* Visits up to max_slots slots from *cursor on, calling fn for each
 * record; *cursor wraps to 0 at the end. Returns true when this call
 * reached the end. */
bool ledger_table_scan(const ledger_table *t, size_t *cursor,
                       size_t max_slots,
                       void (*fn)(const ledger_slot *s, void *arg), void *arg);

/* Removes the records expired at now_ms (not pending) in the next
 * max_slots slots from *cursor on, wrapping; returns how many went. */
size_t ledger_table_prune(ledger_table *t, size_t *cursor, size_t max_slots,
                          uint64_t now_ms);

size_t ledger_table_slots(const ledger_table *t);

#endif
