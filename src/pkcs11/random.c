/* SPDX-License-Identifier: BSD-3-Clause */
/* C_GenerateRandom: from the slot's DRBG over pooled KP entropy (rng.h),
 * or with `random = kp` the KP's /entropy bytes as they come. */
#include "config.h"
#include "general.h"
#include "internal.h"

#include <limits.h>
#include <openssl/crypto.h>

/* The slot's generator, made at its first use. With the lock held. */
static rng *slot_rng_locked(slot *s)
{
    if (s->rng == NULL)
        s->rng = rng_new(s->id, &s->cfg.rng, kp_entropy,
                         g_module.may_create_threads);
    return s->rng;
}

CK_RV random_generate(CK_SESSION_HANDLE h, CK_BYTE_PTR pData, CK_ULONG ulLen)
{
    CK_RV rv = module_ready();
    random_mode mode = RANDOM_DRBG;
    CK_SLOT_ID slot_id = 0;
    rng *r = NULL;
    session *sess;

    if (rv != CKR_OK)
        return rv;
    if ((pData == NULL && ulLen != 0) || ulLen > (CK_ULONG)INT_MAX)
        return CKR_ARGUMENTS_BAD;
    module_lock();
    /* Zero bytes reach no KP, so they need no login. */
    rv = session_begin_locked(h, ulLen ? NEED_LOGIN : NEED_SESSION, &sess);
    if (rv == CKR_OK && ulLen != 0) {
        slot *s = slot_get_locked(sess->slot_id);
        slot_id = s->id;
        mode = s->cfg.random;
        if (mode == RANDOM_DRBG && (r = slot_rng_locked(s)) == NULL)
            rv = CKR_HOST_MEMORY;
    }
    module_unlock();
    if (rv != CKR_OK || ulLen == 0)
        return rv;
    /* r lives until C_Finalize; a host that finalizes while its other
     * threads call is outside the standard (PKCS#11 v2.40, 5.4). */
    rv = mode == RANDOM_DRBG ? rng_generate(r, pData, ulLen)
                             : kp_entropy(slot_id, pData, ulLen);
    if (rv != CKR_OK)
        OPENSSL_cleanse(pData, ulLen);
    return rv;
}
