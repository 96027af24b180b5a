/* SPDX-License-Identifier: BSD-3-Clause */
/* Module unit tests: a temp dir with a module config whose KP is offline
 * (127.0.0.1:1), so every test here runs without a network. */
#ifndef TESTS_P11_FIXTURE_H
#define TESTS_P11_FIXTURE_H

#include "../unit/unit.h"
#include "pkcs11/pkcs11-3.h"

extern CK_FUNCTION_LIST *p11;

/* The fixture's temp dir (removed at exit). */
const char *p11_fixture_dir(void);
/* Writes a config with one [slot Test] plus extra lines, points
 * SKIP_PKCS11_CONF at it and loads the function list. */
void p11_fixture_config(const char *extra);
/* C_Initialize, and a RW session on slot 0 in *session. */
void p11_fixture_open(CK_SESSION_HANDLE *session);
void p11_fixture_close(void);
/* Imports a session secret key; extra attributes are appended. */
CK_OBJECT_HANDLE p11_import(CK_SESSION_HANDLE session, CK_KEY_TYPE type,
                            const void *value, CK_ULONG len,
                            const CK_ATTRIBUTE *extra, CK_ULONG extra_count);
/* The SHA-256 of a PIN, in hex, for pin_sha256. */
#define TEST_PIN "123456"
#define TEST_PIN_SHA256 \
    "8d969eef6ecad3c29a3a629280e686cf0c3f5d5a86aff3ca12020c923adc6c92"

#endif
