/* SPDX-License-Identifier: BSD-3-Clause */
/* Every C_* function as a thin wrapper that traces its call and result
 * (SKIP_PKCS11_DEBUG=entry), the 2.40 and 3.0 function lists, and the
 * three exported entry points. Nothing else leaves the module. */
#include "config.h"
#include "general.h"
#include "internal.h"

#include <string.h>

#include "skip/log.h"

#define EXPORT __attribute__((visibility("default")))

/* Runs call, tracing name on the way in and the result on the way out. */
#define TRACED(name, call)                                                     \
    do {                                                                       \
        CK_RV rv_;                                                             \
        skip_debug("entry", "%s in", name);                                    \
        rv_ = (call);                                                          \
        skip_debug("entry", "%s out: %s", name, errmap_rv_name(rv_));          \
        return rv_;                                                            \
    } while (0)

static CK_RV w_Initialize(CK_VOID_PTR a)
{ TRACED("C_Initialize", general_initialize(a)); }
static CK_RV w_Finalize(CK_VOID_PTR a)
{ TRACED("C_Finalize", general_finalize(a)); }
static CK_RV w_GetInfo(CK_INFO_PTR a)
{ TRACED("C_GetInfo", general_get_info(a)); }
static CK_RV w_GetSlotList(CK_BBOOL a, CK_SLOT_ID_PTR b, CK_ULONG_PTR c)
{ TRACED("C_GetSlotList", slot_get_list(a, b, c)); }
static CK_RV w_GetSlotInfo(CK_SLOT_ID a, CK_SLOT_INFO_PTR b)
{ TRACED("C_GetSlotInfo", slot_get_info(a, b)); }
static CK_RV w_GetTokenInfo(CK_SLOT_ID a, CK_TOKEN_INFO_PTR b)
{ TRACED("C_GetTokenInfo", slot_get_token_info(a, b)); }
static CK_RV w_GetMechanismList(CK_SLOT_ID a, CK_MECHANISM_TYPE_PTR b,
                                CK_ULONG_PTR c)
{ TRACED("C_GetMechanismList", slot_get_mechanism_list(a, b, c)); }
static CK_RV w_GetMechanismInfo(CK_SLOT_ID a, CK_MECHANISM_TYPE b,
                                CK_MECHANISM_INFO_PTR c)
{ TRACED("C_GetMechanismInfo", slot_get_mechanism_info(a, b, c)); }
static CK_RV w_OpenSession(CK_SLOT_ID a, CK_FLAGS b, CK_VOID_PTR c,
                           CK_NOTIFY d, CK_SESSION_HANDLE_PTR e)
{ TRACED("C_OpenSession", session_open(a, b, e)); }
static CK_RV w_CloseSession(CK_SESSION_HANDLE a)
{ TRACED("C_CloseSession", session_close(a)); }
static CK_RV w_CloseAllSessions(CK_SLOT_ID a)
{ TRACED("C_CloseAllSessions", session_close_all(a)); }
static CK_RV w_GetSessionInfo(CK_SESSION_HANDLE a, CK_SESSION_INFO_PTR b)
{ TRACED("C_GetSessionInfo", session_get_info(a, b)); }
static CK_RV w_Login(CK_SESSION_HANDLE a, CK_USER_TYPE b, CK_UTF8CHAR_PTR c,
                     CK_ULONG d)
{ TRACED("C_Login", session_login(a, b, c, d)); }
static CK_RV w_Logout(CK_SESSION_HANDLE a)
{ TRACED("C_Logout", session_logout(a)); }
static CK_RV w_CreateObject(CK_SESSION_HANDLE a, CK_ATTRIBUTE_PTR b,
                            CK_ULONG c, CK_OBJECT_HANDLE_PTR d)
{ TRACED("C_CreateObject", object_create(a, b, c, d)); }
static CK_RV w_DestroyObject(CK_SESSION_HANDLE a, CK_OBJECT_HANDLE b)
{ TRACED("C_DestroyObject", object_destroy(a, b)); }
static CK_RV w_GetObjectSize(CK_SESSION_HANDLE a, CK_OBJECT_HANDLE b,
                             CK_ULONG_PTR c)
{ TRACED("C_GetObjectSize", object_get_size(a, b, c)); }
static CK_RV w_GetAttributeValue(CK_SESSION_HANDLE a, CK_OBJECT_HANDLE b,
                                 CK_ATTRIBUTE_PTR c, CK_ULONG d)
{ TRACED("C_GetAttributeValue", object_get_attributes(a, b, c, d)); }
static CK_RV w_SetAttributeValue(CK_SESSION_HANDLE a, CK_OBJECT_HANDLE b,
                                 CK_ATTRIBUTE_PTR c, CK_ULONG d)
{ TRACED("C_SetAttributeValue", object_set_attributes(a, b, c, d)); }
static CK_RV w_FindObjectsInit(CK_SESSION_HANDLE a, CK_ATTRIBUTE_PTR b,
                               CK_ULONG c)
{ TRACED("C_FindObjectsInit", object_find_init(a, b, c)); }
static CK_RV w_FindObjects(CK_SESSION_HANDLE a, CK_OBJECT_HANDLE_PTR b,
                           CK_ULONG c, CK_ULONG_PTR d)
{ TRACED("C_FindObjects", object_find(a, b, c, d)); }
static CK_RV w_FindObjectsFinal(CK_SESSION_HANDLE a)
{ TRACED("C_FindObjectsFinal", object_find_final(a)); }
static CK_RV w_GenerateKey(CK_SESSION_HANDLE a, CK_MECHANISM_PTR b,
                           CK_ATTRIBUTE_PTR c, CK_ULONG d,
                           CK_OBJECT_HANDLE_PTR e)
{ TRACED("C_GenerateKey", keygen_generate(a, b, c, d, e)); }
static CK_RV w_GenerateRandom(CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG c)
{ TRACED("C_GenerateRandom", random_generate(a, b, c)); }
static CK_RV w_SignInit(CK_SESSION_HANDLE a, CK_MECHANISM_PTR b,
                        CK_OBJECT_HANDLE c)
{ TRACED("C_SignInit", mac_init(a, b, c, false)); }
static CK_RV w_Sign(CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG c,
                    CK_BYTE_PTR d, CK_ULONG_PTR e)
{ TRACED("C_Sign", mac_sign(a, b, c, d, e)); }
static CK_RV w_SignUpdate(CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG c)
{ TRACED("C_SignUpdate", mac_update(a, b, c, false)); }
static CK_RV w_SignFinal(CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG_PTR c)
{ TRACED("C_SignFinal", mac_sign_final(a, b, c)); }
static CK_RV w_VerifyInit(CK_SESSION_HANDLE a, CK_MECHANISM_PTR b,
                          CK_OBJECT_HANDLE c)
{ TRACED("C_VerifyInit", mac_init(a, b, c, true)); }
static CK_RV w_Verify(CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG c,
                      CK_BYTE_PTR d, CK_ULONG e)
{ TRACED("C_Verify", mac_verify(a, b, c, d, e)); }
static CK_RV w_VerifyUpdate(CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG c)
{ TRACED("C_VerifyUpdate", mac_update(a, b, c, true)); }
static CK_RV w_VerifyFinal(CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG c)
{ TRACED("C_VerifyFinal", mac_verify_final(a, b, c)); }

/* Calls this token refuses by design, or that arrive with later issues. */
static CK_RV ready_then(CK_RV answer)
{
    CK_RV rv = module_ready();

    return rv != CKR_OK ? rv : answer;
}

static CK_RV w_CopyObject(CK_SESSION_HANDLE a, CK_OBJECT_HANDLE b,
                          CK_ATTRIBUTE_PTR c, CK_ULONG d,
                          CK_OBJECT_HANDLE_PTR e)
{ TRACED("C_CopyObject", ready_then(CKR_ACTION_PROHIBITED)); }
static CK_RV w_SeedRandom(CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG c)
{ TRACED("C_SeedRandom", ready_then(CKR_RANDOM_SEED_NOT_SUPPORTED)); }
static CK_RV w_DeriveKey(CK_SESSION_HANDLE a, CK_MECHANISM_PTR b,
                         CK_OBJECT_HANDLE c, CK_ATTRIBUTE_PTR d, CK_ULONG e,
                         CK_OBJECT_HANDLE_PTR f)
{ TRACED("C_DeriveKey", derive_key(a, b, c, d, e, f)); }
static CK_RV w_GetFunctionStatus(CK_SESSION_HANDLE a)
{ return CKR_FUNCTION_NOT_PARALLEL; }
static CK_RV w_CancelFunction(CK_SESSION_HANDLE a)
{ return CKR_FUNCTION_NOT_PARALLEL; }

/* One stub per signature: each returns CKR_FUNCTION_NOT_SUPPORTED. */
#define NS return CKR_FUNCTION_NOT_SUPPORTED;
static CK_RV ns_InitToken(CK_SLOT_ID a, CK_UTF8CHAR_PTR b, CK_ULONG c,
                          CK_UTF8CHAR_PTR d) { NS }
static CK_RV ns_InitPIN(CK_SESSION_HANDLE a, CK_UTF8CHAR_PTR b, CK_ULONG c) { NS }
static CK_RV ns_SetPIN(CK_SESSION_HANDLE a, CK_UTF8CHAR_PTR b, CK_ULONG c,
                       CK_UTF8CHAR_PTR d, CK_ULONG e) { NS }
static CK_RV ns_GetOperationState(CK_SESSION_HANDLE a, CK_BYTE_PTR b,
                                  CK_ULONG_PTR c) { NS }
static CK_RV ns_SetOperationState(CK_SESSION_HANDLE a, CK_BYTE_PTR b,
                                  CK_ULONG c, CK_OBJECT_HANDLE d,
                                  CK_OBJECT_HANDLE e) { NS }
static CK_RV ns_MechInit(CK_SESSION_HANDLE a, CK_MECHANISM_PTR b,
                         CK_OBJECT_HANDLE c) { NS }
static CK_RV ns_DigestInit(CK_SESSION_HANDLE a, CK_MECHANISM_PTR b) { NS }
static CK_RV ns_OneShot(CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG c,
                        CK_BYTE_PTR d, CK_ULONG_PTR e) { NS }
static CK_RV ns_Update(CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG c) { NS }
static CK_RV ns_Final(CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG_PTR c) { NS }
static CK_RV ns_DigestKey(CK_SESSION_HANDLE a, CK_OBJECT_HANDLE b) { NS }
static CK_RV ns_VerifyRecover(CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG c,
                              CK_BYTE_PTR d, CK_ULONG_PTR e) { NS }
static CK_RV ns_GenerateKeyPair(CK_SESSION_HANDLE a, CK_MECHANISM_PTR b,
                                CK_ATTRIBUTE_PTR c, CK_ULONG d,
                                CK_ATTRIBUTE_PTR e, CK_ULONG f,
                                CK_OBJECT_HANDLE_PTR g,
                                CK_OBJECT_HANDLE_PTR h) { NS }
static CK_RV ns_WrapKey(CK_SESSION_HANDLE a, CK_MECHANISM_PTR b,
                        CK_OBJECT_HANDLE c, CK_OBJECT_HANDLE d, CK_BYTE_PTR e,
                        CK_ULONG_PTR f) { NS }
static CK_RV ns_UnwrapKey(CK_SESSION_HANDLE a, CK_MECHANISM_PTR b,
                          CK_OBJECT_HANDLE c, CK_BYTE_PTR d, CK_ULONG e,
                          CK_ATTRIBUTE_PTR f, CK_ULONG g,
                          CK_OBJECT_HANDLE_PTR h) { NS }
static CK_RV ns_WaitForSlotEvent(CK_FLAGS a, CK_SLOT_ID_PTR b,
                                 CK_VOID_PTR c) { NS }
static CK_RV ns_SessionCancel(CK_SESSION_HANDLE a, CK_FLAGS b) { NS }
static CK_RV ns_CryptMessage(CK_SESSION_HANDLE a, CK_VOID_PTR b, CK_ULONG c,
                             CK_BYTE_PTR d, CK_ULONG e, CK_BYTE_PTR f,
                             CK_ULONG g, CK_BYTE_PTR h, CK_ULONG_PTR i) { NS }
static CK_RV ns_CryptMessageBegin(CK_SESSION_HANDLE a, CK_VOID_PTR b,
                                  CK_ULONG c, CK_BYTE_PTR d, CK_ULONG e) { NS }
static CK_RV ns_CryptMessageNext(CK_SESSION_HANDLE a, CK_VOID_PTR b,
                                 CK_ULONG c, CK_BYTE_PTR d, CK_ULONG e,
                                 CK_BYTE_PTR f, CK_ULONG_PTR g,
                                 CK_FLAGS h) { NS }
static CK_RV ns_MessageFinal(CK_SESSION_HANDLE a) { NS }
static CK_RV ns_SignMessage(CK_SESSION_HANDLE a, CK_VOID_PTR b, CK_ULONG c,
                            CK_BYTE_PTR d, CK_ULONG e, CK_BYTE_PTR f,
                            CK_ULONG_PTR g) { NS }
static CK_RV ns_SignMessageBegin(CK_SESSION_HANDLE a, CK_VOID_PTR b,
                                 CK_ULONG c) { NS }
static CK_RV ns_SignMessageNext(CK_SESSION_HANDLE a, CK_VOID_PTR b, CK_ULONG c,
                                CK_BYTE_PTR d, CK_ULONG e, CK_BYTE_PTR f,
                                CK_ULONG_PTR g) { NS }
static CK_RV ns_VerifyMessage(CK_SESSION_HANDLE a, CK_VOID_PTR b, CK_ULONG c,
                              CK_BYTE_PTR d, CK_ULONG e, CK_BYTE_PTR f,
                              CK_ULONG g) { NS }
static CK_RV ns_VerifyMessageNext(CK_SESSION_HANDLE a, CK_VOID_PTR b,
                                  CK_ULONG c, CK_BYTE_PTR d, CK_ULONG e,
                                  CK_BYTE_PTR f, CK_ULONG g) { NS }
#undef NS

static CK_RV w_LoginUser(CK_SESSION_HANDLE a, CK_USER_TYPE b,
                         CK_UTF8CHAR_PTR c, CK_ULONG d, CK_UTF8CHAR_PTR e,
                         CK_ULONG f)
{
    /* No named users: without a name it is C_Login. */
    TRACED("C_LoginUser", f == 0 ? session_login(a, b, c, d)
                                 : CKR_FUNCTION_NOT_SUPPORTED);
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
