/* SPDX-License-Identifier: BSD-3-Clause */
/* The PKCS#11 header for the module: the system's 2.40 pkcs11.h (p11-kit)
 * plus the 3.0/3.1 definitions it lacks, written from the published values
 * (see shared spec/pkcs11-key-policy.md, section 1). Each is guarded so a
 * newer system header wins. */
#ifndef SKIP_PKCS11_3_H
#define SKIP_PKCS11_3_H

#include <p11-kit/pkcs11.h>

#ifndef CKA_UNIQUE_ID
#define CKA_UNIQUE_ID 0x00000004UL
#endif
#ifndef CKF_INTERFACE_FORK_SAFE
#define CKF_INTERFACE_FORK_SAFE 0x00000001UL
#endif
#ifndef CKR_TOKEN_RESOURCE_EXCEEDED
#define CKR_TOKEN_RESOURCE_EXCEEDED 0x00000201UL
#endif
#ifndef CKR_OPERATION_CANCEL_FAILED
#define CKR_OPERATION_CANCEL_FAILED 0x00000202UL
#endif
#ifndef CKR_AEAD_DECRYPT_FAILED
#define CKR_AEAD_DECRYPT_FAILED 0x00000042UL
#endif

/* Key derivation (3.0 HKDF, 3.1 IKE prf+) and NSS's number for prf+. */
#ifndef CKM_HKDF_DERIVE
#define CKM_HKDF_DERIVE 0x0000402AUL
#endif
#ifndef CKK_HKDF
#define CKK_HKDF 0x00000042UL
#endif
#ifndef CKF_HKDF_SALT_NULL
#define CKF_HKDF_SALT_NULL 0x00000001UL
#define CKF_HKDF_SALT_DATA 0x00000002UL
#define CKF_HKDF_SALT_KEY 0x00000004UL
#endif
#ifndef CKM_IKE2_PRF_PLUS_DERIVE
#define CKM_IKE2_PRF_PLUS_DERIVE 0x0000402EUL
#endif
#define CKM_NSS_IKE_PRF_PLUS_DERIVE 0xCE534372UL

#ifndef CK_HKDF_PARAMS_DEFINED
#define CK_HKDF_PARAMS_DEFINED
typedef struct CK_HKDF_PARAMS {
    CK_BBOOL bExtract;
    CK_BBOOL bExpand;
    CK_MECHANISM_TYPE prfHashMechanism;
    CK_ULONG ulSaltType;
    CK_BYTE_PTR pSalt;
    CK_ULONG ulSaltLen;
    CK_OBJECT_HANDLE hSaltKey;
    CK_BYTE_PTR pInfo;
    CK_ULONG ulInfoLen;
} CK_HKDF_PARAMS;
#endif

#ifndef CK_IKE2_PRF_PLUS_DERIVE_PARAMS_DEFINED
#define CK_IKE2_PRF_PLUS_DERIVE_PARAMS_DEFINED
typedef struct CK_IKE2_PRF_PLUS_DERIVE_PARAMS {
    CK_MECHANISM_TYPE prfMechanism;
    CK_BBOOL bHasSeedKey;
    CK_OBJECT_HANDLE hSeedKey;
    CK_BYTE_PTR pSeedData;
    CK_ULONG ulSeedDataLen;
} CK_IKE2_PRF_PLUS_DERIVE_PARAMS;
#endif

/* NIST SP 800-108 counter mode (3.0). */
#ifndef CKM_SP800_108_COUNTER_KDF
#define CKM_SP800_108_COUNTER_KDF 0x000003ACUL
#define CKM_SP800_108_FEEDBACK_KDF 0x000003ADUL
#define CKM_SP800_108_DOUBLE_PIPELINE_KDF 0x000003AEUL
#define CK_SP800_108_ITERATION_VARIABLE 0x00000001UL
#define CK_SP800_108_OPTIONAL_COUNTER 0x00000002UL
#define CK_SP800_108_DKM_LENGTH 0x00000003UL
#define CK_SP800_108_BYTE_ARRAY 0x00000004UL
#define CK_SP800_108_DKM_LENGTH_SUM_OF_KEYS 0x00000001UL
#define CK_SP800_108_DKM_LENGTH_SUM_OF_SEGMENTS 0x00000002UL

typedef struct CK_PRF_DATA_PARAM {
    CK_ULONG type;
    CK_VOID_PTR pValue;
    CK_ULONG ulValueLen;
} CK_PRF_DATA_PARAM;

typedef struct CK_SP800_108_COUNTER_FORMAT {
    CK_BBOOL bLittleEndian;
    CK_ULONG ulWidthInBits;
} CK_SP800_108_COUNTER_FORMAT;

typedef struct CK_SP800_108_DKM_LENGTH_FORMAT {
    CK_ULONG dkmLengthMethod;
    CK_BBOOL bLittleEndian;
    CK_ULONG ulWidthInBits;
} CK_SP800_108_DKM_LENGTH_FORMAT;

typedef struct CK_DERIVED_KEY {
    CK_ATTRIBUTE_PTR pTemplate;
    CK_ULONG ulAttributeCount;
    CK_OBJECT_HANDLE_PTR phKey;
} CK_DERIVED_KEY;

typedef struct CK_SP800_108_KDF_PARAMS {
    CK_MECHANISM_TYPE prfType;
    CK_ULONG ulNumberOfDataParams;
    CK_PRF_DATA_PARAM *pDataParams;
    CK_ULONG ulAdditionalDerivedKeys;
    CK_DERIVED_KEY *pAdditionalDerivedKeys;
} CK_SP800_108_KDF_PARAMS;
#endif

/* Our vendor attribute: the remote KP a key is shared with (UTF-8). */
#define CKA_SKIP_REMOTE_SYSTEM_ID (CKA_VENDOR_DEFINED | 0x00534B01UL)

typedef CK_ULONG CK_MAC_GENERAL_PARAMS;

#ifndef CK_INTERFACE_DEFINED
#define CK_INTERFACE_DEFINED
typedef struct CK_INTERFACE {
    CK_UTF8CHAR_PTR pInterfaceName;
    CK_VOID_PTR pFunctionList;
    CK_FLAGS flags;
} CK_INTERFACE;
typedef CK_INTERFACE *CK_INTERFACE_PTR;
typedef CK_INTERFACE **CK_INTERFACE_PTR_PTR;
#endif

/* The two 3.0 entry points a module exports besides C_GetFunctionList. */
CK_RV C_GetInterfaceList(CK_INTERFACE_PTR pInterfacesList,
                         CK_ULONG_PTR pulCount);
CK_RV C_GetInterface(CK_UTF8CHAR_PTR pInterfaceName, CK_VERSION_PTR pVersion,
                     CK_INTERFACE_PTR_PTR ppInterface, CK_FLAGS flags);

/* The 3.0 functions, in the order of CK_FUNCTION_LIST_3_0. */
typedef CK_RV (*CK_C_GetInterfaceList_3)(CK_INTERFACE_PTR, CK_ULONG_PTR);
typedef CK_RV (*CK_C_GetInterface_3)(CK_UTF8CHAR_PTR, CK_VERSION_PTR,
                                     CK_INTERFACE_PTR_PTR, CK_FLAGS);
typedef CK_RV (*CK_C_LoginUser_3)(CK_SESSION_HANDLE, CK_USER_TYPE,
                                  CK_UTF8CHAR_PTR, CK_ULONG, CK_UTF8CHAR_PTR,
                                  CK_ULONG);
typedef CK_RV (*CK_C_SessionCancel_3)(CK_SESSION_HANDLE, CK_FLAGS);
typedef CK_RV (*CK_C_MessageInit_3)(CK_SESSION_HANDLE, CK_MECHANISM_PTR,
                                    CK_OBJECT_HANDLE);
typedef CK_RV (*CK_C_CryptMessage_3)(CK_SESSION_HANDLE, CK_VOID_PTR, CK_ULONG,
                                     CK_BYTE_PTR, CK_ULONG, CK_BYTE_PTR,
                                     CK_ULONG, CK_BYTE_PTR, CK_ULONG_PTR);
typedef CK_RV (*CK_C_CryptMessageBegin_3)(CK_SESSION_HANDLE, CK_VOID_PTR,
                                          CK_ULONG, CK_BYTE_PTR, CK_ULONG);
typedef CK_RV (*CK_C_CryptMessageNext_3)(CK_SESSION_HANDLE, CK_VOID_PTR,
                                         CK_ULONG, CK_BYTE_PTR, CK_ULONG,
                                         CK_BYTE_PTR, CK_ULONG_PTR, CK_FLAGS);
typedef CK_RV (*CK_C_MessageFinal_3)(CK_SESSION_HANDLE);
typedef CK_RV (*CK_C_SignMessage_3)(CK_SESSION_HANDLE, CK_VOID_PTR, CK_ULONG,
                                    CK_BYTE_PTR, CK_ULONG, CK_BYTE_PTR,
                                    CK_ULONG_PTR);
typedef CK_RV (*CK_C_SignMessageBegin_3)(CK_SESSION_HANDLE, CK_VOID_PTR,
                                         CK_ULONG);
typedef CK_RV (*CK_C_SignMessageNext_3)(CK_SESSION_HANDLE, CK_VOID_PTR,
                                        CK_ULONG, CK_BYTE_PTR, CK_ULONG,
                                        CK_BYTE_PTR, CK_ULONG_PTR);
typedef CK_RV (*CK_C_VerifyMessage_3)(CK_SESSION_HANDLE, CK_VOID_PTR, CK_ULONG,
                                      CK_BYTE_PTR, CK_ULONG, CK_BYTE_PTR,
                                      CK_ULONG);
typedef CK_RV (*CK_C_VerifyMessageNext_3)(CK_SESSION_HANDLE, CK_VOID_PTR,
                                          CK_ULONG, CK_BYTE_PTR, CK_ULONG,
                                          CK_BYTE_PTR, CK_ULONG);

/* CK_FUNCTION_LIST_3_0: the 2.40 list, then the 24 functions of 3.0. */
typedef struct CK_FUNCTION_LIST_3_0 {
    CK_VERSION version;
    CK_C_Initialize C_Initialize;
    CK_C_Finalize C_Finalize;
    CK_C_GetInfo C_GetInfo;
    CK_C_GetFunctionList C_GetFunctionList;
    CK_C_GetSlotList C_GetSlotList;
    CK_C_GetSlotInfo C_GetSlotInfo;
    CK_C_GetTokenInfo C_GetTokenInfo;
    CK_C_GetMechanismList C_GetMechanismList;
    CK_C_GetMechanismInfo C_GetMechanismInfo;
    CK_C_InitToken C_InitToken;
    CK_C_InitPIN C_InitPIN;
    CK_C_SetPIN C_SetPIN;
    CK_C_OpenSession C_OpenSession;
    CK_C_CloseSession C_CloseSession;
    CK_C_CloseAllSessions C_CloseAllSessions;
    CK_C_GetSessionInfo C_GetSessionInfo;
    CK_C_GetOperationState C_GetOperationState;
    CK_C_SetOperationState C_SetOperationState;
    CK_C_Login C_Login;
    CK_C_Logout C_Logout;
    CK_C_CreateObject C_CreateObject;
    CK_C_CopyObject C_CopyObject;
    CK_C_DestroyObject C_DestroyObject;
    CK_C_GetObjectSize C_GetObjectSize;
    CK_C_GetAttributeValue C_GetAttributeValue;
    CK_C_SetAttributeValue C_SetAttributeValue;
    CK_C_FindObjectsInit C_FindObjectsInit;
    CK_C_FindObjects C_FindObjects;
    CK_C_FindObjectsFinal C_FindObjectsFinal;
    CK_C_EncryptInit C_EncryptInit;
    CK_C_Encrypt C_Encrypt;
    CK_C_EncryptUpdate C_EncryptUpdate;
    CK_C_EncryptFinal C_EncryptFinal;
    CK_C_DecryptInit C_DecryptInit;
    CK_C_Decrypt C_Decrypt;
    CK_C_DecryptUpdate C_DecryptUpdate;
    CK_C_DecryptFinal C_DecryptFinal;
    CK_C_DigestInit C_DigestInit;
    CK_C_Digest C_Digest;
    CK_C_DigestUpdate C_DigestUpdate;
    CK_C_DigestKey C_DigestKey;
    CK_C_DigestFinal C_DigestFinal;
    CK_C_SignInit C_SignInit;
    CK_C_Sign C_Sign;
    CK_C_SignUpdate C_SignUpdate;
    CK_C_SignFinal C_SignFinal;
    CK_C_SignRecoverInit C_SignRecoverInit;
    CK_C_SignRecover C_SignRecover;
    CK_C_VerifyInit C_VerifyInit;
    CK_C_Verify C_Verify;
    CK_C_VerifyUpdate C_VerifyUpdate;
    CK_C_VerifyFinal C_VerifyFinal;
    CK_C_VerifyRecoverInit C_VerifyRecoverInit;
    CK_C_VerifyRecover C_VerifyRecover;
    CK_C_DigestEncryptUpdate C_DigestEncryptUpdate;
    CK_C_DecryptDigestUpdate C_DecryptDigestUpdate;
    CK_C_SignEncryptUpdate C_SignEncryptUpdate;
    CK_C_DecryptVerifyUpdate C_DecryptVerifyUpdate;
    CK_C_GenerateKey C_GenerateKey;
    CK_C_GenerateKeyPair C_GenerateKeyPair;
    CK_C_WrapKey C_WrapKey;
    CK_C_UnwrapKey C_UnwrapKey;
    CK_C_DeriveKey C_DeriveKey;
    CK_C_SeedRandom C_SeedRandom;
    CK_C_GenerateRandom C_GenerateRandom;
    CK_C_GetFunctionStatus C_GetFunctionStatus;
    CK_C_CancelFunction C_CancelFunction;
    CK_C_WaitForSlotEvent C_WaitForSlotEvent;
    CK_C_GetInterfaceList_3 C_GetInterfaceList;
    CK_C_GetInterface_3 C_GetInterface;
    CK_C_LoginUser_3 C_LoginUser;
    CK_C_SessionCancel_3 C_SessionCancel;
    CK_C_MessageInit_3 C_MessageEncryptInit;
    CK_C_CryptMessage_3 C_EncryptMessage;
    CK_C_CryptMessageBegin_3 C_EncryptMessageBegin;
    CK_C_CryptMessageNext_3 C_EncryptMessageNext;
    CK_C_MessageFinal_3 C_MessageEncryptFinal;
    CK_C_MessageInit_3 C_MessageDecryptInit;
    CK_C_CryptMessage_3 C_DecryptMessage;
    CK_C_CryptMessageBegin_3 C_DecryptMessageBegin;
    CK_C_CryptMessageNext_3 C_DecryptMessageNext;
    CK_C_MessageFinal_3 C_MessageDecryptFinal;
    CK_C_MessageInit_3 C_MessageSignInit;
    CK_C_SignMessage_3 C_SignMessage;
    CK_C_SignMessageBegin_3 C_SignMessageBegin;
    CK_C_SignMessageNext_3 C_SignMessageNext;
    CK_C_MessageFinal_3 C_MessageSignFinal;
    CK_C_MessageInit_3 C_MessageVerifyInit;
    CK_C_VerifyMessage_3 C_VerifyMessage;
    CK_C_SignMessageBegin_3 C_VerifyMessageBegin;
    CK_C_VerifyMessageNext_3 C_VerifyMessageNext;
    CK_C_MessageFinal_3 C_MessageVerifyFinal;
} CK_FUNCTION_LIST_3_0;

#endif
