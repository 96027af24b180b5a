/* SPDX-License-Identifier: BSD-3-Clause */
/* HMAC-SHA-256/384/512 sign and verify, single- and multi-part, on keys in
 * the HMAC role. A key whose role is still open takes the HMAC role here.
 *
 * C_SignInit/C_VerifyInit copy the key's HMAC pads (hmac-pads.h, made at
 * the key's first MAC with that digest and kept in its locked memory)
 * into the operation's state. Every call here holds the module lock only
 * shared (module-lock.c), and its own session under session_claim; the
 * key's first MAC, which writes its role and pads, takes it exclusive.
 * The MAC is computed without either, on state taken out of the session,
 * so threads on other sessions run in parallel, write nothing the other
 * reads, and no call reaches OpenSSL's method store, its reference counts
 * or its allocator. */
#include "config.h"
#include "general.h"
#include "internal.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

struct mac_state {
    hmac_pads run;  /* a copy of the key's pads, then the data's */
    size_t out_len; /* bytes given out: full, or the _GENERAL length */
};

void mac_state_free(void *data)
{
    struct mac_state *m = data;

    if (m) {
        OPENSSL_cleanse(m, sizeof(*m));
        free(m);
    }
}

static bool digest_of(CK_MECHANISM_TYPE mech, hmac_digest *d, size_t *full,
                      bool *general)
{
    *general = false;
    switch (mech) {
    case CKM_SHA256_HMAC_GENERAL: *general = true; /* fall through */
    case CKM_SHA256_HMAC: *full = 32; *d = HMAC_SHA256; return true;
    case CKM_SHA384_HMAC_GENERAL: *general = true; /* fall through */
    case CKM_SHA384_HMAC: *full = 48; *d = HMAC_SHA384; return true;
    case CKM_SHA512_HMAC_GENERAL: *general = true; /* fall through */
    case CKM_SHA512_HMAC: *full = 64; *d = HMAC_SHA512; return true;
    default: return false;
    }
}

/* Length of the MAC the mechanism gives, or 0 for a bad parameter. A
 * _GENERAL MAC shorter than 16 bytes is refused: it would be guessable. */
static size_t mac_length(const CK_MECHANISM *m, size_t full, bool general)
{
    CK_MAC_GENERAL_PARAMS len;

    if (!general)
        return m->pParameter == NULL && m->ulParameterLen == 0 ? full : 0;
    if (m->pParameter == NULL || m->ulParameterLen != sizeof(len))
        return 0;
    memcpy(&len, m->pParameter, sizeof(len));
    return len >= 16 && len <= full ? len : 0;
}

static bool hmac_key_type(CK_KEY_TYPE type)
{
    return type == CKK_GENERIC_SECRET || type == CKK_SHA256_HMAC ||
           type == CKK_SHA384_HMAC || type == CKK_SHA512_HMAC;
}

/* Starts the operation on session h with m. Shared, it takes only a key
 * already in the HMAC role with its pads made, and sets *exclusive for
 * anything else: the role and the pads are written once, exclusively. */
static CK_RV start_locked(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE hKey,
                          hmac_digest digest, bool verify, bool shared,
                          struct mac_state *m, bool *exclusive)
{
    const hmac_pads *pads = NULL;
    session *sess;
    object *key;
    CK_RV rv = session_begin_locked(h, NEED_SESSION, &sess);

    if (rv != CKR_OK)
        return rv;
    session_claim(sess);
    key = store_get_locked(hKey);
    if (sess->op != OP_NONE)
        rv = CKR_OPERATION_ACTIVE;
    else if (key == NULL || !store_visible_locked(key, sess))
        rv = CKR_KEY_HANDLE_INVALID;
    else if (!hmac_key_type(key->key_type))
        rv = CKR_KEY_TYPE_INCONSISTENT;
    else if (key->role == ROLE_KDF)
        rv = CKR_KEY_FUNCTION_NOT_PERMITTED;
    else if (shared && (key->role != ROLE_HMAC || key->hmac[digest] == NULL))
        *exclusive = true;
    else if ((pads = object_pads_locked(key, digest)) == NULL)
        rv = CKR_HOST_MEMORY;
    if (rv != CKR_OK || *exclusive) {
        session_release(sess);
        return rv;
    }
    /* First use fixes the role; shared holders only read it (a write of
     * the same value would still be a write to a line both threads use). */
    if (key->role != ROLE_HMAC)
        key->role = ROLE_HMAC;
    hmac_pads_start(&m->run, pads);
    sess->op = verify ? OP_VERIFY : OP_SIGN;
    sess->op_data = m;
    /* Destroying the key ends this operation (store_remove_locked). */
    sess->op_key = key;
    key->ops++;
    session_release(sess);
    return CKR_OK;
}

CK_RV mac_init(CK_SESSION_HANDLE h, CK_MECHANISM_PTR pMechanism,
               CK_OBJECT_HANDLE hKey, bool verify)
{
    CK_RV rv = module_ready();
    struct mac_state *m = NULL;
    hmac_digest digest;
    bool general, exclusive = false;
    size_t full = 0, out_len;

    if (rv != CKR_OK)
        return rv;
    if (pMechanism == NULL)
        return CKR_ARGUMENTS_BAD;
    if (!digest_of(pMechanism->mechanism, &digest, &full, &general))
        return CKR_MECHANISM_INVALID;
    out_len = mac_length(pMechanism, full, general);
    if (out_len == 0)
        return CKR_MECHANISM_PARAM_INVALID;
    if ((m = malloc(sizeof(*m))) == NULL)
        return CKR_HOST_MEMORY;
    m->out_len = out_len;

    module_lock_shared();
    rv = start_locked(h, hKey, digest, verify, true, m, &exclusive);
    module_unlock_shared();
    if (exclusive) { /* the key's first MAC with this digest */
        exclusive = false;
        module_lock();
        rv = start_locked(h, hKey, digest, verify, false, m, &exclusive);
        module_unlock();
    }
    if (rv != CKR_OK)
        free(m); /* never held key state */
    return rv;
}

/* The session's MAC state when an operation of this kind is active. While
 * another call on the session computes (its state taken out), the
 * operation is active but its state is absent. */
static CK_RV active_locked(CK_SESSION_HANDLE h, bool verify, session **sess,
                           struct mac_state **m)
{
    *sess = session_get_locked(h);
    if (*sess == NULL)
        return CKR_SESSION_HANDLE_INVALID;
    session_claim(*sess); /* the caller releases it */
    if ((*sess)->op != (verify ? OP_VERIFY : OP_SIGN))
        return CKR_OPERATION_NOT_INITIALIZED;
    *m = (*sess)->op_data;
    return *m ? CKR_OK : CKR_OPERATION_ACTIVE;
}

/* Leaves what active_locked claimed. */
static void leave_locked(session *sess)
{
    if (sess != NULL)
        session_release(sess);
    module_unlock_shared();
}

/* Returns state a C_*Update took out of session h: back into it to go on
 * (keep), or the operation ends. If the session closed meanwhile, the
 * state is freed. */
static void give_back(CK_SESSION_HANDLE h, struct mac_state *m, bool keep)
{
    session *sess;

    module_lock_shared();
    sess = session_get_locked(h);
    if (sess)
        session_claim(sess);
    if (sess && sess->op != OP_NONE && sess->op_data == NULL) {
        if (keep) {
            sess->op_data = m;
            m = NULL;
        } else {
            session_op_detach_locked(sess);
        }
    }
    leave_locked(sess);
    mac_state_free(m);
}

CK_RV mac_update(CK_SESSION_HANDLE h, CK_BYTE_PTR pPart, CK_ULONG ulPartLen,
                 bool verify)
{
    CK_RV rv = module_ready();
    struct mac_state *m;
    session *sess;

    if (rv != CKR_OK)
        return rv;
    module_lock_shared();
    rv = active_locked(h, verify, &sess, &m);
    if (rv == CKR_OK && pPart == NULL && ulPartLen != 0) {
        rv = CKR_ARGUMENTS_BAD;
        session_op_end_locked(sess); /* every error ends the operation */
    } else if (rv == CKR_OK) {
        sess->op_data = NULL; /* ours until give_back */
    }
    leave_locked(sess);
    if (rv != CKR_OK)
        return rv;
    hmac_pads_update(&m->run, pPart, ulPartLen);
    give_back(h, m, true);
    return rv;
}

/* Finishes the MAC into out (at least m->out_len bytes). */
static void finish(struct mac_state *m, unsigned char *out)
{
    unsigned char full[64];

    hmac_pads_final(&m->run, full);
    memcpy(out, full, m->out_len);
    OPENSSL_cleanse(full, sizeof(full));
}

static CK_RV sign_common(CK_SESSION_HANDLE h, CK_BYTE_PTR pData,
                         CK_ULONG ulDataLen, bool single,
                         CK_BYTE_PTR pSignature, CK_ULONG_PTR pulSignatureLen)
{
    CK_RV rv = module_ready();
    struct mac_state *m;
    session *sess;
    bool compute = false;

    if (rv != CKR_OK)
        return rv;
    module_lock_shared();
    rv = active_locked(h, false, &sess, &m);
    if (rv != CKR_OK) {
        /* nothing to end */
    } else if (pulSignatureLen == NULL ||
               (single && pData == NULL && ulDataLen)) {
        rv = CKR_ARGUMENTS_BAD;
        session_op_end_locked(sess);
    } else if (pSignature == NULL) {
        /* A length query leaves the operation running. */
        *pulSignatureLen = m->out_len;
    } else if (*pulSignatureLen < m->out_len) {
        *pulSignatureLen = m->out_len;
        rv = CKR_BUFFER_TOO_SMALL;
    } else {
        /* The operation ends here whatever the MAC's outcome: the state is
         * ours alone from now on, and no second lock is needed. */
        session_op_detach_locked(sess);
        compute = true;
    }
    leave_locked(sess);
    if (!compute)
        return rv;
    if (single)
        hmac_pads_update(&m->run, pData, ulDataLen);
    finish(m, pSignature);
    *pulSignatureLen = m->out_len;
    mac_state_free(m);
    return rv;
}

CK_RV mac_sign(CK_SESSION_HANDLE h, CK_BYTE_PTR pData, CK_ULONG ulDataLen,
               CK_BYTE_PTR pSignature, CK_ULONG_PTR pulSignatureLen)
{
    return sign_common(h, pData, ulDataLen, true, pSignature, pulSignatureLen);
}

CK_RV mac_sign_final(CK_SESSION_HANDLE h, CK_BYTE_PTR pSignature,
                     CK_ULONG_PTR pulSignatureLen)
{
    return sign_common(h, NULL, 0, false, pSignature, pulSignatureLen);
}

static CK_RV verify_common(CK_SESSION_HANDLE h, CK_BYTE_PTR pData,
                           CK_ULONG ulDataLen, bool single,
                           CK_BYTE_PTR pSignature, CK_ULONG ulSignatureLen)
{
    CK_RV rv = module_ready();
    unsigned char mac[64];
    struct mac_state *m;
    session *sess;

    if (rv != CKR_OK)
        return rv;
    module_lock_shared();
    rv = active_locked(h, true, &sess, &m);
    if (rv == CKR_OK) {
        /* Verification ends with this call: the state is ours alone. */
        session_op_detach_locked(sess);
    }
    leave_locked(sess);
    if (rv != CKR_OK)
        return rv;
    if (pSignature == NULL || (single && pData == NULL && ulDataLen))
        rv = CKR_ARGUMENTS_BAD;
    else if (ulSignatureLen != m->out_len)
        rv = CKR_SIGNATURE_LEN_RANGE;
    else {
        if (single)
            hmac_pads_update(&m->run, pData, ulDataLen);
        finish(m, mac);
        if (CRYPTO_memcmp(mac, pSignature, m->out_len) != 0)
            rv = CKR_SIGNATURE_INVALID;
    }
    OPENSSL_cleanse(mac, sizeof(mac));
    mac_state_free(m);
    return rv;
}

CK_RV mac_verify(CK_SESSION_HANDLE h, CK_BYTE_PTR pData, CK_ULONG ulDataLen,
                 CK_BYTE_PTR pSignature, CK_ULONG ulSignatureLen)
{
    return verify_common(h, pData, ulDataLen, true, pSignature, ulSignatureLen);
}

CK_RV mac_verify_final(CK_SESSION_HANDLE h, CK_BYTE_PTR pSignature,
                       CK_ULONG ulSignatureLen)
{
    return verify_common(h, NULL, 0, false, pSignature, ulSignatureLen);
}
