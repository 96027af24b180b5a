/* SPDX-License-Identifier: BSD-3-Clause */
/* Fuzz target: attribute templates, through the module's real entry points
 * on an offline slot (its KP is 127.0.0.1:1, so a template that passes
 * every check ends in a refused connection). The input builds up to eight
 * attributes, of chosen or raw types, whose values point into the input
 * itself (some claiming lengths far past it), and gives them to C_CreateObject, C_GenerateKey,
 * C_FindObjectsInit, C_SetAttributeValue and C_GetAttributeValue (with
 * output buffers of fuzzed sizes). Whatever was created is destroyed. */
#include "config.h"

#include <stdbool.h>

#include "offline-slot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static CK_OBJECT_HANDLE held_key;

static void setup(void)
{
    offline_slot_open("remote = Peer\nconnect_timeout_ms = 200\n");
    held_key = offline_import(CKK_GENERIC_SECRET, 32);
}

/* The attribute types a template can meet, the vendor one included; a
 * raw type now and then covers the rest. */
static const CK_ATTRIBUTE_TYPE types[] = {
    CKA_CLASS, CKA_TOKEN, CKA_PRIVATE, CKA_LABEL, CKA_VALUE, CKA_KEY_TYPE,
    CKA_ID, CKA_SENSITIVE, CKA_ENCRYPT, CKA_DECRYPT, CKA_WRAP, CKA_UNWRAP,
    CKA_SIGN, CKA_VERIFY, CKA_DERIVE, CKA_VALUE_LEN, CKA_EXTRACTABLE,
    CKA_LOCAL, CKA_NEVER_EXTRACTABLE, CKA_ALWAYS_SENSITIVE,
    CKA_KEY_GEN_MECHANISM, CKA_MODIFIABLE, CKA_COPYABLE, CKA_DESTROYABLE,
    CKA_START_DATE, CKA_END_DATE, CKA_UNIQUE_ID, CKA_ALLOWED_MECHANISMS,
    CKA_TRUSTED, CKA_SKIP_REMOTE_SYSTEM_ID, CKA_ALWAYS_AUTHENTICATE,
    CKA_CERTIFICATE_CATEGORY};
#define TYPE_COUNT (sizeof(types) / sizeof(types[0]))

/* Lengths no buffer has, claimed now and then for a value that is a few
 * input bytes (a length byte from 248 up picks one). */
static const CK_ULONG huge_lengths[] = {
    (CK_ULONG)SIZE_MAX, (CK_ULONG)SIZE_MAX - 1, (CK_ULONG)1 << 32,
    (CK_ULONG)1 << 31, (CK_ULONG)UINT32_MAX, 65537, 65536, 4097,
};

/* Up to eight attributes whose values are spans of the input. */
static CK_ULONG read_template(struct input *in, CK_ATTRIBUTE *t)
{
    CK_ULONG n = byte(in) % 9;

    for (CK_ULONG i = 0; i < n; i++) {
        uint8_t pick = byte(in);
        uint8_t len_byte = byte(in);
        size_t len = len_byte % 72;
        bool null_value = (byte(in) & 7) == 0;

        t[i].type = pick < 240 ? types[pick % TYPE_COUNT]
                               : (CK_ATTRIBUTE_TYPE)byte(in) << 8 | byte(in);
        if (len > in->left)
            len = in->left;
        t[i].pValue = null_value ? NULL : (void *)in->p;
        t[i].ulValueLen = len;
        if (len_byte >= 248)
            t[i].ulValueLen = huge_lengths[len_byte - 248];
        in->p += len;
        in->left -= len;
    }
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct input in = {data, size};
    CK_MECHANISM gen = {CKM_GENERIC_SECRET_KEY_GEN, NULL, 0};
    CK_ATTRIBUTE t[8];
    unsigned char out[8][80];
    CK_OBJECT_HANDLE h = CK_INVALID_HANDLE, found[4];
    CK_ULONG n, count = 0;

    if (p11 == NULL)
        setup();
    n = read_template(&in, t);
    switch (byte(&in) % 5) {
    case 0:
        if (p11->C_CreateObject(session, t, n, &h) == CKR_OK)
            p11->C_DestroyObject(session, h);
        break;
    case 1:
        gen.mechanism = byte(&in) & 1 ? CKM_AES_KEY_GEN : CKM_GENERIC_SECRET_KEY_GEN;
        if (p11->C_GenerateKey(session, &gen, t, n, &h) == CKR_OK)
            p11->C_DestroyObject(session, h);
        break;
    case 2:
        if (p11->C_FindObjectsInit(session, t, n) == CKR_OK) {
            p11->C_FindObjects(session, found, 4, &count);
            p11->C_FindObjectsFinal(session);
        }
        break;
    case 3:
        p11->C_SetAttributeValue(session, held_key, t, n);
        break;
    default:
        /* Reads into buffers of their own, of fuzzed sizes. */
        for (CK_ULONG i = 0; i < n; i++) {
            t[i].ulValueLen = byte(&in) % sizeof(out[i]);
            t[i].pValue = t[i].pValue ? out[i] : NULL;
        }
        p11->C_GetAttributeValue(session, held_key, t, n);
    }
    return 0;
}
