/* SPDX-License-Identifier: BSD-3-Clause */
/* Walks the attribute policy table (src/pkcs11/policy.c) three ways:
 *  - against the spec: the grid below is ../shared/spec/pkcs11-key-policy.md
 *    sections 2.1-2.5 read attribute by attribute, written here apart from
 *    the code, and every row of the table must equal it;
 *  - against C_GetAttributeValue: an attribute a key has is one the table
 *    knows, and one the table does not know no key has;
 *  - against the entry points: every cell is tried through the call it
 *    governs (C_GenerateKey, C_CreateObject, C_DeriveKey,
 *    C_FindObjectsInit, C_SetAttributeValue) with TRUE and FALSE for a
 *    flag, and the call must answer as the cell says. */
#include "config.h"
#include "p11-fixture.h"

#include <stdio.h>
#include <stdlib.h>

#include "pkcs11/internal.h"

/* The spec's grid. Columns: generate, create, derive, find, set.
 *   T  taken (the call's own code may still refuse a combination)
 *   I  accepted, grants nothing
 *   NT TRUE refused (CKR_TEMPLATE_INCONSISTENT)
 *   NF FALSE refused (CKR_TEMPLATE_INCONSISTENT)
 *   RO CKR_ATTRIBUTE_READ_ONLY */
#define T ATTR_TAKE
#define I ATTR_IGNORE
#define NT ATTR_NOT_TRUE
#define NF ATTR_NOT_FALSE
#define RO ATTR_READ_ONLY

static const struct {
    CK_ATTRIBUTE_TYPE type;
    unsigned char cells[TEMPLATE_USES];
} spec[] = {
    /* 2.1: CLASS and KEY_TYPE fixed at creation; TOKEN, PRIVATE,
     * MODIFIABLE and DESTROYABLE change only by C_CopyObject, which this
     * token refuses (2.4). Every key's label may change, a SKIP key's too
     * (issue 13: NSS names a key after making it); nothing else of a SKIP
     * key can. C_CreateObject imports session keys only (DESIGN.md: the
     * token holds what the KP gave). */
    {CKA_CLASS, {T, T, T, T, RO}},
    {CKA_KEY_TYPE, {T, T, T, T, RO}},
    {CKA_VALUE_LEN, {T, T, T, T, RO}},
    {CKA_TOKEN, {T, NT, T, T, RO}},
    {CKA_PRIVATE, {T, T, T, T, RO}},
    {CKA_MODIFIABLE, {T, T, T, T, RO}},
    {CKA_DESTROYABLE, {T, T, T, T, RO}},
    /* 2.1: the one storage attribute modifiable after creation. */
    {CKA_LABEL, {T, T, T, T, T}},
    /* 2.2: SENSITIVE=FALSE or EXTRACTABLE=TRUE for a SKIP key is
     * TEMPLATE_INCONSISTENT; 2.3: a derived key may ask either; 2.5: both
     * change one way (FALSE->TRUE, TRUE->FALSE). */
    {CKA_SENSITIVE, {NF, T, T, T, T}},
    {CKA_EXTRACTABLE, {NT, T, T, T, T}},
    /* 2.2 and 2.3: CKA_ID is the KP's to set (A16), CKA_VALUE never given
     * to a key the token makes; a search asks by CKA_ID (2.9). */
    {CKA_ID, {RO, RO, RO, T, RO}},
    {CKA_VALUE, {RO, T, RO, T, RO}},
    {CKA_SKIP_REMOTE_SYSTEM_ID, {T, T, T, T, RO}},
    /* 2.1 allows a token to refuse changing the dates ("may be
     * modified; a token may refuse"). */
    {CKA_START_DATE, {I, I, I, I, RO}},
    {CKA_END_DATE, {I, I, I, I, RO}},
    /* 2.2: SIGN/VERIFY choose the HMAC role, DERIVE the KDF role; 2.5:
     * usage flags are sticky on this token. */
    {CKA_SIGN, {T, T, T, T, RO}},
    {CKA_VERIFY, {T, T, T, T, RO}},
    {CKA_DERIVE, {T, T, T, T, RO}},
    /* 2.2: ENCRYPT/DECRYPT/WRAP/UNWRAP=TRUE are refused; pkcs11-tool asks
     * ENCRYPT and DECRYPT on every --keygen (interop-notes.md), so those
     * two are accepted there and granted nowhere. 2.3: derive templates
     * may carry usage flags. */
    {CKA_ENCRYPT, {I, NT, I, I, RO}},
    {CKA_DECRYPT, {I, NT, I, I, RO}},
    {CKA_WRAP, {NT, NT, I, I, RO}},
    {CKA_UNWRAP, {NT, NT, I, I, RO}},
    {CKA_SIGN_RECOVER, {NT, NT, I, I, RO}},
    {CKA_VERIFY_RECOVER, {NT, NT, I, I, RO}},
    {CKA_WRAP_WITH_TRUSTED, {NT, NT, I, I, RO}},
    {CKA_ALWAYS_AUTHENTICATE, {NT, NT, I, I, RO}},
    /* 2.2 and 2.4: COPYABLE=TRUE refused; nothing is ever copied. */
    {CKA_COPYABLE, {NT, NT, NT, I, RO}},
    /* 2.1 footnotes 2, 4, 6: token-computed, never settable; TRUSTED only
     * by the SO (footnote 10), and this token has no SO. */
    {CKA_LOCAL, {RO, RO, RO, I, RO}},
    {CKA_KEY_GEN_MECHANISM, {RO, RO, RO, I, RO}},
    {CKA_ALWAYS_SENSITIVE, {RO, RO, RO, I, RO}},
    {CKA_NEVER_EXTRACTABLE, {RO, RO, RO, I, RO}},
    {CKA_UNIQUE_ID, {RO, RO, RO, I, RO}},
    {CKA_ALLOWED_MECHANISMS, {RO, RO, RO, I, RO}},
    {CKA_TRUSTED, {RO, RO, RO, I, RO}},
};
#define SPEC_ROWS (sizeof(spec) / sizeof(spec[0]))

static const char *const use_name[TEMPLATE_USES] = {
    "generate", "create", "derive", "find", "set",
};

static void the_table_is_the_spec(void **state)
{
    size_t count;
    const struct attr_policy *rows = attr_policy_rows(&count);

    (void)state;
    assert_int_equal(count, SPEC_ROWS);
    for (size_t i = 0; i < SPEC_ROWS; i++) {
        const struct attr_policy *row = attr_policy_find(spec[i].type);
        if (row == NULL)
            fail_msg("attribute 0x%lx of the spec has no row", spec[i].type);
        for (int u = 0; u < TEMPLATE_USES; u++)
            if (row->rule[u] != spec[i].cells[u])
                fail_msg("%s, column %s: the table says %d, the spec %d",
                         row->name, use_name[u], row->rule[u],
                         spec[i].cells[u]);
        /* a row that stores a value says where */
        for (int u = 0; u < TEMPLATE_USES; u++)
            if (row->rule[u] == ATTR_TAKE)
                CHECK_CASE(row->name, row->has != row->value);
    }
    for (size_t i = 0; i < count; i++)
        CHECK_CASE(rows[i].name, attr_policy_find(rows[i].type) == &rows[i]);
}

/* Every attribute a key answers has a row, and no other. */
static void the_table_knows_every_attribute_a_key_has(void **state)
{
    skip_key key = {0};
    object *obj;

    (void)state;
    memset(key.key_id, 0x5a, 16);
    key.key_id_len = 16;
    key.key = skip_secbuf_new(32);
    assert_non_null(key.key);
    key.key->len = 32;
    obj = skip_key_object(&key, NULL, CKK_GENERIC_SECRET, ROLE_OPEN,
                          CKM_GENERIC_SECRET_KEY_GEN, NULL);
    assert_non_null(obj);
    for (CK_ATTRIBUTE_TYPE type = 0; type < 0x1400; type++) {
        CK_ATTRIBUTE probe = {type, NULL, 0};
        bool has = attr_get(obj, &probe) != CKR_ATTRIBUTE_TYPE_INVALID;
        if (has != (attr_policy_find(type) != NULL))
            fail_msg("attribute 0x%lx: a key %s it, the table %s it", type,
                     has ? "has" : "lacks", has ? "lacks" : "has");
    }
    {
        CK_ATTRIBUTE probe = {CKA_SKIP_REMOTE_SYSTEM_ID, NULL, 0};
        assert_int_not_equal(attr_get(obj, &probe), CKR_ATTRIBUTE_TYPE_INVALID);
        assert_non_null(attr_policy_find(CKA_SKIP_REMOTE_SYSTEM_ID));
    }
    object_free(obj);
}

/* --- every cell through its entry point --- */

static const unsigned char key_bytes[32] = {0x42, 0x17};
static CK_SESSION_HANDLE sess;
static CK_OBJECT_HANDLE base_key, derived_key;

/* A value of the row's form: flag for a CK_BBOOL, the one the base
 * template already has for CLASS, KEY_TYPE, VALUE_LEN and VALUE. */
struct value {
    CK_ATTRIBUTE attr;
    CK_BBOOL b;
    CK_ULONG ul;
    CK_DATE date;
};

static void value_for(const struct attr_policy *row, bool flag, struct value *v)
{
    memset(v, 0, sizeof(*v));
    v->attr.type = row->type;
    switch (row->type) {
    case CKA_CLASS: v->ul = CKO_SECRET_KEY; break;
    case CKA_KEY_TYPE: v->ul = CKK_GENERIC_SECRET; break;
    case CKA_VALUE_LEN: v->ul = 32; break;
    default: break;
    }
    switch (row->reader) {
    case READ_ULONG:
        v->attr.pValue = &v->ul, v->attr.ulValueLen = sizeof(v->ul);
        break;
    case READ_DATE:
        memcpy(&v->date, "20261207", sizeof(v->date));
        v->attr.pValue = &v->date, v->attr.ulValueLen = sizeof(v->date);
        break;
    case READ_BYTES:
    case READ_LABEL:
    case READ_SYSTEM_ID:
        if (row->type == CKA_VALUE)
            v->attr.pValue = (void *)key_bytes, v->attr.ulValueLen = 32;
        else if (row->type == CKA_ID)
            v->attr.pValue = (void *)"0123456789abcdef", v->attr.ulValueLen = 16;
        else
            v->attr.pValue = (void *)"Peer", v->attr.ulValueLen = 4;
        break;
    case READ_BOOL:
    case READ_ANY:
        v->b = flag ? CK_TRUE : CK_FALSE;
        v->attr.pValue = &v->b, v->attr.ulValueLen = 1;
        break;
    }
}

/* What the call answers for a template that is otherwise valid: the
 * fixture's KP is offline, so an accepted C_GenerateKey template ends in
 * CKR_DEVICE_ERROR when the KP is asked. */
static CK_RV try_cell(enum template_use use, const CK_ATTRIBUTE *attr)
{
    CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
    CK_KEY_TYPE generic = CKK_GENERIC_SECRET;
    CK_ULONG len = 32;
    CK_BBOOL no = CK_FALSE;
    unsigned char seed[4] = {1, 2, 3, 4};
    CK_IKE2_PRF_PLUS_DERIVE_PARAMS prf = {CKM_SHA256_HMAC, CK_FALSE, 0, seed,
                                          sizeof(seed)};
    CK_MECHANISM derive = {CKM_IKE2_PRF_PLUS_DERIVE, &prf, sizeof(prf)};
    CK_MECHANISM gen = {CKM_GENERIC_SECRET_KEY_GEN, NULL, 0};
    CK_ATTRIBUTE tmpl[4];
    CK_OBJECT_HANDLE h = 0;
    CK_ULONG n = 0;
    CK_RV rv;

    switch (use) {
    case TEMPLATE_GENERATE:
        tmpl[n++] = (CK_ATTRIBUTE){CKA_VALUE_LEN, &len, sizeof(len)};
        tmpl[n++] = *attr;
        return p11->C_GenerateKey(sess, &gen, tmpl, n, &h);
    case TEMPLATE_CREATE:
        tmpl[n++] = (CK_ATTRIBUTE){CKA_CLASS, &cls, sizeof(cls)};
        tmpl[n++] = (CK_ATTRIBUTE){CKA_KEY_TYPE, &generic, sizeof(generic)};
        tmpl[n++] = (CK_ATTRIBUTE){CKA_VALUE, (void *)key_bytes, sizeof(key_bytes)};
        tmpl[n++] = *attr;
        rv = p11->C_CreateObject(sess, tmpl, n, &h);
        if (rv == CKR_OK) /* unless DESTROYABLE = FALSE was the cell */
            (void)p11->C_DestroyObject(sess, h);
        return rv;
    case TEMPLATE_DERIVE:
        tmpl[n++] = (CK_ATTRIBUTE){CKA_CLASS, &cls, sizeof(cls)};
        tmpl[n++] = (CK_ATTRIBUTE){CKA_KEY_TYPE, &generic, sizeof(generic)};
        tmpl[n++] = (CK_ATTRIBUTE){CKA_VALUE_LEN, &len, sizeof(len)};
        tmpl[n++] = *attr;
        rv = p11->C_DeriveKey(sess, &derive, base_key, tmpl, n, &h);
        if (rv == CKR_OK) /* unless DESTROYABLE = FALSE was the cell */
            (void)p11->C_DestroyObject(sess, h);
        return rv;
    case TEMPLATE_FIND:
        /* A session-key search never asks the KP, even by CKA_ID. */
        if (attr->type != CKA_TOKEN)
            tmpl[n++] = (CK_ATTRIBUTE){CKA_TOKEN, &no, sizeof(no)};
        tmpl[n++] = *attr;
        rv = p11->C_FindObjectsInit(sess, tmpl, n);
        if (rv == CKR_OK)
            assert_int_equal(p11->C_FindObjectsFinal(sess), CKR_OK);
        return rv;
    case TEMPLATE_SET:
        return p11->C_SetAttributeValue(sess, derived_key, (CK_ATTRIBUTE *)attr, 1);
    case TEMPLATE_USES:
        break;
    }
    fail();
    return CKR_GENERAL_ERROR;
}

/* The answer a cell asks for; accepted is the call's success. */
static CK_RV expected(enum template_use use, const struct attr_policy *row,
                      bool flag)
{
    CK_RV accepted = use == TEMPLATE_GENERATE ? CKR_DEVICE_ERROR : CKR_OK;
    bool is_bool = row->reader == READ_BOOL;

    switch (row->rule[use]) {
    case ATTR_READ_ONLY: return CKR_ATTRIBUTE_READ_ONLY;
    case ATTR_NOT_TRUE: return is_bool && flag ? CKR_TEMPLATE_INCONSISTENT : accepted;
    case ATTR_NOT_FALSE: return is_bool && !flag ? CKR_TEMPLATE_INCONSISTENT : accepted;
    default: break;
    }
    /* 2.5, the one-way changes: code in object.c, on a derived key that is
     * sensitive and not extractable. */
    if (use == TEMPLATE_SET && is_bool &&
        ((row->type == CKA_SENSITIVE && !flag) ||
         (row->type == CKA_EXTRACTABLE && flag)))
        return CKR_ATTRIBUTE_READ_ONLY;
    return accepted;
}

static void every_cell_answers_as_it_says(void **state)
{
    size_t count;
    const struct attr_policy *rows = attr_policy_rows(&count);
    CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
    CK_KEY_TYPE generic = CKK_GENERIC_SECRET;
    CK_ULONG len = 32;
    unsigned char seed[4] = {9};
    CK_IKE2_PRF_PLUS_DERIVE_PARAMS prf = {CKM_SHA256_HMAC, CK_FALSE, 0, seed,
                                          sizeof(seed)};
    CK_MECHANISM derive = {CKM_IKE2_PRF_PLUS_DERIVE, &prf, sizeof(prf)};
    CK_ATTRIBUTE dtmpl[] = {
        {CKA_CLASS, &cls, sizeof(cls)},
        {CKA_KEY_TYPE, &generic, sizeof(generic)},
        {CKA_VALUE_LEN, &len, sizeof(len)},
    };
    CK_ATTRIBUTE unknown = {CKA_CHECK_VALUE, (void *)"abc", 3};
    unsigned tried = 0;

    (void)state;
    p11_fixture_config(NULL);
    p11_fixture_open(&sess);
    base_key = p11_import(sess, CKK_GENERIC_SECRET, key_bytes,
                          sizeof(key_bytes), NULL, 0);
    /* sensitive and not extractable: the defaults of a derived key */
    assert_int_equal(p11->C_DeriveKey(sess, &derive, base_key, dtmpl, 3,
                                      &derived_key), CKR_OK);
    for (size_t i = 0; i < count; i++) {
        for (int u = 0; u < TEMPLATE_USES; u++) {
            for (int flag = 1; flag >= 0; flag--) {
                struct value v;
                CK_RV want = expected(u, &rows[i], flag), got;

                value_for(&rows[i], flag, &v);
                got = try_cell(u, &v.attr);
                tried++;
                if (got != want)
                    fail_msg("%s = %s, %s: got %s, want %s", rows[i].name,
                             flag ? "TRUE" : "FALSE", use_name[u],
                             errmap_rv_name(got), errmap_rv_name(want));
                if (rows[i].reader != READ_BOOL && rows[i].reader != READ_ANY)
                    break; /* one value of that form is enough */
            }
        }
    }
    assert_true(tried > 5 * count);
    /* A type no row has: refused where a key is made or changed, matching
     * nothing in a search. */
    assert_int_equal(try_cell(TEMPLATE_GENERATE, &unknown), CKR_ATTRIBUTE_TYPE_INVALID);
    assert_int_equal(try_cell(TEMPLATE_CREATE, &unknown), CKR_ATTRIBUTE_TYPE_INVALID);
    assert_int_equal(try_cell(TEMPLATE_DERIVE, &unknown), CKR_ATTRIBUTE_TYPE_INVALID);
    assert_int_equal(try_cell(TEMPLATE_SET, &unknown), CKR_ATTRIBUTE_TYPE_INVALID);
    assert_int_equal(try_cell(TEMPLATE_FIND, &unknown), CKR_OK);
    p11_fixture_close();
}

/* A claimed length no buffer has (SIZE_MAX, SIZE_MAX - 1, 2^32) is
 * refused in every call before the value is compared, copied or sized
 * (SIZE_MAX + 1 once wrapped an allocation to 0 bytes). The value points
 * to 8 heap bytes, so a read past them fails the test under ASan. */
static void huge_lengths_are_refused_before_use(void **state)
{
    static const CK_ULONG lengths[] = {(CK_ULONG)SIZE_MAX, (CK_ULONG)SIZE_MAX - 1,
                                       (CK_ULONG)1 << 32};
    size_t count;
    const struct attr_policy *rows = attr_policy_rows(&count);
    unsigned char *small = calloc(1, 8);
    unsigned tried = 0;

    (void)state;
    assert_non_null(small);
    memcpy(small, "Peer", 4);
    p11_fixture_config(NULL);
    p11_fixture_open(&sess);
    base_key = p11_import(sess, CKK_GENERIC_SECRET, key_bytes,
                          sizeof(key_bytes), NULL, 0);
    derived_key = base_key;
    for (size_t i = 0; i <= count; i++) {
        /* every row, then a type no row has */
        CK_ATTRIBUTE_TYPE type = i < count ? rows[i].type : CKA_CHECK_VALUE;
        for (int u = 0; u < TEMPLATE_USES; u++) {
            for (size_t l = 0; l < sizeof(lengths) / sizeof(lengths[0]); l++) {
                CK_ATTRIBUTE a = {type, small, lengths[l]};
                CK_RV got = try_cell(u, &a);
                tried++;
                if (got != CKR_ATTRIBUTE_VALUE_INVALID)
                    fail_msg("0x%lx of %lu bytes, %s: got %s",
                             (unsigned long)type, (unsigned long)lengths[l],
                             use_name[u], errmap_rv_name(got));
            }
        }
    }
    assert_int_equal(tried, (count + 1) * TEMPLATE_USES * 3);
    p11_fixture_close();
    free(small);
}

/* A16 by label: 32 to 128 hex digits, in either case, name the SKIP key
 * with that keyId; no key made or changed may take such a label. */
static void labels_in_key_id_form(void **state)
{
    static const char *const named[] = {
        "00112233445566778899aabbccddeeff",  /* 16 bytes */
        "00112233445566778899AABBCCDDEEFF",  /* upper case */
        "1726e9AE76234FB1dd1283d4dca1911e1f93864d70f3069e", /* the draft's */
    };
    static const char *const not_named[] = {
        "00112233445566778899aabbccddeef",   /* 31 digits */
        "00112233445566778899aabbccddee",    /* 15 bytes: shorter than keyIds */
        "00112233445566778899aabbccddeefg",  /* not hex */
        "vpn-ppk",
    };
    char long_label[2 * KEYID_MAX_LEN + 3];
    CK_ATTRIBUTE label;

    (void)state;
    p11_fixture_config(NULL);
    p11_fixture_open(&sess);
    base_key = p11_import(sess, CKK_GENERIC_SECRET, key_bytes,
                          sizeof(key_bytes), NULL, 0);
    {
        CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
        CK_KEY_TYPE generic = CKK_GENERIC_SECRET;
        CK_ULONG len = 32;
        unsigned char seed[4] = {9};
        CK_IKE2_PRF_PLUS_DERIVE_PARAMS prf = {CKM_SHA256_HMAC, CK_FALSE, 0,
                                              seed, sizeof(seed)};
        CK_MECHANISM derive = {CKM_IKE2_PRF_PLUS_DERIVE, &prf, sizeof(prf)};
        CK_ATTRIBUTE dtmpl[] = {{CKA_CLASS, &cls, sizeof(cls)},
                                {CKA_KEY_TYPE, &generic, sizeof(generic)},
                                {CKA_VALUE_LEN, &len, sizeof(len)}};
        assert_int_equal(p11->C_DeriveKey(sess, &derive, base_key, dtmpl, 3,
                                          &derived_key), CKR_OK);
    }
    for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
        label = (CK_ATTRIBUTE){CKA_LABEL, (void *)named[i], strlen(named[i])};
        CHECK_CASE(named[i], try_cell(TEMPLATE_GENERATE, &label) ==
                                 CKR_ATTRIBUTE_VALUE_INVALID);
        CHECK_CASE(named[i], try_cell(TEMPLATE_CREATE, &label) ==
                                 CKR_ATTRIBUTE_VALUE_INVALID);
        CHECK_CASE(named[i], try_cell(TEMPLATE_DERIVE, &label) ==
                                 CKR_ATTRIBUTE_VALUE_INVALID);
        CHECK_CASE(named[i], try_cell(TEMPLATE_SET, &label) ==
                                 CKR_ATTRIBUTE_VALUE_INVALID);
    }
    /* 128 digits still name one; 130 do not */
    memset(long_label, 'a', sizeof(long_label));
    label = (CK_ATTRIBUTE){CKA_LABEL, long_label, 2 * KEYID_MAX_LEN};
    assert_int_equal(try_cell(TEMPLATE_CREATE, &label), CKR_ATTRIBUTE_VALUE_INVALID);
    label.ulValueLen = 2 * KEYID_MAX_LEN + 2;
    assert_int_equal(try_cell(TEMPLATE_CREATE, &label), CKR_OK);
    for (size_t i = 0; i < sizeof(not_named) / sizeof(not_named[0]); i++) {
        label = (CK_ATTRIBUTE){CKA_LABEL, (void *)not_named[i],
                               strlen(not_named[i])};
        CHECK_CASE(not_named[i], try_cell(TEMPLATE_CREATE, &label) == CKR_OK);
        CHECK_CASE(not_named[i], try_cell(TEMPLATE_DERIVE, &label) == CKR_OK);
        CHECK_CASE(not_named[i], try_cell(TEMPLATE_SET, &label) == CKR_OK);
    }
    p11_fixture_close();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_table_is_the_spec),
        cmocka_unit_test(the_table_knows_every_attribute_a_key_has),
        cmocka_unit_test(every_cell_answers_as_it_says),
        cmocka_unit_test(labels_in_key_id_form),
        cmocka_unit_test(huge_lengths_are_refused_before_use),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
