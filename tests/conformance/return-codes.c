/* SPDX-License-Identifier: BSD-3-Clause */
/* The order of return codes, for every entry point of the 2.40 function
 * list, from one table. PKCS #11 v2.40 section 11.1 (v3.0 section 5.1):
 * a function returns the most general applicable code first. Codes about
 * the library (CKR_CRYPTOKI_NOT_INITIALIZED) come before codes about the
 * session (11.1.2: CKR_SESSION_HANDLE_INVALID), which come before codes
 * about arguments, mechanisms, templates and objects (11.1.6); and a NULL
 * pointer with a non-zero length is CKR_ARGUMENTS_BAD before the mechanism
 * or template it points past is looked at.
 *
 * Each function is called with everything wrong at once: a NULL pointer
 * with a length, an unknown mechanism, invalid object handles. With the
 * library finalized the answer must be CKR_CRYPTOKI_NOT_INITIALIZED; with
 * an invalid session handle, CKR_SESSION_HANDLE_INVALID; with a valid
 * session (and, for the functions that take one, a valid key), the
 * argument rule's code: CKR_ARGUMENTS_BAD, or CKR_FUNCTION_NOT_SUPPORTED
 * for a function the token does not implement. */
#include "config.h"
#include "suite.h"

#include <string.h>

enum which {
    F_Finalize, F_GetInfo, F_GetSlotList, F_GetSlotInfo, F_GetTokenInfo,
    F_GetMechanismList, F_GetMechanismInfo, F_InitToken, F_InitPIN, F_SetPIN,
    F_OpenSession, F_CloseSession, F_CloseAllSessions, F_GetSessionInfo,
    F_GetOperationState, F_SetOperationState, F_Login, F_Logout,
    F_CreateObject, F_CopyObject, F_DestroyObject, F_GetObjectSize,
    F_GetAttributeValue, F_SetAttributeValue, F_FindObjectsInit,
    F_FindObjects, F_FindObjectsFinal, F_EncryptInit, F_Encrypt,
    F_EncryptUpdate, F_EncryptFinal, F_DecryptInit, F_Decrypt,
    F_DecryptUpdate, F_DecryptFinal, F_DigestInit, F_Digest, F_DigestUpdate,
    F_DigestKey, F_DigestFinal, F_SignInit, F_Sign, F_SignUpdate, F_SignFinal,
    F_SignRecoverInit, F_SignRecover, F_VerifyInit, F_Verify, F_VerifyUpdate,
    F_VerifyFinal, F_VerifyRecoverInit, F_VerifyRecover,
    F_DigestEncryptUpdate, F_DecryptDigestUpdate, F_SignEncryptUpdate,
    F_DecryptVerifyUpdate, F_GenerateKey, F_GenerateKeyPair, F_WrapKey,
    F_UnwrapKey, F_DeriveKey, F_SeedRandom, F_GenerateRandom,
    F_GetFunctionStatus, F_CancelFunction, F_WaitForSlotEvent, F_COUNT
};

/* What the third call (valid session, bad arguments) must answer. */
enum args_rule {
    ARGS_NONE,     /* no pointer to get wrong: not asked */
    ARGS_BAD,      /* CKR_ARGUMENTS_BAD */
    ARGS_BAD_OR_NS /* CKR_ARGUMENTS_BAD, or CKR_FUNCTION_NOT_SUPPORTED */
};

struct entry {
    const char *name;
    bool session;  /* takes a session handle */
    enum args_rule args;
};

#define S true
#define N false
static const struct entry entries[F_COUNT] = {
    [F_Finalize] = {"C_Finalize", N, ARGS_NONE},
    [F_GetInfo] = {"C_GetInfo", N, ARGS_BAD},
    [F_GetSlotList] = {"C_GetSlotList", N, ARGS_BAD},
    [F_GetSlotInfo] = {"C_GetSlotInfo", N, ARGS_BAD},
    [F_GetTokenInfo] = {"C_GetTokenInfo", N, ARGS_BAD},
    [F_GetMechanismList] = {"C_GetMechanismList", N, ARGS_BAD},
    [F_GetMechanismInfo] = {"C_GetMechanismInfo", N, ARGS_BAD},
    /* with sessions open, CKR_SESSION_EXISTS may come first */
    [F_InitToken] = {"C_InitToken", N, ARGS_NONE},
    /* needs the SO logged in: CKR_USER_NOT_LOGGED_IN may come first */
    [F_InitPIN] = {"C_InitPIN", S, ARGS_NONE},
    [F_SetPIN] = {"C_SetPIN", S, ARGS_BAD_OR_NS},
    [F_OpenSession] = {"C_OpenSession", N, ARGS_BAD},
    [F_CloseSession] = {"C_CloseSession", S, ARGS_NONE},
    [F_CloseAllSessions] = {"C_CloseAllSessions", N, ARGS_NONE},
    [F_GetSessionInfo] = {"C_GetSessionInfo", S, ARGS_BAD},
    [F_GetOperationState] = {"C_GetOperationState", S, ARGS_BAD_OR_NS},
    [F_SetOperationState] = {"C_SetOperationState", S, ARGS_BAD_OR_NS},
    [F_Login] = {"C_Login", S, ARGS_BAD},
    [F_Logout] = {"C_Logout", S, ARGS_NONE},
    [F_CreateObject] = {"C_CreateObject", S, ARGS_BAD},
    [F_CopyObject] = {"C_CopyObject", S, ARGS_BAD},
    [F_DestroyObject] = {"C_DestroyObject", S, ARGS_NONE},
    [F_GetObjectSize] = {"C_GetObjectSize", S, ARGS_BAD_OR_NS},
    [F_GetAttributeValue] = {"C_GetAttributeValue", S, ARGS_BAD},
    [F_SetAttributeValue] = {"C_SetAttributeValue", S, ARGS_BAD},
    [F_FindObjectsInit] = {"C_FindObjectsInit", S, ARGS_BAD},
    [F_FindObjects] = {"C_FindObjects", S, ARGS_NONE},
    [F_FindObjectsFinal] = {"C_FindObjectsFinal", S, ARGS_NONE},
    [F_EncryptInit] = {"C_EncryptInit", S, ARGS_BAD_OR_NS},
    [F_Encrypt] = {"C_Encrypt", S, ARGS_NONE},
    [F_EncryptUpdate] = {"C_EncryptUpdate", S, ARGS_NONE},
    [F_EncryptFinal] = {"C_EncryptFinal", S, ARGS_NONE},
    [F_DecryptInit] = {"C_DecryptInit", S, ARGS_BAD_OR_NS},
    [F_Decrypt] = {"C_Decrypt", S, ARGS_NONE},
    [F_DecryptUpdate] = {"C_DecryptUpdate", S, ARGS_NONE},
    [F_DecryptFinal] = {"C_DecryptFinal", S, ARGS_NONE},
    [F_DigestInit] = {"C_DigestInit", S, ARGS_BAD_OR_NS},
    [F_Digest] = {"C_Digest", S, ARGS_NONE},
    [F_DigestUpdate] = {"C_DigestUpdate", S, ARGS_NONE},
    [F_DigestKey] = {"C_DigestKey", S, ARGS_NONE},
    [F_DigestFinal] = {"C_DigestFinal", S, ARGS_NONE},
    [F_SignInit] = {"C_SignInit", S, ARGS_BAD},
    [F_Sign] = {"C_Sign", S, ARGS_NONE},
    [F_SignUpdate] = {"C_SignUpdate", S, ARGS_NONE},
    [F_SignFinal] = {"C_SignFinal", S, ARGS_NONE},
    [F_SignRecoverInit] = {"C_SignRecoverInit", S, ARGS_BAD_OR_NS},
    [F_SignRecover] = {"C_SignRecover", S, ARGS_NONE},
    [F_VerifyInit] = {"C_VerifyInit", S, ARGS_BAD},
    [F_Verify] = {"C_Verify", S, ARGS_NONE},
    [F_VerifyUpdate] = {"C_VerifyUpdate", S, ARGS_NONE},
    [F_VerifyFinal] = {"C_VerifyFinal", S, ARGS_NONE},
    [F_VerifyRecoverInit] = {"C_VerifyRecoverInit", S, ARGS_BAD_OR_NS},
    [F_VerifyRecover] = {"C_VerifyRecover", S, ARGS_NONE},
    [F_DigestEncryptUpdate] = {"C_DigestEncryptUpdate", S, ARGS_NONE},
    [F_DecryptDigestUpdate] = {"C_DecryptDigestUpdate", S, ARGS_NONE},
    [F_SignEncryptUpdate] = {"C_SignEncryptUpdate", S, ARGS_NONE},
    [F_DecryptVerifyUpdate] = {"C_DecryptVerifyUpdate", S, ARGS_NONE},
    [F_GenerateKey] = {"C_GenerateKey", S, ARGS_BAD},
    [F_GenerateKeyPair] = {"C_GenerateKeyPair", S, ARGS_BAD_OR_NS},
    [F_WrapKey] = {"C_WrapKey", S, ARGS_BAD_OR_NS},
    [F_UnwrapKey] = {"C_UnwrapKey", S, ARGS_BAD_OR_NS},
    [F_DeriveKey] = {"C_DeriveKey", S, ARGS_BAD},
    [F_SeedRandom] = {"C_SeedRandom", S, ARGS_BAD},
    [F_GenerateRandom] = {"C_GenerateRandom", S, ARGS_BAD},
    [F_GetFunctionStatus] = {"C_GetFunctionStatus", S, ARGS_NONE},
    [F_CancelFunction] = {"C_CancelFunction", S, ARGS_NONE},
    [F_WaitForSlotEvent] = {"C_WaitForSlotEvent", N, ARGS_NONE},
};
#undef S
#undef N

/* Calls function f with everything wrong but the session s and, where it
 * takes one, the key k: NULL pointers with lengths, an unknown mechanism
 * (present where the function would otherwise read a NULL pointer for
 * it, so that only the NULL template can decide the answer). */
static CK_RV call(enum which f, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE k)
{
    CK_MECHANISM unknown = {0x7ffffff0UL, NULL, 0};
    CK_OBJECT_HANDLE h = 0;

    switch (f) {
    case F_Finalize: return p11->C_Finalize(NULL);
    case F_GetInfo: return p11->C_GetInfo(NULL);
    case F_GetSlotList: return p11->C_GetSlotList(CK_TRUE, NULL, NULL);
    case F_GetSlotInfo: return p11->C_GetSlotInfo(slot, NULL);
    case F_GetTokenInfo: return p11->C_GetTokenInfo(slot, NULL);
    case F_GetMechanismList: return p11->C_GetMechanismList(slot, NULL, NULL);
    case F_GetMechanismInfo: return p11->C_GetMechanismInfo(slot, CKM_SHA256_HMAC, NULL);
    case F_InitToken: return p11->C_InitToken(slot, NULL, 5, NULL);
    case F_InitPIN: return p11->C_InitPIN(s, NULL, 5);
    case F_SetPIN: return p11->C_SetPIN(s, NULL, 5, NULL, 5);
    case F_OpenSession: return p11->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, NULL);
    case F_CloseSession: return p11->C_CloseSession(s);
    case F_CloseAllSessions: return p11->C_CloseAllSessions(slot);
    case F_GetSessionInfo: return p11->C_GetSessionInfo(s, NULL);
    case F_GetOperationState: return p11->C_GetOperationState(s, NULL, NULL);
    case F_SetOperationState: return p11->C_SetOperationState(s, NULL, 5, 0, 0);
    case F_Login: return p11->C_Login(s, CKU_USER, NULL, 5);
    case F_Logout: return p11->C_Logout(s);
    case F_CreateObject: return p11->C_CreateObject(s, NULL, 5, &h);
    case F_CopyObject: return p11->C_CopyObject(s, k, NULL, 5, &h);
    case F_DestroyObject: return p11->C_DestroyObject(s, 0x7ffffff0UL);
    case F_GetObjectSize: return p11->C_GetObjectSize(s, k, NULL);
    case F_GetAttributeValue: return p11->C_GetAttributeValue(s, k, NULL, 5);
    case F_SetAttributeValue: return p11->C_SetAttributeValue(s, k, NULL, 5);
    case F_FindObjectsInit: return p11->C_FindObjectsInit(s, NULL, 5);
    case F_FindObjects: return p11->C_FindObjects(s, NULL, 5, NULL);
    case F_FindObjectsFinal: return p11->C_FindObjectsFinal(s);
    case F_EncryptInit: return p11->C_EncryptInit(s, NULL, k);
    case F_Encrypt: return p11->C_Encrypt(s, NULL, 5, NULL, NULL);
    case F_EncryptUpdate: return p11->C_EncryptUpdate(s, NULL, 5, NULL, NULL);
    case F_EncryptFinal: return p11->C_EncryptFinal(s, NULL, NULL);
    case F_DecryptInit: return p11->C_DecryptInit(s, NULL, k);
    case F_Decrypt: return p11->C_Decrypt(s, NULL, 5, NULL, NULL);
    case F_DecryptUpdate: return p11->C_DecryptUpdate(s, NULL, 5, NULL, NULL);
    case F_DecryptFinal: return p11->C_DecryptFinal(s, NULL, NULL);
    case F_DigestInit: return p11->C_DigestInit(s, NULL);
    case F_Digest: return p11->C_Digest(s, NULL, 5, NULL, NULL);
    case F_DigestUpdate: return p11->C_DigestUpdate(s, NULL, 5);
    case F_DigestKey: return p11->C_DigestKey(s, 0x7ffffff0UL);
    case F_DigestFinal: return p11->C_DigestFinal(s, NULL, NULL);
    case F_SignInit: return p11->C_SignInit(s, NULL, k);
    case F_Sign: return p11->C_Sign(s, NULL, 5, NULL, NULL);
    case F_SignUpdate: return p11->C_SignUpdate(s, NULL, 5);
    case F_SignFinal: return p11->C_SignFinal(s, NULL, NULL);
    case F_SignRecoverInit: return p11->C_SignRecoverInit(s, NULL, k);
    case F_SignRecover: return p11->C_SignRecover(s, NULL, 5, NULL, NULL);
    case F_VerifyInit: return p11->C_VerifyInit(s, NULL, k);
    case F_Verify: return p11->C_Verify(s, NULL, 5, NULL, 5);
    case F_VerifyUpdate: return p11->C_VerifyUpdate(s, NULL, 5);
    case F_VerifyFinal: return p11->C_VerifyFinal(s, NULL, 5);
    case F_VerifyRecoverInit: return p11->C_VerifyRecoverInit(s, NULL, k);
    case F_VerifyRecover: return p11->C_VerifyRecover(s, NULL, 5, NULL, NULL);
    case F_DigestEncryptUpdate: return p11->C_DigestEncryptUpdate(s, NULL, 5, NULL, NULL);
    case F_DecryptDigestUpdate: return p11->C_DecryptDigestUpdate(s, NULL, 5, NULL, NULL);
    case F_SignEncryptUpdate: return p11->C_SignEncryptUpdate(s, NULL, 5, NULL, NULL);
    case F_DecryptVerifyUpdate: return p11->C_DecryptVerifyUpdate(s, NULL, 5, NULL, NULL);
    case F_GenerateKey: return p11->C_GenerateKey(s, &unknown, NULL, 5, &h);
    case F_GenerateKeyPair:
        return p11->C_GenerateKeyPair(s, &unknown, NULL, 5, NULL, 5, &h, &h);
    case F_WrapKey: return p11->C_WrapKey(s, NULL, k, k, NULL, NULL);
    case F_UnwrapKey: return p11->C_UnwrapKey(s, NULL, k, NULL, 5, NULL, 5, &h);
    case F_DeriveKey: return p11->C_DeriveKey(s, &unknown, k, NULL, 5, &h);
    case F_SeedRandom: return p11->C_SeedRandom(s, NULL, 5);
    case F_GenerateRandom: return p11->C_GenerateRandom(s, NULL, 5);
    case F_GetFunctionStatus: return p11->C_GetFunctionStatus(s);
    case F_CancelFunction: return p11->C_CancelFunction(s);
    case F_WaitForSlotEvent: return p11->C_WaitForSlotEvent(CKF_DONT_BLOCK, NULL, NULL);
    case F_COUNT: break;
    }
    return CKR_GENERAL_ERROR;
}

/* Fails the case at the first entry point whose answer is not allowed,
 * and lists every such entry point as a TAP comment. */
static void expect_entry(enum which f, CK_RV got, CK_RV want, CK_RV or_want)
{
    if (got == want || got == or_want)
        return;
    printf("# %s = 0x%lx, want 0x%lx\n", entries[f].name, got, want);
    if (failure[0] == '\0')
        snprintf(failure, sizeof(failure), "%s = 0x%lx, want 0x%lx",
                 entries[f].name, got, want);
}

/* 11.1 (5.1): before C_Initialize, every function but C_Initialize and
 * C_GetFunctionList is CKR_CRYPTOKI_NOT_INITIALIZED, whatever else is
 * wrong, the functions a token does not implement included. */
static void not_initialized_first(void)
{
    EXPECT_RV(p11->C_Finalize(NULL), CKR_OK);
    for (int f = 0; f < F_COUNT; f++)
        expect_entry(f, call(f, 1, 1), CKR_CRYPTOKI_NOT_INITIALIZED,
                     CKR_CRYPTOKI_NOT_INITIALIZED);
    EXPECT_RV(p11->C_Initialize(NULL), CKR_OK);
}

/* 11.1.7 (5.1.8): codes of 11.1.2 (the session handle) come before those
 * of 11.1.6 (arguments, mechanisms, templates, objects). */
static void session_handle_before_arguments(void)
{
    for (int f = 0; f < F_COUNT; f++)
        if (entries[f].session)
            expect_entry(f, call(f, 0x7ffffff0UL, 0x7ffffff0UL),
                         CKR_SESSION_HANDLE_INVALID, CKR_SESSION_HANDLE_INVALID);
}

/* A NULL pointer with a non-zero length is CKR_ARGUMENTS_BAD before the
 * mechanism or template behind it is looked at (11.1.6, CKR_ARGUMENTS_BAD:
 * "this is a rather generic error code"; it is checked first). */
static void arguments_before_mechanism_and_template(void)
{
    CK_SESSION_HANDLE s = open_user();
    CK_OBJECT_HANDLE k = import_key(s, "conformance return codes", CK_TRUE);

    for (int f = 0; f < F_COUNT; f++) {
        if (entries[f].args == ARGS_NONE)
            continue;
        expect_entry(f, call(f, s, k), CKR_ARGUMENTS_BAD,
                     entries[f].args == ARGS_BAD_OR_NS ? CKR_FUNCTION_NOT_SUPPORTED
                                                       : CKR_ARGUMENTS_BAD);
    }
    EXPECT_RV(p11->C_CloseAllSessions(slot), CKR_OK);
}

/* C_SeedRandom: the session, then the arguments, then what the token does
 * with a seed (CKR_OK, or CKR_RANDOM_SEED_NOT_SUPPORTED). */
static void seed_random_order(void)
{
    CK_SESSION_HANDLE s = open_rw();
    CK_BYTE seed[8] = {1};
    CK_RV rv;

    EXPECT_RV(p11->C_SeedRandom(0x7ffffff0UL, NULL, 5), CKR_SESSION_HANDLE_INVALID);
    EXPECT_RV(p11->C_SeedRandom(s, NULL, 5), CKR_ARGUMENTS_BAD);
    rv = p11->C_SeedRandom(s, seed, sizeof(seed));
    EXPECT(rv == CKR_OK || rv == CKR_RANDOM_SEED_NOT_SUPPORTED);
    EXPECT_RV(p11->C_CloseAllSessions(slot), CKR_OK);
}

/* C_Login(CKU_SO): with the user logged in, CKR_USER_ANOTHER_ALREADY_
 * LOGGED_IN; with a read-only session open, CKR_SESSION_READ_ONLY_EXISTS;
 * both before any PIN is compared (the PIN here is not the SO's). */
static void so_login_order(void)
{
    CK_SESSION_HANDLE rw = open_user(), ro = CK_INVALID_HANDLE;

    EXPECT_RV(p11->C_Login(rw, CKU_SO, (CK_UTF8CHAR_PTR) "not-the-so-pin", 14),
              CKR_USER_ANOTHER_ALREADY_LOGGED_IN);
    EXPECT_RV(p11->C_Logout(rw), CKR_OK);
    EXPECT_RV(p11->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &ro),
              CKR_OK);
    EXPECT_RV(p11->C_Login(rw, CKU_SO, (CK_UTF8CHAR_PTR) "not-the-so-pin", 14),
              CKR_SESSION_READ_ONLY_EXISTS);
    EXPECT_RV(p11->C_CloseAllSessions(slot), CKR_OK);
}

void return_code_cases(void)
{
    run("rc_not_initialized_first", not_initialized_first);
    run("rc_session_handle_before_arguments", session_handle_before_arguments);
    run("rc_arguments_before_mechanism_and_template",
        arguments_before_mechanism_and_template);
    run("rc_seed_random_order", seed_random_order);
    run("rc_so_login_order", so_login_order);
}
