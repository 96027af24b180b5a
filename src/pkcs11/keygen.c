/* SPDX-License-Identifier: BSD-3-Clause */
/* C_GenerateKey: a fresh key from the KP (GET /key). The KP assigns the
 * keyId, which becomes CKA_ID; the key bytes never leave the module. */
#include "config.h"
#include "general.h"
#include "internal.h"

#include <stdlib.h>
#include <string.h>


/* What ties the template to the mechanism. Class and key type follow from
 * the mechanism when the template omits them (Java sends only CLASS and
 * VALUE_LEN); single attributes (CKA_ID, CKA_SENSITIVE, ...) are the
 * policy table's (policy.c). */
static CK_RV check_template(CK_MECHANISM_TYPE mech, key_template *t)
{
    CK_KEY_TYPE want = mech == CKM_AES_KEY_GEN ? CKK_AES : CKK_GENERIC_SECRET;

    if (t->has_class && t->cls != CKO_SECRET_KEY)
        return CKR_TEMPLATE_INCONSISTENT;
    if (t->has_key_type && t->key_type != want)
        return CKR_TEMPLATE_INCONSISTENT;
    t->key_type = want;
    /* Both key generation mechanisms need the size (no default). */
    if (!t->has_value_len)
        return CKR_TEMPLATE_INCOMPLETE;
    /* C_GenerateKey has no CKR_KEY_SIZE_RANGE: a size outside the
     * mechanism's range is an invalid attribute value. */
    if (want == CKK_AES ? !(t->value_len == 16 || t->value_len == 24 ||
                            t->value_len == 32)
                        : t->value_len < KEY_MIN_LEN || t->value_len > KEY_MAX_LEN)
        return CKR_ATTRIBUTE_VALUE_INVALID;
    if (want == CKK_AES && (t->sign || t->verify))
        return CKR_TEMPLATE_INCONSISTENT;
    return CKR_OK;
}

object *skip_key_object(skip_key *key, char *remote, CK_KEY_TYPE type,
                        key_role role, CK_MECHANISM_TYPE mech,
                        const CK_ATTRIBUTE *label)
{
    object *obj = calloc(1, sizeof(*obj));
    size_t label_len = label ? label->ulValueLen : 0;

    if (obj == NULL) {
        free(remote);
        return NULL;
    }
    obj->key_type = type;
    obj->token = true;
    /* Its label may change, as on every key (NSS sets one after making the
     * key); every other attribute of a SKIP key is fixed by policy.c. */
    obj->modifiable = true;
    obj->destroyable = true;
    obj->sensitive = obj->always_sensitive = obj->never_extractable = true;
    obj->local = true;
    obj->keygen_mech = mech;
    obj->role = role;
    obj->remote = remote;
    obj->value = key->key;
    key->key = NULL;
    obj->id = malloc(key->key_id_len);
    obj->label = label ? malloc(label_len + 1) : NULL;
    if (obj->id == NULL || (label && obj->label == NULL)) {
        object_free(obj);
        return NULL;
    }
    memcpy(obj->id, key->key_id, key->key_id_len);
    obj->id_len = key->key_id_len;
    if (label && label_len)
        memcpy(obj->label, label->pValue, label_len);
    obj->label_len = label_len;
    /* Without a label given, the keyId in hex: unique, and Java lists only
     * labelled keys. Written when read, so 100k keys do not hold 100k
     * copies of their keyIds. */
    obj->label_is_key_id = label == NULL;
    return obj;
}

CK_RV keygen_generate(CK_SESSION_HANDLE h, CK_MECHANISM_PTR pMechanism,
                      CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount,
                      CK_OBJECT_HANDLE_PTR phKey)
{
    CK_RV rv = module_ready();
    char *remote_asked = NULL, *remote = NULL;
    CK_SLOT_ID slot_id = 0;
    key_template t;
    key_role role;
    skip_key key;
    session *sess;
    object *obj;

    if (rv != CKR_OK)
        return rv;
    /* a NULL pointer first, whatever the mechanism */
    if (pMechanism == NULL || phKey == NULL || (pTemplate == NULL && ulCount))
        return CKR_ARGUMENTS_BAD;
    if (pMechanism->mechanism != CKM_GENERIC_SECRET_KEY_GEN &&
        pMechanism->mechanism != CKM_AES_KEY_GEN)
        return CKR_MECHANISM_INVALID;
    if (pMechanism->pParameter != NULL || pMechanism->ulParameterLen != 0)
        return CKR_MECHANISM_PARAM_INVALID;
    rv = template_parse(pTemplate, ulCount, TEMPLATE_GENERATE, &t);
    if (rv == CKR_OK)
        rv = check_template(pMechanism->mechanism, &t);
    if (rv == CKR_OK)
        rv = template_role(&t, &role);
    if (rv != CKR_OK)
        return rv;

    module_lock();
    /* CKA_TOKEN defaults to FALSE, as the standard says: a session key
     * may be made in a read-only session (still behind the login). */
    rv = session_begin_locked(h, NEED_LOGIN | new_object_needs(&t, false),
                              &sess);
    if (rv == CKR_OK) {
        bool has_pin = slot_get_locked(sess->slot_id)->cfg.has_pin;
        slot_id = sess->slot_id;
        rv = template_private(&t, has_pin, TEMPLATE_GENERATE);
        if (!t.has_private)
            t.private_obj = has_pin;
    }
    module_unlock();
    if (rv != CKR_OK)
        return rv;

    if (t.has_remote) {
        remote_asked = strndup(t.remote->pValue, t.remote->ulValueLen);
        if (remote_asked == NULL)
            return CKR_HOST_MEMORY;
    }
    /* No lock held while the KP answers. */
    rv = kp_generate(slot_id, remote_asked, (unsigned)t.value_len * 8, &key,
                     &remote);
    free(remote_asked);
    if (rv != CKR_OK)
        return rv;
    obj = skip_key_object(&key, remote, t.key_type, role, pMechanism->mechanism,
                          t.has_label ? t.label : NULL);
    skip_key_clear(&key);
    if (obj == NULL)
        return CKR_HOST_MEMORY;
    obj->token = t.has_token && t.token;
    obj->modifiable = t.has_modifiable ? t.modifiable : true;
    obj->destroyable = t.has_destroyable ? t.destroyable : true;
    obj->private_obj = t.private_obj;
    obj->slot_id = slot_id;

    return publish_key(h, obj, true, phKey);
}
