/* SPDX-License-Identifier: BSD-3-Clause */
/* C_GenerateRandom: bytes from the KP's /entropy, XORed with OpenSSL's
 * CSPRNG (so neither source alone decides them), or the KP's alone with
 * `random = kp`. */
#include "config.h"
#include "general.h"
#include "internal.h"

#include <openssl/crypto.h>
#include <limits.h>
#include <openssl/rand.h>

#include "skip/ossl.h"

CK_RV random_generate(CK_SESSION_HANDLE h, CK_BYTE_PTR pData, CK_ULONG ulLen)
{
    CK_RV rv = module_ready();
    random_mode mode = RANDOM_MIX;
    CK_SLOT_ID slot_id = 0;
    skip_secbuf *local = NULL;
    session *sess;

    if (rv != CKR_OK)
        return rv;
    if ((pData == NULL && ulLen != 0) || ulLen > (CK_ULONG)INT_MAX)
        return CKR_ARGUMENTS_BAD;
    pthread_mutex_lock(&g_module.lock);
    /* Zero bytes reach no KP, so they need no login. */
    rv = session_begin_locked(h, ulLen ? NEED_LOGIN : NEED_SESSION, &sess);
    if (rv == CKR_OK) {
        slot_id = sess->slot_id;
        mode = slot_get_locked(slot_id)->cfg.random;
    }
    pthread_mutex_unlock(&g_module.lock);
    if (rv != CKR_OK || ulLen == 0)
        return rv;
    rv = kp_entropy(slot_id, pData, ulLen);
    if (rv != CKR_OK) {
        OPENSSL_cleanse(pData, ulLen);
        return rv;
    }
    if (mode == RANDOM_MIX) {
        local = skip_secbuf_new(ulLen);
        /* the module's own generator, never the host's (skip/ossl.h) */
        if (local == NULL ||
            RAND_bytes_ex(skip_ossl_ctx(), local->data, ulLen, 0) != 1) {
            OPENSSL_cleanse(pData, ulLen);
            skip_secbuf_free(local);
            return local ? CKR_FUNCTION_FAILED : CKR_HOST_MEMORY;
        }
        for (CK_ULONG i = 0; i < ulLen; i++)
            pData[i] ^= local->data[i];
        skip_secbuf_free(local);
    }
    return CKR_OK;
}
