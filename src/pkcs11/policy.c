/* SPDX-License-Identifier: BSD-3-Clause */
/* The attribute policy: one row per attribute a template may name, saying
 * how its value is read and what each call does with it. Read it row by
 * row against ../shared/spec/pkcs11-key-policy.md sections 2.1, 2.2, 2.3
 * and 2.5 (tests/pkcs11/test-p11-policy.c does, through the entry points).
 * Rules that tie several attributes together, or an attribute to the
 * object's state, stay as code in the call that needs them: keygen.c
 * (SKIP keys: sensitive, never extractable, not modifiable), object.c
 * (imports; the one-way SENSITIVE and EXTRACTABLE of C_SetAttributeValue),
 * derive.c (type and length) and template_role below (HMAC or KDF). */
#include "config.h"
#include "internal.h"

#include <stddef.h>
#include <string.h>

#include "skip/hex.h"
#include "skip/log.h"

/* Where a TAKE row stores its value in key_template. */
#define INTO(has, value) offsetof(key_template, has), offsetof(key_template, value)
#define NOWHERE 0, 0

/* The grid's cells, in the columns' order: generate (C_GenerateKey),
 * create (C_CreateObject), derive (C_DeriveKey), find (C_FindObjectsInit),
 * set (C_SetAttributeValue). */
#define T ATTR_TAKE
#define I ATTR_IGNORE
#define NT ATTR_NOT_TRUE
#define NF ATTR_NOT_FALSE
#define RO ATTR_READ_ONLY

/* Why a cell refuses, for the log line; pkcs11-tool's option where it is
 * the usual cause (interop-notes.md, checklist items 2 and 3). */
#define KEEP_IN "SKIP keys never leave the token (pkcs11-tool: add --sensitive)"
#define NOT_A_USE "SKIP keys serve HMAC or key derivation only"
#define COMPUTED "the token sets it"

/* attr_policy_find scans the rows in order, so the two a responder's
 * search names (CKA_CLASS, CKA_ID) come first. */
static const struct attr_policy policy[] = {
    /* attribute                 reader  stored into          gen cre der fnd set */
    {CKA_CLASS, "CKA_CLASS", READ_ULONG, INTO(has_class, cls), {T, T, T, T, RO}, NULL},
    /* the keyId: the KP names SKIP keys, and a search asks by it; nothing
     * else may carry one, so no key stands in for a SKIP key (A16) */
    {CKA_ID, "CKA_ID", READ_BYTES, INTO(has_id, id), {RO, RO, RO, T, RO},
     "the Key Provider names SKIP keys (pkcs11-tool: leave out --id; the "
     "keyId is printed as the ID)"},
    {CKA_KEY_TYPE, "CKA_KEY_TYPE", READ_ULONG, INTO(has_key_type, key_type), {T, T, T, T, RO}, NULL},
    {CKA_VALUE_LEN, "CKA_VALUE_LEN", READ_ULONG, INTO(has_value_len, value_len), {T, T, T, T, RO}, NULL},
    /* imports are session keys: the token keeps only what the KP gave */
    {CKA_TOKEN, "CKA_TOKEN", READ_BOOL, INTO(has_token, token), {T, NT, T, T, RO},
     "imported keys are session keys only"},
    {CKA_PRIVATE, "CKA_PRIVATE", READ_BOOL, INTO(has_private, private_obj), {T, T, T, T, RO}, NULL},
    /* every key's label may change (NSS names a key after making it); on a
     * SKIP key nothing else can, by the other rows */
    {CKA_MODIFIABLE, "CKA_MODIFIABLE", READ_BOOL, INTO(has_modifiable, modifiable), {T, T, T, T, RO}, NULL},
    {CKA_DESTROYABLE, "CKA_DESTROYABLE", READ_BOOL, INTO(has_destroyable, destroyable), {T, T, T, T, RO}, NULL},
    /* the one storage attribute that changes after creation; a label in
     * keyId form names the SKIP key with that keyId, and no other key may
     * take it (A16): refused on every key made or changed, and a search by
     * it is a search by that CKA_ID (object.c) */
    {CKA_LABEL, "CKA_LABEL", READ_LABEL, INTO(has_label, label), {T, T, T, T, T},
     "32 to 128 hex digits name the SKIP key with that keyId"},
    /* one way only after creation: SENSITIVE to TRUE, EXTRACTABLE to
     * FALSE (object.c); derived keys may be readable (section 2.3) */
    {CKA_SENSITIVE, "CKA_SENSITIVE", READ_BOOL, INTO(has_sensitive, sensitive), {NF, T, T, T, T}, KEEP_IN},
    {CKA_EXTRACTABLE, "CKA_EXTRACTABLE", READ_BOOL, INTO(has_extractable, extractable), {NT, T, T, T, T}, KEEP_IN},
    {CKA_VALUE, "CKA_VALUE", READ_BYTES, INTO(has_value, value), {RO, T, RO, T, RO},
     "key bytes come from the Key Provider or the KDF"},
    {CKA_SKIP_REMOTE_SYSTEM_ID, "CKA_SKIP_REMOTE_SYSTEM_ID", READ_SYSTEM_ID,
     INTO(has_remote, remote), {T, T, T, T, RO}, NULL},
    {CKA_START_DATE, "CKA_START_DATE", READ_DATE, NOWHERE, {I, I, I, I, RO}, NULL},
    {CKA_END_DATE, "CKA_END_DATE", READ_DATE, NOWHERE, {I, I, I, I, RO}, NULL},
    /* the uses: an HMAC or a KDF, fixed at creation (template_role) */
    {CKA_SIGN, "CKA_SIGN", READ_BOOL, INTO(has_sign, sign), {T, T, T, T, RO}, NULL},
    {CKA_VERIFY, "CKA_VERIFY", READ_BOOL, INTO(has_verify, verify), {T, T, T, T, RO}, NULL},
    {CKA_DERIVE, "CKA_DERIVE", READ_BOOL, INTO(has_derive, derive), {T, T, T, T, RO}, NULL},
    /* Uses no key here has. pkcs11-tool asks ENCRYPT and DECRYPT on every
     * --keygen, and NSS-based callers put usage flags in derive templates:
     * accepted there, granted nowhere (the key reads FALSE). */
    {CKA_ENCRYPT, "CKA_ENCRYPT", READ_BOOL, NOWHERE, {I, NT, I, I, RO}, NOT_A_USE},
    {CKA_DECRYPT, "CKA_DECRYPT", READ_BOOL, NOWHERE, {I, NT, I, I, RO}, NOT_A_USE},
    {CKA_WRAP, "CKA_WRAP", READ_BOOL, NOWHERE, {NT, NT, I, I, RO}, NOT_A_USE},
    {CKA_UNWRAP, "CKA_UNWRAP", READ_BOOL, NOWHERE, {NT, NT, I, I, RO}, NOT_A_USE},
    {CKA_SIGN_RECOVER, "CKA_SIGN_RECOVER", READ_BOOL, NOWHERE, {NT, NT, I, I, RO}, NOT_A_USE},
    {CKA_VERIFY_RECOVER, "CKA_VERIFY_RECOVER", READ_BOOL, NOWHERE, {NT, NT, I, I, RO}, NOT_A_USE},
    {CKA_WRAP_WITH_TRUSTED, "CKA_WRAP_WITH_TRUSTED", READ_BOOL, NOWHERE, {NT, NT, I, I, RO}, NOT_A_USE},
    {CKA_ALWAYS_AUTHENTICATE, "CKA_ALWAYS_AUTHENTICATE", READ_BOOL, NOWHERE, {NT, NT, I, I, RO},
     "this token has no per-use login"},
    /* keys are never copied, a derived key no more than another (A5) */
    {CKA_COPYABLE, "CKA_COPYABLE", READ_BOOL, NOWHERE, {NT, NT, NT, I, RO}, "keys are never copied"},
    /* the token's record of a key's life (footnotes 2, 4 and 6), and
     * CKA_TRUSTED, which only an SO may set, and this token has none */
    {CKA_LOCAL, "CKA_LOCAL", READ_ANY, NOWHERE, {RO, RO, RO, I, RO}, COMPUTED},
    {CKA_KEY_GEN_MECHANISM, "CKA_KEY_GEN_MECHANISM", READ_ANY, NOWHERE, {RO, RO, RO, I, RO}, COMPUTED},
    {CKA_ALWAYS_SENSITIVE, "CKA_ALWAYS_SENSITIVE", READ_ANY, NOWHERE, {RO, RO, RO, I, RO}, COMPUTED},
    {CKA_NEVER_EXTRACTABLE, "CKA_NEVER_EXTRACTABLE", READ_ANY, NOWHERE, {RO, RO, RO, I, RO}, COMPUTED},
    {CKA_UNIQUE_ID, "CKA_UNIQUE_ID", READ_ANY, NOWHERE, {RO, RO, RO, I, RO}, COMPUTED},
    {CKA_ALLOWED_MECHANISMS, "CKA_ALLOWED_MECHANISMS", READ_ANY, NOWHERE, {RO, RO, RO, I, RO}, COMPUTED},
    {CKA_TRUSTED, "CKA_TRUSTED", READ_ANY, NOWHERE, {RO, RO, RO, I, RO}, "this token has no SO"},
};
#undef T
#undef I
#undef NT
#undef NF
#undef RO
#define POLICY_ROWS (sizeof(policy) / sizeof(policy[0]))

const struct attr_policy *attr_policy_rows(size_t *count)
{
    *count = POLICY_ROWS;
    return policy;
}

const struct attr_policy *attr_policy_find(CK_ATTRIBUTE_TYPE type)
{
    for (size_t i = 0; i < POLICY_ROWS; i++)
        if (policy[i].type == type)
            return &policy[i];
    return NULL;
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
static const CK_ATTRIBUTE empty_bytes = {CKA_VALUE, (void *)"", 0};

/* Checks a's form for the row's reader and, when into is not NULL, stores
 * the value there. False: CKR_ATTRIBUTE_VALUE_INVALID. */
static bool read_value(const struct attr_policy *row, const CK_ATTRIBUTE *a,
                       void *into, bool *is_true)
{
    *is_true = false;
    switch (row->reader) {
    case READ_BOOL: {
        CK_BBOOL b;
        if (a->ulValueLen != sizeof(CK_BBOOL))
            return false;
        memcpy(&b, a->pValue, sizeof(b));
        *is_true = b != CK_FALSE;
        if (into)
            *(bool *)into = *is_true;
        return true;
    }
    case READ_ULONG:
        if (a->ulValueLen != sizeof(CK_ULONG))
            return false;
        if (into)
            memcpy(into, a->pValue, sizeof(CK_ULONG));
        return true;
    case READ_SYSTEM_ID:
        /* A system id is 1..255 bytes (docs/decisions.md). */
        if (a->ulValueLen < 1 || a->ulValueLen > 255)
            return false;
        /* fall through */
    case READ_LABEL:
    case READ_BYTES:
        if (into)
            *(const CK_ATTRIBUTE **)into = a->pValue ? a : &empty_bytes;
        return true;
    case READ_DATE:
        return a->ulValueLen == 0 || a->ulValueLen == sizeof(CK_DATE);
    case READ_ANY:
        return true;
    }
    return_val_if_reached(false);
}

static const char *const call_name[TEMPLATE_USES] = {
    "C_GenerateKey", "C_CreateObject", "C_DeriveKey", "C_FindObjectsInit",
    "C_SetAttributeValue",
};

/* One line saying which call refused which attribute and why. */
static CK_RV refuse(const struct attr_policy *row, enum template_use use,
                    const char *what, CK_RV rv)
{
    skip_log_error("%s: %s %s%s%s", call_name[use], row->name, what,
                   row->why ? ": " : "", row->why ? row->why : "");
    return rv;
}

bool label_names_key_id(const CK_ATTRIBUTE *label, unsigned char *id,
                        size_t *id_len)
{
    unsigned char scratch[KEYID_MAX_LEN];
    size_t n;

    if (label->pValue == NULL || label->ulValueLen < 2 * KEYID_MIN_LEN ||
        label->ulValueLen > 2 * KEYID_MAX_LEN)
        return false;
    return skip_hex_decode(label->pValue, label->ulValueLen,
                           id ? id : scratch, KEYID_MAX_LEN,
                           id_len ? id_len : &n);
}

/* Every length is bounded before any value is compared or copied. */
static CK_RV check_lengths(const CK_ATTRIBUTE *attrs, CK_ULONG count,
                           enum template_use use)
{
    for (CK_ULONG i = 0; i < count; i++) {
        if (attrs[i].ulValueLen > ATTR_VALUE_MAX) {
            skip_log_error("%s: attribute 0x%lx claims %lu bytes; at most %d "
                           "are accepted", call_name[use],
                           (unsigned long)attrs[i].type,
                           (unsigned long)attrs[i].ulValueLen, ATTR_VALUE_MAX);
            return CKR_ATTRIBUTE_VALUE_INVALID;
        }
        if (attrs[i].pValue == NULL && attrs[i].ulValueLen != 0)
            return CKR_ATTRIBUTE_VALUE_INVALID;
    }
    return CKR_OK;
}

CK_RV template_parse(const CK_ATTRIBUTE *attrs, CK_ULONG count,
                     enum template_use use, key_template *t)
{
    CK_RV rv;

    memset(t, 0, sizeof(*t));
    if (attrs == NULL && count != 0)
        return CKR_ARGUMENTS_BAD;
    if ((rv = check_lengths(attrs, count, use)) != CKR_OK)
        return rv;
    for (CK_ULONG i = 0; i < count; i++) {
        const CK_ATTRIBUTE *a = &attrs[i];
        const struct attr_policy *row = attr_policy_find(a->type);
        enum attr_rule rule;
        char *base = (char *)t;
        bool is_true;

        if (conflicts(attrs, i))
            return CKR_TEMPLATE_INCONSISTENT;
        if (row == NULL) {
            if (use == TEMPLATE_FIND)
                continue; /* matches nothing (attr_match) */
            skip_log_error("%s: attribute 0x%lx is not one this token knows",
                           call_name[use], (unsigned long)a->type);
            return CKR_ATTRIBUTE_TYPE_INVALID;
        }
        rule = row->rule[use];
        if (rule == ATTR_READ_ONLY)
            return refuse(row, use, "is read-only here",
                          CKR_ATTRIBUTE_READ_ONLY);
        if (!read_value(row, a, rule == ATTR_TAKE ? base + row->value : NULL,
                        &is_true))
            return refuse(row, use, "has a value of the wrong form",
                          CKR_ATTRIBUTE_VALUE_INVALID);
        if (rule == ATTR_TAKE)
            *(bool *)(base + row->has) = true;
        if (row->reader == READ_LABEL && use != TEMPLATE_FIND &&
            label_names_key_id(a, NULL, NULL))
            return refuse(row, use, "in keyId form is refused",
                          CKR_ATTRIBUTE_VALUE_INVALID);
        if ((rule == ATTR_NOT_TRUE && is_true) ||
            (rule == ATTR_NOT_FALSE && !is_true))
            return refuse(row, use, is_true ? "= TRUE is refused" : "= FALSE is refused",
                          CKR_TEMPLATE_INCONSISTENT);
    }
    return CKR_OK;
}

CK_RV template_private(const key_template *t, bool must_be_private,
                       enum template_use use)
{
    if (!must_be_private || !t->has_private || t->private_obj)
        return CKR_OK;
    skip_log_error("%s: CKA_PRIVATE = FALSE is refused: on a token with a PIN, "
                   "SKIP keys and keys derived from them are private "
                   "(pkcs11-tool: add --private)", call_name[use]);
    return CKR_TEMPLATE_INCONSISTENT;
}

CK_RV template_role(const key_template *t, key_role *role)
{
    bool hmac = t->sign || t->verify;

    if (hmac && t->derive)
        return CKR_TEMPLATE_INCONSISTENT;
    *role = hmac ? ROLE_HMAC : t->derive ? ROLE_KDF : ROLE_OPEN;
    return CKR_OK;
}
