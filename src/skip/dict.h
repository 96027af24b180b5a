/* SPDX-License-Identifier: BSD-3-Clause */
/* A chained hash table with byte-string keys (owned copies) and pointer
 * values (not owned), for skip-kpd's tables. (The module's handles and
 * CKA_IDs have tables of their own: src/pkcs11/handle-map.c and
 * id-index.c.) Lookups never scan. */
#ifndef SKIP_DICT_H
#define SKIP_DICT_H

#include <stdbool.h>
#include <stddef.h>

typedef struct dict dict;

dict *dict_new(void);
/* Frees the table, not the values; NULL is a no-op. */
void dict_free(dict *d);
void *dict_get(const dict *d, const void *key, size_t len);
/* Adds or replaces; false when out of memory. */
bool dict_set(dict *d, const void *key, size_t len, void *value);
/* Removes the entry and returns its value, or NULL. */
void *dict_remove(dict *d, const void *key, size_t len);
size_t dict_count(const dict *d);
/* Calls fn for every value; fn must not change the dict. */
void dict_each(const dict *d, void (*fn)(void *value, void *arg), void *arg);
/* Removes every entry for which keep() is false, handing its value to
 * drop() (which may be NULL). */
void dict_filter(dict *d, bool (*keep)(void *value, void *arg),
                 void (*drop)(void *value), void *arg);

#endif
