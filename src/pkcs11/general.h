/* SPDX-License-Identifier: BSD-3-Clause */
/* The implementations behind entry.c's wrappers, one header per group. */
#ifndef SKIP_PKCS11_GENERAL_H
#define SKIP_PKCS11_GENERAL_H

#include <stdbool.h>
#include <stddef.h>

#include "pkcs11-3.h"

/* general.c */
CK_RV general_initialize(CK_VOID_PTR pInitArgs);
CK_RV general_finalize(CK_VOID_PTR pReserved);
CK_RV general_get_info(CK_INFO_PTR pInfo);
/* Blank-padded, not NUL-terminated, as PKCS#11 info strings are. */
void general_pad(CK_UTF8CHAR *dst, size_t len, const char *src);

/* slot.c */
CK_RV slot_get_list(CK_BBOOL tokenPresent, CK_SLOT_ID_PTR pSlotList,
                    CK_ULONG_PTR pulCount);
CK_RV slot_get_info(CK_SLOT_ID slotID, CK_SLOT_INFO_PTR pInfo);
CK_RV slot_get_token_info(CK_SLOT_ID slotID, CK_TOKEN_INFO_PTR pInfo);
CK_RV slot_get_mechanism_list(CK_SLOT_ID slotID, CK_MECHANISM_TYPE_PTR pList,
                              CK_ULONG_PTR pulCount);
CK_RV slot_get_mechanism_info(CK_SLOT_ID slotID, CK_MECHANISM_TYPE type,
                              CK_MECHANISM_INFO_PTR pInfo);

/* session.c */
CK_RV session_open(CK_SLOT_ID slotID, CK_FLAGS flags, CK_SESSION_HANDLE_PTR ph);
CK_RV session_close(CK_SESSION_HANDLE h);
CK_RV session_close_all(CK_SLOT_ID slotID);
CK_RV session_get_info(CK_SESSION_HANDLE h, CK_SESSION_INFO_PTR pInfo);
CK_RV session_login(CK_SESSION_HANDLE h, CK_USER_TYPE userType,
                    CK_UTF8CHAR_PTR pPin, CK_ULONG ulPinLen);
CK_RV session_logout(CK_SESSION_HANDLE h);

/* object.c */
CK_RV object_create(CK_SESSION_HANDLE h, CK_ATTRIBUTE_PTR pTemplate,
                    CK_ULONG ulCount, CK_OBJECT_HANDLE_PTR phObject);
CK_RV object_destroy(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE hObject);
CK_RV object_get_size(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE hObject,
                      CK_ULONG_PTR pulSize);
CK_RV object_get_attributes(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE hObject,
                            CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount);
CK_RV object_set_attributes(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE hObject,
                            CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount);
CK_RV object_find_init(CK_SESSION_HANDLE h, CK_ATTRIBUTE_PTR pTemplate,
                       CK_ULONG ulCount);
CK_RV object_find(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE_PTR phObject,
                  CK_ULONG ulMaxObjectCount, CK_ULONG_PTR pulObjectCount);
CK_RV object_find_final(CK_SESSION_HANDLE h);

/* keygen.c */
CK_RV keygen_generate(CK_SESSION_HANDLE h, CK_MECHANISM_PTR pMechanism,
                      CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount,
                      CK_OBJECT_HANDLE_PTR phKey);

/* derive.c */
CK_RV derive_key(CK_SESSION_HANDLE h, CK_MECHANISM_PTR pMechanism,
                 CK_OBJECT_HANDLE hBaseKey, CK_ATTRIBUTE_PTR pTemplate,
                 CK_ULONG ulCount, CK_OBJECT_HANDLE_PTR phKey);

/* random.c */
CK_RV random_generate(CK_SESSION_HANDLE h, CK_BYTE_PTR pData, CK_ULONG ulLen);

/* mac.c */
CK_RV mac_init(CK_SESSION_HANDLE h, CK_MECHANISM_PTR pMechanism,
               CK_OBJECT_HANDLE hKey, bool verify);
CK_RV mac_update(CK_SESSION_HANDLE h, CK_BYTE_PTR pPart, CK_ULONG ulPartLen,
                 bool verify);
CK_RV mac_sign_final(CK_SESSION_HANDLE h, CK_BYTE_PTR pSignature,
                     CK_ULONG_PTR pulSignatureLen);
CK_RV mac_sign(CK_SESSION_HANDLE h, CK_BYTE_PTR pData, CK_ULONG ulDataLen,
               CK_BYTE_PTR pSignature, CK_ULONG_PTR pulSignatureLen);
CK_RV mac_verify_final(CK_SESSION_HANDLE h, CK_BYTE_PTR pSignature,
                       CK_ULONG ulSignatureLen);
CK_RV mac_verify(CK_SESSION_HANDLE h, CK_BYTE_PTR pData, CK_ULONG ulDataLen,
                 CK_BYTE_PTR pSignature, CK_ULONG ulSignatureLen);

#endif
