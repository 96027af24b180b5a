/* SPDX-License-Identifier: BSD-3-Clause */
/* C_CreateObject, C_DestroyObject, C_GetObjectSize, C_Get/SetAttributeValue
 * and the three find calls. A search with an exact CKA_ID that the token
 * does not hold asks the KP for that keyId, once. */
#include "config.h"
#include "general.h"
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "skip/hex.h"
#include "skip/log.h"

struct find_state {
    CK_OBJECT_HANDLE *handles;
    size_t count, pos;
    unsigned long removals; /* g_module.removals when the snapshot was taken */
};

void find_state_free(void *data)
{
    struct find_state *f = data;

    if (f) {
        free(f->handles);
        free(f);
    }
}

/* The session and, when given, an object it may see. */
static CK_RV lookup_locked(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE ho,
                           session **sess, object **obj)
{
    CK_RV rv = session_begin_locked(h, NEED_SESSION, sess);

    if (rv != CKR_OK || obj == NULL)
        return rv;
    *obj = store_get_locked(ho);
    if (*obj == NULL || !store_visible_locked(*obj, *sess))
        return CKR_OBJECT_HANDLE_INVALID;
    return CKR_OK;
}

/* SKIP keys: AES sizes, or 16..64 bytes. */
static bool valid_key_length(CK_KEY_TYPE type, size_t len)
{
    if (type == CKK_AES)
        return len == 16 || len == 24 || len == 32;
    return len >= KEY_MIN_LEN && len <= KEY_MAX_LEN;
}

/* Imported keys: AES sizes, or any HMAC key (RFC 2104 takes any length;
 * test vectors use 4 and 131 bytes) up to IMPORT_KEY_MAX. Keys derived
 * from them are still 16 bytes or more (derive.c). */
static bool valid_import_length(CK_KEY_TYPE type, size_t len)
{
    if (type == CKK_AES)
        return valid_key_length(type, len);
    return len >= 1 && len <= IMPORT_KEY_MAX;
}

static bool supported_key_type(CK_KEY_TYPE type)
{
    return type == CKK_GENERIC_SECRET || type == CKK_AES ||
           type == CKK_SHA256_HMAC || type == CKK_SHA384_HMAC ||
           type == CKK_SHA512_HMAC;
}

/* a passed template_parse, so its length is at most ATTR_VALUE_MAX and
 * the + 1 cannot wrap. */
static CK_RV copy_bytes(const CK_ATTRIBUTE *a, char **out, size_t *len)
{
    if (a->ulValueLen > ATTR_VALUE_MAX)
        return CKR_ATTRIBUTE_VALUE_INVALID;
    *out = malloc(a->ulValueLen + 1);
    if (*out == NULL)
        return CKR_HOST_MEMORY;
    if (a->ulValueLen)
        memcpy(*out, a->pValue, a->ulValueLen);
    (*out)[a->ulValueLen] = '\0';
    *len = a->ulValueLen;
    return CKR_OK;
}

/* C_CreateObject imports session secret keys (Java raw keys, HMAC test
 * vectors). They never carry a CKA_ID, which names SKIP keys only, nor are
 * token objects (the policy table refuses both), and their provenance
 * flags are FALSE: the token did not make them. */
CK_RV object_create(CK_SESSION_HANDLE h, CK_ATTRIBUTE_PTR pTemplate,
                    CK_ULONG ulCount, CK_OBJECT_HANDLE_PTR phObject)
{
    CK_RV rv = module_ready();
    key_template t;
    object *obj = NULL;
    session *sess;

    if (rv != CKR_OK)
        return rv;
    if (phObject == NULL)
        return CKR_ARGUMENTS_BAD;
    rv = template_parse(pTemplate, ulCount, TEMPLATE_CREATE, &t);
    if (rv != CKR_OK)
        return rv;
    if (!t.has_class || !t.has_key_type || !t.has_value)
        return CKR_TEMPLATE_INCOMPLETE;
    if (t.cls != CKO_SECRET_KEY)
        return CKR_ATTRIBUTE_VALUE_INVALID;
    if (!supported_key_type(t.key_type))
        return CKR_ATTRIBUTE_VALUE_INVALID;
    if (t.has_value_len && t.value_len != t.value->ulValueLen)
        return CKR_TEMPLATE_INCONSISTENT;
    if (!valid_import_length(t.key_type, t.value->ulValueLen))
        return CKR_ATTRIBUTE_VALUE_INVALID;

    obj = calloc(1, sizeof(*obj));
    if (obj == NULL)
        return CKR_HOST_MEMORY;
    obj->key_type = t.key_type;
    obj->modifiable = t.has_modifiable ? t.modifiable : true;
    obj->destroyable = t.has_destroyable ? t.destroyable : true;
    obj->sensitive = t.has_sensitive && t.sensitive;
    obj->extractable = t.has_extractable ? t.extractable : true;
    obj->keygen_mech = CK_UNAVAILABLE_INFORMATION;
    rv = template_role(&t, &obj->role);
    if (rv == CKR_OK && obj->role == ROLE_HMAC && t.key_type == CKK_AES)
        rv = CKR_TEMPLATE_INCONSISTENT;
    if (rv == CKR_OK && t.has_label)
        rv = copy_bytes(t.label, &obj->label, &obj->label_len);
    if (rv == CKR_OK &&
        (obj->value = skip_secbuf_dup(t.value->pValue, t.value->ulValueLen)) == NULL)
        rv = CKR_HOST_MEMORY;
    if (rv != CKR_OK) {
        object_free(obj);
        return rv;
    }
    module_lock();
    rv = session_begin_locked(h, new_object_needs(&t, false), &sess);
    if (rv == CKR_OK) {
        obj->slot_id = sess->slot_id;
        obj->session = sess->handle;
        obj->private_obj = t.has_private
                               ? t.private_obj
                               : slot_get_locked(sess->slot_id)->cfg.has_pin;
    }
    if (rv == CKR_OK)
        rv = store_add_locked(obj);
    if (rv == CKR_OK)
        *phObject = obj->handle;
    module_unlock();
    if (rv != CKR_OK)
        object_free(obj);
    return rv;
}

CK_RV object_destroy(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE hObject)
{
    CK_RV rv = module_ready();
    session *sess;
    object *obj;

    if (rv != CKR_OK)
        return rv;
    module_lock();
    rv = lookup_locked(h, hObject, &sess, &obj);
    if (rv == CKR_OK && !obj->destroyable)
        rv = CKR_ACTION_PROHIBITED;
    if (rv == CKR_OK && obj->token && !(sess->flags & CKF_RW_SESSION))
        rv = CKR_SESSION_READ_ONLY;
    if (rv == CKR_OK) {
        store_remove_locked(obj);
        store_discard_locked(obj); /* cleanses the key */
    }
    module_unlock();
    return rv;
}

CK_RV object_get_size(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE hObject,
                      CK_ULONG_PTR pulSize)
{
    CK_RV rv = module_ready();
    session *sess;
    object *obj;

    if (rv != CKR_OK)
        return rv;
    if (pulSize == NULL)
        return CKR_ARGUMENTS_BAD;
    module_lock();
    rv = lookup_locked(h, hObject, &sess, &obj);
    if (rv == CKR_OK)
        *pulSize = CK_UNAVAILABLE_INFORMATION; /* says nothing of the key */
    module_unlock();
    return rv;
}

/* Goes through every entry and reports one error at the end, as the
 * standard asks; entries that cannot be given read
 * CK_UNAVAILABLE_INFORMATION. */
CK_RV object_get_attributes(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE hObject,
                            CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount)
{
    CK_RV rv = module_ready();
    session *sess;
    object *obj;

    if (rv != CKR_OK)
        return rv;
    if (pTemplate == NULL && ulCount != 0)
        return CKR_ARGUMENTS_BAD;
    module_lock();
    rv = lookup_locked(h, hObject, &sess, &obj);
    if (rv == CKR_OK) {
        for (CK_ULONG i = 0; i < ulCount; i++) {
            CK_RV one = attr_get(obj, &pTemplate[i]);
            if (rv == CKR_OK)
                rv = one; /* the first problem is the one reported */
        }
    }
    module_unlock();
    return rv;
}

/* The table's set column says which attributes may change (CKA_LABEL,
 * CKA_SENSITIVE, CKA_EXTRACTABLE); the one-way rules, which depend on the
 * object, are here. The whole template is checked before anything
 * changes. */
CK_RV object_set_attributes(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE hObject,
                            CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount)
{
    CK_RV rv = module_ready();
    char *label = NULL;
    size_t label_len = 0;
    key_template t;
    session *sess;
    object *obj;

    if (rv != CKR_OK)
        return rv;
    if (pTemplate == NULL && ulCount != 0)
        return CKR_ARGUMENTS_BAD;
    module_lock();
    rv = lookup_locked(h, hObject, &sess, &obj);
    if (rv == CKR_OK && !obj->modifiable)
        rv = CKR_ACTION_PROHIBITED;
    if (rv == CKR_OK && obj->token && !(sess->flags & CKF_RW_SESSION))
        rv = CKR_SESSION_READ_ONLY;
    if (rv == CKR_OK)
        rv = template_parse(pTemplate, ulCount, TEMPLATE_SET, &t);
    /* SENSITIVE may only become TRUE, EXTRACTABLE only FALSE. */
    if (rv == CKR_OK && ((t.has_sensitive && !t.sensitive && obj->sensitive) ||
                         (t.has_extractable && t.extractable && !obj->extractable)))
        rv = CKR_ATTRIBUTE_READ_ONLY;
    if (rv == CKR_OK && t.has_label)
        rv = copy_bytes(t.label, &label, &label_len);
    if (rv == CKR_OK) {
        if (t.has_label) {
            free(obj->label);
            obj->label = label;
            obj->label_len = label_len;
            obj->label_is_key_id = false;
            label = NULL;
        }
        if (t.has_sensitive && t.sensitive)
            obj->sensitive = true;
        if (t.has_extractable && !t.extractable)
            obj->extractable = false;
    }
    module_unlock();
    free(label);
    return rv;
}

struct find_collect {
    const session *sess;
    const CK_ATTRIBUTE *attrs;
    CK_ULONG count;
    struct find_state *state;
};

static void collect_match(void *value, void *arg)
{
    object *obj = value;
    struct find_collect *c = arg;

    if (store_visible_locked(obj, c->sess) &&
        attr_match(obj, c->attrs, c->count))
        c->state->handles[c->state->count++] = obj->handle;
}

/* collect_match for an exact-CKA_ID search, from the index entry: the
 * lookup proved the slot and CKA_ID equal, and every object is a secret
 * key, so a template of CKA_ID and CKA_CLASS alone (what responders ask)
 * is answered without reading the object. */
static void collect_entry(const id_entry *e, struct find_collect *c)
{
    const slot *s = slot_get_locked(c->sess->slot_id);
    const CK_OBJECT_CLASS secret = CKO_SECRET_KEY;

    if (e->private_obj && slot_needs_login_locked(s))
        return;
    for (CK_ULONG i = 0; i < c->count; i++) {
        const CK_ATTRIBUTE *a = &c->attrs[i];
        if (a->type == CKA_ID)
            continue;
        if (a->type == CKA_CLASS && a->ulValueLen == sizeof(secret) &&
            a->pValue != NULL && memcmp(a->pValue, &secret, sizeof(secret)) == 0)
            continue;
        /* something the entry does not hold: ask the object */
        collect_match(store_get_locked(e->handle), c);
        return;
    }
    c->state->handles[c->state->count++] = e->handle;
}

/* An exact CKA_ID search starts loading its index entry before anything
 * else (id_index_prefetch). */
static void prefetch_id(const CK_ATTRIBUTE *t, CK_ULONG count)
{
    for (CK_ULONG i = 0; t != NULL && i < count; i++)
        if (t[i].type == CKA_ID) {
            if (t[i].pValue != NULL && t[i].ulValueLen > 0 &&
                t[i].ulValueLen <= SKIP_KEYID_MAX)
                id_index_prefetch(t[i].pValue, t[i].ulValueLen);
            return;
        }
}

/* Whether a search may ask the KP: an exact CKA_ID, nothing that rules out
 * a SKIP key, and login done when the token has a PIN. */
static bool may_fetch(const key_template *t)
{
    if (!t->has_id || t->id->ulValueLen < KEYID_MIN_LEN ||
        t->id->ulValueLen > KEYID_MAX_LEN || t->has_value)
        return false;
    if (t->has_class && t->cls != CKO_SECRET_KEY)
        return false;
    if (t->has_token && !t->token)
        return false;
    if (t->has_key_type && t->key_type != CKK_GENERIC_SECRET &&
        t->key_type != CKK_AES)
        return false;
    return true;
}

/* Adds the key the KP holds for keyId t->id (private_obj: the slot's
 * default), unless another thread did it first. Called without the lock. */
static CK_RV fetch_key(CK_SESSION_HANDLE h, CK_SLOT_ID slot_id,
                       bool private_obj, const key_template *t)
{
    CK_OBJECT_HANDLE handle;
    CK_KEY_TYPE type = CKK_GENERIC_SECRET;
    char *remote_asked = NULL, *remote = NULL;
    bool not_found = false;
    skip_key key;
    object *obj;
    key_role role;
    CK_RV rv = template_role(t, &role);

    if (rv != CKR_OK)
        return rv;
    if (t->has_remote) {
        size_t n;
        rv = copy_bytes(t->remote, &remote_asked, &n);
        if (rv != CKR_OK)
            return rv;
    }
    rv = kp_fetch(slot_id, remote_asked, t->id->pValue, t->id->ulValueLen,
                  &key, &remote, &not_found);
    free(remote_asked);
    if (rv != CKR_OK || not_found)
        return rv;
    /* The KP gave this key once: it is kept whatever the search asked. An
     * AES search for a key no AES size fits keeps it as the generic secret
     * it is; this search then finds nothing, the next finds it here. */
    if (t->has_key_type && t->key_type == CKK_AES &&
        valid_key_length(CKK_AES, key.key->len))
        type = CKK_AES;
    obj = skip_key_object(&key, remote, type, role,
                          CK_UNAVAILABLE_INFORMATION, NULL);
    skip_key_clear(&key);
    if (obj == NULL)
        return CKR_HOST_MEMORY;
    obj->slot_id = slot_id;
    obj->private_obj = private_obj;
    /* The search that follows finds it (or the key held already). */
    return publish_key(h, obj, false, &handle);
}

/* A label in keyId form names the SKIP key with that keyId (policy.c):
 * every SKIP key's default CKA_LABEL is its keyId in hex, and Java's
 * KeyStore and p11tool's object= look keys up by label only. So the search
 * runs on a copy of the template in which each such label is that CKA_ID:
 * it finds the SKIP key, or asks the KP, exactly as a search by CKA_ID,
 * and never a key that took the label (A16). *copy is NULL when the
 * template has no such label, and is freed by the caller. */
static CK_RV labels_as_ids(const CK_ATTRIBUTE *tmpl, CK_ULONG count,
                           CK_ATTRIBUTE **copy)
{
    unsigned char (*ids)[KEYID_MAX_LEN];
    CK_ULONG named = 0;

    *copy = NULL;
    for (CK_ULONG i = 0; tmpl && i < count; i++)
        if (tmpl[i].type == CKA_LABEL && label_names_key_id(&tmpl[i], NULL, NULL))
            named++;
    if (named == 0)
        return CKR_OK;
    if (count > (SIZE_MAX - named * KEYID_MAX_LEN) / sizeof(CK_ATTRIBUTE))
        return CKR_ARGUMENTS_BAD;
    /* the entries, then room for each keyId they point to */
    *copy = malloc(count * sizeof(CK_ATTRIBUTE) + named * KEYID_MAX_LEN);
    if (*copy == NULL)
        return CKR_HOST_MEMORY;
    ids = (void *)(*copy + count);
    for (CK_ULONG i = 0; i < count; i++) {
        size_t n;
        (*copy)[i] = tmpl[i];
        if (tmpl[i].type == CKA_LABEL && label_names_key_id(&tmpl[i], *ids, &n)) {
            (*copy)[i] = (CK_ATTRIBUTE){CKA_ID, *ids, n};
            ids++;
        }
    }
    return CKR_OK;
}

/* Searches that ask the KP, per slot and process: enough for any IKE
 * responder, too few to enumerate keyIds or drain the peers' one-time keys
 * however many sessions ask. One log line per window. */
static bool fetch_allowed_locked(slot *s)
{
    time_t now = time(NULL);

    if (s->cfg.fetch_limit == 0)
        return true;
    if (now - s->fetch_window >= FETCH_WINDOW_S) {
        s->fetch_window = now;
        s->fetches = 0;
    }
    if (s->fetches < s->cfg.fetch_limit) {
        s->fetches++;
        return true;
    }
    if (s->fetches++ == s->cfg.fetch_limit)
        skip_log_error("C_FindObjectsInit: slot %s: more than fetch_limit = %u "
                       "searches asked the KP within %d s; refused until the "
                       "window ends", s->cfg.name, s->cfg.fetch_limit,
                       FETCH_WINDOW_S);
    return false;
}

static bool in_flight_locked(CK_SLOT_ID slot_id, const CK_ATTRIBUTE *id)
{
    for (const fetch_in_flight *f = g_module.fetching; f; f = f->next)
        if (f->slot_id == slot_id && f->id_len == id->ulValueLen &&
            memcmp(f->id, id->pValue, f->id_len) == 0)
            return true;
    return false;
}

static void end_fetch(fetch_in_flight *mine)
{
    module_lock();
    for (fetch_in_flight **p = &g_module.fetching; *p; p = &(*p)->next) {
        if (*p == mine) {
            *p = mine->next;
            break;
        }
    }
    pthread_cond_broadcast(&g_module.fetched);
    module_unlock();
}

CK_RV object_find_init(CK_SESSION_HANDLE h, CK_ATTRIBUTE_PTR pTemplate,
                       CK_ULONG ulCount)
{
    CK_ATTRIBUTE *rewritten = NULL;
    CK_RV rv = module_ready();
    struct find_collect c = {0};
    struct find_state *state = NULL;
    CK_SLOT_ID slot_id = 0;
    key_template t;
    session *sess;
    bool fetch = false, private_obj = false;
    fetch_in_flight mine = {0};

    if (rv != CKR_OK)
        return rv;
    prefetch_id(pTemplate, ulCount);
    rv = labels_as_ids(pTemplate, ulCount, &rewritten);
    if (rv != CKR_OK)
        return rv;
    if (rewritten)
        pTemplate = rewritten;
    rv = template_parse(pTemplate, ulCount, TEMPLATE_FIND, &t);
    if (rv != CKR_OK)
        goto out;
    module_lock();
    rv = lookup_locked(h, 0, &sess, NULL);
    if (rv == CKR_OK && sess->find != NULL)
        rv = CKR_OPERATION_ACTIVE;
    if (rv == CKR_OK) {
        slot *s = slot_get_locked(sess->slot_id);
        slot_id = sess->slot_id;
        private_obj = s->cfg.has_pin;
        /* Without the login a search runs, but reaches no KP. */
        fetch = may_fetch(&t) && !slot_needs_login_locked(s) &&
                store_find_by_id_locked(slot_id, t.id->pValue,
                                        t.id->ulValueLen) == NULL;
        /* The KP gives a key once: while another search asks for this
         * keyId, this one waits for that answer and then looks in the
         * store (the collection below checks module and session again). */
        if (fetch && in_flight_locked(slot_id, t.id)) {
            fetch = false;
            while (in_flight_locked(slot_id, t.id))
                module_wait(&g_module.fetched);
        }
        if (fetch && !fetch_allowed_locked(s))
            rv = CKR_DEVICE_ERROR;
        if (fetch && rv == CKR_OK) {
            mine = (fetch_in_flight){slot_id, t.id->pValue, t.id->ulValueLen,
                                     g_module.fetching};
            g_module.fetching = &mine;
        }
    }
    module_unlock();
    if (rv != CKR_OK)
        goto out;
    if (fetch) {
        rv = fetch_key(h, slot_id, private_obj, &t);
        end_fetch(&mine);
        if (rv != CKR_OK)
            goto out;
    }

    state = calloc(1, sizeof(*state));
    module_lock();
    rv = module_ready();
    if (rv == CKR_OK)
        rv = lookup_locked(h, 0, &sess, NULL);
    if (rv == CKR_OK && sess->find != NULL)
        rv = CKR_OPERATION_ACTIVE;
    /* An exact CKA_ID finds one object at most; other searches may find
     * every object held. */
    if (rv == CKR_OK && state &&
        !(state->handles = malloc(
              ((t.has_id ? 1 : handle_map_count(g_module.objects)) + 1) *
              sizeof(CK_OBJECT_HANDLE))))
        rv = CKR_HOST_MEMORY;
    if (rv == CKR_OK && state == NULL)
        rv = CKR_HOST_MEMORY;
    if (rv == CKR_OK) {
        /* An exact CKA_ID is one lookup; anything else walks the store
         * once, with no I/O, into a snapshot the calls then page through. */
        c.sess = sess;
        c.attrs = pTemplate;
        c.count = ulCount;
        c.state = state;
        state->removals = g_module.removals;
        if (t.has_id) {
            const id_entry *e = store_find_by_id_locked(
                sess->slot_id, t.id->pValue, t.id->ulValueLen);
            if (e)
                collect_entry(e, &c);
        } else {
            handle_map_each(g_module.objects, collect_match, &c);
        }
        sess->find = state;
        state = NULL;
    }
    module_unlock();
    find_state_free(state);
out:
    free(rewritten);
    return rv;
}

CK_RV object_find(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE_PTR phObject,
                  CK_ULONG ulMaxObjectCount, CK_ULONG_PTR pulObjectCount)
{
    CK_RV rv = module_ready();
    struct find_state *f;
    session *sess;
    CK_ULONG n = 0;

    if (rv != CKR_OK)
        return rv;
    if (phObject == NULL || pulObjectCount == NULL)
        return CKR_ARGUMENTS_BAD;
    module_lock();
    rv = lookup_locked(h, 0, &sess, NULL);
    if (rv == CKR_OK && sess->find == NULL)
        rv = CKR_OPERATION_NOT_INITIALIZED;
    if (rv == CKR_OK) {
        f = sess->find;
        while (n < ulMaxObjectCount && f->pos < f->count) {
            CK_OBJECT_HANDLE ho = f->handles[f->pos++];
            /* Objects removed since the snapshot are skipped (none were
             * if the count of removals has not moved). */
            if (f->removals == g_module.removals || store_get_locked(ho) != NULL)
                phObject[n++] = ho;
        }
        *pulObjectCount = n;
    }
    module_unlock();
    return rv;
}

CK_RV object_find_final(CK_SESSION_HANDLE h)
{
    CK_RV rv = module_ready();
    session *sess;

    if (rv != CKR_OK)
        return rv;
    module_lock();
    rv = lookup_locked(h, 0, &sess, NULL);
    if (rv == CKR_OK && sess->find == NULL)
        rv = CKR_OPERATION_NOT_INITIALIZED;
    if (rv == CKR_OK)
        session_find_end_locked(sess);
    module_unlock();
    return rv;
}
