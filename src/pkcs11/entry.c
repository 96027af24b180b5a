/* SPDX-License-Identifier: BSD-3-Clause */
/* Every C_* function as a thin wrapper that traces its call and result
 * (SKIP_PKCS11_DEBUG=entry), the 2.40 and 3.0 function lists, and the
 * three exported entry points. Nothing else leaves the module. */
#include "config.h"
#include "general.h"
#include "internal.h"

#include <string.h>

#include "skip/log.h"
#include "skip/ossl.h"

#define EXPORT __attribute__((visibility("default")))

static CK_RV reentered(const char *name)
{
    skip_log_error("%s: called from inside the module's own KP request or "
                   "OpenSSL setup (does an OpenSSL provider of the host route "
                   "to this token?); refused", name);
    return CKR_FUNCTION_FAILED;
}

/* Runs call, tracing name on the way in and the result on the way out. A
 * call made from inside the module's own KP request (a host provider that
 * routes OpenSSL's random numbers or KDFs to this token) is refused before
 * it can recurse. */
#define TRACED(name, call)                                                     \
    do {                                                                       \
        CK_RV rv_;                                                             \
        if (skip_ossl_in_scope())                                              \
            return reentered(name);                                            \
        skip_debug("entry", "%s in", name);                                    \
        rv_ = (call);                                                          \
        skip_debug("entry", "%s out: %s", name, errmap_rv_name(rv_));          \
        return rv_;                                                            \
    } while (0)

/* TRACED for a function that takes a session handle. PKCS #11 v2.40
 * section 11.1.7 (v3.0 5.1.8): codes about the session outrank codes about
 * arguments, mechanisms, templates and objects. So an answer of the latter
 * kind is checked against the session on its way out: a bad handle turns
 * it into CKR_SESSION_HANDLE_INVALID. Only failing calls pay for the check
 * (and fail the same way with a good handle). */
#define TRACED_S(name, h, call) TRACED(name, session_outranks(h, (call)))

static CK_RV session_outranks(CK_SESSION_HANDLE h, CK_RV rv)
{
    if (rv == CKR_OK || rv == CKR_SESSION_HANDLE_INVALID ||
        rv == CKR_SESSION_CLOSED || rv == CKR_CRYPTOKI_NOT_INITIALIZED ||
        rv == CKR_HOST_MEMORY || rv == CKR_GENERAL_ERROR)
        return rv;
    return session_first(h, rv);
}

/* With SKIP_PKCS11_DEBUG=entry, one line with a call's mechanism and the
 * attribute types of its template: names, never values (a template may
 * carry CKA_VALUE). At most TRACE_ATTRS types are named. */
#define TRACE_ATTRS 32
static void trace_args(const char *name, const CK_MECHANISM *m,
                       const CK_ATTRIBUTE *t, CK_ULONG n)
{
    char line[TRACE_ATTRS * 28 + 64];
    size_t used = 0;
    const char *mech;

    if (!skip_debug_enabled("entry"))
        return;
    line[0] = '\0';
    if (m != NULL && (mech = mechanism_name(m->mechanism)) != NULL)
        used += (size_t)snprintf(line, sizeof(line), " mechanism %s", mech);
    else if (m != NULL)
        used += (size_t)snprintf(line, sizeof(line), " mechanism 0x%lx",
                                 (unsigned long)m->mechanism);
    if (t != NULL || n != 0)
        used += (size_t)snprintf(line + used, sizeof(line) - used,
                                 " template of %lu:", (unsigned long)n);
    for (CK_ULONG i = 0; t != NULL && i < n && i < TRACE_ATTRS &&
                         used < sizeof(line); i++) {
        const struct attr_policy *row = attr_policy_find(t[i].type);
        used += (size_t)(row ? snprintf(line + used, sizeof(line) - used,
                                        " %s", row->name)
                             : snprintf(line + used, sizeof(line) - used,
                                        " 0x%lx", (unsigned long)t[i].type));
    }
    skip_debug("entry", "%s args:%s%s", name, line,
               n > TRACE_ATTRS ? " ..." : "");
}

/* The spec's parameter names, so each wrapper reads against the standard. */
static CK_RV w_Initialize(CK_VOID_PTR pInitArgs)
{
    TRACED("C_Initialize", general_initialize(pInitArgs));
}
static CK_RV w_Finalize(CK_VOID_PTR pReserved)
{
    TRACED("C_Finalize", general_finalize(pReserved));
}
static CK_RV w_GetInfo(CK_INFO_PTR pInfo)
{
    TRACED("C_GetInfo", general_get_info(pInfo));
}
static CK_RV w_GetSlotList(CK_BBOOL tokenPresent, CK_SLOT_ID_PTR pSlotList,
                           CK_ULONG_PTR pulCount)
{
    TRACED("C_GetSlotList", slot_get_list(tokenPresent, pSlotList, pulCount));
}
static CK_RV w_GetSlotInfo(CK_SLOT_ID slotID, CK_SLOT_INFO_PTR pInfo)
{
    TRACED("C_GetSlotInfo", slot_get_info(slotID, pInfo));
}
static CK_RV w_GetTokenInfo(CK_SLOT_ID slotID, CK_TOKEN_INFO_PTR pInfo)
{
    TRACED("C_GetTokenInfo", slot_get_token_info(slotID, pInfo));
}
static CK_RV w_GetMechanismList(CK_SLOT_ID slotID,
                                CK_MECHANISM_TYPE_PTR pMechanismList,
                                CK_ULONG_PTR pulCount)
{
    TRACED("C_GetMechanismList",
           slot_get_mechanism_list(slotID, pMechanismList, pulCount));
}
static CK_RV w_GetMechanismInfo(CK_SLOT_ID slotID, CK_MECHANISM_TYPE type,
                                CK_MECHANISM_INFO_PTR pInfo)
{
    TRACED("C_GetMechanismInfo", slot_get_mechanism_info(slotID, type, pInfo));
}
/* No callbacks: pApplication and Notify are never called. */
static CK_RV w_OpenSession(CK_SLOT_ID slotID, CK_FLAGS flags,
                           CK_VOID_PTR pApplication, CK_NOTIFY Notify,
                           CK_SESSION_HANDLE_PTR phSession)
{
    TRACED("C_OpenSession", session_open(slotID, flags, phSession));
}
static CK_RV w_CloseSession(CK_SESSION_HANDLE hSession)
{
    TRACED_S("C_CloseSession", hSession, session_close(hSession));
}
static CK_RV w_CloseAllSessions(CK_SLOT_ID slotID)
{
    TRACED("C_CloseAllSessions", session_close_all(slotID));
}
static CK_RV w_GetSessionInfo(CK_SESSION_HANDLE hSession,
                              CK_SESSION_INFO_PTR pInfo)
{
    TRACED_S("C_GetSessionInfo", hSession, session_get_info(hSession, pInfo));
}
static CK_RV w_Login(CK_SESSION_HANDLE hSession, CK_USER_TYPE userType,
                     CK_UTF8CHAR_PTR pPin, CK_ULONG ulPinLen)
{
    TRACED_S("C_Login", hSession,
             session_login(hSession, userType, pPin, ulPinLen));
}
static CK_RV w_Logout(CK_SESSION_HANDLE hSession)
{
    TRACED_S("C_Logout", hSession, session_logout(hSession));
}
static CK_RV w_CreateObject(CK_SESSION_HANDLE hSession,
                            CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount,
                            CK_OBJECT_HANDLE_PTR phObject)
{
    trace_args("C_CreateObject", NULL, pTemplate, ulCount);
    TRACED_S("C_CreateObject", hSession,
             object_create(hSession, pTemplate, ulCount, phObject));
}
static CK_RV w_DestroyObject(CK_SESSION_HANDLE hSession,
                             CK_OBJECT_HANDLE hObject)
{
    TRACED_S("C_DestroyObject", hSession, object_destroy(hSession, hObject));
}
static CK_RV w_GetObjectSize(CK_SESSION_HANDLE hSession,
                             CK_OBJECT_HANDLE hObject, CK_ULONG_PTR pulSize)
{
    TRACED_S("C_GetObjectSize", hSession,
             object_get_size(hSession, hObject, pulSize));
}
static CK_RV w_GetAttributeValue(CK_SESSION_HANDLE hSession,
                                 CK_OBJECT_HANDLE hObject,
                                 CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount)
{
    trace_args("C_GetAttributeValue", NULL, pTemplate, ulCount);
    TRACED_S("C_GetAttributeValue", hSession,
             object_get_attributes(hSession, hObject, pTemplate, ulCount));
}
static CK_RV w_SetAttributeValue(CK_SESSION_HANDLE hSession,
                                 CK_OBJECT_HANDLE hObject,
                                 CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount)
{
    trace_args("C_SetAttributeValue", NULL, pTemplate, ulCount);
    TRACED_S("C_SetAttributeValue", hSession,
             object_set_attributes(hSession, hObject, pTemplate, ulCount));
}
static CK_RV w_FindObjectsInit(CK_SESSION_HANDLE hSession,
                               CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount)
{
    trace_args("C_FindObjectsInit", NULL, pTemplate, ulCount);
    TRACED_S("C_FindObjectsInit", hSession,
             object_find_init(hSession, pTemplate, ulCount));
}
static CK_RV w_FindObjects(CK_SESSION_HANDLE hSession,
                           CK_OBJECT_HANDLE_PTR phObject,
                           CK_ULONG ulMaxObjectCount,
                           CK_ULONG_PTR pulObjectCount)
{
    TRACED_S("C_FindObjects", hSession,
             object_find(hSession, phObject, ulMaxObjectCount, pulObjectCount));
}
static CK_RV w_FindObjectsFinal(CK_SESSION_HANDLE hSession)
{
    TRACED_S("C_FindObjectsFinal", hSession, object_find_final(hSession));
}
static CK_RV w_GenerateKey(CK_SESSION_HANDLE hSession,
                           CK_MECHANISM_PTR pMechanism,
                           CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount,
                           CK_OBJECT_HANDLE_PTR phKey)
{
    trace_args("C_GenerateKey", pMechanism, pTemplate, ulCount);
    TRACED_S("C_GenerateKey", hSession,
             keygen_generate(hSession, pMechanism, pTemplate, ulCount, phKey));
}
static CK_RV w_GenerateRandom(CK_SESSION_HANDLE hSession,
                              CK_BYTE_PTR RandomData, CK_ULONG ulRandomLen)
{
    TRACED_S("C_GenerateRandom", hSession,
             random_generate(hSession, RandomData, ulRandomLen));
}
static CK_RV w_SignInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
                        CK_OBJECT_HANDLE hKey)
{
    trace_args("C_SignInit", pMechanism, NULL, 0);
    TRACED_S("C_SignInit", hSession,
             mac_init(hSession, pMechanism, hKey, false));
}
static CK_RV w_Sign(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData,
                    CK_ULONG ulDataLen, CK_BYTE_PTR pSignature,
                    CK_ULONG_PTR pulSignatureLen)
{
    TRACED_S("C_Sign", hSession,
             mac_sign(hSession, pData, ulDataLen, pSignature, pulSignatureLen));
}
static CK_RV w_SignUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart,
                          CK_ULONG ulPartLen)
{
    TRACED_S("C_SignUpdate", hSession,
             mac_update(hSession, pPart, ulPartLen, false));
}
static CK_RV w_SignFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSignature,
                         CK_ULONG_PTR pulSignatureLen)
{
    TRACED_S("C_SignFinal", hSession,
             mac_sign_final(hSession, pSignature, pulSignatureLen));
}
static CK_RV w_VerifyInit(CK_SESSION_HANDLE hSession,
                          CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey)
{
    trace_args("C_VerifyInit", pMechanism, NULL, 0);
    TRACED_S("C_VerifyInit", hSession,
             mac_init(hSession, pMechanism, hKey, true));
}
static CK_RV w_Verify(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData,
                      CK_ULONG ulDataLen, CK_BYTE_PTR pSignature,
                      CK_ULONG ulSignatureLen)
{
    TRACED_S("C_Verify", hSession,
             mac_verify(hSession, pData, ulDataLen, pSignature,
                        ulSignatureLen));
}
static CK_RV w_VerifyUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart,
                            CK_ULONG ulPartLen)
{
    TRACED_S("C_VerifyUpdate", hSession,
             mac_update(hSession, pPart, ulPartLen, true));
}
static CK_RV w_VerifyFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSignature,
                           CK_ULONG ulSignatureLen)
{
    TRACED_S("C_VerifyFinal", hSession,
             mac_verify_final(hSession, pSignature, ulSignatureLen));
}

/* Calls this token refuses by design, or that arrive with later issues. */
static CK_RV ready_then(CK_RV answer)
{
    CK_RV rv = module_ready();

    return rv != CKR_OK ? rv : answer;
}

/* A NULL pointer with a length is CKR_ARGUMENTS_BAD before what the call
 * would refuse anyway. */
static CK_RV w_CopyObject(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject,
                          CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount,
                          CK_OBJECT_HANDLE_PTR phNewObject)
{
    TRACED_S("C_CopyObject", hSession,
             ready_then((pTemplate == NULL && ulCount) || phNewObject == NULL
                            ? CKR_ARGUMENTS_BAD
                            : CKR_ACTION_PROHIBITED));
}
static CK_RV w_SeedRandom(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSeed,
                          CK_ULONG ulSeedLen)
{
    TRACED_S("C_SeedRandom", hSession,
             ready_then(pSeed == NULL && ulSeedLen
                            ? CKR_ARGUMENTS_BAD
                            : CKR_RANDOM_SEED_NOT_SUPPORTED));
}
static CK_RV w_DeriveKey(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
                         CK_OBJECT_HANDLE hBaseKey, CK_ATTRIBUTE_PTR pTemplate,
                         CK_ULONG ulAttributeCount, CK_OBJECT_HANDLE_PTR phKey)
{
    trace_args("C_DeriveKey", pMechanism, pTemplate, ulAttributeCount);
    TRACED_S("C_DeriveKey", hSession,
             derive_key(hSession, pMechanism, hBaseKey, pTemplate,
                        ulAttributeCount, phKey));
}
static CK_RV w_GetFunctionStatus(CK_SESSION_HANDLE hSession)
{
    TRACED_S("C_GetFunctionStatus", hSession,
             ready_then(CKR_FUNCTION_NOT_PARALLEL));
}
static CK_RV w_CancelFunction(CK_SESSION_HANDLE hSession)
{
    TRACED_S("C_CancelFunction", hSession,
             ready_then(CKR_FUNCTION_NOT_PARALLEL));
}

/* One stub per signature: each returns CKR_FUNCTION_NOT_SUPPORTED, after
 * CKR_CRYPTOKI_NOT_INITIALIZED and, for a session, after
 * CKR_SESSION_HANDLE_INVALID, like every other function. Stubs shared by
 * several functions name their parameters as the first of them does
 * (C_Encrypt for the one-shot calls, C_DigestUpdate for updates). */
#define NS TRACED("(not supported)", ready_then(CKR_FUNCTION_NOT_SUPPORTED));
#define NS_S                                                                   \
    TRACED_S("(not supported)", hSession,                                      \
             ready_then(CKR_FUNCTION_NOT_SUPPORTED));
static CK_RV ns_InitToken(CK_SLOT_ID slotID, CK_UTF8CHAR_PTR pPin,
                          CK_ULONG ulPinLen, CK_UTF8CHAR_PTR pLabel) { NS }
static CK_RV ns_InitPIN(CK_SESSION_HANDLE hSession, CK_UTF8CHAR_PTR pPin,
                        CK_ULONG ulPinLen) { NS_S }
static CK_RV ns_SetPIN(CK_SESSION_HANDLE hSession, CK_UTF8CHAR_PTR pOldPin,
                       CK_ULONG ulOldLen, CK_UTF8CHAR_PTR pNewPin,
                       CK_ULONG ulNewLen) { NS_S }
static CK_RV ns_GetOperationState(CK_SESSION_HANDLE hSession,
                                  CK_BYTE_PTR pOperationState,
                                  CK_ULONG_PTR pulOperationStateLen) { NS_S }
static CK_RV ns_SetOperationState(CK_SESSION_HANDLE hSession,
                                  CK_BYTE_PTR pOperationState,
                                  CK_ULONG ulOperationStateLen,
                                  CK_OBJECT_HANDLE hEncryptionKey,
                                  CK_OBJECT_HANDLE hAuthenticationKey) { NS_S }
static CK_RV ns_MechInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
                         CK_OBJECT_HANDLE hKey) { NS_S }
static CK_RV ns_DigestInit(CK_SESSION_HANDLE hSession,
                           CK_MECHANISM_PTR pMechanism) { NS_S }
static CK_RV ns_OneShot(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData,
                        CK_ULONG ulDataLen, CK_BYTE_PTR pEncryptedData,
                        CK_ULONG_PTR pulEncryptedDataLen) { NS_S }
static CK_RV ns_Update(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart,
                       CK_ULONG ulPartLen) { NS_S }
static CK_RV ns_Final(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pLastPart,
                      CK_ULONG_PTR pulLastPartLen) { NS_S }
static CK_RV ns_DigestKey(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hKey) { NS_S }
static CK_RV ns_VerifyRecover(CK_SESSION_HANDLE hSession,
                              CK_BYTE_PTR pSignature, CK_ULONG ulSignatureLen,
                              CK_BYTE_PTR pData, CK_ULONG_PTR pulDataLen) { NS_S }
static CK_RV ns_GenerateKeyPair(CK_SESSION_HANDLE hSession,
                                CK_MECHANISM_PTR pMechanism,
                                CK_ATTRIBUTE_PTR pPublicKeyTemplate,
                                CK_ULONG ulPublicKeyAttributeCount,
                                CK_ATTRIBUTE_PTR pPrivateKeyTemplate,
                                CK_ULONG ulPrivateKeyAttributeCount,
                                CK_OBJECT_HANDLE_PTR phPublicKey,
                                CK_OBJECT_HANDLE_PTR phPrivateKey) { NS_S }
static CK_RV ns_WrapKey(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
                        CK_OBJECT_HANDLE hWrappingKey, CK_OBJECT_HANDLE hKey,
                        CK_BYTE_PTR pWrappedKey,
                        CK_ULONG_PTR pulWrappedKeyLen) { NS_S }
static CK_RV ns_UnwrapKey(CK_SESSION_HANDLE hSession,
                          CK_MECHANISM_PTR pMechanism,
                          CK_OBJECT_HANDLE hUnwrappingKey,
                          CK_BYTE_PTR pWrappedKey, CK_ULONG ulWrappedKeyLen,
                          CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulAttributeCount,
                          CK_OBJECT_HANDLE_PTR phKey) { NS_S }
static CK_RV ns_WaitForSlotEvent(CK_FLAGS flags, CK_SLOT_ID_PTR pSlot,
                                 CK_VOID_PTR pReserved) { NS }
static CK_RV ns_SessionCancel(CK_SESSION_HANDLE hSession, CK_FLAGS flags) { NS_S }
static CK_RV ns_CryptMessage(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter,
                             CK_ULONG ulParameterLen,
                             CK_BYTE_PTR pAssociatedData,
                             CK_ULONG ulAssociatedDataLen,
                             CK_BYTE_PTR pPlaintext, CK_ULONG ulPlaintextLen,
                             CK_BYTE_PTR pCiphertext,
                             CK_ULONG_PTR pulCiphertextLen) { NS_S }
static CK_RV ns_CryptMessageBegin(CK_SESSION_HANDLE hSession,
                                  CK_VOID_PTR pParameter,
                                  CK_ULONG ulParameterLen,
                                  CK_BYTE_PTR pAssociatedData,
                                  CK_ULONG ulAssociatedDataLen) { NS_S }
static CK_RV ns_CryptMessageNext(CK_SESSION_HANDLE hSession,
                                 CK_VOID_PTR pParameter, CK_ULONG ulParameterLen,
                                 CK_BYTE_PTR pPlaintextPart,
                                 CK_ULONG ulPlaintextPartLen,
                                 CK_BYTE_PTR pCiphertextPart,
                                 CK_ULONG_PTR pulCiphertextPartLen,
                                 CK_FLAGS flags) { NS_S }
static CK_RV ns_MessageFinal(CK_SESSION_HANDLE hSession) { NS_S }
static CK_RV ns_SignMessage(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter,
                            CK_ULONG ulParameterLen, CK_BYTE_PTR pData,
                            CK_ULONG ulDataLen, CK_BYTE_PTR pSignature,
                            CK_ULONG_PTR pulSignatureLen) { NS_S }
static CK_RV ns_SignMessageBegin(CK_SESSION_HANDLE hSession,
                                 CK_VOID_PTR pParameter,
                                 CK_ULONG ulParameterLen) { NS_S }
static CK_RV ns_SignMessageNext(CK_SESSION_HANDLE hSession,
                                CK_VOID_PTR pParameter, CK_ULONG ulParameterLen,
                                CK_BYTE_PTR pData, CK_ULONG ulDataLen,
                                CK_BYTE_PTR pSignature,
                                CK_ULONG_PTR pulSignatureLen) { NS_S }
static CK_RV ns_VerifyMessage(CK_SESSION_HANDLE hSession,
                              CK_VOID_PTR pParameter, CK_ULONG ulParameterLen,
                              CK_BYTE_PTR pData, CK_ULONG ulDataLen,
                              CK_BYTE_PTR pSignature,
                              CK_ULONG ulSignatureLen) { NS_S }
static CK_RV ns_VerifyMessageNext(CK_SESSION_HANDLE hSession,
                                  CK_VOID_PTR pParameter,
                                  CK_ULONG ulParameterLen, CK_BYTE_PTR pData,
                                  CK_ULONG ulDataLen, CK_BYTE_PTR pSignature,
                                  CK_ULONG ulSignatureLen) { NS_S }
#undef NS
#undef NS_S

static CK_RV w_LoginUser(CK_SESSION_HANDLE hSession, CK_USER_TYPE userType,
                         CK_UTF8CHAR_PTR pPin, CK_ULONG ulPinLen,
                         CK_UTF8CHAR_PTR pUsername, CK_ULONG ulUsernameLen)
{
    /* No named users: without a name it is C_Login. */
    TRACED_S("C_LoginUser", hSession,
             ulUsernameLen == 0
                 ? session_login(hSession, userType, pPin, ulPinLen)
                 : ready_then(CKR_FUNCTION_NOT_SUPPORTED));
}

CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR ppFunctionList) EXPORT;
CK_RV C_GetInterfaceList(CK_INTERFACE_PTR pInterfacesList,
                         CK_ULONG_PTR pulCount) EXPORT;
CK_RV C_GetInterface(CK_UTF8CHAR_PTR pInterfaceName, CK_VERSION_PTR pVersion,
                     CK_INTERFACE_PTR_PTR ppInterface, CK_FLAGS flags) EXPORT;

/* Designated initializers: two slots of one signature cannot be swapped
 * without the names showing it. */
#define FUNCTIONS_2_40                           \
    .C_Initialize = w_Initialize,                \
    .C_Finalize = w_Finalize,                    \
    .C_GetInfo = w_GetInfo,                      \
    .C_GetFunctionList = C_GetFunctionList,      \
    .C_GetSlotList = w_GetSlotList,              \
    .C_GetSlotInfo = w_GetSlotInfo,              \
    .C_GetTokenInfo = w_GetTokenInfo,            \
    .C_GetMechanismList = w_GetMechanismList,    \
    .C_GetMechanismInfo = w_GetMechanismInfo,    \
    .C_InitToken = ns_InitToken,                 \
    .C_InitPIN = ns_InitPIN,                     \
    .C_SetPIN = ns_SetPIN,                       \
    .C_OpenSession = w_OpenSession,              \
    .C_CloseSession = w_CloseSession,            \
    .C_CloseAllSessions = w_CloseAllSessions,    \
    .C_GetSessionInfo = w_GetSessionInfo,        \
    .C_GetOperationState = ns_GetOperationState, \
    .C_SetOperationState = ns_SetOperationState, \
    .C_Login = w_Login,                          \
    .C_Logout = w_Logout,                        \
    .C_CreateObject = w_CreateObject,            \
    .C_CopyObject = w_CopyObject,                \
    .C_DestroyObject = w_DestroyObject,          \
    .C_GetObjectSize = w_GetObjectSize,          \
    .C_GetAttributeValue = w_GetAttributeValue,  \
    .C_SetAttributeValue = w_SetAttributeValue,  \
    .C_FindObjectsInit = w_FindObjectsInit,      \
    .C_FindObjects = w_FindObjects,              \
    .C_FindObjectsFinal = w_FindObjectsFinal,    \
    .C_EncryptInit = ns_MechInit,                \
    .C_Encrypt = ns_OneShot,                     \
    .C_EncryptUpdate = ns_OneShot,               \
    .C_EncryptFinal = ns_Final,                  \
    .C_DecryptInit = ns_MechInit,                \
    .C_Decrypt = ns_OneShot,                     \
    .C_DecryptUpdate = ns_OneShot,               \
    .C_DecryptFinal = ns_Final,                  \
    .C_DigestInit = ns_DigestInit,               \
    .C_Digest = ns_OneShot,                      \
    .C_DigestUpdate = ns_Update,                 \
    .C_DigestKey = ns_DigestKey,                 \
    .C_DigestFinal = ns_Final,                   \
    .C_SignInit = w_SignInit,                    \
    .C_Sign = w_Sign,                            \
    .C_SignUpdate = w_SignUpdate,                \
    .C_SignFinal = w_SignFinal,                  \
    .C_SignRecoverInit = ns_MechInit,            \
    .C_SignRecover = ns_OneShot,                 \
    .C_VerifyInit = w_VerifyInit,                \
    .C_Verify = w_Verify,                        \
    .C_VerifyUpdate = w_VerifyUpdate,            \
    .C_VerifyFinal = w_VerifyFinal,              \
    .C_VerifyRecoverInit = ns_MechInit,          \
    .C_VerifyRecover = ns_VerifyRecover,         \
    .C_DigestEncryptUpdate = ns_OneShot,         \
    .C_DecryptDigestUpdate = ns_OneShot,         \
    .C_SignEncryptUpdate = ns_OneShot,           \
    .C_DecryptVerifyUpdate = ns_OneShot,         \
    .C_GenerateKey = w_GenerateKey,              \
    .C_GenerateKeyPair = ns_GenerateKeyPair,     \
    .C_WrapKey = ns_WrapKey,                     \
    .C_UnwrapKey = ns_UnwrapKey,                 \
    .C_DeriveKey = w_DeriveKey,                  \
    .C_SeedRandom = w_SeedRandom,                \
    .C_GenerateRandom = w_GenerateRandom,        \
    .C_GetFunctionStatus = w_GetFunctionStatus,  \
    .C_CancelFunction = w_CancelFunction,        \
    .C_WaitForSlotEvent = ns_WaitForSlotEvent

static CK_FUNCTION_LIST list_2_40 = {.version = {2, 40}, FUNCTIONS_2_40};

static CK_FUNCTION_LIST_3_0 list_3_0 = {
    .version = {3, 0},
    FUNCTIONS_2_40,
    .C_GetInterfaceList = C_GetInterfaceList,
    .C_GetInterface = C_GetInterface,
    .C_LoginUser = w_LoginUser,
    .C_SessionCancel = ns_SessionCancel,
    .C_MessageEncryptInit = ns_MechInit,
    .C_EncryptMessage = ns_CryptMessage,
    .C_EncryptMessageBegin = ns_CryptMessageBegin,
    .C_EncryptMessageNext = ns_CryptMessageNext,
    .C_MessageEncryptFinal = ns_MessageFinal,
    .C_MessageDecryptInit = ns_MechInit,
    .C_DecryptMessage = ns_CryptMessage,
    .C_DecryptMessageBegin = ns_CryptMessageBegin,
    .C_DecryptMessageNext = ns_CryptMessageNext,
    .C_MessageDecryptFinal = ns_MessageFinal,
    .C_MessageSignInit = ns_MechInit,
    .C_SignMessage = ns_SignMessage,
    .C_SignMessageBegin = ns_SignMessageBegin,
    .C_SignMessageNext = ns_SignMessageNext,
    .C_MessageSignFinal = ns_MessageFinal,
    .C_MessageVerifyInit = ns_MechInit,
    .C_VerifyMessage = ns_VerifyMessage,
    .C_VerifyMessageBegin = ns_SignMessageBegin,
    .C_VerifyMessageNext = ns_VerifyMessageNext,
    .C_MessageVerifyFinal = ns_MessageFinal,
};

/* 3.0 first: it is the default interface. */
static CK_INTERFACE interfaces[] = {
    {(CK_UTF8CHAR_PTR) "PKCS 11", &list_3_0, 0},
    {(CK_UTF8CHAR_PTR) "PKCS 11", &list_2_40, 0},
};
#define INTERFACE_COUNT (sizeof(interfaces) / sizeof(interfaces[0]))

CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR ppFunctionList)
{
    if (ppFunctionList == NULL)
        return CKR_ARGUMENTS_BAD;
    *ppFunctionList = &list_2_40;
    return CKR_OK;
}

CK_RV C_GetInterfaceList(CK_INTERFACE_PTR pInterfacesList,
                         CK_ULONG_PTR pulCount)
{
    CK_RV rv = CKR_OK;

    if (pulCount == NULL)
        return CKR_ARGUMENTS_BAD;
    if (pInterfacesList != NULL) {
        if (*pulCount < INTERFACE_COUNT)
            rv = CKR_BUFFER_TOO_SMALL;
        else
            memcpy(pInterfacesList, interfaces, sizeof(interfaces));
    }
    *pulCount = INTERFACE_COUNT;
    return rv;
}

CK_RV C_GetInterface(CK_UTF8CHAR_PTR pInterfaceName, CK_VERSION_PTR pVersion,
                     CK_INTERFACE_PTR_PTR ppInterface, CK_FLAGS flags)
{
    if (ppInterface == NULL)
        return CKR_ARGUMENTS_BAD;
    for (size_t i = 0; i < INTERFACE_COUNT; i++) {
        const CK_VERSION *v = interfaces[i].pFunctionList;
        if (pInterfaceName &&
            strcmp((const char *)pInterfaceName,
                   (const char *)interfaces[i].pInterfaceName) != 0)
            continue;
        if (pVersion && (pVersion->major != v->major ||
                         pVersion->minor != v->minor))
            continue;
        if ((interfaces[i].flags & flags) != flags)
            continue;
        *ppInterface = &interfaces[i];
        return CKR_OK;
    }
    /* No such interface (also: CKF_INTERFACE_FORK_SAFE, which we are not). */
    return CKR_ARGUMENTS_BAD;
}
