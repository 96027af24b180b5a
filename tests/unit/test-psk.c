/* SPDX-License-Identifier: BSD-3-Clause */
/* PSK parsing and the client's option validation. */
#include "config.h"
#include "unit.h"

#include "skip/client.h"
#include "skip/psk.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void hex_and_ascii(void **state)
{
    skip_secbuf *key;
    skip_err err = {0};

    assert_int_equal(skip_psk_parse("0x000102030405060708090A0B0C0D0E0F", 34,
                                    &key, &err), SKIP_OK);
    assert_int_equal(key->len, 16);
    assert_int_equal(key->data[15], 0x0f);
    skip_secbuf_free(key);
    assert_int_equal(skip_psk_parse("correct horse battery", 21, &key, &err),
                     SKIP_OK);
    assert_int_equal(key->len, 21);
    assert_memory_equal(key->data, "correct horse battery", 21);
    skip_secbuf_free(key);
}

static void refused(void **state)
{
    static const char *const bad[] = {
        "0x00010203", "short", "0x0g0102030405060708090a0b0c0d0e0f",
        "0x000102030405060708090a0b0c0d0e0", "sixteen chars\n!!", "",
    };
    skip_secbuf *key;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        skip_err err = {0};
        CHECK_CASE(bad[i], skip_psk_parse(bad[i], strlen(bad[i]), &key, &err) ==
                               SKIP_E_CONFIG);
        CHECK_CASE(bad[i], key == NULL);
    }
}

/* Writes len bytes of 'k' to a new temporary file; returns its path. */
static char *temp_file(size_t len)
{
    static char path[64];
    int fd;

    snprintf(path, sizeof(path), "/tmp/skip-test-psk-XXXXXX");
    fd = mkstemp(path);
    assert_true(fd >= 0);
    for (size_t i = 0; i < len; i++)
        assert_int_equal(write(fd, "k", 1), 1);
    close(fd);
    return path;
}

/* A secret file is read whole up to its limit (its buffer sized to the file,
 * not the limit) and refused, naming the path, one byte over. */
static void secret_file_limits(void **state)
{
    skip_secbuf *buf;
    skip_err err = {0};
    char *path;

    path = temp_file(100);
    assert_int_equal(skip_secret_file_read(path, 1 << 20, &buf, &err), SKIP_OK);
    assert_int_equal(buf->len, 100);
    assert_true(buf->cap < 4096);
    assert_int_equal(buf->data[99], 'k');
    skip_secbuf_free(buf);
    unlink(path);

    path = temp_file(64);
    assert_int_equal(skip_secret_file_read(path, 64, &buf, &err), SKIP_OK);
    assert_int_equal(buf->len, 64);
    skip_secbuf_free(buf);
    unlink(path);

    path = temp_file(65);
    assert_int_equal(skip_secret_file_read(path, 64, &buf, &err), SKIP_E_CONFIG);
    assert_null(buf);
    assert_non_null(strstr(err.detail, path));
    assert_non_null(strstr(err.detail, "file too large"));
    unlink(path);

    path = temp_file(0);
    assert_int_equal(skip_secret_file_read(path, 64, &buf, &err), SKIP_OK);
    assert_int_equal(buf->len, 0);
    skip_secbuf_free(buf);
    unlink(path);
}

/* A KP's "identity:0xHEX" line copied into a client's file is named for
 * what it is (read as an ASCII key it failed with a bare TLS alert); an
 * ASCII key with a colon in it is still a key. */
static void server_line_in_a_client_file(void **state)
{
    char path[] = "/tmp/skip-psk-XXXXXX";
    skip_secbuf *psk = NULL;
    skip_err err = {0};
    int fd = mkstemp(path);

    assert_true(fd >= 0);
    assert_true(write(fd, "alice-encryptor:0x00112233445566778899aabbccddeeff\n", 50) == 50);
    close(fd);
    assert_int_equal(skip_psk_read_file(path, &psk, &err), SKIP_E_CONFIG);
    assert_null(psk);
    assert_non_null(strstr(err.detail, "holds an \"identity:key\" line"));
    assert_non_null(strstr(err.detail, path));
    fd = open(path, O_WRONLY | O_TRUNC);
    assert_true(write(fd, "an ASCII key: long enough\n", 26) == 26);
    close(fd);
    assert_int_equal(skip_psk_read_file(path, &psk, &err), SKIP_OK);
    assert_int_equal(psk->len, 25);
    skip_secbuf_free(psk);
    unlink(path);
}

static void client_options(void **state)
{
    skip_client_opts o;
    skip_err err = {0};

    skip_client_opts_init(&o);
    assert_int_equal(skip_client_opts_set(&o, "url", "http://kp", &err),
                     SKIP_E_CONFIG);
    assert_int_equal(skip_client_opts_set(&o, "tls", "none", &err), SKIP_E_CONFIG);
    assert_int_equal(skip_client_opts_set(&o, "tls_version", "1.0", &err),
                     SKIP_E_CONFIG);
    assert_int_equal(skip_client_opts_set(&o, "timeout_ms", "0", &err),
                     SKIP_E_CONFIG);
    assert_int_equal(skip_client_opts_set(&o, "psk_file", "/nonexistent", &err),
                     SKIP_E_CONFIG);
    assert_non_null(strstr(err.detail, "/nonexistent"));
    assert_int_equal(skip_client_opts_set(&o, "colour", "red", &err),
                     SKIP_E_NOT_FOUND);
    assert_int_equal(skip_client_opts_check(&o, &err), SKIP_E_CONFIG);
    assert_int_equal(skip_client_opts_set(&o, "url", "https://127.0.0.1:1", &err),
                     SKIP_OK);
    assert_int_equal(skip_client_opts_check(&o, &err), SKIP_E_CONFIG);
    assert_non_null(strstr(err.detail, "psk_identity"));
    assert_int_equal(skip_client_opts_set(&o, "tls", "cert", &err), SKIP_OK);
    assert_int_equal(skip_client_opts_check(&o, &err), SKIP_E_CONFIG);
    assert_non_null(strstr(err.detail, "ca_file"));
    assert_int_equal(skip_client_opts_set(&o, "ca_file", "/ca.pem", &err), SKIP_OK);
    assert_int_equal(skip_client_opts_check(&o, &err), SKIP_OK);
    skip_client_opts_clear(&o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hex_and_ascii),
        cmocka_unit_test(refused),
        cmocka_unit_test(secret_file_limits),
        cmocka_unit_test(client_options),
        cmocka_unit_test(server_line_in_a_client_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
