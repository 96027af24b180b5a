/* SPDX-License-Identifier: BSD-3-Clause */
/* The attack catalogue of the key policy (section 3.2), one test per
 * attack, against the module loaded with dlopen and a real KP. Each test
 * asserts the catalogue's outcome and that nothing was created or changed.
 * Run by attacks.sh, which provides ATTACK_MODULE, a module config with
 * slot 0 (no PIN, max_derives = 3) and slot 1 (PIN 123456) on KP Alice, and
 * in ATTACK_KEYID1..3 keyIds minted at Alice for herself and not yet
 * delivered. Applicable attacks: A1-A7, A14-A16, A23-A33, A35, A36; the
 * rest are checked to stay closed (FNS/MI). A34 and A37 are
 * chain.sh's log scan and the TLS tests. */
#include "config.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "../unit/unit.h"
#include "pkcs11/pkcs11-3.h"
#include "skip/hex.h"

static CK_FUNCTION_LIST *p11;
static CK_SESSION_HANDLE s;
static CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
static CK_ULONG len32 = 32;

static int setup(void **state)
{
    CK_C_GetFunctionList get_list;
    void *lib = dlopen(getenv("ATTACK_MODULE"), RTLD_NOW | RTLD_LOCAL);

    get_list = lib ? (CK_C_GetFunctionList)dlsym(lib, "C_GetFunctionList") : NULL;
    assert_non_null(get_list);
    assert_int_equal(get_list(&p11), CKR_OK);
    assert_int_equal(p11->C_Initialize(NULL), CKR_OK);
    assert_int_equal(p11->C_OpenSession(0, CKF_SERIAL_SESSION | CKF_RW_SESSION,
                                        NULL, NULL, &s), CKR_OK);
    return 0;
}

static int teardown(void **state)
{
    return p11->C_Finalize(NULL) == CKR_OK ? 0 : -1;
}

/* A fresh SKIP key from the KP: "kdf", "hmac" or NULL for an open role. */
static CK_OBJECT_HANDLE skip_key(const char *role)
{
    CK_MECHANISM gen = {CKM_GENERIC_SECRET_KEY_GEN, NULL, 0};
    CK_ATTRIBUTE t[2] = {{CKA_VALUE_LEN, &len32, sizeof(len32)}};
    CK_OBJECT_HANDLE h;

    if (role)
        t[1] = (CK_ATTRIBUTE){strcmp(role, "kdf") ? CKA_SIGN : CKA_DERIVE, &yes, 1};
    assert_int_equal(p11->C_GenerateKey(s, &gen, t, role ? 2 : 1, &h), CKR_OK);
    return h;
}

static CK_MECHANISM prf_plus(CK_IKE2_PRF_PLUS_DERIVE_PARAMS *p)
{
    static unsigned char seed[32] = "seed bytes for the attack tests";

    *p = (CK_IKE2_PRF_PLUS_DERIVE_PARAMS){CKM_SHA256_HMAC, CK_FALSE, 0, seed, 32};
    return (CK_MECHANISM){CKM_IKE2_PRF_PLUS_DERIVE, p, sizeof(*p)};
}

/* hD: a key derived from base, sensitive and not extractable. */
static CK_OBJECT_HANDLE derived(CK_OBJECT_HANDLE base)
{
    CK_IKE2_PRF_PLUS_DERIVE_PARAMS p;
    CK_MECHANISM m = prf_plus(&p);
    CK_ATTRIBUTE t[] = {{CKA_VALUE_LEN, &len32, sizeof(len32)}};
    CK_OBJECT_HANDLE h;

    assert_int_equal(p11->C_DeriveKey(s, &m, base, t, 1, &h), CKR_OK);
    return h;
}

static CK_ULONG object_count(void)
{
    CK_OBJECT_HANDLE found[256];
    CK_ULONG n = 0;

    assert_int_equal(p11->C_FindObjectsInit(s, NULL, 0), CKR_OK);
    assert_int_equal(p11->C_FindObjects(s, found, 256, &n), CKR_OK);
    assert_int_equal(p11->C_FindObjectsFinal(s), CKR_OK);
    return n;
}

static CK_ULONG find(const CK_ATTRIBUTE *t, CK_ULONG n, CK_OBJECT_HANDLE *first)
{
    CK_OBJECT_HANDLE found[8] = {0};
    CK_ULONG count = 0;

    assert_int_equal(p11->C_FindObjectsInit(s, (CK_ATTRIBUTE_PTR)t, n), CKR_OK);
    assert_int_equal(p11->C_FindObjects(s, found, 8, &count), CKR_OK);
    assert_int_equal(p11->C_FindObjectsFinal(s), CKR_OK);
    if (first)
        *first = found[0];
    return count;
}

static size_t env_id(const char *name, unsigned char *id)
{
    const char *hex = getenv(name);
    size_t len = 0;

    assert_non_null(hex);
    assert_true(skip_hex_decode(hex, strlen(hex), id, 64, &len));
    return len;
}

static CK_BBOOL read_bool(CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type)
{
    CK_BBOOL b = 2;
    CK_ATTRIBUTE a = {type, &b, 1};

    assert_int_equal(p11->C_GetAttributeValue(s, h, &a, 1), CKR_OK);
    return b;
}

/* --- I. reading or loosening attributes --- */

static void a01_read_value(void **state)
{
    CK_OBJECT_HANDLE skip = skip_key("kdf"), keys[2] = {skip, derived(skip)};

    for (int k = 0; k < 2; k++) {
        unsigned char buf[64], label[64];
        CK_ULONG value_len = 0;
        char unique[32];
        CK_ATTRIBUTE t[] = {{CKA_VALUE, buf, sizeof(buf)},
                            {CKA_VALUE_LEN, &value_len, sizeof(value_len)},
                            {CKA_LABEL, label, sizeof(label)},
                            {CKA_UNIQUE_ID, unique, sizeof(unique)}};
        CK_ATTRIBUTE null_value = {CKA_VALUE, NULL, 0};

        memset(buf, 0xA5, sizeof(buf));
        assert_int_equal(p11->C_GetAttributeValue(s, keys[k], t, 4),
                         CKR_ATTRIBUTE_SENSITIVE);
        assert_int_equal(t[0].ulValueLen, CK_UNAVAILABLE_INFORMATION);
        for (size_t i = 0; i < sizeof(buf); i++)
            assert_int_equal(buf[i], 0xA5);
        assert_int_equal(value_len, 32);
        assert_true(t[3].ulValueLen > 0 && t[3].ulValueLen < sizeof(unique));
        if (k == 0)
            assert_int_equal(t[2].ulValueLen, 32); /* the keyId in hex */
        assert_int_equal(p11->C_GetAttributeValue(s, keys[k], &null_value, 1),
                         CKR_ATTRIBUTE_SENSITIVE);
    }
}

static void loosen(CK_ATTRIBUTE_TYPE type, CK_BBOOL value)
{
    CK_OBJECT_HANDLE skip = skip_key("kdf"), d = derived(skip);
    CK_ATTRIBUTE set = {type, &value, 1};
    unsigned char buf[32];
    CK_ATTRIBUTE get = {CKA_VALUE, buf, sizeof(buf)};

    /* a SKIP key's label may change (issue 13), so the key is modifiable,
     * and the one-way rule refuses, as on a derived key */
    assert_int_equal(p11->C_SetAttributeValue(s, skip, &set, 1),
                     CKR_ATTRIBUTE_READ_ONLY);
    assert_int_equal(p11->C_SetAttributeValue(s, d, &set, 1),
                     CKR_ATTRIBUTE_READ_ONLY);
    assert_int_equal(p11->C_GetAttributeValue(s, skip, &get, 1),
                     CKR_ATTRIBUTE_SENSITIVE);
    assert_int_equal(p11->C_GetAttributeValue(s, d, &get, 1),
                     CKR_ATTRIBUTE_SENSITIVE);
}

static void a02_unset_sensitive(void **state) { loosen(CKA_SENSITIVE, CK_FALSE); }
static void a03_set_extractable(void **state) { loosen(CKA_EXTRACTABLE, CK_TRUE); }

static void a04_forge_provenance(void **state)
{
    CK_OBJECT_HANDLE skip = skip_key("kdf"), d = derived(skip);
    CK_ULONG mech = CKM_AES_KEY_GEN, type = CKK_AES, cls = CKO_DATA, len = 16;
    CK_ATTRIBUTE forged[] = {
        {CKA_ALWAYS_SENSITIVE, &no, 1}, {CKA_NEVER_EXTRACTABLE, &no, 1},
        {CKA_LOCAL, &yes, 1}, {CKA_KEY_GEN_MECHANISM, &mech, sizeof(mech)},
        {CKA_UNIQUE_ID, "1", 1}, {CKA_VALUE, "0123456789abcdef", 16},
        {CKA_VALUE_LEN, &len, sizeof(len)}, {CKA_KEY_TYPE, &type, sizeof(type)},
        {CKA_CLASS, &cls, sizeof(cls)}, {CKA_ID, "\x01", 1}, {CKA_SIGN, &yes, 1},
    };

    CK_BBOOL d_sign = read_bool(d, CKA_SIGN), d_always = read_bool(d, CKA_ALWAYS_SENSITIVE);

    for (size_t i = 0; i < sizeof(forged) / sizeof(forged[0]); i++) {
        CHECK_CASE("derived", p11->C_SetAttributeValue(s, d, &forged[i], 1) ==
                                  CKR_ATTRIBUTE_READ_ONLY);
        CHECK_CASE("skip", p11->C_SetAttributeValue(s, skip, &forged[i], 1) ==
                               CKR_ATTRIBUTE_READ_ONLY);
    }
    /* Nothing changed. */
    assert_int_equal(read_bool(skip, CKA_ALWAYS_SENSITIVE), CK_TRUE);
    assert_int_equal(read_bool(skip, CKA_NEVER_EXTRACTABLE), CK_TRUE);
    assert_int_equal(read_bool(skip, CKA_LOCAL), CK_TRUE);
    assert_int_equal(read_bool(d, CKA_LOCAL), CK_FALSE);
    assert_int_equal(read_bool(d, CKA_SIGN), d_sign);
    assert_int_equal(read_bool(d, CKA_ALWAYS_SENSITIVE), d_always);
}

static void a05_copy(void **state)
{
    CK_OBJECT_HANDLE skip = skip_key("kdf"), d = derived(skip);
    CK_ATTRIBUTE templates[][1] = {{{CKA_SENSITIVE, &no, 1}},
                                   {{CKA_EXTRACTABLE, &yes, 1}},
                                   {{CKA_SIGN, &yes, 1}},
                                   {{CKA_TOKEN, &yes, 1}}};
    CK_ULONG before = object_count();

    for (int k = 0; k < 2; k++) {
        CK_OBJECT_HANDLE copy = 0x1234;
        assert_int_equal(p11->C_CopyObject(s, k ? d : skip, NULL, 0, &copy),
                         CKR_ACTION_PROHIBITED);
        for (int i = 0; i < 4; i++)
            assert_int_equal(p11->C_CopyObject(s, k ? d : skip, templates[i], 1,
                                               &copy), CKR_ACTION_PROHIBITED);
        assert_int_equal(copy, 0x1234);
    }
    assert_int_equal(object_count(), before);
}

static void a06_trojan_import(void **state)
{
    CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
    CK_KEY_TYPE type = CKK_GENERIC_SECRET;
    CK_OBJECT_HANDLE skip = skip_key("kdf"), h, found;
    unsigned char id[64];
    CK_ATTRIBUTE get_id = {CKA_ID, id, sizeof(id)};
    CK_ATTRIBUTE base[] = {{CKA_CLASS, &cls, sizeof(cls)},
                           {CKA_KEY_TYPE, &type, sizeof(type)},
                           {CKA_VALUE, "0123456789abcdef0123456789abcdef", 32}};
    CK_ATTRIBUTE forged[][1] = {{{CKA_LOCAL, &yes, 1}},
                                {{CKA_ALWAYS_SENSITIVE, &yes, 1}},
                                {{CKA_NEVER_EXTRACTABLE, &yes, 1}}};
    CK_ULONG before;

    assert_int_equal(p11->C_GetAttributeValue(s, skip, &get_id, 1), CKR_OK);
    before = object_count();
    for (int i = 0; i < 3; i++) {
        CK_ATTRIBUTE t[] = {base[0], base[1], base[2], forged[i][0]};
        assert_int_equal(p11->C_CreateObject(s, t, 4, &h), CKR_ATTRIBUTE_READ_ONLY);
    }
    {
        CK_ATTRIBUTE with_id[] = {base[0], base[1], base[2], get_id};
        CK_ATTRIBUTE token[] = {base[0], base[1], base[2], {CKA_TOKEN, &yes, 1}};
        assert_int_equal(p11->C_CreateObject(s, with_id, 4, &h),
                         CKR_ATTRIBUTE_READ_ONLY);
        assert_int_equal(p11->C_CreateObject(s, token, 4, &h),
                         CKR_TEMPLATE_INCONSISTENT);
    }
    assert_int_equal(object_count(), before);
    assert_int_equal(p11->C_CreateObject(s, base, 3, &h), CKR_OK);
    assert_int_equal(read_bool(h, CKA_LOCAL), CK_FALSE);
    assert_int_equal(read_bool(h, CKA_ALWAYS_SENSITIVE), CK_FALSE);
    assert_int_equal(read_bool(h, CKA_NEVER_EXTRACTABLE), CK_FALSE);
    /* A search by the SKIP key's keyId finds the SKIP key alone. */
    assert_int_equal(find(&get_id, 1, &found), 1);
    assert_int_equal(found, skip);
}

static void a07_search_oracle(void **state)
{
    static const unsigned char known[32] = "known bytes of a sensitive key!";
    CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
    CK_KEY_TYPE type = CKK_GENERIC_SECRET;
    unsigned char id[64];
    size_t id_len = env_id("ATTACK_KEYID1", id);
    CK_ATTRIBUTE import[] = {{CKA_CLASS, &cls, sizeof(cls)},
                             {CKA_KEY_TYPE, &type, sizeof(type)},
                             {CKA_VALUE, (void *)known, 32},
                             {CKA_SENSITIVE, &yes, 1}};
    CK_ATTRIBUTE by_value[] = {{CKA_CLASS, &cls, sizeof(cls)},
                               {CKA_VALUE, (void *)known, 32},
                               {CKA_ID, id, id_len}};
    CK_ATTRIBUTE remote = {CKA_SKIP_REMOTE_SYSTEM_ID, "Alice", 5};
    CK_ATTRIBUTE by_id[] = {by_value[0], by_value[2], remote};
    CK_OBJECT_HANDLE h;

    assert_int_equal(p11->C_CreateObject(s, import, 4, &h), CKR_OK);
    assert_int_equal(find(by_value, 2, NULL), 0);
    /* With a CKA_ID too: still nothing, and the KP was not asked ... */
    assert_int_equal(find(by_value, 3, NULL), 0);
    /* ... since the key is still there for an honest search. */
    assert_int_equal(find(by_id, 3, NULL), 1);
}

/* --- II. wrap-based, and III. role / key separation --- */

static void a08_a12_no_wrap(void **state)
{
    CK_OBJECT_HANDLE skip = skip_key("kdf");
    CK_MECHANISM wrap = {CKM_AES_KEY_WRAP, NULL, 0};
    CK_MECHANISM_TYPE list[32];
    CK_MECHANISM_INFO info;
    CK_ULONG n = 32, len = 64;
    unsigned char buf[64];

    assert_int_equal(p11->C_WrapKey(s, &wrap, skip, skip, buf, &len),
                     CKR_FUNCTION_NOT_SUPPORTED);
    assert_int_equal(p11->C_UnwrapKey(s, &wrap, skip, buf, 40, NULL, 0, &skip),
                     CKR_FUNCTION_NOT_SUPPORTED);
    assert_int_equal(p11->C_GetMechanismList(0, list, &n), CKR_OK);
    for (CK_ULONG i = 0; i < n; i++) {
        assert_int_equal(p11->C_GetMechanismInfo(0, list[i], &info), CKR_OK);
        assert_false(info.flags & (CKF_WRAP | CKF_UNWRAP | CKF_ENCRYPT | CKF_DECRYPT));
    }
}

static CK_RV derive_with(CK_MECHANISM_TYPE type, void *param, CK_ULONG size,
                         CK_OBJECT_HANDLE base, CK_ULONG len)
{
    CK_MECHANISM m = {type, param, size};
    CK_ATTRIBUTE t[] = {{CKA_VALUE_LEN, &len, sizeof(len)},
                        {CKA_SENSITIVE, &no, 1}, {CKA_EXTRACTABLE, &yes, 1}};
    CK_OBJECT_HANDLE h;

    return p11->C_DeriveKey(s, &m, base, t, 3, &h);
}

static void a13_derive_then_encrypt(void **state)
{
    CK_OBJECT_HANDLE skip = skip_key("kdf");
    unsigned char zeros[16] = {0};
    CK_MECHANISM ecb = {CKM_AES_ECB, NULL, 0};

    assert_int_equal(derive_with(CKM_AES_ECB_ENCRYPT_DATA, zeros, 16, skip, 16),
                     CKR_MECHANISM_INVALID);
    assert_int_equal(p11->C_EncryptInit(s, &ecb, skip), CKR_FUNCTION_NOT_SUPPORTED);
}

static void a14_cross_mechanism(void **state)
{
    CK_OBJECT_HANDLE kdf = skip_key("kdf"), mac = skip_key("hmac");
    CK_MECHANISM hmac = {CKM_SHA256_HMAC, NULL, 0};
    CK_HKDF_PARAMS hk = {CK_FALSE, CK_TRUE, CKM_SHA256, CKF_HKDF_SALT_NULL,
                         NULL, 0, 0, NULL, 0};

    assert_int_equal(p11->C_SignInit(s, &hmac, kdf), CKR_KEY_FUNCTION_NOT_PERMITTED);
    assert_int_equal(derive_with(CKM_HKDF_DERIVE, &hk, sizeof(hk), mac, 32),
                     CKR_KEY_FUNCTION_NOT_PERMITTED);
    assert_int_equal(read_bool(kdf, CKA_SIGN), CK_FALSE);
    assert_int_equal(read_bool(mac, CKA_DERIVE), CK_FALSE);
}

static void a15_retype_on_fetch(void **state)
{
    CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
    CK_KEY_TYPE generic = CKK_GENERIC_SECRET, aes = CKK_AES;
    unsigned char id[64];
    size_t id_len = env_id("ATTACK_KEYID2", id);
    CK_ATTRIBUTE remote = {CKA_SKIP_REMOTE_SYSTEM_ID, "Alice", 5};
    CK_ATTRIBUTE as_generic[] = {{CKA_CLASS, &cls, sizeof(cls)}, {CKA_ID, id, id_len},
                                 {CKA_KEY_TYPE, &generic, sizeof(generic)}, remote};
    CK_ATTRIBUTE as_aes[] = {{CKA_ID, id, id_len}, {CKA_KEY_TYPE, &aes, sizeof(aes)}};
    CK_ATTRIBUTE plain[] = {{CKA_ID, id, id_len}};
    CK_OBJECT_HANDLE first, third;

    assert_int_equal(find(as_generic, 4, &first), 1);
    assert_int_equal(find(as_aes, 2, NULL), 0);
    assert_int_equal(find(plain, 1, &third), 1);
    assert_int_equal(third, first); /* one object, one CKA_UNIQUE_ID */
}

static void a16_substitute_by_id(void **state)
{
    CK_OBJECT_HANDLE skip = skip_key("kdf"), d = derived(skip), found, h;
    unsigned char id[64];
    CK_ATTRIBUTE get_id = {CKA_ID, id, sizeof(id)};
    CK_IKE2_PRF_PLUS_DERIVE_PARAMS p;
    CK_MECHANISM m = prf_plus(&p);
    CK_ULONG before;

    assert_int_equal(p11->C_GetAttributeValue(s, skip, &get_id, 1), CKR_OK);
    before = object_count();
    {
        CK_ATTRIBUTE t[] = {{CKA_VALUE_LEN, &len32, sizeof(len32)},
                            {CKA_EXTRACTABLE, &yes, 1}, {CKA_SENSITIVE, &no, 1},
                            {CKA_TOKEN, &yes, 1}, get_id};
        assert_int_equal(p11->C_DeriveKey(s, &m, skip, t, 5, &h),
                         CKR_ATTRIBUTE_READ_ONLY);
    }
    assert_int_equal(p11->C_SetAttributeValue(s, d, &get_id, 1),
                     CKR_ATTRIBUTE_READ_ONLY);
    assert_int_equal(object_count(), before);
    assert_int_equal(find(&get_id, 1, &found), 1);
    assert_int_equal(found, skip);
    assert_int_equal(read_bool(found, CKA_LOCAL), CK_TRUE);
    assert_int_equal(read_bool(found, CKA_NEVER_EXTRACTABLE), CK_TRUE);
}

/* A16 by label: a SKIP key's default label is its keyId in hex, and a
 * search by label alone is how Java and p11tool name keys. No other key
 * may take a label in keyId form (either case), and a search by one is a
 * search by that CKA_ID: it finds the SKIP key, never an impostor. */
static void a16_shadow_by_label(void **state)
{
    CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
    CK_KEY_TYPE type = CKK_GENERIC_SECRET;
    CK_OBJECT_HANDLE skip = skip_key("kdf"), d = derived(skip), h, found;
    unsigned char id[64];
    char lower[129], upper[129];
    CK_ATTRIBUTE get_id = {CKA_ID, id, sizeof(id)};
    CK_IKE2_PRF_PLUS_DERIVE_PARAMS p;
    CK_MECHANISM m = prf_plus(&p);
    CK_ULONG before;

    assert_int_equal(p11->C_GetAttributeValue(s, skip, &get_id, 1), CKR_OK);
    skip_hex_encode(id, get_id.ulValueLen, lower);
    for (size_t i = 0; i <= strlen(lower); i++)
        upper[i] = (char)(lower[i] >= 'a' && lower[i] <= 'f' ? lower[i] - 32
                                                            : lower[i]);
    before = object_count();
    for (int u = 0; u < 2; u++) {
        CK_ATTRIBUTE label = {CKA_LABEL, u ? upper : lower, strlen(lower)};
        CK_ATTRIBUTE import[] = {{CKA_CLASS, &cls, sizeof(cls)},
                                 {CKA_KEY_TYPE, &type, sizeof(type)},
                                 {CKA_VALUE, "0123456789abcdef0123456789abcdef", 32},
                                 label};
        CK_ATTRIBUTE dt[] = {{CKA_VALUE_LEN, &len32, sizeof(len32)}, label};

        assert_int_equal(p11->C_CreateObject(s, import, 4, &h),
                         CKR_ATTRIBUTE_VALUE_INVALID);
        assert_int_equal(p11->C_DeriveKey(s, &m, skip, dt, 2, &h),
                         CKR_ATTRIBUTE_VALUE_INVALID);
        assert_int_equal(p11->C_SetAttributeValue(s, d, &label, 1),
                         CKR_ATTRIBUTE_VALUE_INVALID);
        /* the search by that label finds the SKIP key alone */
        assert_int_equal(find(&label, 1, &found), 1);
        assert_int_equal(found, skip);
    }
    assert_int_equal(object_count(), before);
}

static void a17_digest_key(void **state)
{
    CK_OBJECT_HANDLE skip = skip_key("kdf");

    assert_int_equal(p11->C_DigestKey(s, skip), CKR_FUNCTION_NOT_SUPPORTED);
}

/* --- IV. derivation-based --- */

static void a18_a22_copying_derivations(void **state)
{
    static const CK_MECHANISM_TYPE refused[] = {
        CKM_XOR_BASE_AND_DATA, CKM_CONCATENATE_BASE_AND_DATA,
        CKM_CONCATENATE_DATA_AND_BASE, CKM_CONCATENATE_BASE_AND_KEY,
        CKM_EXTRACT_KEY_FROM_KEY, CKM_SHA256_KEY_DERIVATION,
        CKM_AES_ECB_ENCRYPT_DATA, CKM_AES_CBC_ENCRYPT_DATA,
    };
    CK_OBJECT_HANDLE skip = skip_key("kdf");
    unsigned char data[32] = {0};
    CK_ULONG before = object_count();

    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
        CHECK_CASE("copying derive",
                   derive_with(refused[i], data, sizeof(data), skip, 32) ==
                       CKR_MECHANISM_INVALID);
    assert_int_equal(object_count(), before);
}

static void a23_key_as_prf_data(void **state)
{
    CK_OBJECT_HANDLE attacker = skip_key("kdf"), victim = skip_key("kdf");
    CK_SP800_108_COUNTER_FORMAT cf = {CK_FALSE, 8};
    CK_PRF_DATA_PARAM dp[] = {{CK_SP800_108_ITERATION_VARIABLE, &cf, sizeof(cf)},
                              {5 /* CK_SP800_108_KEY_HANDLE */, &victim,
                               sizeof(victim)}};
    CK_SP800_108_KDF_PARAMS kp = {CKM_SHA256_HMAC, 2, dp, 0, NULL};
    CK_IKE2_PRF_PLUS_DERIVE_PARAMS ike = {CKM_SHA256_HMAC, CK_TRUE, victim,
                                          (CK_BYTE_PTR) "x", 1};
    unsigned char data[32] = {0};

    assert_int_equal(derive_with(CKM_SP800_108_COUNTER_KDF, &kp, sizeof(kp),
                                 attacker, 32), CKR_MECHANISM_PARAM_INVALID);
    assert_int_equal(derive_with(0x402F /* CKM_IKE_PRF_DERIVE */, data, 32,
                                 attacker, 32), CKR_MECHANISM_INVALID);
    assert_int_equal(derive_with(CKM_IKE2_PRF_PLUS_DERIVE, &ike, sizeof(ike),
                                 attacker, 32), CKR_MECHANISM_PARAM_INVALID);
    ike = (CK_IKE2_PRF_PLUS_DERIVE_PARAMS){CKM_AES_CMAC, CK_FALSE, 0, data, 16};
    assert_int_equal(derive_with(CKM_IKE2_PRF_PLUS_DERIVE, &ike, sizeof(ike),
                                 attacker, 32), CKR_MECHANISM_PARAM_INVALID);
}

/* Second red team, item 2: fixed data "Key Pad for IKEv" before an 8-bit
 * counter made segment 0x32 exactly HMAC(K, "Key Pad for IKEv2"), the
 * IKEv2 PSK authentication key. The counter must come first, and a call
 * makes at most 16 segments. */
static void r2_kdf_key_as_hmac_oracle(void **state)
{
    CK_OBJECT_HANDLE skip = skip_key("kdf");
    CK_SP800_108_COUNTER_FORMAT cf = {CK_FALSE, 8};
    CK_PRF_DATA_PARAM after[] = {
        {CK_SP800_108_BYTE_ARRAY, (void *)"Key Pad for IKEv", 16},
        {CK_SP800_108_ITERATION_VARIABLE, &cf, sizeof(cf)},
    };
    CK_PRF_DATA_PARAM first[] = {
        {CK_SP800_108_ITERATION_VARIABLE, &cf, sizeof(cf)},
        {CK_SP800_108_BYTE_ARRAY, (void *)"Key Pad for IKEv", 16},
    };
    CK_SP800_108_KDF_PARAMS kp = {CKM_SHA256_HMAC, 2, after, 0, NULL};
    CK_ULONG before = object_count();

    assert_int_equal(derive_with(CKM_SP800_108_COUNTER_KDF, &kp, sizeof(kp),
                                 skip, 0x32 * 32), CKR_MECHANISM_PARAM_INVALID);
    kp.pDataParams = first;
    assert_int_equal(derive_with(CKM_SP800_108_COUNTER_KDF, &kp, sizeof(kp),
                                 skip, 0x32 * 32), CKR_KEY_SIZE_RANGE);
    assert_int_equal(object_count(), before);
}

static void a24_salt_key(void **state)
{
    CK_OBJECT_HANDLE base = skip_key("kdf"), victim = skip_key("kdf");
    CK_HKDF_PARAMS hk = {CK_TRUE, CK_TRUE, CKM_SHA256, CKF_HKDF_SALT_KEY, NULL, 0,
                         victim, NULL, 0};

    assert_int_equal(derive_with(CKM_HKDF_DERIVE, &hk, sizeof(hk), base, 32),
                     CKR_MECHANISM_PARAM_INVALID);
}

static void a25_weak_prf(void **state)
{
    CK_OBJECT_HANDLE base = skip_key("kdf");
    CK_HKDF_PARAMS hk = {CK_FALSE, CK_TRUE, CKM_SHA_1, CKF_HKDF_SALT_NULL, NULL, 0,
                         0, NULL, 0};
    CK_SP800_108_COUNTER_FORMAT cf = {CK_FALSE, 8};
    CK_PRF_DATA_PARAM dp[] = {{CK_SP800_108_ITERATION_VARIABLE, &cf, sizeof(cf)}};
    CK_SP800_108_KDF_PARAMS kp = {CKM_SHA_1_HMAC, 1, dp, 0, NULL};
    CK_IKE2_PRF_PLUS_DERIVE_PARAMS ike = {CKM_SHA_1_HMAC, CK_FALSE, 0,
                                          (CK_BYTE_PTR) "x", 1};

    assert_int_equal(derive_with(CKM_HKDF_DERIVE, &hk, sizeof(hk), base, 32),
                     CKR_MECHANISM_PARAM_INVALID);
    assert_int_equal(derive_with(CKM_SP800_108_COUNTER_KDF, &kp, sizeof(kp),
                                 base, 32), CKR_MECHANISM_PARAM_INVALID);
    kp.prfType = 0x138; /* CKM_DES3_CMAC */
    assert_int_equal(derive_with(CKM_SP800_108_COUNTER_KDF, &kp, sizeof(kp),
                                 base, 32), CKR_MECHANISM_PARAM_INVALID);
    assert_int_equal(derive_with(CKM_IKE2_PRF_PLUS_DERIVE, &ike, sizeof(ike),
                                 base, 32), CKR_MECHANISM_PARAM_INVALID);
}

static void a26_short_outputs(void **state)
{
    CK_OBJECT_HANDLE base = skip_key("kdf");
    CK_HKDF_PARAMS hk = {CK_FALSE, CK_TRUE, CKM_SHA256, CKF_HKDF_SALT_NULL, NULL, 0,
                         0, (CK_BYTE_PTR) "info", 4};
    CK_SP800_108_COUNTER_FORMAT cf = {CK_FALSE, 8};
    CK_PRF_DATA_PARAM dp[] = {{CK_SP800_108_ITERATION_VARIABLE, &cf, sizeof(cf)}};
    CK_SP800_108_KDF_PARAMS kp = {CKM_SHA256_HMAC, 1, dp, 0, NULL};
    CK_IKE2_PRF_PLUS_DERIVE_PARAMS ike;
    CK_MECHANISM m = prf_plus(&ike);
    CK_ULONG before = object_count();

    assert_int_equal(derive_with(CKM_HKDF_DERIVE, &hk, sizeof(hk), base, 1),
                     CKR_KEY_SIZE_RANGE);
    assert_int_equal(derive_with(CKM_HKDF_DERIVE, &hk, sizeof(hk), base, 15),
                     CKR_KEY_SIZE_RANGE);
    assert_int_equal(derive_with(CKM_SP800_108_COUNTER_KDF, &kp, sizeof(kp), base, 1),
                     CKR_KEY_SIZE_RANGE);
    assert_int_equal(derive_with(CKM_IKE2_PRF_PLUS_DERIVE, &ike, sizeof(ike), base, 8),
                     CKR_KEY_SIZE_RANGE);
    assert_int_equal(object_count(), before);
    assert_int_equal(derive_with(CKM_HKDF_DERIVE, &hk, sizeof(hk), base, 16), CKR_OK);
    (void)m;
}

static void a27_a28_rederivation_and_use(void **state)
{
    CK_OBJECT_HANDLE base = skip_key("kdf"), d1, d2, d3;
    CK_IKE2_PRF_PLUS_DERIVE_PARAMS p;
    CK_MECHANISM m = prf_plus(&p);
    CK_ULONG len16 = 16;
    CK_ATTRIBUTE t1[] = {{CKA_VALUE_LEN, &len32, sizeof(len32)}, {CKA_SIGN, &yes, 1}};
    CK_ATTRIBUTE t2[] = {{CKA_VALUE_LEN, &len32, sizeof(len32)}, {CKA_SIGN, &yes, 1},
                         {CKA_EXTRACTABLE, &yes, 1}, {CKA_SENSITIVE, &no, 1}};
    CK_ATTRIBUTE t3[] = {{CKA_VALUE_LEN, &len16, sizeof(len16)},
                         {CKA_EXTRACTABLE, &yes, 1}, {CKA_SENSITIVE, &no, 1}};
    unsigned char v2[32], v3[16], mac1[32], mac2[32];
    CK_ATTRIBUTE g2 = {CKA_VALUE, v2, 32}, g3 = {CKA_VALUE, v3, 16};
    CK_MECHANISM hmac = {CKM_SHA256_HMAC, NULL, 0};
    CK_ULONG l1 = 32, l2 = 32;

    assert_int_equal(p11->C_DeriveKey(s, &m, base, t1, 2, &d1), CKR_OK);
    assert_int_equal(p11->C_DeriveKey(s, &m, base, t2, 4, &d2), CKR_OK);
    assert_int_equal(p11->C_DeriveKey(s, &m, base, t3, 3, &d3), CKR_OK);
    assert_int_equal(p11->C_GetAttributeValue(s, d2, &g2, 1), CKR_OK);
    assert_int_equal(p11->C_GetAttributeValue(s, d3, &g3, 1), CKR_OK);
    /* The documented property: same parameters, same bytes; a shorter
     * output is a prefix. Only the right to derive protects outputs. */
    assert_memory_equal(v2, v3, 16);
    assert_int_equal(p11->C_SignInit(s, &hmac, d1), CKR_OK);
    assert_int_equal(p11->C_Sign(s, (CK_BYTE_PTR) "m", 1, mac1, &l1), CKR_OK);
    assert_int_equal(p11->C_SignInit(s, &hmac, d2), CKR_OK);
    assert_int_equal(p11->C_Sign(s, (CK_BYTE_PTR) "m", 1, mac2, &l2), CKR_OK);
    assert_memory_equal(mac1, mac2, 32);
    /* A28: a derived key used as an HMAC key gives HMAC(derived, m), which
     * reveals the derived key's use, nothing of the SKIP key. */
    {
        unsigned char want[32];
        unsigned int want_len = 0;
        HMAC(EVP_sha256(), v2, 32, (const unsigned char *)"m", 1, want, &want_len);
        assert_int_equal(want_len, 32);
        assert_memory_equal(mac1, want, 32);
    }
    assert_int_equal(read_bool(d1, CKA_NEVER_EXTRACTABLE), CK_TRUE);
    assert_int_equal(read_bool(d2, CKA_NEVER_EXTRACTABLE), CK_FALSE);
    assert_int_equal(read_bool(d2, CKA_ALWAYS_SENSITIVE), CK_FALSE);
}

static void a29_additional_key_atomicity(void **state)
{
    CK_OBJECT_HANDLE base = skip_key("kdf"), h = 7, h2 = 7, h3 = 7;
    CK_ULONG len8 = 8;
    CK_ATTRIBUTE ok[] = {{CKA_VALUE_LEN, &len32, sizeof(len32)}};
    CK_ATTRIBUTE bad[] = {{CKA_VALUE_LEN, &len8, sizeof(len8)}};
    CK_DERIVED_KEY extra[] = {{ok, 1, &h2}, {bad, 1, &h3}};
    CK_SP800_108_COUNTER_FORMAT cf = {CK_FALSE, 8};
    CK_PRF_DATA_PARAM dp[] = {{CK_SP800_108_ITERATION_VARIABLE, &cf, sizeof(cf)}};
    CK_SP800_108_KDF_PARAMS kp = {CKM_SHA256_HMAC, 1, dp, 2, extra};
    CK_MECHANISM m = {CKM_SP800_108_COUNTER_KDF, &kp, sizeof(kp)};
    CK_ULONG before = object_count();

    assert_int_equal(p11->C_DeriveKey(s, &m, base, ok, 1, &h), CKR_KEY_SIZE_RANGE);
    assert_int_equal(object_count(), before);
    assert_int_equal(h, CK_INVALID_HANDLE);
    assert_int_equal(h2, CK_INVALID_HANDLE);
    assert_int_equal(h3, CK_INVALID_HANDLE);
}

static void a30_live_ppk(void **state)
{
    CK_OBJECT_HANDLE ppk = skip_key("kdf");
    CK_IKE2_PRF_PLUS_DERIVE_PARAMS p;

    /* Slot 0 has max_derives = 3: SK_d, SK_pi, SK_pr, then no more. */
    for (int i = 0; i < 3; i++)
        derived(ppk);
    prf_plus(&p);
    assert_int_equal(derive_with(CKM_IKE2_PRF_PLUS_DERIVE, &p, sizeof(p), ppk, 32),
                     CKR_KEY_FUNCTION_NOT_PERMITTED);
    assert_int_equal(p11->C_DestroyObject(s, ppk), CKR_OK);
    assert_int_equal(derive_with(CKM_IKE2_PRF_PLUS_DERIVE, &p, sizeof(p), ppk, 32),
                     CKR_KEY_HANDLE_INVALID);
}

/* --- V. sessions, handles, visibility --- */

static void a31_closed_session_handles(void **state)
{
    CK_SESSION_HANDLE other;
    CK_MECHANISM gen = {CKM_GENERIC_SECRET_KEY_GEN, NULL, 0};
    CK_ATTRIBUTE t[] = {{CKA_VALUE_LEN, &len32, sizeof(len32)},
                        {CKA_TOKEN, &no, 1}, {CKA_DERIVE, &yes, 1}};
    CK_OBJECT_HANDLE key;
    CK_IKE2_PRF_PLUS_DERIVE_PARAMS p;
    CK_ATTRIBUTE label = {CKA_LABEL, NULL, 0};

    assert_int_equal(p11->C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, &other),
                     CKR_OK);
    assert_int_equal(p11->C_GenerateKey(other, &gen, t, 3, &key), CKR_OK);
    assert_int_equal(p11->C_CloseSession(other), CKR_OK);
    prf_plus(&p);
    assert_int_equal(derive_with(CKM_IKE2_PRF_PLUS_DERIVE, &p, sizeof(p), key, 32),
                     CKR_KEY_HANDLE_INVALID);
    assert_int_equal(p11->C_GetAttributeValue(s, key, &label, 1),
                     CKR_OBJECT_HANDLE_INVALID);
    assert_int_equal(p11->C_SetAttributeValue(s, key, &label, 1),
                     CKR_OBJECT_HANDLE_INVALID);
}

static void a32_private_objects(void **state)
{
    CK_SESSION_HANDLE pin;
    CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
    unsigned char id[64];
    size_t id_len = env_id("ATTACK_KEYID3", id);
    CK_ATTRIBUTE by_id[] = {{CKA_CLASS, &cls, sizeof(cls)}, {CKA_ID, id, id_len},
                            {CKA_SKIP_REMOTE_SYSTEM_ID, "Alice", 5}};
    CK_MECHANISM gen = {CKM_GENERIC_SECRET_KEY_GEN, NULL, 0};
    CK_ATTRIBUTE t[] = {{CKA_VALUE_LEN, &len32, sizeof(len32)}, {CKA_TOKEN, &no, 1}};
    CK_ATTRIBUTE label = {CKA_LABEL, NULL, 0};
    CK_OBJECT_HANDLE found, again, session_key;
    CK_SESSION_HANDLE saved = s;
    char u1[32] = {0}, u2[32] = {0};
    CK_ATTRIBUTE unique = {CKA_UNIQUE_ID, u1, sizeof(u1) - 1};
    CK_ATTRIBUTE unique_again = {CKA_UNIQUE_ID, u2, sizeof(u2) - 1};

    assert_int_equal(p11->C_OpenSession(1, CKF_SERIAL_SESSION | CKF_RW_SESSION,
                                        NULL, NULL, &pin), CKR_OK);
    s = pin;
    assert_int_equal(find(by_id, 3, NULL), 0); /* public: no KP request ... */
    assert_int_equal(p11->C_GenerateKey(pin, &gen, t, 2, &session_key),
                     CKR_USER_NOT_LOGGED_IN);
    assert_int_equal(p11->C_Login(pin, CKU_USER, (CK_UTF8CHAR_PTR) "123456", 6),
                     CKR_OK);
    assert_int_equal(find(by_id, 3, &found), 1); /* ... so it is still there */
    assert_int_equal(p11->C_GetAttributeValue(pin, found, &unique, 1), CKR_OK);
    assert_int_equal(p11->C_GenerateKey(pin, &gen, t, 2, &session_key), CKR_OK);
    assert_int_equal(p11->C_Logout(pin), CKR_OK);
    assert_int_equal(p11->C_GetAttributeValue(pin, found, &label, 1),
                     CKR_OBJECT_HANDLE_INVALID);
    assert_int_equal(p11->C_GetAttributeValue(pin, session_key, &label, 1),
                     CKR_OBJECT_HANDLE_INVALID);
    /* After a new login the old handles stay invalid; the fetched key is
     * found again, under a new handle, and the private session key is gone. */
    assert_int_equal(p11->C_Login(pin, CKU_USER, (CK_UTF8CHAR_PTR) "123456", 6),
                     CKR_OK);
    assert_int_equal(p11->C_GetAttributeValue(pin, found, &label, 1),
                     CKR_OBJECT_HANDLE_INVALID);
    assert_int_equal(p11->C_GetAttributeValue(pin, session_key, &label, 1),
                     CKR_OBJECT_HANDLE_INVALID);
    assert_int_equal(find(by_id, 3, &again), 1);
    assert_int_not_equal(again, found);
    assert_int_equal(p11->C_GetAttributeValue(pin, again, &unique_again, 1), CKR_OK);
    assert_string_equal(u1, u2); /* the same object, by CKA_UNIQUE_ID */
    s = saved;
    assert_int_equal(p11->C_CloseSession(pin), CKR_OK);
}

/* Second red team, item 3: on a token with a PIN, a SKIP key asked with
 * CKA_PRIVATE = FALSE (pkcs11-tool's default) would be found and used by
 * whoever never logged in, and a public key derived from a private one
 * would outlive C_Logout. Both templates are refused; a derived key that
 * does not say is private like its base, and gone after the logout. */
static void r2_public_keys_on_a_pin_token(void **state)
{
    CK_SESSION_HANDLE pin, saved = s;
    CK_MECHANISM gen = {CKM_GENERIC_SECRET_KEY_GEN, NULL, 0};
    CK_IKE2_PRF_PLUS_DERIVE_PARAMS p;
    CK_MECHANISM m = prf_plus(&p);
    CK_ATTRIBUTE public_key[] = {{CKA_VALUE_LEN, &len32, sizeof(len32)},
                                 {CKA_PRIVATE, &no, 1}};
    CK_ATTRIBUTE private_key[] = {{CKA_VALUE_LEN, &len32, sizeof(len32)},
                                  {CKA_PRIVATE, &yes, 1}};
    CK_ATTRIBUTE plain[] = {{CKA_VALUE_LEN, &len32, sizeof(len32)}};
    CK_BBOOL is_private = CK_FALSE;
    CK_ATTRIBUTE get_private = {CKA_PRIVATE, &is_private, 1};
    CK_OBJECT_HANDLE key, child, h = 7;
    CK_ULONG public_count;

    assert_int_equal(p11->C_OpenSession(1, CKF_SERIAL_SESSION | CKF_RW_SESSION,
                                        NULL, NULL, &pin), CKR_OK);
    s = pin;
    public_count = object_count();
    assert_int_equal(p11->C_Login(pin, CKU_USER, (CK_UTF8CHAR_PTR) "123456", 6),
                     CKR_OK);
    assert_int_equal(p11->C_GenerateKey(pin, &gen, public_key, 2, &h),
                     CKR_TEMPLATE_INCONSISTENT);
    assert_int_equal(p11->C_GenerateKey(pin, &gen, plain, 1, &key), CKR_OK);
    assert_int_equal(p11->C_GetAttributeValue(pin, key, &get_private, 1), CKR_OK);
    assert_int_equal(is_private, CK_TRUE);
    assert_int_equal(p11->C_DeriveKey(pin, &m, key, public_key, 2, &h),
                     CKR_TEMPLATE_INCONSISTENT);
    assert_int_equal(p11->C_DeriveKey(pin, &m, key, plain, 1, &child), CKR_OK);
    is_private = CK_FALSE;
    assert_int_equal(p11->C_GetAttributeValue(pin, child, &get_private, 1), CKR_OK);
    assert_int_equal(is_private, CK_TRUE);
    assert_int_equal(p11->C_DeriveKey(pin, &m, key, private_key, 2, &h), CKR_OK);
    assert_int_equal(p11->C_Logout(pin), CKR_OK);
    /* nothing made above is seen without the login */
    assert_int_equal(object_count(), public_count);
    s = saved;
    assert_int_equal(p11->C_CloseSession(pin), CKR_OK);
}

/* Second red team, item 4: an HMAC operation kept OpenSSL's unlocked copy
 * of its key after C_DestroyObject, until its session closed. Destroying
 * the key ends every operation keyed with it, in every session. */
static void r2_destroy_ends_operations(void **state)
{
    CK_OBJECT_HANDLE key = skip_key("hmac");
    CK_MECHANISM hmac = {CKM_SHA256_HMAC, NULL, 0};
    CK_SESSION_HANDLE other;
    unsigned char data[8] = "message", mac[32];
    CK_ULONG mac_len = sizeof(mac);

    assert_int_equal(p11->C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL,
                                        &other), CKR_OK);
    assert_int_equal(p11->C_SignInit(s, &hmac, key), CKR_OK);
    assert_int_equal(p11->C_SignUpdate(s, data, sizeof(data)), CKR_OK);
    assert_int_equal(p11->C_VerifyInit(other, &hmac, key), CKR_OK);
    assert_int_equal(p11->C_DestroyObject(s, key), CKR_OK);
    assert_int_equal(p11->C_SignUpdate(s, data, sizeof(data)),
                     CKR_OPERATION_NOT_INITIALIZED);
    assert_int_equal(p11->C_SignFinal(s, mac, &mac_len),
                     CKR_OPERATION_NOT_INITIALIZED);
    assert_int_equal(p11->C_VerifyFinal(other, mac, sizeof(mac)),
                     CKR_OPERATION_NOT_INITIALIZED);
    /* the sessions go on: a new operation starts */
    key = skip_key("hmac");
    assert_int_equal(p11->C_SignInit(s, &hmac, key), CKR_OK);
    assert_int_equal(p11->C_Sign(s, data, sizeof(data), mac, &mac_len), CKR_OK);
    assert_int_equal(p11->C_CloseSession(other), CKR_OK);
}

static void a33_fetch_abuse(void **state)
{
    unsigned char long_id[65] = {0}, random_id[16];
    CK_ATTRIBUTE malformed[] = {{CKA_ID, long_id, sizeof(long_id)}};
    CK_ATTRIBUTE empty[] = {{CKA_ID, long_id, 0}};
    CK_ATTRIBUTE unknown[] = {{CKA_ID, random_id, sizeof(random_id)}};

    CK_SESSION_HANDLE other;
    int refused = 0;

    memset(random_id, 0x5a, sizeof(random_id));
    assert_int_equal(find(malformed, 1, NULL), 0);
    assert_int_equal(find(empty, 1, NULL), 0);
    /* An unknown keyId costs one KP request and finds nothing ... */
    assert_int_equal(find(unknown, 1, NULL), 0);
    /* ... and enumerating them hits the per-session fetch limit. */
    assert_int_equal(p11->C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, &other),
                     CKR_OK);
    for (int i = 0; i < 110; i++) {
        CK_RV rv;
        random_id[0] = (unsigned char)i;
        rv = p11->C_FindObjectsInit(other, unknown, 1);
        if (rv == CKR_DEVICE_ERROR)
            refused++;
        else if (rv == CKR_OK)
            assert_int_equal(p11->C_FindObjectsFinal(other), CKR_OK);
        else
            fail_msg("search %d: 0x%lx", i, rv);
    }
    assert_true(refused >= 10 - 1); /* 100 per 10 s window */
    /* Local searches are never limited. */
    assert_int_equal(p11->C_FindObjectsInit(other, NULL, 0), CKR_OK);
    assert_int_equal(p11->C_FindObjectsFinal(other), CKR_OK);
    assert_int_equal(p11->C_CloseSession(other), CKR_OK);
}

static void a35_fork(void **state)
{
    CK_OBJECT_HANDLE base = skip_key("kdf");
    CK_INTERFACE *iface;
    CK_IKE2_PRF_PLUS_DERIVE_PARAMS p;
    pid_t pid;
    int status;

    prf_plus(&p);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(derive_with(CKM_IKE2_PRF_PLUS_DERIVE, &p, sizeof(p), base, 32) ==
                      CKR_CRYPTOKI_NOT_INITIALIZED ? 0 : 1);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    {
        CK_C_GetInterface_3 get_iface =
            (CK_C_GetInterface_3)dlsym(dlopen(getenv("ATTACK_MODULE"),
                                            RTLD_NOW | RTLD_NOLOAD),
                                     "C_GetInterface");
        assert_non_null(get_iface);
        assert_int_equal(get_iface(NULL, NULL, &iface, CKF_INTERFACE_FORK_SAFE),
                         CKR_ARGUMENTS_BAD);
    }
}

static void a36_malformed_parameters(void **state)
{
    CK_OBJECT_HANDLE base = skip_key("kdf");
    CK_HKDF_PARAMS hk = {CK_FALSE, CK_FALSE, CKM_SHA256, 8, NULL, 0, 0, NULL, 5};
    CK_SP800_108_COUNTER_FORMAT cf = {CK_FALSE, 8};
    CK_PRF_DATA_PARAM dp[] = {{CK_SP800_108_ITERATION_VARIABLE, &cf, sizeof(cf)}};
    CK_SP800_108_KDF_PARAMS kp = {CKM_SHA256_HMAC, 1, dp, 0, NULL};

    assert_int_equal(derive_with(CKM_HKDF_DERIVE, &hk, sizeof(hk) - 1, base, 32),
                     CKR_MECHANISM_PARAM_INVALID);
    assert_int_equal(derive_with(CKM_HKDF_DERIVE, NULL, 0, base, 32),
                     CKR_MECHANISM_PARAM_INVALID);
    assert_int_equal(derive_with(CKM_HKDF_DERIVE, &hk, sizeof(hk), base, 32),
                     CKR_MECHANISM_PARAM_INVALID);
    kp.pDataParams = NULL;
    assert_int_equal(derive_with(CKM_SP800_108_COUNTER_KDF, &kp, sizeof(kp), base, 32),
                     CKR_MECHANISM_PARAM_INVALID);
    kp.pDataParams = dp;
    kp.ulAdditionalDerivedKeys = 1;
    assert_int_equal(derive_with(CKM_SP800_108_COUNTER_KDF, &kp, sizeof(kp), base, 32),
                     CKR_MECHANISM_PARAM_INVALID);
    kp.ulAdditionalDerivedKeys = 0;
    assert_int_equal(derive_with(CKM_SP800_108_COUNTER_KDF, &kp, sizeof(kp), base,
                                 256 * 32), CKR_KEY_SIZE_RANGE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a01_read_value),
        cmocka_unit_test(a02_unset_sensitive),
        cmocka_unit_test(a03_set_extractable),
        cmocka_unit_test(a04_forge_provenance),
        cmocka_unit_test(a05_copy),
        cmocka_unit_test(a06_trojan_import),
        cmocka_unit_test(a07_search_oracle),
        cmocka_unit_test(a08_a12_no_wrap),
        cmocka_unit_test(a13_derive_then_encrypt),
        cmocka_unit_test(a14_cross_mechanism),
        cmocka_unit_test(a15_retype_on_fetch),
        cmocka_unit_test(a16_substitute_by_id),
        cmocka_unit_test(a16_shadow_by_label),
        cmocka_unit_test(a17_digest_key),
        cmocka_unit_test(a18_a22_copying_derivations),
        cmocka_unit_test(a23_key_as_prf_data),
        cmocka_unit_test(a24_salt_key),
        cmocka_unit_test(a25_weak_prf),
        cmocka_unit_test(a26_short_outputs),
        cmocka_unit_test(a27_a28_rederivation_and_use),
        cmocka_unit_test(a29_additional_key_atomicity),
        cmocka_unit_test(a30_live_ppk),
        cmocka_unit_test(a31_closed_session_handles),
        cmocka_unit_test(a32_private_objects),
        cmocka_unit_test(a33_fetch_abuse),
        cmocka_unit_test(a35_fork),
        cmocka_unit_test(a36_malformed_parameters),
        cmocka_unit_test(r2_kdf_key_as_hmac_oracle),
        cmocka_unit_test(r2_public_keys_on_a_pin_token),
        cmocka_unit_test(r2_destroy_ends_operations),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
