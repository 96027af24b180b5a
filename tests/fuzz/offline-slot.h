/* SPDX-License-Identifier: BSD-3-Clause */
/* For the module's fuzz targets: one slot whose KP is offline
 * (127.0.0.1:1), opened once per process, and a reader of the fuzz input.
 * Header-only, so each target still builds from one source file. */
#ifndef TESTS_FUZZ_OFFLINE_SLOT_H
#define TESTS_FUZZ_OFFLINE_SLOT_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pkcs11/pkcs11-3.h"

static CK_FUNCTION_LIST *p11;
static CK_SESSION_HANDLE session;
static char offline_dir[] = "/tmp/skip-fuzz-p11-XXXXXX";

static void offline_slot_close(void)
{
    char cmd[64];

    p11->C_Finalize(NULL);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", offline_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "fuzz: cannot remove %s\n", offline_dir);
}

/* Writes a one-slot configuration (plus extra lines), initializes the
 * module and opens a read-write session in `session`. */
static void offline_slot_open(const char *extra)
{
    char path[128];
    FILE *f;

    if (mkdtemp(offline_dir) == NULL)
        abort();
    snprintf(path, sizeof(path), "%s/psk", offline_dir);
    f = fopen(path, "w");
    fputs("0x000102030405060708090a0b0c0d0e0f\n", f);
    fclose(f);
    snprintf(path, sizeof(path), "%s/module.conf", offline_dir);
    f = fopen(path, "w");
    fprintf(f, "[slot Fuzz]\nurl = https://127.0.0.1:1\npsk_identity = f\n"
               "psk_file = %s/psk\n%s", offline_dir, extra);
    fclose(f);
    setenv("SKIP_PKCS11_CONF", path, 1);
    if (C_GetFunctionList(&p11) != CKR_OK || p11->C_Initialize(NULL) != CKR_OK ||
        p11->C_OpenSession(0, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL,
                           &session) != CKR_OK)
        abort();
    atexit(offline_slot_close);
}

/* An imported session secret key of the first len bytes of a fixed value. */
static CK_OBJECT_HANDLE offline_import(CK_KEY_TYPE type, CK_ULONG len)
{
    static const unsigned char value[32] = "0123456789abcdef0123456789abcdef";
    CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
    CK_ATTRIBUTE t[] = {{CKA_CLASS, &cls, sizeof(cls)},
                        {CKA_KEY_TYPE, &type, sizeof(type)},
                        {CKA_VALUE, (void *)value, len}};
    CK_OBJECT_HANDLE h = 0;

    if (p11->C_CreateObject(session, t, 3, &h) != CKR_OK)
        abort();
    return h;
}

/* A reader over the input: bytes, and zeros once it runs out. */
struct input {
    const uint8_t *p;
    size_t left;
};

static uint8_t byte(struct input *in)
{
    if (in->left == 0)
        return 0;
    in->left--;
    return *in->p++;
}

#endif
