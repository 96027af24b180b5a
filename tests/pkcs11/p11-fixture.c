/* SPDX-License-Identifier: BSD-3-Clause */
/* Shared setup for the module's unit tests. */
#include "config.h"
#include "p11-fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

CK_FUNCTION_LIST *p11;
static char dir[64];

static void remove_dir(void)
{
    char cmd[128];

    if (dir[0]) {
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        if (system(cmd) != 0)
            fprintf(stderr, "cannot remove %s\n", dir);
    }
}

const char *p11_fixture_dir(void)
{
    if (dir[0] == '\0') {
        strcpy(dir, "/tmp/skip-p11-XXXXXX");
        assert_non_null(mkdtemp(dir));
        atexit(remove_dir);
    }
    return dir;
}

void p11_fixture_config(const char *extra)
{
    char path[128];
    FILE *f;

    p11_fixture_dir();
    snprintf(path, sizeof(path), "%s/psk", dir);
    f = fopen(path, "w");
    fputs("0x000102030405060708090a0b0c0d0e0f\n", f);
    fclose(f);
    snprintf(path, sizeof(path), "%s/module.conf", dir);
    f = fopen(path, "w");
    fprintf(f, "[slot Test]\nurl = https://127.0.0.1:1\ntls = psk\n"
               "psk_identity = t\npsk_file = %s/psk\nremote = Peer\n"
               "connect_timeout_ms = 500\n%s\n",
            dir, extra ? extra : "");
    fclose(f);
    setenv("SKIP_PKCS11_CONF", path, 1);
    assert_int_equal(C_GetFunctionList(&p11), CKR_OK);
}

void p11_fixture_open(CK_SESSION_HANDLE *session)
{
    assert_int_equal(p11->C_Initialize(NULL), CKR_OK);
    assert_int_equal(p11->C_OpenSession(0, CKF_SERIAL_SESSION | CKF_RW_SESSION,
                                        NULL, NULL, session), CKR_OK);
}

void p11_fixture_close(void)
{
    assert_int_equal(p11->C_Finalize(NULL), CKR_OK);
}

CK_OBJECT_HANDLE p11_import(CK_SESSION_HANDLE session, CK_KEY_TYPE type,
                            const void *value, CK_ULONG len,
                            const CK_ATTRIBUTE *extra, CK_ULONG extra_count)
{
    CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
    CK_ATTRIBUTE tmpl[12] = {
        {CKA_CLASS, &cls, sizeof(cls)},
        {CKA_KEY_TYPE, &type, sizeof(type)},
        {CKA_VALUE, (void *)value, len},
    };
    CK_OBJECT_HANDLE h = 0;

    assert_true(extra_count <= 9);
    if (extra_count)
        memcpy(tmpl + 3, extra, extra_count * sizeof(CK_ATTRIBUTE));
    assert_int_equal(p11->C_CreateObject(session, tmpl, 3 + extra_count, &h),
                     CKR_OK);
    return h;
}
