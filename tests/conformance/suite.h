/* SPDX-License-Identifier: BSD-3-Clause */
/* What the conformance suite's files share: the module under test, the
 * TAP runner and its expectations, and session helpers (conformance.c). */
#ifndef TESTS_CONFORMANCE_SUITE_H
#define TESTS_CONFORMANCE_SUITE_H

#include <stdbool.h>
#include <stdio.h>

#include "pkcs11/pkcs11-3.h"

extern CK_FUNCTION_LIST *p11;
extern CK_SLOT_ID slot;
extern const char *pin;
extern bool control; /* running against SoftHSM2 */
extern char failure[512]; /* the case's first broken expectation */

#define EXPECT(cond)                                                           \
    do {                                                                       \
        if (!(cond) && failure[0] == '\0')                                     \
            snprintf(failure, sizeof(failure), "line %d: %s", __LINE__, #cond); \
    } while (0)
#define EXPECT_RV(call, want)                                                  \
    do {                                                                       \
        CK_RV got_ = (call);                                                   \
        if (got_ != (want) && failure[0] == '\0')                              \
            snprintf(failure, sizeof(failure), "line %d: %s = 0x%lx, want %s",  \
                     __LINE__, #call, got_, #want);                            \
    } while (0)

/* Runs one case as one TAP line (a TODO where SoftHSM2 departs). */
void run(const char *name, void (*fn)(void));
/* A read/write session; one logged in as the user. */
CK_SESSION_HANDLE open_rw(void);
CK_SESSION_HANDLE open_user(void);
/* An imported session HMAC key, sensitive or readable. */
CK_OBJECT_HANDLE import_key(CK_SESSION_HANDLE s, const char *label,
                            CK_BBOOL sensitive);

/* return-codes.c: the order of return codes, for every entry point. */
void return_code_cases(void);
/* hmac-vectors.c: HMAC with imported keys of any length. */
void hmac_vector_cases(void);

#endif
