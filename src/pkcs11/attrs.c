/* SPDX-License-Identifier: BSD-3-Clause */
/* Attributes of secret keys: reading them (C_GetAttributeValue rules for
 * one entry) and matching a search template. What a template may say is
 * the table in policy.c. */
#include "config.h"
#include "internal.h"

#include <string.h>

#include "skip/hex.h"

static const CK_MECHANISM_TYPE hmac_mechanisms[] = {
    CKM_SHA256_HMAC, CKM_SHA256_HMAC_GENERAL, CKM_SHA384_HMAC,
    CKM_SHA384_HMAC_GENERAL, CKM_SHA512_HMAC, CKM_SHA512_HMAC_GENERAL,
};
static const CK_MECHANISM_TYPE kdf_mechanisms[] = {
    CKM_HKDF_DERIVE, CKM_IKE2_PRF_PLUS_DERIVE, CKM_NSS_IKE_PRF_PLUS_DERIVE,
    CKM_SP800_108_COUNTER_KDF,
};

/* Copies len bytes out under the two-call convention. */
static CK_RV put(CK_ATTRIBUTE *attr, const void *data, CK_ULONG len)
{
    if (attr->pValue == NULL) {
        attr->ulValueLen = len;
        return CKR_OK;
    }
    if (attr->ulValueLen < len) {
        attr->ulValueLen = CK_UNAVAILABLE_INFORMATION;
        return CKR_BUFFER_TOO_SMALL;
    }
    if (len)
        memcpy(attr->pValue, data, len);
    attr->ulValueLen = len;
    return CKR_OK;
}

static CK_RV put_hex(CK_ATTRIBUTE *attr, const unsigned char *data, size_t len)
{
    char hex[2 * SKIP_KEYID_MAX + 1];

    if (len > SKIP_KEYID_MAX)
        return CKR_GENERAL_ERROR;
    skip_hex_encode(data, len, hex);
    return put(attr, hex, 2 * len);
}

static CK_RV put_bool(CK_ATTRIBUTE *attr, bool value)
{
    CK_BBOOL b = value ? CK_TRUE : CK_FALSE;

    return put(attr, &b, sizeof(b));
}

static CK_RV put_ulong(CK_ATTRIBUTE *attr, CK_ULONG value)
{
    return put(attr, &value, sizeof(value));
}

CK_RV attr_get(const object *obj, CK_ATTRIBUTE *attr)
{
    bool hmac = obj->role != ROLE_KDF, kdf = obj->role != ROLE_HMAC;

    switch (attr->type) {
    case CKA_CLASS: return put_ulong(attr, CKO_SECRET_KEY);
    case CKA_KEY_TYPE: return put_ulong(attr, obj->key_type);
    case CKA_TOKEN: return put_bool(attr, obj->token);
    case CKA_PRIVATE: return put_bool(attr, obj->private_obj);
    case CKA_MODIFIABLE: return put_bool(attr, obj->modifiable);
    case CKA_COPYABLE: return put_bool(attr, false);
    case CKA_DESTROYABLE: return put_bool(attr, obj->destroyable);
    case CKA_LABEL:
        if (obj->label_is_key_id)
            return put_hex(attr, obj->id, obj->id_len);
        return put(attr, obj->label, obj->label_len);
    case CKA_ID: return put(attr, obj->id, obj->id_len);
    case CKA_UNIQUE_ID:
        return put(attr, obj->unique_id, strlen(obj->unique_id));
    case CKA_START_DATE:
    case CKA_END_DATE: return put(attr, NULL, 0);
    case CKA_LOCAL: return put_bool(attr, obj->local);
    case CKA_KEY_GEN_MECHANISM: return put_ulong(attr, obj->keygen_mech);
    case CKA_SENSITIVE: return put_bool(attr, obj->sensitive);
    case CKA_EXTRACTABLE: return put_bool(attr, obj->extractable);
    case CKA_ALWAYS_SENSITIVE: return put_bool(attr, obj->always_sensitive);
    case CKA_NEVER_EXTRACTABLE: return put_bool(attr, obj->never_extractable);
    /* An open role reads as both until the first use fixes one. */
    case CKA_SIGN:
    case CKA_VERIFY: return put_bool(attr, hmac && obj->key_type != CKK_AES);
    case CKA_DERIVE: return put_bool(attr, kdf);
    case CKA_ENCRYPT:
    case CKA_DECRYPT:
    case CKA_WRAP:
    case CKA_UNWRAP:
    case CKA_SIGN_RECOVER:
    case CKA_VERIFY_RECOVER:
    case CKA_WRAP_WITH_TRUSTED:
    case CKA_TRUSTED:
    case CKA_ALWAYS_AUTHENTICATE: return put_bool(attr, false);
    case CKA_ALLOWED_MECHANISMS: {
        /* The role's mechanisms; an open role lists both sets. */
        CK_MECHANISM_TYPE list[sizeof(hmac_mechanisms) / sizeof(CK_MECHANISM_TYPE) +
                               sizeof(kdf_mechanisms) / sizeof(CK_MECHANISM_TYPE)];
        size_t n = 0;
        if (hmac && obj->key_type != CKK_AES) {
            memcpy(list, hmac_mechanisms, sizeof(hmac_mechanisms));
            n += sizeof(hmac_mechanisms);
        }
        if (kdf) {
            memcpy((char *)list + n, kdf_mechanisms, sizeof(kdf_mechanisms));
            n += sizeof(kdf_mechanisms);
        }
        return put(attr, list, n);
    }
    case CKA_VALUE_LEN: return put_ulong(attr, obj->value->len);
    case CKA_VALUE:
        if (obj->sensitive || !obj->extractable) {
            attr->ulValueLen = CK_UNAVAILABLE_INFORMATION;
            return CKR_ATTRIBUTE_SENSITIVE;
        }
        return put(attr, obj->value->data, obj->value->len);
    case CKA_SKIP_REMOTE_SYSTEM_ID:
        return put(attr, obj->remote, obj->remote ? strlen(obj->remote) : 0);
    default:
        attr->ulValueLen = CK_UNAVAILABLE_INFORMATION;
        return CKR_ATTRIBUTE_TYPE_INVALID;
    }
}

bool attr_match(const object *obj, const CK_ATTRIBUTE *attrs, CK_ULONG count)
{
    unsigned char stack[512];

    for (CK_ULONG i = 0; i < count; i++) {
        CK_ATTRIBUTE ours = {attrs[i].type, stack, sizeof(stack)};
        /* An attribute that cannot be read (sensitive CKA_VALUE, unknown
         * types) never matches: a search must not become an oracle. */
        if (attr_get(obj, &ours) != CKR_OK ||
            ours.ulValueLen != attrs[i].ulValueLen ||
            (ours.ulValueLen &&
             (attrs[i].pValue == NULL ||
              memcmp(stack, attrs[i].pValue, ours.ulValueLen) != 0)))
            return false;
    }
    return true;
}
