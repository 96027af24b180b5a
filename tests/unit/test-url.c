/* SPDX-License-Identifier: BSD-3-Clause */
/* Request URLs, percent-encoding and query parsing. */
#include "config.h"
#include "unit.h"

#include <stdlib.h>

#include "skip/url.h"

static void builds_urls(void **state)
{
    const unsigned char id[] = {0xAB, 0xCD, 0x01};
    char *url;

    url = skip_url_caps("https://kp:8443/");
    assert_string_equal(url, "https://kp:8443/capabilities");
    free(url);
    url = skip_url_key("https://kp:8443", "Bob", 0);
    assert_string_equal(url, "https://kp:8443/key?remoteSystemID=Bob");
    free(url);
    url = skip_url_key("https://kp:8443", "Bob", 128);
    assert_string_equal(url, "https://kp:8443/key?remoteSystemID=Bob&size=128");
    free(url);
    url = skip_url_key_by_id("https://kp:8443//", id, sizeof(id), "Alice");
    assert_string_equal(url, "https://kp:8443/key/abcd01?remoteSystemID=Alice");
    free(url);
    url = skip_url_entropy("https://kp", 0);
    assert_string_equal(url, "https://kp/entropy");
    free(url);
    url = skip_url_entropy("https://kp", 128);
    assert_string_equal(url, "https://kp/entropy?minentropy=128");
    free(url);
}

static void percent_encodes_remote(void **state)
{
    char *url = skip_url_key("https://kp", "KP A&B=C/ü?#%+", 0);

    assert_string_equal(url, "https://kp/key?remoteSystemID="
                             "KP%20A%26B%3DC%2F%C3%BC%3F%23%25%2B");
    free(url);
    assert_null(skip_url_key("https://kp", "", 0));
    assert_null(skip_url_key("https://kp", "a\nb", 0));
    assert_null(skip_url_key("https://kp", NULL, 0));
}

static void encode_respects_capacity(void **state)
{
    char out[4];

    assert_int_equal(skip_url_encode("abc", out, sizeof(out)), 3);
    assert_int_equal(skip_url_encode("abcd", out, sizeof(out)), (size_t)-1);
    assert_int_equal(skip_url_encode("a b", out, sizeof(out)), (size_t)-1);
}

static void reads_query(void **state)
{
    char v[32];

    assert_int_equal(skip_query_get("remoteSystemID=Bob&size=128", "size", v,
                                    sizeof(v)), SKIP_OK);
    assert_string_equal(v, "128");
    assert_int_equal(skip_query_get("remoteSystemID=K%50%20A+B", "remoteSystemID",
                                    v, sizeof(v)), SKIP_OK);
    assert_string_equal(v, "KP A+B");
    assert_int_equal(skip_query_get("a=1", "size", v, sizeof(v)),
                     SKIP_E_NOT_FOUND);
    assert_int_equal(skip_query_get(NULL, "size", v, sizeof(v)),
                     SKIP_E_NOT_FOUND);
    assert_int_equal(skip_query_get("sizes=1&xsize=2", "size", v, sizeof(v)),
                     SKIP_E_NOT_FOUND);
    assert_int_equal(skip_query_get("size=", "size", v, sizeof(v)), SKIP_OK);
    assert_string_equal(v, "");
}

static void refuses_bad_query(void **state)
{
    static const char *const bad[] = {
        "size=1&size=2", "size=%", "size=%4", "size=%zz", "size=%00",
        "size", "size=0123456789012345678901234567890123",
    };
    char v[32];

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CHECK_CASE(bad[i], skip_query_get(bad[i], "size", v, sizeof(v)) ==
                               SKIP_E_MALFORMED);
}

static void parses_numbers(void **state)
{
    unsigned v;

    assert_int_equal(skip_parse_uint("128", 8, 2048, &v), SKIP_OK);
    assert_int_equal(v, 128);
    assert_int_equal(skip_parse_uint("0128", 8, 2048, &v), SKIP_OK);
    assert_int_equal(skip_parse_uint("", 0, 10, &v), SKIP_E_MALFORMED);
    assert_int_equal(skip_parse_uint("+1", 0, 10, &v), SKIP_E_MALFORMED);
    assert_int_equal(skip_parse_uint("-1", 0, 10, &v), SKIP_E_MALFORMED);
    assert_int_equal(skip_parse_uint("1e3", 0, 10000, &v), SKIP_E_MALFORMED);
    assert_int_equal(skip_parse_uint("4096", 8, 2048, &v), SKIP_E_MALFORMED);
    assert_int_equal(skip_parse_uint("1234567890", 0, 4000000000u, &v),
                     SKIP_E_MALFORMED);
    assert_int_equal(skip_parse_uint("invalid", 0, 10, &v), SKIP_E_MALFORMED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(builds_urls),
        cmocka_unit_test(percent_encodes_remote),
        cmocka_unit_test(encode_respects_capacity),
        cmocka_unit_test(reads_query),
        cmocka_unit_test(refuses_bad_query),
        cmocka_unit_test(parses_numbers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
