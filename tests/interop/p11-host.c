/* SPDX-License-Identifier: BSD-3-Clause */
/* p11-host MODULE fork|atexit-early|atexit-late: a host application's life
 * around the module, as interop-notes.md pitfalls 6 and 14 describe.
 *   fork          C_Initialize, generate a key, fork: the child gets
 *                 CKR_CRYPTOKI_NOT_INITIALIZED until it initializes again,
 *                 then draws random from the KP; the parent, whose KP
 *                 connection the child must not have touched, generates
 *                 again and still holds its first key.
 *   atexit-early  registers C_Finalize with atexit before C_Initialize, so
 *                 it runs after the exit handlers OpenSSL and libcurl
 *                 register while the module starts (OpenSSL's cleanup
 *                 among them): the module must not crash there.
 *   atexit-late   registers it after C_Initialize: it runs first.
 * Prints one line per step ("name: CKR_..."); the exit handler's line is the
 * last. Exits 1 when a step does not give what it should. */
#include "config.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pkcs11/pkcs11-3.h"

static CK_FUNCTION_LIST *p11;
static int failures;

static void expect(const char *step, CK_RV got, CK_RV want)
{
    printf("%s: 0x%lx%s\n", step, got, got == want ? "" : " (unexpected)");
    fflush(stdout);
    if (got != want)
        failures++;
}

static void finalize_at_exit(void)
{
    /* Any answer but a crash is acceptable this late; OK is expected. */
    printf("atexit C_Finalize: 0x%lx\n", p11->C_Finalize(NULL));
    fflush(stdout);
}

static CK_RV generate(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE *key)
{
    CK_MECHANISM gen = {CKM_GENERIC_SECRET_KEY_GEN, NULL, 0};
    CK_ULONG len = 32;
    CK_ATTRIBUTE tmpl[] = {{CKA_VALUE_LEN, &len, sizeof(len)}};

    return p11->C_GenerateKey(s, &gen, tmpl, 1, key);
}

static CK_RV open_session(CK_SESSION_HANDLE *s)
{
    return p11->C_OpenSession(0, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL,
                              NULL, s);
}

static int child(void)
{
    CK_SLOT_ID slots[4];
    CK_ULONG count = 4;
    CK_SESSION_HANDLE s;
    unsigned char buf[32];

    expect("child C_GetSlotList before C_Initialize",
           p11->C_GetSlotList(CK_TRUE, slots, &count),
           CKR_CRYPTOKI_NOT_INITIALIZED);
    expect("child C_Initialize", p11->C_Initialize(NULL), CKR_OK);
    expect("child C_OpenSession", open_session(&s), CKR_OK);
    expect("child C_GenerateRandom", p11->C_GenerateRandom(s, buf, 32), CKR_OK);
    expect("child C_Finalize", p11->C_Finalize(NULL), CKR_OK);
    return failures ? 1 : 0;
}

static void run_fork(void)
{
    CK_SESSION_HANDLE s;
    CK_OBJECT_HANDLE first, second;
    CK_ULONG len = 0;
    CK_ATTRIBUTE value_len = {CKA_VALUE_LEN, &len, sizeof(len)};
    int status;
    pid_t pid;

    expect("C_Initialize", p11->C_Initialize(NULL), CKR_OK);
    expect("C_OpenSession", open_session(&s), CKR_OK);
    expect("C_GenerateKey before fork", generate(s, &first), CKR_OK);
    fflush(stdout);
    pid = fork();
    if (pid == 0)
        _exit(child());
    waitpid(pid, &status, 0);
    expect("child exit status", WIFEXITED(status) ? WEXITSTATUS(status) : 99, 0);
    expect("parent C_GenerateKey after fork", generate(s, &second), CKR_OK);
    expect("parent still holds its first key",
           p11->C_GetAttributeValue(s, first, &value_len, 1), CKR_OK);
    expect("C_Finalize", p11->C_Finalize(NULL), CKR_OK);
}

static void run_atexit(int early)
{
    CK_SESSION_HANDLE s;
    CK_OBJECT_HANDLE key;

    if (early)
        atexit(finalize_at_exit);
    expect("C_Initialize", p11->C_Initialize(NULL), CKR_OK);
    if (!early)
        atexit(finalize_at_exit);
    expect("C_OpenSession", open_session(&s), CKR_OK);
    expect("C_GenerateKey", generate(s, &key), CKR_OK);
    {
        /* A MAC leaves OpenSSL objects of the module's for C_Finalize. */
        CK_MECHANISM hmac = {CKM_SHA256_HMAC, NULL, 0};
        unsigned char mac[32];
        CK_ULONG len = sizeof(mac);
        expect("C_SignInit", p11->C_SignInit(s, &hmac, key), CKR_OK);
        expect("C_Sign", p11->C_Sign(s, (CK_BYTE_PTR) "x", 1, mac, &len), CKR_OK);
    }
}

int main(int argc, char **argv)
{
    CK_C_GetFunctionList get_list;
    void *lib;

    if (argc != 3) {
        fprintf(stderr, "usage: p11-host MODULE fork|atexit-early|atexit-late\n");
        return 2;
    }
    lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    get_list = lib ? (CK_C_GetFunctionList)dlsym(lib, "C_GetFunctionList") : NULL;
    if (get_list == NULL || get_list(&p11) != CKR_OK) {
        printf("error: cannot load %s\n", argv[1]);
        return 1;
    }
    if (strcmp(argv[2], "fork") == 0)
        run_fork();
    else
        run_atexit(strcmp(argv[2], "atexit-early") == 0);
    /* The module stays loaded: a host's exit handlers may still call it. */
    return failures ? 1 : 0;
}
