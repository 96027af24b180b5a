/* SPDX-License-Identifier: BSD-3-Clause */
/* The CKA_ID index: (slot, keyId) -> SKIP key, in one flat array.
 *
 * A search by CKA_ID is the hot path of a responder (every peer's keyId is
 * looked up). With 100k keys held the objects do not fit in any cache, so
 * each entry carries what such a search needs (handle, slot, CKA_PRIVATE
 * and the keyId's first 16 bytes, all of a SKIP keyId) and answering reads
 * one 32-byte entry, not the object: open addressing, linear probing, in
 * memory that may use huge pages so a lookup costs no TLB miss either. */
#ifndef SKIP_PKCS11_ID_INDEX_H
#define SKIP_PKCS11_ID_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pkcs11-3.h"

struct object;

#define ID_INDEX_HEAD 16 /* keyId bytes kept in the entry */

typedef struct {
    CK_OBJECT_HANDLE handle; /* CK_INVALID_HANDLE: a free entry */
    unsigned char head[ID_INDEX_HEAD]; /* the rest, if any, is in the object */
    uint32_t hash;
    uint16_t slot_id;
    uint8_t id_len;
    bool private_obj;
} id_entry;

typedef struct id_index id_index;

id_index *id_index_new(void);
void id_index_free(id_index *idx);

/* Adds obj (its slot, id, handle and CKA_PRIVATE are read now); false when
 * out of memory. The caller has checked the (slot, id) is not present. */
bool id_index_add(id_index *idx, const struct object *obj);

/* Removes obj's entry if the index holds obj itself for its id. */
void id_index_remove(id_index *idx, const struct object *obj);

/* Starts loading the cache line where a search for id will look, without
 * the module lock: a search calls it first thing, so that the memory
 * access (a DRAM access with 100k keys held) overlaps the template's
 * parsing and the session's lookup instead of following them. */
void id_index_prefetch(const unsigned char *id, size_t len);

/* The entry for (slot_id, id), or NULL. */
const id_entry *id_index_find(const id_index *idx, CK_SLOT_ID slot_id,
                              const unsigned char *id, size_t len);

#endif
