/* SPDX-License-Identifier: BSD-3-Clause */
/* The SKIP JSON codec: the draft's own examples, emit/parse round trips,
 * and one case per way a KP answer can be malformed. */
#include "config.h"
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>

#include "skip/json.h"
#include "skip/sysid.h"

#define DRAFT_KEY_ID "1726e9AE76234FB1dd1283d4dca1911e1f93864d70f3069e"
#define DRAFT_KEY "ad229dfb8a276e74c1f3b6c09349a69fb2fed73c541270663f0e5cbbfb031670"
#define DRAFT_RANDOM "AD229DFB8A276E74C1F3B6C09349A69FB2FED73C541270663F0E5CBBFB031670"

static skip_rc parse_caps(const char *body, skip_caps *caps)
{
    skip_err err = {0};

    return skip_json_parse_caps(body, strlen(body), caps, &err);
}

static void draft_capabilities_example(void **state)
{
    const char *body = "{\n  \"entropy\" : true,\n  \"key\" : true,\n"
                       "  \"algorithm\": \"PRF\",\n  \"localSystemID\": \"Alice\",\n"
                       "  \"remoteSystemID\": [\n    \"Bob\",\n    \"Eve\"\n  ]\n}\n";
    skip_caps caps;

    assert_int_equal(parse_caps(body, &caps), SKIP_OK);
    assert_true(caps.entropy);
    assert_true(caps.key);
    assert_string_equal(caps.algorithm, "PRF");
    assert_string_equal(caps.local_id, "Alice");
    assert_int_equal(caps.remote_count, 2);
    assert_string_equal(caps.remote_ids[0], "Bob");
    assert_string_equal(caps.remote_ids[1], "Eve");
    skip_caps_clear(&caps);
}

static void draft_key_example(void **state)
{
    const char *body = "{\n   \"keyId\" : \"" DRAFT_KEY_ID "\",\n   \"key\" : \""
                       DRAFT_KEY "\"\n}";
    skip_err err = {0};
    skip_key key;

    assert_int_equal(skip_json_parse_key(body, strlen(body), 32, NULL, 0, &key,
                                         &err), SKIP_OK);
    assert_int_equal(key.key_id_len, 24); /* a 192-bit keyId */
    assert_int_equal(key.key_id[0], 0x17);
    assert_int_equal(key.key_id[4], 0x76);
    assert_int_equal(key.key->len, 32);
    assert_int_equal(key.key->data[0], 0xad);
    skip_key_clear(&key);
    assert_null(key.key);
}

static void draft_entropy_example(void **state)
{
    const char *body = "{\n   \"randomStr\" : \"" DRAFT_RANDOM
                       "\",\n   \"minentropy\" : 256\n}";
    skip_secbuf *random;
    skip_err err = {0};

    assert_int_equal(skip_json_parse_entropy(body, strlen(body), 256, &random,
                                             &err), SKIP_OK);
    assert_int_equal(random->len, 32);
    assert_int_equal(random->data[31], 0x70);
    skip_secbuf_free(random);
}

static void ignores_unknown_fields(void **state)
{
    const char *body = "{\"extra\":{\"a\":[1,2]},\"keyId\":\"0011\","
                       "\"key\":\"" DRAFT_KEY "\",\"more\":null}";
    skip_err err = {0};
    skip_key key;

    assert_int_equal(skip_json_parse_key(body, strlen(body), 32, NULL, 0, &key,
                                         &err), SKIP_OK);
    skip_key_clear(&key);
}

struct bad_case {
    const char *name;
    const char *body;
    size_t want_key_len;
    const char *want_id; /* raw bytes or NULL */
};

static void malformed_key_answers(void **state)
{
    static const struct bad_case cases[] = {
        {"empty body", "", 32, NULL},
        {"not JSON", "keyId=1", 32, NULL},
        {"array", "[\"" DRAFT_KEY "\"]", 32, NULL},
        {"string", "\"x\"", 32, NULL},
        {"trailing data", "{\"keyId\":\"00\",\"key\":\"" DRAFT_KEY "\"} x", 32, NULL},
        {"missing keyId", "{\"key\":\"" DRAFT_KEY "\"}", 32, NULL},
        {"missing key", "{\"keyId\":\"00\"}", 32, NULL},
        {"keyId number", "{\"keyId\":12,\"key\":\"" DRAFT_KEY "\"}", 32, NULL},
        {"key number", "{\"keyId\":\"00\",\"key\":12}", 32, NULL},
        {"keyId empty", "{\"keyId\":\"\",\"key\":\"" DRAFT_KEY "\"}", 32, NULL},
        {"keyId odd", "{\"keyId\":\"001\",\"key\":\"" DRAFT_KEY "\"}", 32, NULL},
        {"keyId non-hex", "{\"keyId\":\"zz\",\"key\":\"" DRAFT_KEY "\"}", 32, NULL},
        {"keyId with space", "{\"keyId\":\"00 11\",\"key\":\"" DRAFT_KEY "\"}", 32, NULL},
        {"keyId too long",
         "{\"keyId\":\"00000000000000000000000000000000000000000000000000000000"
         "00000000000000000000000000000000000000000000000000000000000000000000"
         "000000\",\"key\":\"" DRAFT_KEY "\"}", 32, NULL},
        {"key odd", "{\"keyId\":\"00\",\"key\":\"abc\"}", 0, NULL},
        {"key non-hex", "{\"keyId\":\"00\",\"key\":\"0g" DRAFT_KEY "\"}", 0, NULL},
        {"key shorter than asked", "{\"keyId\":\"00\",\"key\":\"" DRAFT_KEY "\"}", 64, NULL},
        {"key longer than asked", "{\"keyId\":\"00\",\"key\":\"" DRAFT_KEY "\"}", 16, NULL},
        {"key empty", "{\"keyId\":\"00\",\"key\":\"\"}", 0, NULL},
        {"keyId other than asked", "{\"keyId\":\"01\",\"key\":\"" DRAFT_KEY "\"}", 32, "\x02"},
        {"keyId longer than asked", "{\"keyId\":\"0102\",\"key\":\"" DRAFT_KEY "\"}", 32, "\x01"},
        {"duplicate key", "{\"keyId\":\"00\",\"key\":\"" DRAFT_KEY "\",\"key\":\""
         DRAFT_KEY "\"}", 32, NULL},
        {"escaped NUL", "{\"keyId\":\"00\\u0000\",\"key\":\"" DRAFT_KEY "\"}", 32, NULL},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct bad_case *c = &cases[i];
        skip_err err = {0};
        skip_key key;
        skip_rc rc = skip_json_parse_key(c->body, strlen(c->body),
                                         c->want_key_len,
                                         (const unsigned char *)c->want_id,
                                         c->want_id ? strlen(c->want_id) : 0,
                                         &key, &err);
        CHECK_CASE(c->name, rc == SKIP_E_MALFORMED);
        CHECK_CASE(c->name, err.detail[0] != '\0');
        CHECK_CASE(c->name, key.key == NULL);
    }
}

static void raw_nul_and_oversize_bodies(void **state)
{
    static const char body[] = "{\"keyId\":\"00\",\"key\":\"00\"}\0";
    skip_err err = {0};
    skip_key key;
    char *big;

    assert_int_equal(skip_json_parse_key(body, sizeof(body) - 1, 0, NULL, 0,
                                         &key, &err), SKIP_E_MALFORMED);
    big = malloc(SKIP_BODY_MAX + 2);
    memset(big, ' ', SKIP_BODY_MAX + 1);
    assert_int_equal(skip_json_parse_key(big, SKIP_BODY_MAX + 1, 0, NULL, 0,
                                         &key, &err), SKIP_E_TOO_LARGE);
    free(big);
}

static void malformed_capabilities(void **state)
{
    static const struct {
        const char *name, *body;
    } cases[] = {
        {"missing entropy", "{\"key\":true,\"algorithm\":\"a\",\"localSystemID\":\"A\","
                            "\"remoteSystemID\":[\"B\"]}"},
        {"entropy string", "{\"entropy\":\"true\",\"key\":true,\"algorithm\":\"a\","
                           "\"localSystemID\":\"A\",\"remoteSystemID\":[\"B\"]}"},
        {"missing algorithm", "{\"entropy\":true,\"key\":true,\"localSystemID\":\"A\","
                              "\"remoteSystemID\":[\"B\"]}"},
        {"local id number", "{\"entropy\":true,\"key\":true,\"algorithm\":\"a\","
                            "\"localSystemID\":1,\"remoteSystemID\":[\"B\"]}"},
        {"local id empty", "{\"entropy\":true,\"key\":true,\"algorithm\":\"a\","
                           "\"localSystemID\":\"\",\"remoteSystemID\":[\"B\"]}"},
        {"local id control", "{\"entropy\":true,\"key\":true,\"algorithm\":\"a\","
                             "\"localSystemID\":\"A\\nB\",\"remoteSystemID\":[\"B\"]}"},
        {"local id bad UTF-8", "{\"entropy\":true,\"key\":true,\"algorithm\":\"a\","
                               "\"localSystemID\":\"A\xc3\",\"remoteSystemID\":[\"B\"]}"},
        {"local id overlong UTF-8", "{\"entropy\":true,\"key\":true,\"algorithm\":\"a\","
                                    "\"localSystemID\":\"\xc0\xaf\",\"remoteSystemID\":[\"B\"]}"},
        {"remote not array", "{\"entropy\":true,\"key\":true,\"algorithm\":\"a\","
                             "\"localSystemID\":\"A\",\"remoteSystemID\":\"B\"}"},
        {"remote empty", "{\"entropy\":true,\"key\":true,\"algorithm\":\"a\","
                         "\"localSystemID\":\"A\",\"remoteSystemID\":[]}"},
        {"remote entry number", "{\"entropy\":true,\"key\":true,\"algorithm\":\"a\","
                                "\"localSystemID\":\"A\",\"remoteSystemID\":[\"B\",3]}"},
        {"remote entry C1 control", "{\"entropy\":true,\"key\":true,\"algorithm\":\"a\","
                                    "\"localSystemID\":\"A\",\"remoteSystemID\":[\"\\u0085\"]}"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        skip_caps caps;
        CHECK_CASE(cases[i].name, parse_caps(cases[i].body, &caps) ==
                                      SKIP_E_MALFORMED);
        CHECK_CASE(cases[i].name, caps.remote_ids == NULL && caps.local_id == NULL);
    }
}

static void capability_limits(void **state)
{
    char *body = malloc(SKIP_BODY_MAX), id[SKIP_SYSTEM_ID_MAX + 2];
    size_t n;
    skip_caps caps;

    /* 257 remotes: one over the bound. */
    n = (size_t)sprintf(body, "{\"entropy\":true,\"key\":true,\"algorithm\":\"a\","
                              "\"localSystemID\":\"A\",\"remoteSystemID\":[");
    for (int i = 0; i <= SKIP_REMOTE_MAX; i++)
        n += (size_t)sprintf(body + n, "%s\"R%d\"", i ? "," : "", i);
    strcpy(body + n, "]}");
    assert_int_equal(parse_caps(body, &caps), SKIP_E_MALFORMED);

    /* A 255-byte id is fine, 256 is not. */
    memset(id, 'x', sizeof(id));
    for (int len = SKIP_SYSTEM_ID_MAX; len <= SKIP_SYSTEM_ID_MAX + 1; len++) {
        id[len] = '\0';
        sprintf(body, "{\"entropy\":true,\"key\":false,\"algorithm\":\"a\","
                      "\"localSystemID\":\"%s\",\"remoteSystemID\":[\"B\"]}", id);
        assert_int_equal(parse_caps(body, &caps),
                         len == SKIP_SYSTEM_ID_MAX ? SKIP_OK : SKIP_E_MALFORMED);
        skip_caps_clear(&caps);
        id[len] = 'x';
    }
    free(body);
}

static void malformed_entropy(void **state)
{
    static const struct {
        const char *name, *body;
    } cases[] = {
        {"minentropy mismatch", "{\"randomStr\":\"" DRAFT_RANDOM "\",\"minentropy\":128}"},
        {"minentropy fraction", "{\"randomStr\":\"" DRAFT_RANDOM "\",\"minentropy\":256.5}"},
        {"minentropy string", "{\"randomStr\":\"" DRAFT_RANDOM "\",\"minentropy\":\"256\"}"},
        {"minentropy missing", "{\"randomStr\":\"" DRAFT_RANDOM "\"}"},
        {"randomStr short", "{\"randomStr\":\"00\",\"minentropy\":256}"},
        {"randomStr odd", "{\"randomStr\":\"000\",\"minentropy\":256}"},
        {"randomStr non-hex", "{\"randomStr\":\"x" DRAFT_RANDOM "\",\"minentropy\":256}"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        skip_secbuf *random = NULL;
        skip_err err = {0};
        CHECK_CASE(cases[i].name,
                   skip_json_parse_entropy(cases[i].body, strlen(cases[i].body),
                                           256, &random, &err) == SKIP_E_MALFORMED);
        CHECK_CASE(cases[i].name, random == NULL);
    }
}

static void emit_round_trips(void **state)
{
    const unsigned char id[16] = {0xAB, 1, 2, 3}, k[32] = {0xCD, 9};
    char *remotes[] = {"Bob", "KP_*_LOC1"};
    skip_caps caps = {true, false, "PRF", "Alice", remotes, 2}, back;
    skip_secbuf *body = skip_json_emit_key(id, sizeof(id), k, sizeof(k));
    skip_err err = {0};
    skip_key key;
    char *text;

    assert_non_null(body);
    /* keyId goes out in lower case. */
    assert_non_null(strstr((char *)body->data, "\"keyId\":\"ab010203"));
    assert_int_equal(skip_json_parse_key((char *)body->data, body->len, 32, id,
                                         16, &key, &err), SKIP_OK);
    assert_memory_equal(key.key->data, k, 32);
    skip_key_clear(&key);
    skip_secbuf_free(body);

    body = skip_json_emit_entropy(k, 16);
    assert_string_equal((char *)body->data,
                        "{\"randomStr\":\"cd090000000000000000000000000000\","
                        "\"minentropy\":128}");
    skip_secbuf_free(body);

    text = skip_json_emit_caps(&caps);
    assert_int_equal(parse_caps(text, &back), SKIP_OK);
    assert_false(back.key);
    assert_string_equal(back.remote_ids[1], "KP_*_LOC1");
    skip_caps_clear(&back);
    free(text);
}

static void system_ids(void **state)
{
    assert_true(skip_system_id_valid("Alice", 5));
    assert_true(skip_system_id_valid("Zürich-1", strlen("Zürich-1")));
    assert_true(skip_system_id_valid("KP [1]", 6));
    assert_false(skip_system_id_valid("", 0));
    assert_false(skip_system_id_valid("a\tb", 3));
    assert_false(skip_system_id_valid("a\x7f", 2));
    assert_false(skip_system_id_valid("\xed\xa0\x80", 3)); /* surrogate */
    assert_false(skip_system_id_valid("\xf4\x90\x80\x80", 4)); /* > U+10FFFF */
}

/* The message of an error answer: skip-kpd's "error", ETSI 014's
 * "message", "detail", or plain text; bounded and escaped. */
static void error_texts(void **state)
{
    static const struct {
        const char *body, *want;
    } cases[] = {
        {"{\"error\":\"size must be a multiple of 8\"}", "size must be a multiple of 8"},
        {"{\"message\":\"bad request\",\"details\":[{\"x\":1}]}", "bad request"},
        {"{\"detail\":\"missing remoteSystemID\"}", "missing remoteSystemID"},
        {"{\"status\":422}", ""},
        {"[\"error\"]", ""},
        {"{\"error\":7}", ""},
        {"Bad Request\r\n", "Bad Request"},
        {"line\nfeed\x1b[31m", "line\\x0afeed\\x1b[31m"},
        {"{\"error\":\"back\\\\slash\"}", "back\\x5cslash"},
        {"", ""},
    };
    char out[SKIP_ERROR_TEXT_MAX + 1], big[1000];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        skip_json_error_text(cases[i].body, strlen(cases[i].body), out, sizeof(out));
        CHECK_CASE(cases[i].body, strcmp(out, cases[i].want) == 0);
    }
    memset(big, 'x', sizeof(big));
    skip_json_error_text(big, sizeof(big), out, sizeof(out));
    assert_int_equal(strlen(out), SKIP_ERROR_TEXT_MAX);
    memset(big, '\n', 10);
    skip_json_error_text(big, sizeof(big), out, 16);
    assert_int_equal(strlen(out), 12); /* three whole escapes, no half one */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(error_texts),
        cmocka_unit_test(draft_capabilities_example),
        cmocka_unit_test(draft_key_example),
        cmocka_unit_test(draft_entropy_example),
        cmocka_unit_test(ignores_unknown_fields),
        cmocka_unit_test(malformed_key_answers),
        cmocka_unit_test(raw_nul_and_oversize_bodies),
        cmocka_unit_test(malformed_capabilities),
        cmocka_unit_test(capability_limits),
        cmocka_unit_test(malformed_entropy),
        cmocka_unit_test(emit_round_trips),
        cmocka_unit_test(system_ids),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
