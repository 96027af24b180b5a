/* SPDX-License-Identifier: BSD-3-Clause */
/* Sessions and login. Login state belongs to the token (all sessions of a
 * slot share it) and ends when its last session closes. */
#include "config.h"
#include "general.h"
#include "internal.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

session *session_get_locked(CK_SESSION_HANDLE h)
{
    return handle_map_get(g_module.sessions, h);
}

CK_RV session_first(CK_SESSION_HANDLE h, CK_RV rv)
{
    CK_RV ready = module_ready();
    bool exists;

    if (ready != CKR_OK)
        return ready;
    module_lock_shared();
    exists = session_get_locked(h) != NULL;
    module_unlock_shared();
    return exists ? rv : CKR_SESSION_HANDLE_INVALID;
}

void session_op_detach_locked(session *s)
{
    if (s->op_key)
        s->op_key->ops--;
    s->op_key = NULL;
    s->op = OP_NONE;
    s->op_data = NULL;
}

void session_claim(session *s)
{
    while (atomic_exchange_explicit(&s->claimed, true, memory_order_acquire))
        sched_yield(); /* the other call holds it for a few copies */
}

void session_release(session *s)
{
    atomic_store_explicit(&s->claimed, false, memory_order_release);
}

void session_op_end_locked(session *s)
{
    if (s->op == OP_SIGN || s->op == OP_VERIFY)
        mac_state_free(s->op_data);
    session_op_detach_locked(s);
}

void session_find_end_locked(session *s)
{
    find_state_free(s->find);
    s->find = NULL;
}

CK_RV session_open(CK_SLOT_ID slotID, CK_FLAGS flags, CK_SESSION_HANDLE_PTR ph)
{
    CK_RV rv = module_ready();
    session *s;

    if (rv != CKR_OK)
        return rv;
    if (ph == NULL)
        return CKR_ARGUMENTS_BAD;
    if (!(flags & CKF_SERIAL_SESSION))
        return CKR_SESSION_PARALLEL_NOT_SUPPORTED;
    module_lock();
    if (slot_get_locked(slotID) == NULL) {
        rv = CKR_SLOT_ID_INVALID;
        goto out;
    }
    s = calloc(1, sizeof(*s));
    if (s == NULL) {
        rv = CKR_HOST_MEMORY;
        goto out;
    }
    s->handle = g_module.next_handle++;
    s->slot_id = slotID;
    s->flags = flags & (CKF_SERIAL_SESSION | CKF_RW_SESSION);
    if (!handle_map_add(g_module.sessions, s->handle, s)) {
        free(s);
        rv = CKR_HOST_MEMORY;
        goto out;
    }
    slot_get_locked(slotID)->session_count++;
    *ph = s->handle;
out:
    module_unlock();
    return rv;
}

struct slot_sessions {
    CK_SLOT_ID slot_id;
    CK_SESSION_HANDLE *handles;
    size_t count;
};

static void collect(void *value, void *arg)
{
    session *s = value;
    struct slot_sessions *c = arg;

    if (s->slot_id == c->slot_id)
        c->handles[c->count++] = s->handle;
}

static void close_locked(session *s)
{
    CK_SLOT_ID slot_id = s->slot_id;
    slot *sl;

    session_op_end_locked(s);
    session_find_end_locked(s);
    store_destroy_session_objects_locked(s);
    handle_map_remove(g_module.sessions, s->handle);
    free(s);
    sl = slot_get_locked(slot_id);
    if (sl)
        sl->session_count--;
    if (sl && sl->logged_in && sl->session_count == 0) {
        /* The last session closed: the login ends, as with C_Logout. */
        if (sl->cfg.has_pin)
            store_logout_locked(slot_id);
        sl->logged_in = false;
    }
}

CK_RV session_close(CK_SESSION_HANDLE h)
{
    CK_RV rv = module_ready();
    session *s;

    if (rv != CKR_OK)
        return rv;
    module_lock();
    s = session_get_locked(h);
    if (s == NULL)
        rv = CKR_SESSION_HANDLE_INVALID;
    else
        close_locked(s);
    module_unlock();
    return rv;
}

void session_close_all_locked(CK_SLOT_ID slot_id)
{
    struct slot_sessions c = {slot_id, NULL, 0};

    c.handles = malloc(handle_map_count(g_module.sessions) * sizeof(CK_SESSION_HANDLE) + 1);
    if (c.handles == NULL)
        return;
    handle_map_each(g_module.sessions, collect, &c);
    for (size_t i = 0; i < c.count; i++)
        close_locked(session_get_locked(c.handles[i]));
    free(c.handles);
}

CK_RV session_close_all(CK_SLOT_ID slotID)
{
    CK_RV rv = module_ready();

    if (rv != CKR_OK)
        return rv;
    module_lock();
    if (slot_get_locked(slotID) == NULL)
        rv = CKR_SLOT_ID_INVALID;
    else
        session_close_all_locked(slotID);
    module_unlock();
    return rv;
}

CK_RV session_get_info(CK_SESSION_HANDLE h, CK_SESSION_INFO_PTR pInfo)
{
    CK_RV rv = module_ready();
    session *s;
    bool rw, user;

    if (rv != CKR_OK)
        return rv;
    if (pInfo == NULL)
        return CKR_ARGUMENTS_BAD;
    module_lock();
    s = session_get_locked(h);
    if (s == NULL) {
        rv = CKR_SESSION_HANDLE_INVALID;
    } else {
        rw = (s->flags & CKF_RW_SESSION) != 0;
        user = slot_get_locked(s->slot_id)->logged_in;
        pInfo->slotID = s->slot_id;
        pInfo->flags = s->flags;
        pInfo->ulDeviceError = 0;
        pInfo->state = rw ? (user ? CKS_RW_USER_FUNCTIONS : CKS_RW_PUBLIC_SESSION)
                          : (user ? CKS_RO_USER_FUNCTIONS : CKS_RO_PUBLIC_SESSION);
    }
    module_unlock();
    return rv;
}

struct read_only_search {
    CK_SLOT_ID slot_id;
    bool found;
};

static void find_read_only(void *value, void *arg)
{
    const session *s = value;
    struct read_only_search *r = arg;

    if (s->slot_id == r->slot_id && !(s->flags & CKF_RW_SESSION))
        r->found = true;
}

/* True when the slot has a read-only session open (an SO may not log in
 * then). */
static bool read_only_session_locked(CK_SLOT_ID slot_id)
{
    struct read_only_search r = {slot_id, false};

    handle_map_each(g_module.sessions, find_read_only, &r);
    return r.found;
}

CK_RV session_login(CK_SESSION_HANDLE h, CK_USER_TYPE userType,
                    CK_UTF8CHAR_PTR pPin, CK_ULONG ulPinLen)
{
    CK_RV rv = module_ready();
    unsigned wait_ms = 0;
    session *s;
    slot *sl;

    if (rv != CKR_OK)
        return rv;
    if (pPin == NULL && ulPinLen != 0)
        return CKR_ARGUMENTS_BAD;
    module_lock();
    s = session_get_locked(h);
    if (s == NULL) {
        rv = CKR_SESSION_HANDLE_INVALID;
        goto out;
    }
    sl = slot_get_locked(s->slot_id);
    if (userType == CKU_SO) {
        /* The standard's checks come before the PIN's; then no PIN is the
         * SO's: the configuration file is the token's only administrator. */
        rv = sl->logged_in ? CKR_USER_ANOTHER_ALREADY_LOGGED_IN
             : read_only_session_locked(s->slot_id) ? CKR_SESSION_READ_ONLY_EXISTS
                                                   : CKR_PIN_INCORRECT;
        goto out;
    }
    /* No key here asks for a login of its own (CKA_ALWAYS_AUTHENTICATE is
     * FALSE on every key), so no operation awaits a context login. */
    if (userType == CKU_CONTEXT_SPECIFIC) {
        rv = CKR_OPERATION_NOT_INITIALIZED;
        goto out;
    }
    if (userType != CKU_USER) {
        rv = CKR_USER_TYPE_INVALID;
        goto out;
    }
    if (sl->logged_in) {
        rv = CKR_USER_ALREADY_LOGGED_IN;
        goto out;
    }
    /* Without a PIN any PIN is accepted, so tools that always log in work. */
    if (sl->cfg.has_pin)
        rv = pin_check_locked(sl, pPin, ulPinLen, &wait_ms);
    if (rv == CKR_OK)
        sl->logged_in = true;
out:
    module_unlock();
    /* A wrong PIN's answer waits, without the lock: guessing is slow. */
    if (wait_ms)
        pin_delay(wait_ms);
    return rv;
}

CK_RV session_logout(CK_SESSION_HANDLE h)
{
    CK_RV rv = module_ready();
    session *s;
    slot *sl;

    if (rv != CKR_OK)
        return rv;
    module_lock();
    s = session_get_locked(h);
    if (s == NULL) {
        rv = CKR_SESSION_HANDLE_INVALID;
    } else {
        sl = slot_get_locked(s->slot_id);
        if (!sl->logged_in)
            rv = CKR_USER_NOT_LOGGED_IN;
        else if (sl->cfg.has_pin)
            store_logout_locked(s->slot_id);
        sl->logged_in = false;
    }
    module_unlock();
    return rv;
}
