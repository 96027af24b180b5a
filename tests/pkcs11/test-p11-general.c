/* SPDX-License-Identifier: BSD-3-Clause */
/* The module's general calls: C_Initialize arguments, repeated cycles,
 * fork, the interface table, info calls, the configuration, and the calls
 * the token refuses by design. */
#include "config.h"
#include "p11-fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static CK_RV fake_create(CK_VOID_PTR_PTR m) { return CKR_OK; }
static CK_RV fake_mutex(CK_VOID_PTR m) { return CKR_OK; }

static void initialize_arguments(void **state)
{
    CK_C_INITIALIZE_ARGS args = {0};

    p11_fixture_config(NULL);
    assert_int_equal(p11->C_GetInfo(&(CK_INFO){0}), CKR_CRYPTOKI_NOT_INITIALIZED);
    args.pReserved = &args;
    assert_int_equal(p11->C_Initialize(&args), CKR_ARGUMENTS_BAD);
    args.pReserved = NULL;
    args.CreateMutex = fake_create; /* one callback of four */
    assert_int_equal(p11->C_Initialize(&args), CKR_ARGUMENTS_BAD);
    args.DestroyMutex = fake_mutex;
    args.LockMutex = fake_mutex;
    args.UnlockMutex = fake_mutex;
    assert_int_equal(p11->C_Initialize(&args), CKR_CANT_LOCK);
    args.flags = CKF_OS_LOCKING_OK; /* p11-kit's way: both */
    assert_int_equal(p11->C_Initialize(&args), CKR_OK);
    assert_int_equal(p11->C_Initialize(NULL), CKR_CRYPTOKI_ALREADY_INITIALIZED);
    assert_int_equal(p11->C_Finalize(&args), CKR_ARGUMENTS_BAD);
    assert_int_equal(p11->C_Finalize(NULL), CKR_OK);
    assert_int_equal(p11->C_Finalize(NULL), CKR_CRYPTOKI_NOT_INITIALIZED);
    args = (CK_C_INITIALIZE_ARGS){.flags = CKF_OS_LOCKING_OK};
    assert_int_equal(p11->C_Initialize(&args), CKR_OK);
    p11_fixture_close();
}

static void repeated_cycles(void **state)
{
    CK_SESSION_HANDLE s;

    p11_fixture_config(NULL);
    for (int i = 0; i < 50; i++) {
        p11_fixture_open(&s);
        p11_fixture_close();
    }
}

static void fork_child_must_initialize_again(void **state)
{
    CK_SESSION_HANDLE s;
    pid_t pid;
    int status;

    p11_fixture_config(NULL);
    p11_fixture_open(&s);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        CK_INFO info;
        int bad = 0;
        bad |= p11->C_GetInfo(&info) != CKR_CRYPTOKI_NOT_INITIALIZED;
        bad |= p11->C_CloseSession(s) != CKR_CRYPTOKI_NOT_INITIALIZED;
        bad |= p11->C_Finalize(NULL) != CKR_CRYPTOKI_NOT_INITIALIZED;
        bad |= p11->C_Initialize(NULL) != CKR_OK;
        bad |= p11->C_GetInfo(&info) != CKR_OK;
        bad |= p11->C_Finalize(NULL) != CKR_OK;
        _exit(bad);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    /* The parent is untouched. */
    assert_int_equal(p11->C_CloseSession(s), CKR_OK);
    p11_fixture_close();
}

static void interfaces(void **state)
{
    CK_INTERFACE list[2], *iface = NULL;
    CK_VERSION v30 = {3, 0}, v240 = {2, 40}, v32 = {3, 2};
    CK_FUNCTION_LIST *fl;
    CK_ULONG count = 0;

    assert_int_equal(C_GetInterfaceList(NULL, &count), CKR_OK);
    assert_int_equal(count, 2);
    count = 1;
    assert_int_equal(C_GetInterfaceList(list, &count), CKR_BUFFER_TOO_SMALL);
    assert_int_equal(count, 2);
    assert_int_equal(C_GetInterfaceList(list, &count), CKR_OK);
    assert_string_equal((char *)list[0].pInterfaceName, "PKCS 11");
    assert_int_equal(C_GetInterfaceList(list, NULL), CKR_ARGUMENTS_BAD);

    assert_int_equal(C_GetInterface(NULL, NULL, &iface, 0), CKR_OK);
    assert_int_equal(((CK_VERSION *)iface->pFunctionList)->major, 3);
    assert_int_equal(C_GetInterface((CK_UTF8CHAR_PTR) "PKCS 11", &v240, &iface,
                                    0), CKR_OK);
    assert_int_equal(((CK_VERSION *)iface->pFunctionList)->minor, 40);
    assert_int_equal(C_GetInterface((CK_UTF8CHAR_PTR) "PKCS 11", &v30, &iface,
                                    0), CKR_OK);
    assert_int_equal(C_GetInterface((CK_UTF8CHAR_PTR) "PKCS 11", &v32, &iface,
                                    0), CKR_ARGUMENTS_BAD);
    assert_int_equal(C_GetInterface(NULL, NULL, &iface, CKF_INTERFACE_FORK_SAFE),
                     CKR_ARGUMENTS_BAD);
    assert_int_equal(C_GetInterface((CK_UTF8CHAR_PTR) "Vendor x", NULL, &iface,
                                    0), CKR_ARGUMENTS_BAD);
    assert_int_equal(C_GetInterface(NULL, NULL, NULL, 0), CKR_ARGUMENTS_BAD);
    assert_int_equal(C_GetFunctionList(&fl), CKR_OK);
    assert_int_equal(fl->version.major, 2);
    assert_int_equal(fl->version.minor, 40);
    assert_int_equal(C_GetFunctionList(NULL), CKR_ARGUMENTS_BAD);
}

static void info_calls(void **state)
{
    CK_SESSION_HANDLE s;
    CK_INFO info;
    CK_SLOT_ID slots[4];
    CK_ULONG count = 0;
    CK_TOKEN_INFO token;
    CK_SLOT_INFO slot;

    p11_fixture_config(NULL);
    p11_fixture_open(&s);
    assert_int_equal(p11->C_GetInfo(&info), CKR_OK);
    assert_int_equal(info.cryptokiVersion.major, 3);
    assert_int_equal(info.cryptokiVersion.minor, 0);
    assert_memory_equal(info.manufacturerID, "skip-pkcs11 ", 12);
    assert_int_equal(p11->C_GetSlotList(CK_TRUE, NULL, &count), CKR_OK);
    assert_int_equal(count, 1);
    count = 0;
    assert_int_equal(p11->C_GetSlotList(CK_TRUE, slots, &count),
                     CKR_BUFFER_TOO_SMALL);
    count = 4;
    assert_int_equal(p11->C_GetSlotList(CK_FALSE, slots, &count), CKR_OK);
    assert_int_equal(slots[0], 0);
    assert_int_equal(p11->C_GetSlotInfo(0, &slot), CKR_OK);
    assert_true(slot.flags & CKF_TOKEN_PRESENT);
    assert_int_equal(p11->C_GetSlotInfo(1, &slot), CKR_SLOT_ID_INVALID);
    assert_int_equal(p11->C_GetTokenInfo(0, &token), CKR_OK);
    assert_memory_equal(token.label, "Test ", 5);
    assert_int_equal(token.flags, CKF_RNG | CKF_TOKEN_INITIALIZED |
                                      CKF_USER_PIN_INITIALIZED);
    assert_int_equal(token.ulSessionCount, 1);
    p11_fixture_close();

    p11_fixture_config("pin_sha256 = " TEST_PIN_SHA256);
    p11_fixture_open(&s);
    assert_int_equal(p11->C_GetTokenInfo(0, &token), CKR_OK);
    assert_true(token.flags & CKF_LOGIN_REQUIRED);
    p11_fixture_close();
}

static void mechanisms(void **state)
{
    CK_SESSION_HANDLE s;
    CK_MECHANISM_TYPE list[16];
    CK_MECHANISM_INFO info;
    CK_ULONG count = 16;

    p11_fixture_config(NULL);
    p11_fixture_open(&s);
    assert_int_equal(p11->C_GetMechanismList(0, list, &count), CKR_OK);
    assert_int_equal(count, 12);
    assert_int_equal(p11->C_GetMechanismInfo(0, CKM_GENERIC_SECRET_KEY_GEN,
                                             &info), CKR_OK);
    assert_int_equal(info.flags, CKF_HW | CKF_GENERATE);
    /* generic secret sizes in bits, AES key sizes in bytes */
    assert_int_equal(info.ulMinKeySize, 128);
    assert_int_equal(info.ulMaxKeySize, 512);
    assert_int_equal(p11->C_GetMechanismInfo(0, CKM_AES_KEY_GEN, &info), CKR_OK);
    assert_int_equal(info.ulMinKeySize, 16);
    assert_int_equal(info.ulMaxKeySize, 32);
    assert_int_equal(p11->C_GetMechanismInfo(0, CKM_SHA256_HMAC, &info), CKR_OK);
    assert_int_equal(info.flags, CKF_SIGN | CKF_VERIFY);
    assert_int_equal(info.ulMinKeySize, 128);
    assert_int_equal(info.ulMaxKeySize, 512);
    assert_int_equal(p11->C_GetMechanismInfo(0, CKM_AES_ECB_ENCRYPT_DATA, &info),
                     CKR_MECHANISM_INVALID);
    assert_int_equal(p11->C_GetMechanismList(3, list, &count),
                     CKR_SLOT_ID_INVALID);
    p11_fixture_close();
}

static void no_file_means_no_slots(void **state)
{
    CK_ULONG count = 9;

    setenv("SKIP_PKCS11_CONF", "/nonexistent/skip-pkcs11.conf", 1);
    assert_int_equal(p11->C_Initialize(NULL), CKR_OK);
    assert_int_equal(p11->C_GetSlotList(CK_FALSE, NULL, &count), CKR_OK);
    assert_int_equal(count, 0);
    p11_fixture_close();
}

static void bad_config_is_general_error(void **state)
{
    static const char *const bad[] = {
        "colour = red",
        "tls_version = 1.1",
        "pin_sha256 = 1234",
        "random = sometimes",
        "random = mixed",
        "reseed_bytes = 4095",
        "reseed_bytes = 1073741825",
        "reseed_bytes = 1M",
        "reseed_interval = 0",
        "reseed_interval = 86401",
        "prediction_resistance = maybe",
        "max_derives = -1",
        "derived_keys = maybe",
        "psk_hash = md5",
        "remote = KP_*_LOC1",
        "remote = KP_?",
        "remote = KP_[12]",
        "remote = ",
        "fallback_url = http://x",
        "[other]\nx = 1",
    };

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        p11_fixture_config(bad[i]);
        CHECK_CASE(bad[i], p11->C_Initialize(NULL) == CKR_GENERAL_ERROR);
        CHECK_CASE(bad[i], p11->C_GetInfo(&(CK_INFO){0}) ==
                               CKR_CRYPTOKI_NOT_INITIALIZED);
    }
}

static void refused_by_design(void **state)
{
    CK_SESSION_HANDLE s;
    CK_FUNCTION_LIST_3_0 *f3;
    CK_INTERFACE *iface;
    CK_OBJECT_HANDLE h;
    CK_BYTE seed[4] = {0};

    p11_fixture_config(NULL);
    p11_fixture_open(&s);
    assert_int_equal(p11->C_InitToken(0, NULL, 0, NULL),
                     CKR_FUNCTION_NOT_SUPPORTED);
    assert_int_equal(p11->C_InitPIN(s, NULL, 0), CKR_FUNCTION_NOT_SUPPORTED);
    assert_int_equal(p11->C_SetPIN(s, NULL, 0, NULL, 0),
                     CKR_FUNCTION_NOT_SUPPORTED);
    assert_int_equal(p11->C_SeedRandom(s, seed, 4),
                     CKR_RANDOM_SEED_NOT_SUPPORTED);
    assert_int_equal(p11->C_GenerateRandom(s, seed, 0), CKR_OK);
    assert_int_equal(p11->C_CopyObject(s, 1, NULL, 0, &h),
                     CKR_ACTION_PROHIBITED);
    assert_int_equal(p11->C_DigestKey(s, 1), CKR_FUNCTION_NOT_SUPPORTED);
    assert_int_equal(p11->C_WrapKey(s, NULL, 1, 1, NULL, NULL),
                     CKR_FUNCTION_NOT_SUPPORTED);
    assert_int_equal(p11->C_GetFunctionStatus(s), CKR_FUNCTION_NOT_PARALLEL);
    assert_int_equal(C_GetInterface(NULL, NULL, &iface, 0), CKR_OK);
    f3 = iface->pFunctionList;
    assert_int_equal(f3->C_MessageEncryptInit(s, NULL, 0),
                     CKR_FUNCTION_NOT_SUPPORTED);
    assert_int_equal(f3->C_MessageVerifyFinal(s), CKR_FUNCTION_NOT_SUPPORTED);
    assert_int_equal(f3->C_LoginUser(s, CKU_USER, (CK_UTF8CHAR_PTR) "x", 1,
                                     (CK_UTF8CHAR_PTR) "bob", 3),
                     CKR_FUNCTION_NOT_SUPPORTED);
    assert_int_equal(f3->C_LoginUser(s, CKU_USER, (CK_UTF8CHAR_PTR) "x", 1,
                                     NULL, 0), CKR_OK);
    p11_fixture_close();
}

static void sessions_and_login(void **state)
{
    CK_SESSION_HANDLE s, ro;
    CK_SESSION_INFO info;

    p11_fixture_config("pin_sha256 = " TEST_PIN_SHA256);
    p11_fixture_open(&s);
    assert_int_equal(p11->C_OpenSession(0, CKF_RW_SESSION, NULL, NULL, &ro),
                     CKR_SESSION_PARALLEL_NOT_SUPPORTED);
    assert_int_equal(p11->C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, &ro),
                     CKR_OK);
    assert_int_equal(p11->C_GetSessionInfo(ro, &info), CKR_OK);
    assert_int_equal(info.state, CKS_RO_PUBLIC_SESSION);
    assert_int_equal(p11->C_GenerateRandom(s, (CK_BYTE[4]){0}, 4),
                     CKR_USER_NOT_LOGGED_IN);
    assert_int_equal(p11->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR) "wrong", 5),
                     CKR_PIN_INCORRECT);
    assert_int_equal(p11->C_Logout(s), CKR_USER_NOT_LOGGED_IN);
    /* The SO: not with a read-only session open; and no PIN is the SO's. */
    assert_int_equal(p11->C_Login(s, CKU_SO, (CK_UTF8CHAR_PTR) TEST_PIN, 6),
                     CKR_SESSION_READ_ONLY_EXISTS);
    assert_int_equal(p11->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR) TEST_PIN, 6),
                     CKR_OK);
    assert_int_equal(p11->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR) TEST_PIN, 6),
                     CKR_USER_ALREADY_LOGGED_IN);
    assert_int_equal(p11->C_GetSessionInfo(ro, &info), CKR_OK);
    assert_int_equal(info.state, CKS_RO_USER_FUNCTIONS);
    assert_int_equal(p11->C_GetSessionInfo(s, &info), CKR_OK);
    assert_int_equal(info.state, CKS_RW_USER_FUNCTIONS);
    assert_int_equal(p11->C_CloseSession(ro), CKR_OK);
    assert_int_equal(p11->C_CloseSession(ro), CKR_SESSION_HANDLE_INVALID);
    assert_int_equal(p11->C_CloseAllSessions(0), CKR_OK);
    /* The last session closed: login is over. */
    assert_int_equal(p11->C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, &s),
                     CKR_OK);
    assert_int_equal(p11->C_GetSessionInfo(s, &info), CKR_OK);
    assert_int_equal(info.state, CKS_RO_PUBLIC_SESSION);
    p11_fixture_close();

    /* Without a PIN any PIN logs in. */
    p11_fixture_config(NULL);
    p11_fixture_open(&s);
    assert_int_equal(p11->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR) "any", 3),
                     CKR_OK);
    p11_fixture_close();
}

/* A slot's remote of 255 bytes (UTF-8) is read whole; 256 is an error at
 * its line, not a cut. */
static void long_remotes(void **state)
{
    char line[300];
    CK_RV rv;

    (void)state;
    memset(line, 0, sizeof(line));
    strcpy(line, "remote = ");
    memset(line + 9, 'R', 255);
    memcpy(line + 9 + 251, "\xC3\xA9\xC3\xA9", 4);
    p11_fixture_config(line);
    rv = p11->C_Initialize(NULL);
    assert_int_equal(rv, CKR_OK);
    assert_int_equal(p11->C_Finalize(NULL), CKR_OK);
    line[9 + 255] = 'X';
    p11_fixture_config(line);
    assert_int_equal(p11->C_Initialize(NULL), CKR_GENERAL_ERROR);
}

/* Writes a config of two slots, in the order given, and loads it. */
static void two_slots(const char *first, const char *second)
{
    char path[256];
    FILE *f;

    snprintf(path, sizeof(path), "%s/two.conf", p11_fixture_dir());
    f = fopen(path, "w");
    assert_non_null(f);
    for (int i = 0; i < 2; i++)
        fprintf(f, "[slot %s]\nurl = https://127.0.0.1:%d\ntls = psk\n"
                   "psk_identity = t\npsk_file = %s/psk\n",
                i ? second : first, i ? 2 : 1, p11_fixture_dir());
    fclose(f);
    setenv("SKIP_PKCS11_CONF", path, 1);
}

static void serial_of(CK_SLOT_ID slot, char *label, char *serial)
{
    CK_TOKEN_INFO info;

    assert_int_equal(p11->C_GetTokenInfo(slot, &info), CKR_OK);
    memcpy(label, info.label, 32);
    label[strcspn(label, " ")] = '\0';
    memcpy(serial, info.serialNumber, 16);
    serial[16] = '\0';
}

/* The serial number follows the slot's name alone: reordered slots (and
 * their KP URLs with them) keep their pkcs11:...;serial= URIs. */
static void serial_numbers_follow_the_slot_name(void **state)
{
    char label[2][33], serial[2][17], label_b[2][33], serial_b[2][17];

    (void)state;
    p11_fixture_config(NULL); /* the psk file */
    two_slots("Alice", "Bob");
    assert_int_equal(p11->C_Initialize(NULL), CKR_OK);
    for (int i = 0; i < 2; i++)
        serial_of((CK_SLOT_ID)i, label[i], serial[i]);
    assert_int_equal(p11->C_Finalize(NULL), CKR_OK);
    two_slots("Bob", "Alice");
    assert_int_equal(p11->C_Initialize(NULL), CKR_OK);
    for (int i = 0; i < 2; i++)
        serial_of((CK_SLOT_ID)i, label_b[i], serial_b[i]);
    assert_int_equal(p11->C_Finalize(NULL), CKR_OK);
    assert_string_equal(label[0], "Alice");
    assert_string_equal(label_b[1], "Alice");
    assert_string_equal(serial[0], serial_b[1]); /* Alice's, at 0 then 1 */
    assert_string_equal(serial[1], serial_b[0]); /* Bob's */
    assert_string_not_equal(serial[0], serial[1]);
    assert_int_equal(strspn(serial[0], "0123456789abcdef"), 16);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(initialize_arguments),
        cmocka_unit_test(repeated_cycles),
        cmocka_unit_test(fork_child_must_initialize_again),
        cmocka_unit_test(interfaces),
        cmocka_unit_test(serial_numbers_follow_the_slot_name),
        cmocka_unit_test(long_remotes),
        cmocka_unit_test(info_calls),
        cmocka_unit_test(mechanisms),
        cmocka_unit_test(no_file_means_no_slots),
        cmocka_unit_test(bad_config_is_general_error),
        cmocka_unit_test(refused_by_design),
        cmocka_unit_test(sessions_and_login),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
