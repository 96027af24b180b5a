/* SPDX-License-Identifier: BSD-3-Clause */
/* The ETSI GS QKD 014 wire: key_ID <-> keyId, request bodies, Status and
 * Key container answers, good and bad. */
#include "config.h"
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>

#include "kpd/etsi014-wire.h"
#include "skip/hex.h"

/* Each key_ID comes back exactly; a canonical UUID takes 16 bytes, the
 * rest the tagged form, never 16 bytes. */
static void key_ids_round_trip(void **state)
{
    static const struct {
        const char *key_id;
        size_t len;
    } cases[] = {
        {"bc490419-7d60-487f-adc1-4ddcc177c139", 16},
        {"BC490419-7D60-487F-ADC1-4DDCC177C139", 37}, /* upper case: tagged */
        {"bc490419-7d60-487f-adc1-4ddcc177c13", 36},  /* 35 chars */
        {"qkd-key-1", 10},
        {"fifteen-bytes!!", 17}, /* 1 + 15 = 16: padded to 17 */
        {"sixteen-bytes!!!", 17},
        {"x", 2},
        {"an-id-of-exactly-sixty-two-bytes-long-for-the-upper-limit-----", 63},
    };
    unsigned char id[64];
    char back[ETSI014_KEY_ID_MAX + 1];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t len = 0;
        CHECK_CASE(cases[i].key_id, etsi014_key_id_encode(cases[i].key_id, id, &len));
        CHECK_CASE(cases[i].key_id, len == cases[i].len);
        CHECK_CASE(cases[i].key_id, etsi014_key_id_decode(id, len, back));
        CHECK_CASE(cases[i].key_id, strcmp(back, cases[i].key_id) == 0);
    }
}

static void bad_key_ids(void **state)
{
    static const char *const refused[] = {
        "",
        "an-id-of-exactly-sixty-three-bytes-long-over-the-upper-limit----",
        "tab\there",
        "caf\xc3\xa9",
    };
    unsigned char id[64];
    char back[ETSI014_KEY_ID_MAX + 1];
    size_t len;

    (void)state;
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
        CHECK_CASE(refused[i], !etsi014_key_id_encode(refused[i], id, &len));
    /* keyIds no key_ID encodes to: untagged, empty, control bytes */
    assert_false(etsi014_key_id_decode((const unsigned char *)"\x01" "abc", 4, back));
    assert_false(etsi014_key_id_decode((const unsigned char *)"\x00", 1, back));
    assert_false(etsi014_key_id_decode((const unsigned char *)"\x00" "a\nb", 4, back));
    assert_false(etsi014_key_id_decode((const unsigned char *)"\x00" "ab\x00", 4, back));
}

static void request_bodies(void **state)
{
    char *enc = etsi014_enc_keys_body(1, 256);
    char *dec = etsi014_dec_keys_body("a\"b");

    (void)state;
    assert_string_equal(enc, "{\"number\":1,\"size\":256}");
    assert_string_equal(dec, "{\"key_IDs\":[{\"key_ID\":\"a\\\"b\"}]}");
    free(enc);
    free(dec);
}

#define STATUS(extra)                                                          \
    "{\"source_KME_ID\":\"A\",\"target_KME_ID\":\"B\",\"master_SAE_ID\":\"a\","  \
    "\"slave_SAE_ID\":\"b\",\"key_size\":256,\"stored_key_count\":25000,"        \
    "\"max_key_count\":100000,\"max_key_per_request\":128,\"max_key_size\":1024," \
    "\"min_key_size\":64,\"max_SAE_ID_count\":0" extra "}"

static void status_answers(void **state)
{
    static const struct {
        const char *body, *want; /* want: NULL for good */
    } cases[] = {
        {STATUS(""), NULL},
        {STATUS(",\"status_extension\":{\"x\":[1,2]}"), NULL},
        {"{\"key_size\":256}", "min_key_size"},
        {STATUS(",\"key_size\":\"256\""), NULL}, /* duplicate: cJSON takes the first */
        {"{\"key_size\":256.5,\"min_key_size\":64,\"max_key_size\":1024,"
         "\"stored_key_count\":1}", "key_size is not a whole number"},
        {"{\"key_size\":256,\"min_key_size\":2048,\"max_key_size\":1024,"
         "\"stored_key_count\":1}", "min_key_size 2048 over max_key_size 1024"},
        {"{\"key_size\":256,\"min_key_size\":64,\"max_key_size\":1024,"
         "\"stored_key_count\":-1}", "stored_key_count"},
        {"<html>503</html>", "not JSON"},
        {"[]", "not an object"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        etsi014_status st = {0};
        skip_err err = {0};
        skip_rc rc = etsi014_parse_status(cases[i].body, strlen(cases[i].body),
                                          &st, &err);
        if (cases[i].want == NULL) {
            CHECK_CASE(cases[i].body, rc == SKIP_OK);
            CHECK_CASE(cases[i].body, st.key_size == 256 && st.min_key_size == 64 &&
                                          st.max_key_size == 1024 &&
                                          st.stored_key_count == 25000);
        } else {
            CHECK_CASE(cases[i].body, rc == SKIP_E_MALFORMED);
            if (strstr(err.detail, cases[i].want) == NULL)
                fail_msg("want \"%s\", got \"%s\"", cases[i].want, err.detail);
        }
    }
}

/* 32 bytes 00..1f in base64 */
#define KEY32 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="

static void key_containers(void **state)
{
    static const struct {
        const char *body, *want;
    } cases[] = {
        {"{\"keys\":[{\"key_ID\":\"bc490419-7d60-487f-adc1-4ddcc177c139\","
         "\"key\":\"" KEY32 "\"}]}", NULL},
        {"{\"keys\":[{\"key_ID\":\"bc490419-7d60-487f-adc1-4ddcc177c139\","
         "\"key_ID_extension\":{\"a\":1},\"key\":\"" KEY32 "\",\"key_extension\":null}],"
         "\"key_container_extension\":[]}", NULL},
        {"{\"keys\":[]}", "array of one key"},
        {"{\"keys\":[{\"key_ID\":\"a\",\"key\":\"" KEY32 "\"},"
         "{\"key_ID\":\"b\",\"key\":\"" KEY32 "\"}]}", "array of one key"},
        {"{\"keys\":{}}", "array of one key"},
        {"{\"keys\":[{\"key\":\"" KEY32 "\"}]}", "key_ID and key strings"},
        {"{\"keys\":[{\"key_ID\":\"a\",\"key\":123}]}", "key_ID and key strings"},
        {"{\"keys\":[{\"key_ID\":\"a\",\"key\":\"AAEC AwQF\"}]}", "canonical base64"},
        {"{\"keys\":[{\"key_ID\":\"a\",\"key\":\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8\"}]}",
         "canonical base64"}, /* unpadded */
        {"{\"keys\":[{\"key_ID\":\"a\",\"key\":\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9=\"}]}",
         "canonical base64"}, /* non-zero padding bits */
        {"{\"keys\":[{\"key_ID\":\"a\",\"key\":\"AAECAwQFBgcICQoLDA0ODw==\"}]}", NULL},
        {"{\"keys\":[{\"key_ID\":\"a\",\"key\":\"AAECAwQFBgcICQoLDA0O\"}]}",
         "key of 15 bytes"},
        {"{\"keys\":[{\"key_ID\":\"\",\"key\":\"" KEY32 "\"}]}", "key_ID of 0 bytes"},
        {"{\"keys\":[{\"key_ID\":\"a\",\"key\":\"" KEY32 "\"}]} x", "after the JSON"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char key_id[ETSI014_KEY_ID_MAX + 1] = "";
        skip_secbuf *key = NULL;
        skip_err err = {0};
        skip_rc rc = etsi014_parse_key(cases[i].body, strlen(cases[i].body),
                                       key_id, &key, &err);
        if (cases[i].want == NULL) {
            CHECK_CASE(cases[i].body, rc == SKIP_OK && key != NULL);
            CHECK_CASE(cases[i].body, key->len == 32 || key->len == 16);
            for (size_t b = 0; b < key->len; b++)
                CHECK_CASE(cases[i].body, key->data[b] == b);
        } else {
            CHECK_CASE(cases[i].body, rc != SKIP_OK && key == NULL);
            if (strstr(err.detail, cases[i].want) == NULL)
                fail_msg("want \"%s\", got \"%s\"", cases[i].want, err.detail);
        }
        skip_secbuf_free(key);
    }
}

/* A container of several keys (a prefetch batch): all of them, up to the
 * number asked; one bad key spoils the batch and none is kept. */
static void key_lists(void **state)
{
    static const char three[] =
        "{\"keys\":[{\"key_ID\":\"a\",\"key\":\"" KEY32 "\"},"
        "{\"key_ID\":\"b\",\"key\":\"" KEY32 "\"},"
        "{\"key_ID\":\"c\",\"key\":\"" KEY32 "\"}]}";
    static const char bad_third[] =
        "{\"keys\":[{\"key_ID\":\"a\",\"key\":\"" KEY32 "\"},"
        "{\"key_ID\":\"b\",\"key\":\"" KEY32 "\"},"
        "{\"key_ID\":\"c\",\"key\":\"AAE\"}]}";
    etsi014_key keys[4];
    skip_err err = {0};
    size_t n = 9;

    (void)state;
    assert_int_equal(etsi014_parse_keys(three, strlen(three), keys, 4, &n, &err), SKIP_OK);
    assert_int_equal(n, 3);
    assert_string_equal(keys[2].key_id, "c");
    assert_int_equal(keys[1].key->len, 32);
    etsi014_keys_clear(keys, n);
    assert_int_equal(etsi014_parse_keys(three, strlen(three), keys, 2, &n, &err),
                     SKIP_E_MALFORMED);
    assert_int_equal(n, 0);
    assert_int_equal(etsi014_parse_keys(bad_third, strlen(bad_third), keys, 4, &n, &err),
                     SKIP_E_MALFORMED);
    assert_int_equal(n, 0);
    assert_non_null(strstr(err.detail, "canonical base64"));
}

static void status_max_per_request(void **state)
{
    static const char *const bodies[] = {
        "{\"key_size\":256,\"min_key_size\":64,\"max_key_size\":1024,"
        "\"stored_key_count\":1,\"max_key_per_request\":128}",
        "{\"key_size\":256,\"min_key_size\":64,\"max_key_size\":1024,"
        "\"stored_key_count\":1}",
        "{\"key_size\":256,\"min_key_size\":64,\"max_key_size\":1024,"
        "\"stored_key_count\":1,\"max_key_per_request\":0}",
    };
    etsi014_status st;
    skip_err err = {0};

    (void)state;
    assert_int_equal(etsi014_parse_status(bodies[0], strlen(bodies[0]), &st, &err), SKIP_OK);
    assert_int_equal(st.max_key_per_request, 128);
    assert_int_equal(etsi014_parse_status(bodies[1], strlen(bodies[1]), &st, &err), SKIP_OK);
    assert_int_equal(st.max_key_per_request, 1); /* not said: one at a time */
    assert_int_equal(etsi014_parse_status(bodies[2], strlen(bodies[2]), &st, &err),
                     SKIP_E_MALFORMED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(key_ids_round_trip),
        cmocka_unit_test(bad_key_ids),
        cmocka_unit_test(request_bodies),
        cmocka_unit_test(status_answers),
        cmocka_unit_test(key_containers),
        cmocka_unit_test(key_lists),
        cmocka_unit_test(status_max_per_request),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
