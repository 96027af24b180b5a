/* SPDX-License-Identifier: BSD-3-Clause */
/* C_DeriveKey with the one-way KDFs a SKIP key may feed: RFC 7296 prf+
 * (CKM_IKE2_PRF_PLUS_DERIVE and NSS's number for it) and RFC 5869 HKDF
 * (CKM_HKDF_DERIVE). Both run on OpenSSL's HKDF: prf+ with an HMAC PRF is
 * HKDF-Expand with the key as PRK and the seed as info, byte for byte.
 * Every other derive mechanism is CKR_MECHANISM_INVALID: nothing here
 * copies, truncates, XORs, concatenates or encrypts key bytes. */
#include "config.h"
#include "general.h"
#include "internal.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <stdlib.h>
#include <string.h>

#include "skip/log.h"

#define KDF_INPUT_MAX 1024 /* salt, info and seed bytes, each */

struct kdf_request {
    const char *digest;
    size_t hash_len;
    int mode; /* EVP_KDF_HKDF_MODE_* */
    const unsigned char *salt, *info;
    size_t salt_len, info_len;
    bool prf_plus;
};

static bool hash_of(CK_MECHANISM_TYPE m, struct kdf_request *r, bool hmac_only)
{
    switch (m) {
    case CKM_SHA256_HMAC: r->digest = "SHA256", r->hash_len = 32; return true;
    case CKM_SHA384_HMAC: r->digest = "SHA384", r->hash_len = 48; return true;
    case CKM_SHA512_HMAC: r->digest = "SHA512", r->hash_len = 64; return true;
    /* HKDF names the hash; NSS and kryoptic also take the _HMAC numbers. */
    case CKM_SHA256: r->digest = "SHA256", r->hash_len = 32; return !hmac_only;
    case CKM_SHA384: r->digest = "SHA384", r->hash_len = 48; return !hmac_only;
    case CKM_SHA512: r->digest = "SHA512", r->hash_len = 64; return !hmac_only;
    default: return false;
    }
}

/* Reads the mechanism parameter into r. Every malformed parameter is
 * CKR_MECHANISM_PARAM_INVALID, and nothing is read past ulParameterLen. */
static CK_RV parse_mechanism(const CK_MECHANISM *m, struct kdf_request *r)
{
    memset(r, 0, sizeof(*r));
    if (m->mechanism == CKM_IKE2_PRF_PLUS_DERIVE ||
        m->mechanism == CKM_NSS_IKE_PRF_PLUS_DERIVE) {
        CK_IKE2_PRF_PLUS_DERIVE_PARAMS p;
        if (m->pParameter == NULL || m->ulParameterLen != sizeof(p))
            return CKR_MECHANISM_PARAM_INVALID;
        memcpy(&p, m->pParameter, sizeof(p));
        /* A seed key would feed one key's bytes into another's output. */
        if (!hash_of(p.prfMechanism, r, true) || p.bHasSeedKey != CK_FALSE ||
            p.pSeedData == NULL || p.ulSeedDataLen == 0 ||
            p.ulSeedDataLen > KDF_INPUT_MAX)
            return CKR_MECHANISM_PARAM_INVALID;
        r->mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
        r->info = p.pSeedData;
        r->info_len = p.ulSeedDataLen;
        r->prf_plus = true;
        return CKR_OK;
    }
    if (m->mechanism == CKM_HKDF_DERIVE) {
        CK_HKDF_PARAMS p;
        if (m->pParameter == NULL || m->ulParameterLen != sizeof(p))
            return CKR_MECHANISM_PARAM_INVALID;
        memcpy(&p, m->pParameter, sizeof(p));
        if (p.bExtract > CK_TRUE || p.bExpand > CK_TRUE ||
            (!p.bExtract && !p.bExpand) || !hash_of(p.prfHashMechanism, r, false))
            return CKR_MECHANISM_PARAM_INVALID;
        if (p.bExtract) {
            if (p.ulSaltType == CKF_HKDF_SALT_DATA) {
                if (p.pSalt == NULL || p.ulSaltLen == 0 ||
                    p.ulSaltLen > KDF_INPUT_MAX)
                    return CKR_MECHANISM_PARAM_INVALID;
                r->salt = p.pSalt;
                r->salt_len = p.ulSaltLen;
            } else if (p.ulSaltType != CKF_HKDF_SALT_NULL) {
                /* SALT_KEY would put a key's bytes into the salt. */
                return CKR_MECHANISM_PARAM_INVALID;
            }
        }
        if (p.bExpand) {
            if ((p.pInfo == NULL && p.ulInfoLen != 0) ||
                p.ulInfoLen > KDF_INPUT_MAX)
                return CKR_MECHANISM_PARAM_INVALID;
            r->info = p.pInfo;
            r->info_len = p.ulInfoLen;
        }
        r->mode = !p.bExpand  ? EVP_KDF_HKDF_MODE_EXTRACT_ONLY
                  : !p.bExtract ? EVP_KDF_HKDF_MODE_EXPAND_ONLY
                                : EVP_KDF_HKDF_MODE_EXTRACT_AND_EXPAND;
        return CKR_OK;
    }
    return CKR_MECHANISM_INVALID;
}

/* The derived key's type and length from the template. */
static CK_RV output_shape(const key_template *t, const struct kdf_request *r,
                          CK_KEY_TYPE *type, size_t *len)
{
    *type = t->has_key_type ? t->key_type : CKK_GENERIC_SECRET;
    if (t->has_class && t->cls != CKO_SECRET_KEY)
        return CKR_TEMPLATE_INCONSISTENT;
    if (*type != CKK_GENERIC_SECRET && *type != CKK_AES)
        return CKR_TEMPLATE_INCONSISTENT;
    if (t->has_id || t->has_value)
        return CKR_ATTRIBUTE_READ_ONLY;
    if (r->mode == EVP_KDF_HKDF_MODE_EXTRACT_ONLY) {
        /* Extract gives one hash length, no more, no less. */
        if (t->has_value_len && t->value_len != r->hash_len)
            return CKR_TEMPLATE_INCONSISTENT;
        *len = r->hash_len;
    } else {
        if (!t->has_value_len)
            return CKR_TEMPLATE_INCOMPLETE;
        *len = t->value_len;
    }
    /* Shorter keys are guessable; prf+ and HKDF stop at 255 blocks. */
    if (*len < KEY_MIN_LEN || *len > 255 * r->hash_len)
        return CKR_KEY_SIZE_RANGE;
    if (*type == CKK_AES && *len != 16 && *len != 24 && *len != 32)
        return CKR_TEMPLATE_INCONSISTENT;
    return CKR_OK;
}

static bool base_type_ok(const object *base, const struct kdf_request *r)
{
    if (base->key_type == CKK_GENERIC_SECRET)
        return true;
    if (!r->prf_plus)
        return base->key_type == CKK_HKDF;
    /* prf+: "the key type of baseKey must be the key type of the prf". */
    return (base->key_type == CKK_SHA256_HMAC && r->hash_len == 32) ||
           (base->key_type == CKK_SHA384_HMAC && r->hash_len == 48) ||
           (base->key_type == CKK_SHA512_HMAC && r->hash_len == 64);
}

static skip_secbuf *run_kdf(const struct kdf_request *r, const skip_secbuf *key,
                            size_t out_len)
{
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
    skip_secbuf *out = skip_secbuf_new(out_len);
    OSSL_PARAM params[6], *q = params;
    int mode = r->mode;

    *q++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
                                            (char *)r->digest, 0);
    *q++ = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
    *q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, key->data,
                                             key->len);
    if (r->salt)
        *q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
                                                 (void *)r->salt, r->salt_len);
    if (r->info_len)
        *q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
                                                 (void *)r->info, r->info_len);
    *q = OSSL_PARAM_construct_end();
    if (ctx == NULL || out == NULL ||
        EVP_KDF_derive(ctx, out->data, out_len, params) != 1) {
        skip_secbuf_free(out);
        out = NULL;
    } else {
        out->len = out_len;
    }
    EVP_KDF_CTX_free(ctx);
    EVP_KDF_free(kdf);
    return out;
}

CK_RV derive_key(CK_SESSION_HANDLE h, CK_MECHANISM_PTR pMechanism,
                 CK_OBJECT_HANDLE hBaseKey, CK_ATTRIBUTE_PTR pTemplate,
                 CK_ULONG ulCount, CK_OBJECT_HANDLE_PTR phKey)
{
    CK_RV rv = module_ready();
    struct kdf_request r;
    key_template t;
    CK_KEY_TYPE type = CKK_GENERIC_SECRET;
    size_t len = 0;
    key_role role = ROLE_OPEN;
    object *base, *obj = NULL;
    session *sess;

    if (rv != CKR_OK)
        return rv;
    if (pMechanism == NULL || phKey == NULL)
        return CKR_ARGUMENTS_BAD;
    *phKey = CK_INVALID_HANDLE;
    rv = parse_mechanism(pMechanism, &r);
    if (rv == CKR_OK)
        rv = template_parse(pTemplate, ulCount, TEMPLATE_DERIVE, &t);
    if (rv == CKR_OK)
        rv = output_shape(&t, &r, &type, &len);
    if (rv == CKR_OK)
        rv = template_role(&t, &role);
    if (rv != CKR_OK)
        return rv;

    pthread_mutex_lock(&g_module.lock);
    sess = session_get_locked(h);
    if (sess == NULL) {
        rv = CKR_SESSION_HANDLE_INVALID;
        goto out;
    }
    base = store_get_locked(hBaseKey);
    if (base == NULL || !store_visible_locked(base, sess)) {
        rv = CKR_KEY_HANDLE_INVALID;
        goto out;
    }
    if (base->role == ROLE_HMAC) {
        rv = CKR_KEY_FUNCTION_NOT_PERMITTED;
        goto out;
    }
    if (!base_type_ok(base, &r)) {
        rv = CKR_KEY_TYPE_INCONSISTENT;
        goto out;
    }
    if (t.has_token && t.token && !(sess->flags & CKF_RW_SESSION)) {
        rv = CKR_SESSION_READ_ONLY;
        goto out;
    }
    obj = calloc(1, sizeof(*obj));
    if (obj == NULL || (obj->value = run_kdf(&r, base->value, len)) == NULL) {
        rv = obj ? CKR_FUNCTION_FAILED : CKR_HOST_MEMORY;
        goto out;
    }
    obj->slot_id = sess->slot_id;
    obj->key_type = type;
    obj->token = t.has_token && t.token;
    obj->session = obj->token ? 0 : h;
    obj->private_obj = t.has_private ? t.private_obj
                                     : slot_get_locked(sess->slot_id)->cfg.has_pin;
    obj->modifiable = true;
    obj->destroyable = true;
    /* Extractable only when asked; the provenance flags say what the
     * output has been since birth, given what its base key has been. */
    obj->sensitive = t.has_sensitive ? t.sensitive : true;
    obj->extractable = t.has_extractable && t.extractable;
    obj->always_sensitive = base->always_sensitive && obj->sensitive;
    obj->never_extractable = base->never_extractable && !obj->extractable;
    obj->keygen_mech = CK_UNAVAILABLE_INFORMATION;
    obj->role = role;
    if (t.has_label && t.label->ulValueLen) {
        obj->label = malloc(t.label->ulValueLen + 1);
        if (obj->label == NULL) {
            rv = CKR_HOST_MEMORY;
            goto out;
        }
        memcpy(obj->label, t.label->pValue, t.label->ulValueLen);
        obj->label_len = t.label->ulValueLen;
    }
    rv = store_add_locked(obj);
    if (rv == CKR_OK) {
        base->role = ROLE_KDF; /* first use fixes the role */
        *phKey = obj->handle;
        obj = NULL;
    }
out:
    pthread_mutex_unlock(&g_module.lock);
    object_free(obj);
    return rv;
}
