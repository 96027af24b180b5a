/* SPDX-License-Identifier: BSD-3-Clause */
/* Slots, tokens and mechanisms. Nothing here talks to the network: the
 * answers come from the configuration alone. */
#include "config.h"
#include "general.h"
#include "internal.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "skip/hex.h"
#include "skip/ossl.h"

struct mechanism {
    CK_MECHANISM_TYPE type;
    const char *name;
    CK_ULONG min_key, max_key; /* in the mechanism's unit, see below */
    CK_FLAGS flags;
};

/* Exact and minimal: only what the module does. Key generation comes from
 * the KP, a device, hence CKF_HW (pkcs11-tool picks only CKF_HW mechanisms
 * by itself); the HMACs are computed in software.
 * Key sizes are in bits for the mechanisms on generic secret keys (the
 * spec's unit for generic secret key generation; Java's KeyGenerator reads
 * them so) and in bytes for AES key generation, as the spec gives each. */
#define GENERIC_MIN_BITS (KEY_MIN_LEN * 8)
#define GENERIC_MAX_BITS (KEY_MAX_LEN * 8)
#define M(type) type, #type
static const struct mechanism mechanisms[] = {
    {M(CKM_GENERIC_SECRET_KEY_GEN), GENERIC_MIN_BITS, GENERIC_MAX_BITS, CKF_HW | CKF_GENERATE},
    {M(CKM_AES_KEY_GEN), 16, 32, CKF_HW | CKF_GENERATE},
    {M(CKM_SHA256_HMAC), GENERIC_MIN_BITS, GENERIC_MAX_BITS, CKF_SIGN | CKF_VERIFY},
    {M(CKM_SHA256_HMAC_GENERAL), GENERIC_MIN_BITS, GENERIC_MAX_BITS, CKF_SIGN | CKF_VERIFY},
    {M(CKM_SHA384_HMAC), GENERIC_MIN_BITS, GENERIC_MAX_BITS, CKF_SIGN | CKF_VERIFY},
    {M(CKM_SHA384_HMAC_GENERAL), GENERIC_MIN_BITS, GENERIC_MAX_BITS, CKF_SIGN | CKF_VERIFY},
    {M(CKM_SHA512_HMAC), GENERIC_MIN_BITS, GENERIC_MAX_BITS, CKF_SIGN | CKF_VERIFY},
    {M(CKM_SHA512_HMAC_GENERAL), GENERIC_MIN_BITS, GENERIC_MAX_BITS, CKF_SIGN | CKF_VERIFY},
    {M(CKM_HKDF_DERIVE), GENERIC_MIN_BITS, GENERIC_MAX_BITS, CKF_DERIVE},
    {M(CKM_IKE2_PRF_PLUS_DERIVE), GENERIC_MIN_BITS, GENERIC_MAX_BITS, CKF_DERIVE},
    {M(CKM_NSS_IKE_PRF_PLUS_DERIVE), GENERIC_MIN_BITS, GENERIC_MAX_BITS, CKF_DERIVE},
    {M(CKM_SP800_108_COUNTER_KDF), GENERIC_MIN_BITS, GENERIC_MAX_BITS, CKF_DERIVE},
};
#undef M
#define MECHANISM_COUNT (sizeof(mechanisms) / sizeof(mechanisms[0]))

const char *mechanism_name(CK_MECHANISM_TYPE type)
{
    for (size_t i = 0; i < MECHANISM_COUNT; i++)
        if (mechanisms[i].type == type)
            return mechanisms[i].name;
    return NULL;
}

bool mechanism_supported(CK_MECHANISM_TYPE type)
{
    for (size_t i = 0; i < MECHANISM_COUNT; i++)
        if (mechanisms[i].type == type)
            return true;
    return false;
}

slot *slot_get_locked(CK_SLOT_ID id)
{
    return id < g_module.slot_count ? &g_module.slots[id] : NULL;
}

bool slot_needs_login_locked(const slot *s)
{
    return s->cfg.has_pin && !s->logged_in;
}

CK_RV slot_get_list(CK_BBOOL tokenPresent, CK_SLOT_ID_PTR pSlotList,
                    CK_ULONG_PTR pulCount)
{
    CK_RV rv = module_ready();

    if (rv != CKR_OK)
        return rv;
    if (pulCount == NULL)
        return CKR_ARGUMENTS_BAD;
    module_lock();
    /* Every slot always holds its token. */
    if (pSlotList != NULL) {
        if (*pulCount < g_module.slot_count)
            rv = CKR_BUFFER_TOO_SMALL;
        else
            for (size_t i = 0; i < g_module.slot_count; i++)
                pSlotList[i] = g_module.slots[i].id;
    }
    *pulCount = g_module.slot_count;
    module_unlock();
    return rv;
}

CK_RV slot_get_info(CK_SLOT_ID slotID, CK_SLOT_INFO_PTR pInfo)
{
    CK_RV rv = module_ready();
    char text[80];
    slot *s;

    if (rv != CKR_OK)
        return rv;
    if (pInfo == NULL)
        return CKR_ARGUMENTS_BAD;
    module_lock();
    s = slot_get_locked(slotID);
    if (s == NULL) {
        rv = CKR_SLOT_ID_INVALID;
    } else {
        memset(pInfo, 0, sizeof(*pInfo));
        snprintf(text, sizeof(text), "SKIP Key Provider %s", s->cfg.name);
        general_pad(pInfo->slotDescription, sizeof(pInfo->slotDescription),
                    text);
        general_pad(pInfo->manufacturerID, sizeof(pInfo->manufacturerID),
                    SKIP_PKCS11_MANUFACTURER);
        pInfo->flags = CKF_TOKEN_PRESENT;
        pInfo->firmwareVersion.minor = 1;
    }
    module_unlock();
    return rv;
}

struct count_arg {
    CK_SLOT_ID slot_id;
    CK_ULONG all, rw;
};

static void count_session(void *value, void *arg)
{
    const session *s = value;
    struct count_arg *c = arg;

    if (s->slot_id == c->slot_id) {
        c->all++;
        c->rw += (s->flags & CKF_RW_SESSION) != 0;
    }
}

/* The token's serial number: 16 hex digits of the SHA-256 of the slot's
 * name, so `pkcs11:...;serial=` URIs survive reordered slots and changed
 * KP URLs (the name is the token's label too). */
static void token_serial(const char *name, char serial[24])
{
    unsigned char digest[32];

    if (EVP_Q_digest(skip_ossl_ctx(), "SHA256", NULL, name, strlen(name),
                     digest, NULL) != 1)
        memset(digest, 0, sizeof(digest));
    skip_hex_encode(digest, 8, serial);
}

CK_RV slot_get_token_info(CK_SLOT_ID slotID, CK_TOKEN_INFO_PTR pInfo)
{
    CK_RV rv = module_ready();
    struct count_arg counts = {slotID, 0, 0};
    char serial[24];
    slot *s;

    if (rv != CKR_OK)
        return rv;
    if (pInfo == NULL)
        return CKR_ARGUMENTS_BAD;
    module_lock();
    s = slot_get_locked(slotID);
    if (s == NULL) {
        rv = CKR_SLOT_ID_INVALID;
        goto out;
    }
    handle_map_each(g_module.sessions, count_session, &counts);
    memset(pInfo, 0, sizeof(*pInfo));
    general_pad(pInfo->label, sizeof(pInfo->label), s->cfg.name);
    general_pad(pInfo->manufacturerID, sizeof(pInfo->manufacturerID),
                SKIP_PKCS11_MANUFACTURER);
    general_pad(pInfo->model, sizeof(pInfo->model), "SKIP KP");
    token_serial(s->cfg.name, serial);
    general_pad(pInfo->serialNumber, sizeof(pInfo->serialNumber), serial);
    pInfo->flags = CKF_RNG | CKF_TOKEN_INITIALIZED | CKF_USER_PIN_INITIALIZED |
                   pin_token_flags_locked(s);
    if (s->cfg.has_pin)
        pInfo->flags |= CKF_LOGIN_REQUIRED;
    pInfo->ulMaxSessionCount = CK_EFFECTIVELY_INFINITE;
    pInfo->ulSessionCount = counts.all;
    pInfo->ulMaxRwSessionCount = CK_EFFECTIVELY_INFINITE;
    pInfo->ulRwSessionCount = counts.rw;
    pInfo->ulMaxPinLen = PIN_MAX_LEN;
    pInfo->ulMinPinLen = 1;
    pInfo->ulTotalPublicMemory = CK_UNAVAILABLE_INFORMATION;
    pInfo->ulFreePublicMemory = CK_UNAVAILABLE_INFORMATION;
    pInfo->ulTotalPrivateMemory = CK_UNAVAILABLE_INFORMATION;
    pInfo->ulFreePrivateMemory = CK_UNAVAILABLE_INFORMATION;
    pInfo->firmwareVersion.minor = 1;
    memset(pInfo->utcTime, ' ', sizeof(pInfo->utcTime));
out:
    module_unlock();
    return rv;
}

/* The module is ready and slotID names one of its slots. */
static CK_RV slot_valid(CK_SLOT_ID slotID)
{
    CK_RV rv = module_ready();

    if (rv != CKR_OK)
        return rv;
    module_lock();
    if (slot_get_locked(slotID) == NULL)
        rv = CKR_SLOT_ID_INVALID;
    module_unlock();
    return rv;
}

CK_RV slot_get_mechanism_list(CK_SLOT_ID slotID, CK_MECHANISM_TYPE_PTR pList,
                              CK_ULONG_PTR pulCount)
{
    CK_RV rv = module_ready();

    if (rv == CKR_OK)
        rv = pulCount ? slot_valid(slotID) : CKR_ARGUMENTS_BAD;

    if (rv != CKR_OK)
        return rv;
    if (pList != NULL) {
        if (*pulCount < MECHANISM_COUNT)
            rv = CKR_BUFFER_TOO_SMALL;
        else
            for (size_t i = 0; i < MECHANISM_COUNT; i++)
                pList[i] = mechanisms[i].type;
    }
    *pulCount = MECHANISM_COUNT;
    return rv;
}

CK_RV slot_get_mechanism_info(CK_SLOT_ID slotID, CK_MECHANISM_TYPE type,
                              CK_MECHANISM_INFO_PTR pInfo)
{
    CK_RV rv = module_ready();

    if (rv == CKR_OK)
        rv = pInfo ? slot_valid(slotID) : CKR_ARGUMENTS_BAD;
    if (rv != CKR_OK)
        return rv;
    for (size_t i = 0; i < MECHANISM_COUNT; i++) {
        if (mechanisms[i].type == type) {
            pInfo->ulMinKeySize = mechanisms[i].min_key;
            pInfo->ulMaxKeySize = mechanisms[i].max_key;
            pInfo->flags = mechanisms[i].flags;
            return CKR_OK;
        }
    }
    return CKR_MECHANISM_INVALID;
}
