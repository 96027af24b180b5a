/* SPDX-License-Identifier: BSD-3-Clause */
/* Attributes of secret keys: reading them (C_GetAttributeValue rules for
 * one entry), matching a search template, and parsing the templates of
 * C_GenerateKey, C_CreateObject and C_FindObjectsInit. */
#include "config.h"
#include "internal.h"

#include <string.h>

#include "skip/hex.h"
#include "skip/log.h"

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

static bool read_bool(const CK_ATTRIBUTE *a, bool *out)
{
    if (a->pValue == NULL || a->ulValueLen != sizeof(CK_BBOOL))
        return false;
    *out = *(const CK_BBOOL *)a->pValue != CK_FALSE;
    return true;
}

static bool read_ulong(const CK_ATTRIBUTE *a, CK_ULONG *out)
{
    if (a->pValue == NULL || a->ulValueLen != sizeof(CK_ULONG))
        return false;
    memcpy(out, a->pValue, sizeof(*out));
    return true;
}

/* A type given twice must carry the same value twice. */
static bool conflicts(const CK_ATTRIBUTE *attrs, CK_ULONG i)
{
    for (CK_ULONG j = 0; j < i; j++)
        if (attrs[j].type == attrs[i].type &&
            (attrs[j].ulValueLen != attrs[i].ulValueLen ||
             (attrs[i].ulValueLen && attrs[i].pValue && attrs[j].pValue &&
              memcmp(attrs[j].pValue, attrs[i].pValue, attrs[i].ulValueLen))))
            return true;
    return false;
}

/* An empty byte array may come as {NULL, 0}; those who copy or compare it
 * get a pointer to an empty string instead, never NULL. */
static const CK_ATTRIBUTE empty_label = {CKA_LABEL, (void *)"", 0};
static const CK_ATTRIBUTE empty_id = {CKA_ID, (void *)"", 0};
static const CK_ATTRIBUTE empty_value = {CKA_VALUE, (void *)"", 0};

static const CK_ATTRIBUTE *bytes_of(const CK_ATTRIBUTE *a,
                                    const CK_ATTRIBUTE *empty)
{
    return a->pValue == NULL ? empty : a;
}

CK_RV template_parse(const CK_ATTRIBUTE *attrs, CK_ULONG count,
                     enum template_use use, key_template *t)
{
    bool b;

    memset(t, 0, sizeof(*t));
    if (attrs == NULL && count != 0)
        return CKR_ARGUMENTS_BAD;
    for (CK_ULONG i = 0; i < count; i++) {
        const CK_ATTRIBUTE *a = &attrs[i];
        bool ok = true;

        b = false;
        if (a->pValue == NULL && a->ulValueLen != 0)
            return CKR_ATTRIBUTE_VALUE_INVALID;
        if (conflicts(attrs, i))
            return CKR_TEMPLATE_INCONSISTENT;
        switch (a->type) {
        case CKA_CLASS:
            ok = read_ulong(a, &t->cls), t->has_class = true;
            break;
        case CKA_KEY_TYPE:
            ok = read_ulong(a, &t->key_type), t->has_key_type = true;
            break;
        case CKA_VALUE_LEN:
            ok = read_ulong(a, &t->value_len), t->has_value_len = true;
            break;
        case CKA_TOKEN:
            ok = read_bool(a, &t->token), t->has_token = true;
            break;
        case CKA_PRIVATE:
            ok = read_bool(a, &t->private_obj), t->has_private = true;
            break;
        case CKA_SENSITIVE:
            ok = read_bool(a, &t->sensitive), t->has_sensitive = true;
            break;
        case CKA_EXTRACTABLE:
            ok = read_bool(a, &t->extractable), t->has_extractable = true;
            break;
        case CKA_MODIFIABLE:
            ok = read_bool(a, &t->modifiable), t->has_modifiable = true;
            break;
        case CKA_DESTROYABLE:
            ok = read_bool(a, &t->destroyable), t->has_destroyable = true;
            break;
        case CKA_SIGN: ok = read_bool(a, &b), t->sign |= b; break;
        case CKA_VERIFY: ok = read_bool(a, &b), t->verify |= b; break;
        case CKA_DERIVE: ok = read_bool(a, &b), t->derive |= b; break;
        case CKA_ENCRYPT:
        case CKA_DECRYPT:
        case CKA_WRAP:
        case CKA_UNWRAP:
        case CKA_COPYABLE:
        case CKA_SIGN_RECOVER:
        case CKA_VERIFY_RECOVER:
            /* Our keys only ever key a KDF or an HMAC, and are never copied.
             * Derive templates may carry usage flags (NSS-based callers set
             * them); they grant nothing here. So does ENCRYPT/DECRYPT in a
             * generate template: it is pkcs11-tool's default for every
             * --keygen, and the key still reads back FALSE for both. */
            ok = read_bool(a, &b);
            if (ok && b && a->type == CKA_COPYABLE && use == TEMPLATE_DERIVE)
                return CKR_TEMPLATE_INCONSISTENT;
            if (ok && b && use == TEMPLATE_GENERATE &&
                (a->type == CKA_ENCRYPT || a->type == CKA_DECRYPT))
                break;
            if (ok && b && use != TEMPLATE_FIND && use != TEMPLATE_DERIVE) {
                skip_log_error("template asks for a use this token never "
                               "allows (attribute 0x%lx); SKIP keys serve "
                               "HMAC or key derivation only", a->type);
                return CKR_TEMPLATE_INCONSISTENT;
            }
            break;
        case CKA_LABEL: t->label = bytes_of(a, &empty_label), t->has_label = true; break;
        case CKA_ID: t->id = bytes_of(a, &empty_id), t->has_id = true; break;
        case CKA_SKIP_REMOTE_SYSTEM_ID:
            /* A system id is 1..255 bytes (docs/decisions.md). */
            ok = a->ulValueLen >= 1 && a->ulValueLen <= 255;
            t->remote = a, t->has_remote = true;
            break;
        case CKA_VALUE: t->value = bytes_of(a, &empty_value), t->has_value = true; break;
        case CKA_START_DATE:
        case CKA_END_DATE:
            ok = a->ulValueLen == 0 || a->ulValueLen == sizeof(CK_DATE);
            break;
        case CKA_LOCAL:
        case CKA_ALWAYS_SENSITIVE:
        case CKA_NEVER_EXTRACTABLE:
        case CKA_KEY_GEN_MECHANISM:
        case CKA_UNIQUE_ID:
        case CKA_ALLOWED_MECHANISMS:
        case CKA_TRUSTED:
            if (use != TEMPLATE_FIND)
                return CKR_ATTRIBUTE_READ_ONLY;
            break;
        default:
            if (use != TEMPLATE_FIND)
                return CKR_ATTRIBUTE_TYPE_INVALID;
        }
        if (!ok)
            return CKR_ATTRIBUTE_VALUE_INVALID;
    }
    return CKR_OK;
}

CK_RV template_role(const key_template *t, key_role *role)
{
    bool hmac = t->sign || t->verify;

    if (hmac && t->derive)
        return CKR_TEMPLATE_INCONSISTENT;
    *role = hmac ? ROLE_HMAC : t->derive ? ROLE_KDF : ROLE_OPEN;
    return CKR_OK;
}
