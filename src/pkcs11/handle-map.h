/* SPDX-License-Identifier: BSD-3-Clause */
/* Sessions and objects by handle: an open-addressing table of (handle,
 * pointer) pairs. Adding or removing a key allocates nothing, so a derive
 * and its destroy pay for no table entry, and a lookup reads one slot
 * where a chained table read a bucket and then an entry
 * (docs/performance.md). Handles are the module's own (never 0), so no
 * caller chooses where they land. Values are not owned. */
#ifndef SKIP_PKCS11_HANDLE_MAP_H
#define SKIP_PKCS11_HANDLE_MAP_H

#include <stdbool.h>
#include <stddef.h>

#include "pkcs11-3.h"

typedef struct handle_map handle_map;

handle_map *handle_map_new(void);
/* Frees the table, not the values; NULL is a no-op. */
void handle_map_free(handle_map *m);
void *handle_map_get(const handle_map *m, CK_ULONG handle);
/* Adds handle (not yet in m, never 0); false when out of memory. */
bool handle_map_add(handle_map *m, CK_ULONG handle, void *value);
/* Removes handle and returns its value, or NULL. */
void *handle_map_remove(handle_map *m, CK_ULONG handle);
size_t handle_map_count(const handle_map *m);
/* Calls fn for every value; fn must not change the map. */
void handle_map_each(const handle_map *m, void (*fn)(void *value, void *arg),
                     void *arg);

#endif
