/* SPDX-License-Identifier: BSD-3-Clause */
/* The session gate: the one place that says what a call may do in a
 * session (a live session, the login its token asks for, a read/write
 * session for token objects), and the one way a key made from a KP answer,
 * outside the lock, reaches the store. */
#include "config.h"
#include "general.h"
#include "internal.h"

#include <openssl/crypto.h>

#include "skip/hex.h"
#include "skip/log.h"

CK_RV session_begin_locked(CK_SESSION_HANDLE h, unsigned needs,
                           session **sess)
{
    session *s = session_get_locked(h);

    *sess = NULL;
    if (s == NULL)
        return CKR_SESSION_HANDLE_INVALID;
    if ((needs & NEED_LOGIN) &&
        slot_needs_login_locked(slot_get_locked(s->slot_id)))
        return CKR_USER_NOT_LOGGED_IN;
    if ((needs & NEED_RW) && !(s->flags & CKF_RW_SESSION))
        return CKR_SESSION_READ_ONLY;
    *sess = s;
    return CKR_OK;
}

unsigned new_object_needs(const key_template *t, bool token_default)
{
    bool token = t->has_token ? t->token : token_default;
    /* Omitted, CKA_PRIVATE follows the token's PIN: private when it has
     * one, and then the login is needed (needing it without a PIN is no
     * condition at all). */
    bool public_asked = t->has_private && !t->private_obj;

    return (public_asked ? 0 : NEED_LOGIN) | (token ? NEED_RW : 0);
}

/* Logged when the KP names a key the slot holds: harmless for a search
 * (two threads raced for it, or a KP that gives a key more than once),
 * a fault when a fresh key was asked for. */
static void log_held(const object *held, const object *obj, bool fresh)
{
    char hex[2 * SKIP_KEYID_MAX + 1];
    bool same = held->value->len == obj->value->len &&
                CRYPTO_memcmp(held->value->data, obj->value->data,
                              obj->value->len) == 0;

    skip_hex_encode(obj->id, obj->id_len, hex);
    if (fresh)
        skip_log_error("slot %s: the KP gave keyId %s as a fresh key, but "
                       "the token already holds it; refused",
                       slot_get_locked(obj->slot_id)->cfg.name, hex);
    else if (!same)
        skip_log_error("slot %s: the KP gave keyId %s again with another "
                       "key; the key held first is kept",
                       slot_get_locked(obj->slot_id)->cfg.name, hex);
}

CK_RV publish_key(CK_SESSION_HANDLE h, object *obj, bool fresh,
                  CK_OBJECT_HANDLE *handle)
{
    CK_RV rv;
    const id_entry *held;
    bool session_open;

    module_lock();
    rv = module_ready();
    if (rv != CKR_OK) {
        /* No token is left to hold it, and the KP gives a key once. */
        char hex[2 * SKIP_KEYID_MAX + 1];
        skip_hex_encode(obj->id, obj->id_len, hex);
        skip_log_error("keyId %s arrived after C_Finalize: cleansed, and "
                       "lost (the KP gives a key once)", hex);
        goto out;
    }
    session_open = session_get_locked(h) != NULL;
    /* A session key dies with its session anyway. */
    if (!obj->token && !session_open) {
        rv = CKR_SESSION_HANDLE_INVALID;
        goto out;
    }
    held = store_find_by_id_locked(obj->slot_id, obj->id, obj->id_len);
    if (held != NULL) {
        log_held(store_get_locked(held->handle), obj, fresh);
        if (fresh) {
            rv = CKR_DEVICE_ERROR;
        } else {
            *handle = held->handle;
            rv = session_open ? CKR_OK : CKR_SESSION_HANDLE_INVALID;
        }
        goto out; /* obj is freed below */
    }
    obj->session = obj->token ? 0 : h;
    rv = store_add_locked(obj);
    if (rv == CKR_OK) {
        *handle = obj->handle;
        obj = NULL; /* the store's now */
        /* A token key outlives the session that asked: the KP gives each
         * key once, so dropping it here would lose it for good. */
        if (!session_open)
            rv = CKR_SESSION_HANDLE_INVALID;
    }
out:
    module_unlock();
    object_free(obj);
    return rv;
}
