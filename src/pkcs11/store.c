/* SPDX-License-Identifier: BSD-3-Clause */
/* The object store: a handle map and, for SKIP keys, the CKA_ID index
 * (id-index.c), so "is this keyId held?" is one lookup that does not read
 * the object. */
#include "config.h"
#include "internal.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Links a session object into its session's list, or takes it out. */
static void link_owned(object *obj)
{
    session *s = obj->session ? session_get_locked(obj->session) : NULL;

    if (s == NULL)
        return;
    obj->owner_prev = NULL;
    obj->owner_next = s->owned;
    if (s->owned)
        s->owned->owner_prev = obj;
    s->owned = obj;
}

static void unlink_owned(object *obj)
{
    session *s = obj->session ? session_get_locked(obj->session) : NULL;

    if (obj->owner_prev)
        obj->owner_prev->owner_next = obj->owner_next;
    else if (s && s->owned == obj)
        s->owned = obj->owner_next;
    if (obj->owner_next)
        obj->owner_next->owner_prev = obj->owner_prev;
    obj->owner_prev = obj->owner_next = NULL;
}

/* The next CKA_UNIQUE_ID into out (room for 24 bytes): the last one's
 * decimal text, counted up in place. Only the trailing nines and the digit
 * before them change, where formatting a number (snprintf, or dividing by
 * ten per digit) cost a tenth of a derive (docs/performance.md). */
static void next_unique_id(char *out)
{
    char *last = g_module.last_unique_id;
    size_t len = strlen(last), i = len;

    while (i > 0 && last[i - 1] == '9')
        last[--i] = '0';
    if (i > 0) {
        last[i - 1]++;
    } else { /* all nines, or the first id: one digit more */
        memmove(last + 1, last, len + 1);
        last[0] = '1';
        len++;
    }
    memcpy(out, last, len + 1);
}

CK_RV store_add_locked(object *obj)
{
    obj->handle = g_module.next_handle++;
    /* A new handle (as at logout) keeps the object's CKA_UNIQUE_ID. */
    if (obj->unique_id[0] == '\0')
        next_unique_id(obj->unique_id);
    if (!handle_map_add(g_module.objects, obj->handle, obj))
        return CKR_HOST_MEMORY;
    if (obj->id && obj->local && !id_index_add(g_module.objects_by_id, obj)) {
        handle_map_remove(g_module.objects, obj->handle);
        return CKR_HOST_MEMORY;
    }
    link_owned(obj);
    return CKR_OK;
}

object *store_get_locked(CK_OBJECT_HANDLE h)
{
    return handle_map_get(g_module.objects, h);
}

const id_entry *store_find_by_id_locked(CK_SLOT_ID slot_id,
                                        const unsigned char *id, size_t len)
{
    if (len == 0 || len > SKIP_KEYID_MAX)
        return NULL;
    return id_index_find(g_module.objects_by_id, slot_id, id, len);
}

static void end_ops_keyed_with(void *value, void *arg)
{
    session *s = value;

    if (s->op_key == arg)
        session_op_end_locked(s);
}

void store_remove_locked(object *obj)
{
    /* An operation keyed with obj holds OpenSSL's unlocked copy of its
     * bytes: it ends with the key, not with its session. */
    if (obj->ops > 0)
        handle_map_each(g_module.sessions, end_ops_keyed_with, obj);
    /* The index first: telling long ids apart reads the object by handle. */
    if (obj->id && obj->local)
        id_index_remove(g_module.objects_by_id, obj);
    handle_map_remove(g_module.objects, obj->handle);
    unlink_owned(obj);
    g_module.removals++;
}

const hmac_pads *object_pads_locked(object *key, hmac_digest d)
{
    if (key->hmac[d] == NULL) {
        skip_secbuf *b = skip_secbuf_new(sizeof(hmac_pads));
        if (b == NULL || !hmac_pads_make((hmac_pads *)b->data, d,
                                         key->value->data, key->value->len)) {
            skip_secbuf_free(b);
            return NULL;
        }
        key->hmac[d] = b;
    }
    return (const hmac_pads *)key->hmac[d]->data;
}

/* Everything an object owns but itself. */
static void free_parts(object *obj)
{
    skip_secbuf_free(obj->value); /* cleansed */
    for (int d = 0; d < HMAC_DIGESTS; d++)
        skip_secbuf_free(obj->hmac[d]);
    free(obj->id);
    free(obj->label);
    free(obj->remote);
}

/* A derive is followed by a destroy, thousands of times a second in a VPN
 * gateway's rekeys: keeping a few destroyed keys' objects and value
 * buffers (cleansed) for the next derive saves it four allocations and
 * two locks of the locked-memory slab (docs/performance.md). */
object *store_new_key_locked(size_t value_len)
{
    object *obj;

    for (size_t i = g_module.spare_count; i-- > 0;) {
        obj = g_module.spares[i];
        if (obj->value->cap != value_len)
            continue;
        memmove(g_module.spares + i, g_module.spares + i + 1,
                (--g_module.spare_count - i) * sizeof(g_module.spares[0]));
        return obj;
    }
    obj = calloc(1, sizeof(*obj));
    if (obj != NULL && (obj->value = skip_secbuf_new(value_len)) == NULL) {
        free(obj);
        obj = NULL;
    }
    return obj;
}

void store_discard_locked(object *obj)
{
    skip_secbuf *value;

    if (obj == NULL)
        return;
    if (obj->value == NULL) {
        object_free(obj);
        return;
    }
    /* Full: the oldest goes, so the lengths kept follow the keys destroyed
     * lately (eight KP keys destroyed once do not keep every later derive,
     * of another length, from finding a spare). */
    if (g_module.spare_count == STORE_SPARE_KEYS) {
        object_free(g_module.spares[0]);
        memmove(g_module.spares, g_module.spares + 1,
                (STORE_SPARE_KEYS - 1) * sizeof(g_module.spares[0]));
        g_module.spare_count--;
    }
    value = obj->value;
    obj->value = NULL;
    OPENSSL_cleanse(value->data, value->cap); /* the key's bytes */
    value->len = 0;
    free_parts(obj);
    memset(obj, 0, sizeof(*obj)); /* as calloc left it */
    obj->value = value;
    g_module.spares[g_module.spare_count++] = obj;
}

void store_free_spares_locked(void)
{
    while (g_module.spare_count > 0)
        object_free(g_module.spares[--g_module.spare_count]);
}

void object_free(object *obj)
{
    if (obj == NULL)
        return;
    free_parts(obj);
    free(obj);
}

void store_destroy_session_objects_locked(session *s)
{
    while (s->owned) {
        object *obj = s->owned;
        store_remove_locked(obj); /* unlinks it from s->owned */
        object_free(obj);
    }
}

bool store_visible_locked(const object *obj, const session *sess)
{
    const slot *s = slot_get_locked(sess->slot_id);

    if (obj->slot_id != sess->slot_id)
        return false;
    return !obj->private_obj || !slot_needs_login_locked(s);
}

struct private_objects {
    CK_SLOT_ID slot_id;
    object **found;
    size_t count;
};

static void collect_private(void *value, void *arg)
{
    object *obj = value;
    struct private_objects *p = arg;

    if (obj->slot_id == p->slot_id && obj->private_obj)
        p->found[p->count++] = obj;
}

void store_logout_locked(CK_SLOT_ID slot_id)
{
    struct private_objects p = {slot_id, NULL, 0};

    p.found = malloc((handle_map_count(g_module.objects) + 1) * sizeof(object *));
    if (p.found == NULL)
        return;
    handle_map_each(g_module.objects, collect_private, &p);
    for (size_t i = 0; i < p.count; i++) {
        object *obj = p.found[i];
        store_remove_locked(obj);
        if (obj->session != 0 || store_add_locked(obj) != CKR_OK)
            object_free(obj); /* private session objects end with the login */
    }
    free(p.found);
}
