/* SPDX-License-Identifier: BSD-3-Clause */
/* Strict hex decoding and lower-case encoding. */
#include "config.h"
#include "unit.h"

#include "skip/hex.h"

static void decodes_mixed_case(void **state)
{
    unsigned char out[8];
    size_t n = 0;

    assert_true(skip_hex_decode("00fFaA09", 8, out, sizeof(out), &n));
    assert_int_equal(n, 4);
    assert_memory_equal(out, "\x00\xff\xaa\x09", 4);
}

static void refuses_bad_input(void **state)
{
    static const char *const bad[] = {"0", "0g", "g0", " 0", "0x00", "-1",
                                      "0\n", "@0", "`0", "G0", "/0", ":0"};
    unsigned char out[8];

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CHECK_CASE(bad[i], !skip_hex_decode(bad[i], strlen(bad[i]), out,
                                            sizeof(out), NULL));
}

static void refuses_every_non_hex_byte(void **state)
{
    unsigned char out[1];

    for (int c = 0; c < 256; c++) {
        char s[2] = {(char)c, '0'};
        bool is_hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
                      (c >= 'A' && c <= 'F');
        assert_int_equal(skip_hex_decode(s, 2, out, 1, NULL), is_hex);
    }
}

static void respects_capacity(void **state)
{
    unsigned char out[2] = {0x55, 0x55};

    assert_false(skip_hex_decode("000000", 6, out, 2, NULL));
    assert_int_equal(out[0], 0x55); /* nothing written when refused */
}

static void encodes_lower_case(void **state)
{
    char hex[9];

    skip_hex_encode((const unsigned char *)"\x00\xff\xaa\x09", 4, hex);
    assert_string_equal(hex, "00ffaa09");
}

static void round_trips_all_bytes(void **state)
{
    unsigned char in[256], out[256];
    char hex[513];
    size_t n;

    for (int i = 0; i < 256; i++)
        in[i] = (unsigned char)i;
    skip_hex_encode(in, 256, hex);
    assert_true(skip_hex_decode(hex, 512, out, sizeof(out), &n));
    assert_int_equal(n, 256);
    assert_memory_equal(in, out, 256);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(decodes_mixed_case),
        cmocka_unit_test(refuses_bad_input),
        cmocka_unit_test(refuses_every_non_hex_byte),
        cmocka_unit_test(respects_capacity),
        cmocka_unit_test(encodes_lower_case),
        cmocka_unit_test(round_trips_all_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
