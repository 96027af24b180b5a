/* SPDX-License-Identifier: BSD-3-Clause */
/* The user PIN's failure count (pin.c): wrong PINs wait longer each time
 * and then lock the token, the token flags say where the count stands,
 * the right PIN resets it, and with pin_failures_file the count outlives
 * the process; a count that cannot be kept fails closed. */
#include "config.h"
#include "p11-fixture.h"

#include <stdint.h>
#include <stdio.h>
#include <time.h>

#define PIN_FLAGS (CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY | CKF_USER_PIN_LOCKED)

static CK_FLAGS pin_flags(void)
{
    CK_TOKEN_INFO info;

    assert_int_equal(p11->C_GetTokenInfo(0, &info), CKR_OK);
    return info.flags & PIN_FLAGS;
}

static CK_RV login(CK_SESSION_HANDLE s, const char *pin)
{
    return p11->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)pin, strlen(pin));
}

static double now_s(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

/* The config with lines, and pin_failures_file = the fixture's dir/file
 * unless file is NULL. */
static void config_with(const char *lines, const char *file)
{
    char extra[512];

    if (file)
        snprintf(extra, sizeof(extra), "%s\npin_failures_file = %s/%s\n",
                 lines, p11_fixture_dir(), file);
    else
        snprintf(extra, sizeof(extra), "%s\n", lines);
    p11_fixture_config(extra);
}

static void wrong_pins_lock_the_token(void **state)
{
    CK_SESSION_HANDLE s;
    unsigned char six[6] = "123456";
    double start;

    (void)state;
    config_with("pin_sha256 = " TEST_PIN_SHA256 "\npin_max_failures = 3", NULL);
    p11_fixture_open(&s);
    assert_int_equal(pin_flags(), 0);

    /* A wrong PIN is answered after a wait: 100 ms, then 200 ms. */
    start = now_s();
    assert_int_equal(login(s, "000000"), CKR_PIN_INCORRECT);
    assert_true(now_s() - start >= 0.095);
    assert_int_equal(pin_flags(), CKF_USER_PIN_COUNT_LOW);
    start = now_s();
    assert_int_equal(login(s, "111111"), CKR_PIN_INCORRECT);
    assert_true(now_s() - start >= 0.195);
    assert_int_equal(pin_flags(), CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY);
    /* The right PIN resets the count. */
    assert_int_equal(login(s, TEST_PIN), CKR_OK);
    assert_int_equal(pin_flags(), 0);
    assert_int_equal(p11->C_Logout(s), CKR_OK);

    /* A length no buffer has is a wrong PIN, counted, and never read. */
    assert_int_equal(p11->C_Login(s, CKU_USER, six, (CK_ULONG)SIZE_MAX),
                     CKR_PIN_INCORRECT);
    assert_int_equal(login(s, "222222"), CKR_PIN_INCORRECT);
    assert_int_equal(login(s, "333333"), CKR_PIN_INCORRECT);
    assert_int_equal(pin_flags(), CKF_USER_PIN_LOCKED);
    /* Locked: even the right PIN. */
    assert_int_equal(login(s, TEST_PIN), CKR_PIN_LOCKED);
    assert_int_equal(login(s, "444444"), CKR_PIN_LOCKED);
    assert_int_equal(pin_flags(), CKF_USER_PIN_LOCKED);

    /* No operation here ever waits for a context-specific login, and the
     * SO has none: neither counts as a guess. */
    assert_int_equal(p11->C_Login(s, CKU_CONTEXT_SPECIFIC, six, 6),
                     CKR_OPERATION_NOT_INITIALIZED);
    assert_int_equal(p11->C_Login(s, CKU_SO, six, 6), CKR_PIN_INCORRECT);
    p11_fixture_close();
    /* In memory, the count lasts while the module stays initialized. */
    p11_fixture_open(&s);
    assert_int_equal(pin_flags(), 0);
    assert_int_equal(login(s, TEST_PIN), CKR_OK);
    p11_fixture_close();
}

static void read_file(const char *path, char *buf, size_t size)
{
    FILE *f = fopen(path, "r");
    size_t n;

    assert_non_null(f);
    n = fread(buf, 1, size - 1, f);
    buf[n] = '\0';
    fclose(f);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void the_count_file_outlives_the_process(void **state)
{
    CK_SESSION_HANDLE s;
    char path[256], text[64];

    (void)state;
    snprintf(path, sizeof(path), "%s/pin-count", p11_fixture_dir());
    remove(path);
    config_with("pin_sha256 = " TEST_PIN_SHA256 "\npin_max_failures = 3",
                "pin-count");
    p11_fixture_open(&s);
    assert_int_equal(login(s, "000000"), CKR_PIN_INCORRECT);
    assert_int_equal(login(s, "111111"), CKR_PIN_INCORRECT);
    read_file(path, text, sizeof(text));
    assert_string_equal(text, "0000000002\n");
    p11_fixture_close();

    /* A new module state (a restarted server) reads the count back. */
    p11_fixture_open(&s);
    assert_int_equal(pin_flags(), CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY);
    assert_int_equal(login(s, "222222"), CKR_PIN_INCORRECT);
    assert_int_equal(login(s, TEST_PIN), CKR_PIN_LOCKED);
    /* Another process sees it too: the file is the count. */
    write_file(path, "1\n");
    assert_int_equal(pin_flags(), CKF_USER_PIN_COUNT_LOW);
    assert_int_equal(login(s, TEST_PIN), CKR_OK);
    read_file(path, text, sizeof(text));
    assert_string_equal(text, "0000000000\n");
    assert_int_equal(p11->C_Logout(s), CKR_OK);

    /* A garbled count fails closed, until it is removed. */
    write_file(path, "many\n");
    assert_int_equal(pin_flags(), CKF_USER_PIN_LOCKED);
    assert_int_equal(login(s, TEST_PIN), CKR_PIN_LOCKED);
    assert_int_equal(remove(path), 0);
    assert_int_equal(login(s, TEST_PIN), CKR_OK);
    p11_fixture_close();

    /* A count that cannot be kept: no login at all. */
    config_with("pin_sha256 = " TEST_PIN_SHA256, "no-such-dir/pin-count");
    p11_fixture_open(&s);
    assert_int_equal(login(s, TEST_PIN), CKR_DEVICE_ERROR);
    assert_int_equal(pin_flags(), CKF_USER_PIN_LOCKED);
    p11_fixture_close();
}

static void bad_settings(void **state)
{
    static const char *const bad[] = {
        "pin_max_failures = 0", "pin_max_failures = 1001",
        "pin_max_failures = x", "pin_failures_file = relative/path",
    };

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        p11_fixture_config(bad[i]);
        CHECK_CASE(bad[i], p11->C_Initialize(NULL) == CKR_GENERAL_ERROR);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(wrong_pins_lock_the_token),
        cmocka_unit_test(the_count_file_outlives_the_process),
        cmocka_unit_test(bad_settings),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
