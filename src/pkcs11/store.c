/* SPDX-License-Identifier: BSD-3-Clause */
/* The object store: a dict by handle and, for SKIP keys, a dict by
 * (slot, CKA_ID), so "is this keyId held?" is one lookup. */
#include "config.h"
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The by-id key: the slot id's bytes, then the keyId. */
static size_t id_key(CK_SLOT_ID slot_id, const unsigned char *id, size_t len,
                     unsigned char *out)
{
    memcpy(out, &slot_id, sizeof(slot_id));
    memcpy(out + sizeof(slot_id), id, len);
    return sizeof(slot_id) + len;
}

CK_RV store_add_locked(object *obj)
{
    unsigned char key[sizeof(CK_SLOT_ID) + SKIP_KEYID_MAX];
    size_t n;

    obj->handle = g_module.next_handle++;
    /* A new handle (as at logout) keeps the object's CKA_UNIQUE_ID. */
    if (obj->unique_id[0] == '\0')
        snprintf(obj->unique_id, sizeof(obj->unique_id), "%lu",
                 ++g_module.next_unique);
    if (!dict_set(g_module.objects, &obj->handle, sizeof(obj->handle), obj))
        return CKR_HOST_MEMORY;
    if (obj->id && obj->local) {
        n = id_key(obj->slot_id, obj->id, obj->id_len, key);
        if (!dict_set(g_module.objects_by_id, key, n, obj)) {
            dict_remove(g_module.objects, &obj->handle, sizeof(obj->handle));
            return CKR_HOST_MEMORY;
        }
    }
    return CKR_OK;
}

object *store_get_locked(CK_OBJECT_HANDLE h)
{
    return dict_get(g_module.objects, &h, sizeof(h));
}

object *store_find_by_id_locked(CK_SLOT_ID slot_id, const unsigned char *id,
                                size_t len)
{
    unsigned char key[sizeof(CK_SLOT_ID) + SKIP_KEYID_MAX];

    if (len == 0 || len > SKIP_KEYID_MAX)
        return NULL;
    return dict_get(g_module.objects_by_id, key, id_key(slot_id, id, len, key));
}

void store_remove_locked(object *obj)
{
    unsigned char key[sizeof(CK_SLOT_ID) + SKIP_KEYID_MAX];

    dict_remove(g_module.objects, &obj->handle, sizeof(obj->handle));
    if (obj->id && obj->local &&
        dict_get(g_module.objects_by_id, key,
                 id_key(obj->slot_id, obj->id, obj->id_len, key)) == obj)
        dict_remove(g_module.objects_by_id, key,
                    id_key(obj->slot_id, obj->id, obj->id_len, key));
}

void object_free(object *obj)
{
    if (obj == NULL)
        return;
    skip_secbuf_free(obj->value); /* cleansed */
    free(obj->id);
    free(obj->label);
    free(obj->remote);
    free(obj);
}

struct owned {
    CK_SESSION_HANDLE session;
    object **found;
    size_t count;
};

static void collect_owned(void *value, void *arg)
{
    object *obj = value;
    struct owned *o = arg;

    if (obj->session == o->session)
        o->found[o->count++] = obj;
}

void store_destroy_session_objects_locked(CK_SESSION_HANDLE h)
{
    struct owned o = {h, NULL, 0};

    o.found = malloc((dict_count(g_module.objects) + 1) * sizeof(object *));
    if (o.found == NULL)
        return;
    dict_each(g_module.objects, collect_owned, &o);
    for (size_t i = 0; i < o.count; i++) {
        store_remove_locked(o.found[i]);
        object_free(o.found[i]);
    }
    free(o.found);
}

bool store_visible_locked(const object *obj, const session *sess)
{
    const slot *s = slot_get_locked(sess->slot_id);

    if (obj->slot_id != sess->slot_id)
        return false;
    return !obj->private_obj || s->logged_in || !s->cfg.has_pin;
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

    p.found = malloc((dict_count(g_module.objects) + 1) * sizeof(object *));
    if (p.found == NULL)
        return;
    dict_each(g_module.objects, collect_private, &p);
    for (size_t i = 0; i < p.count; i++) {
        object *obj = p.found[i];
        store_remove_locked(obj);
        if (obj->session != 0 || store_add_locked(obj) != CKR_OK)
            object_free(obj); /* private session objects end with the login */
    }
    free(p.found);
}
