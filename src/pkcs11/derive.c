/* SPDX-License-Identifier: BSD-3-Clause */
/* C_DeriveKey with the one-way KDFs a SKIP key may feed: RFC 7296 prf+
 * (CKM_IKE2_PRF_PLUS_DERIVE and NSS's number for it) and RFC 5869 HKDF
 * (CKM_HKDF_DERIVE). Both run on the base key's HMAC pads (hmac-pads.h):
 * prf+ with an HMAC PRF is HKDF-Expand with the key as PRK and the seed as
 * info, byte for byte. A derive is one call per IKE rekey or PPK, so it
 * keeps no OpenSSL KDF context to fetch, allocate and key each time
 * (docs/performance.md).
 * Every other derive mechanism is CKR_MECHANISM_INVALID: nothing here
 * copies, truncates, XORs, concatenates or encrypts key bytes. */
#include "config.h"
#include "general.h"
#include "internal.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "skip/log.h"

#define KDF_INPUT_MAX 1024 /* salt, info and seed bytes, each */
#define SEED_MAX 2048      /* a prf+ seed key's value and seed data together */

struct kdf_request {
    hmac_digest digest;
    size_t hash_len;
    bool extract, expand; /* HKDF's steps; prf+ only expands */
    const unsigned char *salt, *info;
    size_t salt_len, info_len;
    bool prf_plus;
    bool has_seed_key;        /* prf+: the seed starts with this key's value */
    CK_OBJECT_HANDLE seed_key;
};

/* One line saying why a parameter is refused. */
static CK_RV param_invalid(const char *why)
{
    skip_log_error("C_DeriveKey: CKR_MECHANISM_PARAM_INVALID: %s", why);
    return CKR_MECHANISM_PARAM_INVALID;
}

static bool hash_of(CK_MECHANISM_TYPE m, struct kdf_request *r, bool hmac_only)
{
    switch (m) {
    case CKM_SHA256_HMAC: r->digest = HMAC_SHA256, r->hash_len = 32; return true;
    case CKM_SHA384_HMAC: r->digest = HMAC_SHA384, r->hash_len = 48; return true;
    case CKM_SHA512_HMAC: r->digest = HMAC_SHA512, r->hash_len = 64; return true;
    /* HKDF names the hash; NSS and kryoptic also take the _HMAC numbers. */
    case CKM_SHA256: r->digest = HMAC_SHA256, r->hash_len = 32; return !hmac_only;
    case CKM_SHA384: r->digest = HMAC_SHA384, r->hash_len = 48; return !hmac_only;
    case CKM_SHA512: r->digest = HMAC_SHA512, r->hash_len = 64; return !hmac_only;
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
            return param_invalid("prf+: the parameter is not a "
                                 "CK_IKE2_PRF_PLUS_DERIVE_PARAMS");
        memcpy(&p, m->pParameter, sizeof(p));
        if (!hash_of(p.prfMechanism, r, true))
            return param_invalid("prf+: prfMechanism is not HMAC-SHA-256, "
                                 "-384 or -512");
        if (p.bHasSeedKey > CK_TRUE)
            return param_invalid("prf+: bHasSeedKey is neither TRUE nor FALSE");
        /* The seed is the seed key's value (how IKE stacks pass SK_d'),
         * then the seed data; one of them at least. */
        if ((p.pSeedData == NULL && p.ulSeedDataLen != 0) ||
            p.ulSeedDataLen > KDF_INPUT_MAX ||
            (p.ulSeedDataLen == 0 && !p.bHasSeedKey))
            return param_invalid("prf+: the seed data must be 1..1024 bytes "
                                 "(or empty, after a seed key)");
        r->expand = true;
        r->info = p.pSeedData;
        r->info_len = p.ulSeedDataLen;
        r->prf_plus = true;
        r->has_seed_key = p.bHasSeedKey == CK_TRUE;
        r->seed_key = p.hSeedKey;
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
        r->extract = p.bExtract == CK_TRUE;
        r->expand = p.bExpand == CK_TRUE;
        return CKR_OK;
    }
    return CKR_MECHANISM_INVALID;
}

CK_RV derive_template(const CK_ATTRIBUTE *attrs, CK_ULONG count,
                      size_t fixed_len, size_t max_len, key_template *t,
                      CK_KEY_TYPE *type, size_t *len, key_role *role)
{
    CK_RV rv = template_parse(attrs, count, TEMPLATE_DERIVE, t);

    if (rv != CKR_OK)
        return rv;
    *type = t->has_key_type ? t->key_type : CKK_GENERIC_SECRET;
    if (t->has_class && t->cls != CKO_SECRET_KEY)
        return CKR_TEMPLATE_INCONSISTENT;
    if (*type != CKK_GENERIC_SECRET && *type != CKK_AES)
        return CKR_TEMPLATE_INCONSISTENT;
    if (fixed_len) {
        /* Extract gives one hash length, no more, no less. */
        if (t->has_value_len && t->value_len != fixed_len)
            return CKR_TEMPLATE_INCONSISTENT;
        *len = fixed_len;
    } else {
        if (!t->has_value_len)
            return CKR_TEMPLATE_INCOMPLETE;
        *len = t->value_len;
    }
    /* Shorter keys are guessable; the KDFs have a maximum output. */
    if (*len < KEY_MIN_LEN || *len > max_len)
        return CKR_KEY_SIZE_RANGE;
    if (*type == CKK_AES && *len != 16 && *len != 24 && *len != 32)
        return CKR_TEMPLATE_INCONSISTENT;
    return template_role(t, role);
}

/* Sets a derived key's attributes from its template and base key; false
 * when out of memory (the label). */
static bool fill_derived(object *obj, const key_template *t, CK_KEY_TYPE type,
                         key_role role, const object *base,
                         const session *sess, bool inherit_flags)
{
    obj->slot_id = sess->slot_id;
    obj->key_type = type;
    obj->token = t->has_token && t->token;
    obj->session = obj->token ? 0 : sess->handle;
    /* A private base key has private children (template_private). */
    obj->private_obj = t->has_private ? t->private_obj
                       : base->private_obj ||
                             slot_get_locked(sess->slot_id)->cfg.has_pin;
    obj->modifiable = t->has_modifiable ? t->modifiable : true;
    obj->destroyable = true;
    /* Extractable only when asked (SP 800-108 takes the base key's values
     * instead, which for a SKIP key are the same), or readable unless the
     * template says otherwise with `derived_keys = readable` (NSS-based
     * IKE daemons read SK_d); the provenance flags say what the output
     * has been since birth, given its base key. */
    if (slot_get_locked(sess->slot_id)->cfg.derived_readable) {
        obj->sensitive = t->has_sensitive && t->sensitive;
        obj->extractable = !t->has_extractable || t->extractable;
    } else {
        obj->sensitive = t->has_sensitive ? t->sensitive
                         : inherit_flags ? base->sensitive : true;
        obj->extractable = t->has_extractable ? t->extractable
                           : inherit_flags && base->extractable;
    }
    obj->always_sensitive = base->always_sensitive && obj->sensitive;
    obj->never_extractable = base->never_extractable && !obj->extractable;
    obj->keygen_mech = CK_UNAVAILABLE_INFORMATION;
    obj->role = role;
    if (t->has_label && t->label->ulValueLen) {
        obj->label = malloc(t->label->ulValueLen + 1);
        if (obj->label == NULL)
            return false;
        memcpy(obj->label, t->label->pValue, t->label->ulValueLen);
        obj->label_len = t->label->ulValueLen;
    }
    return true;
}

object *derive_object_new(const key_template *t, CK_KEY_TYPE type,
                          key_role role, const object *base,
                          const session *sess, bool inherit_flags,
                          skip_secbuf *value)
{
    object *obj = calloc(1, sizeof(*obj));

    if (obj == NULL) {
        skip_secbuf_free(value);
        return NULL;
    }
    obj->value = value;
    if (!fill_derived(obj, t, type, role, base, sess, inherit_flags)) {
        object_free(obj);
        return NULL;
    }
    return obj;
}

CK_RV derive_base_locked(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE hBaseKey,
                         const key_template *t, unsigned outputs,
                         session **sess, object **base)
{
    unsigned max;

    CK_RV rv = session_begin_locked(h, new_object_needs(t, false), sess);

    if (rv != CKR_OK)
        return rv;
    *base = store_get_locked(hBaseKey);
    if (*base == NULL || !store_visible_locked(*base, *sess))
        return CKR_KEY_HANDLE_INVALID;
    if ((*base)->role == ROLE_HMAC)
        return CKR_KEY_FUNCTION_NOT_PERMITTED;
    rv = template_private(t, (*base)->private_obj, TEMPLATE_DERIVE);
    if (rv != CKR_OK)
        return rv;
    max = slot_get_locked((*sess)->slot_id)->cfg.max_derives;
    /* A live key is a standing derive oracle: the budget bounds the PRF
     * blocks it gives, not the calls, so one call with many segments or
     * additional keys counts for all of them. */
    if (max && (*base)->derives + outputs > max) {
        skip_log_error("C_DeriveKey: slot %s: key %s has given %u of its "
                       "max_derives = %u outputs; %u more asked",
                       slot_get_locked((*sess)->slot_id)->cfg.name,
                       (*base)->unique_id, (*base)->derives, max, outputs);
        return CKR_KEY_FUNCTION_NOT_PERMITTED;
    }
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

/* The KDF's output under the base key, filling out (empty, of the output's
 * length); a prf+ seed key's value (seed, or NULL) goes before the seed
 * data. Lock held: the base key's pads are made at its first use. */
static bool run_kdf_locked(const struct kdf_request *r, object *base,
                           const skip_secbuf *seed, skip_secbuf *out)
{
    unsigned char prk[64];
    hmac_pads prk_pads;
    const hmac_pads *pads = NULL;

    if (r->extract) {
        size_t prk_len = hmac_pads_extract(r->digest, r->salt, r->salt_len,
                                           base->value->data, base->value->len,
                                           prk);
        if (!r->expand) { /* derive_template asked for one hash length */
            memcpy(out->data, prk, prk_len);
            out->len = prk_len;
            OPENSSL_cleanse(prk, sizeof(prk));
            return true;
        }
        hmac_pads_make(&prk_pads, r->digest, prk, prk_len);
        pads = &prk_pads;
    } else if ((pads = object_pads_locked(base, r->digest)) == NULL) {
        return false;
    }
    hmac_pads_expand(pads, seed ? seed->data : NULL, seed ? seed->len : 0,
                     r->info, r->info_len, out->data, out->cap);
    out->len = out->cap;
    if (r->extract) {
        OPENSSL_cleanse(prk, sizeof(prk));
        OPENSSL_cleanse(&prk_pads, sizeof(prk_pads));
    }
    return true;
}

/* The prf+ seed key, usable in sess: an imported or derived key, never a
 * SKIP key (its bytes would become data under another key). Lock held. */
static CK_RV seed_key_locked(const struct kdf_request *r, const session *sess,
                             const object **seed)
{
    const object *k = store_get_locked(r->seed_key);
    char why[96];

    *seed = NULL;
    if (!r->has_seed_key)
        return CKR_OK;
    if (k == NULL || !store_visible_locked(k, sess)) {
        skip_log_error("C_DeriveKey: CKR_KEY_HANDLE_INVALID: prf+ seed key "
                       "0x%lx is no key of this session", (unsigned long)r->seed_key);
        return CKR_KEY_HANDLE_INVALID;
    }
    if (k->id != NULL) {
        snprintf(why, sizeof(why), "prf+: seed key 0x%lx is a SKIP key",
                 (unsigned long)r->seed_key);
        return param_invalid(why);
    }
    if (k->value->len + r->info_len > SEED_MAX)
        return param_invalid("prf+: the seed key and seed data are over 2048 "
                             "bytes together");
    *seed = k;
    return CKR_OK;
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
    unsigned outputs;
    key_role role = ROLE_OPEN;
    object *base, *obj = NULL;
    const object *seed;
    session *sess;

    if (rv != CKR_OK)
        return rv;
    /* a NULL pointer first, whatever the mechanism */
    if (pMechanism == NULL || phKey == NULL || (pTemplate == NULL && ulCount))
        return CKR_ARGUMENTS_BAD;
    *phKey = CK_INVALID_HANDLE;
    if (pMechanism->mechanism == CKM_SP800_108_COUNTER_KDF)
        return kbkdf_derive(h, pMechanism, hBaseKey, pTemplate, ulCount, phKey);
    rv = parse_mechanism(pMechanism, &r);
    if (rv == CKR_OK)
        rv = derive_template(pTemplate, ulCount,
                             r.extract && !r.expand ? r.hash_len : 0,
                             255 * r.hash_len, &t, &type, &len, &role);
    if (rv != CKR_OK)
        return rv;

    outputs = (unsigned)((len + r.hash_len - 1) / r.hash_len);
    module_lock();
    rv = derive_base_locked(h, hBaseKey, &t, outputs, &sess, &base);
    if (rv == CKR_OK && !base_type_ok(base, &r))
        rv = CKR_KEY_TYPE_INCONSISTENT;
    if (rv == CKR_OK)
        rv = seed_key_locked(&r, sess, &seed);
    if (rv != CKR_OK)
        goto out;
    /* a destroyed key's object and buffer, when one is spare */
    obj = store_new_key_locked(len);
    if (obj == NULL)
        rv = CKR_HOST_MEMORY;
    else if (!run_kdf_locked(&r, base, seed ? seed->value : NULL, obj->value))
        rv = CKR_FUNCTION_FAILED;
    else if (!fill_derived(obj, &t, type, role, base, sess, false))
        rv = CKR_HOST_MEMORY;
    else
        rv = store_add_locked(obj);
    if (rv == CKR_OK) {
        base->role = ROLE_KDF; /* first use fixes the role */
        base->derives += outputs;
        *phKey = obj->handle;
        obj = NULL;
    }
    store_discard_locked(obj);
out:
    module_unlock();
    return rv;
}
