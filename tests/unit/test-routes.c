/* SPDX-License-Identifier: BSD-3-Clause */
/* The SKIP API's status codes, straight through the router. The integration
 * tests send the same requests over TLS; this is the exhaustive table. */
#include "config.h"
#include "unit.h"
#include "kpd-fixture.h"

#include <stdio.h>

#include "kpd/routes.h"

static struct fixture f;
static kpd_ctx alice;

static int setup(void **state)
{
    fixture_setup(&f, NULL);
    memset(&alice, 0, sizeof(alice));
    alice.cfg = f.alice_cfg;
    alice.sync = f.alice;
    alice.ledger = f.alice_ledger;
    alice.audit_fd = -1;
    assert_true(kpd_metrics_init(&alice.metrics, alice.cfg.peer_count));
    return 0;
}

static int teardown(void **state)
{
    kpd_metrics_free(&alice.metrics);
    fixture_teardown(&f);
    return 0;
}

static int route(const char *method, const char *uri, kpd_reply *reply)
{
    return fixture_route(&alice, method, uri, reply);
}

static void status_table(void **state)
{
    static const struct {
        const char *method, *uri;
        int status;
    } rows[] = {
        {"GET", "/capabilities", 200},
        {"GET", "/capabilities?x=1", 200},
        {"GET", "/key?remoteSystemID=Bob", 200},
        {"GET", "/key?remoteSystemID=Bob&size=128", 200},
        {"GET", "/key?remoteSystemID=Bob&size=2048", 200},
        {"GET", "/key?remoteSystemID=Bob&other=ignored", 200},
        {"GET", "/key", 400},
        {"GET", "/key?size=256", 400},
        {"GET", "/key?remoteSystemID=", 400},
        {"GET", "/key?remoteSystemID=Eve", 400},
        {"GET", "/key?remoteSystemID=B%6fb", 200},
        {"GET", "/key?remoteSystemID=Bob&remoteSystemID=Bob", 400},
        {"GET", "/key?remoteSystemID=%0aBob", 400},
        {"GET", "/key?remoteSystemID=Bob&size=100", 400},
        {"GET", "/key?remoteSystemID=Bob&size=120", 400},
        {"GET", "/key?remoteSystemID=Bob&size=4096", 400},
        {"GET", "/key?remoteSystemID=Bob&size=abc", 400},
        {"GET", "/key?remoteSystemID=Bob&size=", 400},
        {"GET", "/key/", 400},
        {"GET", "/key/zz?remoteSystemID=Bob", 400},
        {"GET", "/key/abc?remoteSystemID=Bob", 400},
        {"GET", "/key/00112233445566778899aabbccddeeff?remoteSystemID=Bob", 400},
        {"GET", "/key/00112233445566778899aabbccddeeff", 400},
        {"GET", "/entropy", 200},
        {"GET", "/entropy?minentropy=128", 200},
        {"GET", "/entropy?minentropy=32768", 200},
        {"GET", "/entropy?minentropy=invalid", 400},
        {"GET", "/entropy?minentropy=0", 400},
        {"GET", "/entropy?minentropy=12", 400},
        {"GET", "/entropy?minentropy=40000", 400},
        {"GET", "/", 404},
        {"GET", "/keys", 404},
        {"GET", "/capabilities/", 404},
        {"GET", "/KEY?remoteSystemID=Bob", 404},
        {"GET", "", 404},
    };

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        kpd_reply reply;
        int status = route(rows[i].method, rows[i].uri, &reply);
        if (status != rows[i].status)
            fail_msg("%s %s: %d, want %d", rows[i].method, rows[i].uri, status,
                     rows[i].status);
        kpd_reply_clear(&reply);
    }
}

static void other_methods_get_405_with_allow(void **state)
{
    static const char *const methods[] = {"POST", "PUT", "DELETE", "PATCH",
                                          "HEAD", "OPTIONS", "TRACE", "CONNECT"};
    static const char *const paths[] = {"/capabilities", "/key?remoteSystemID=Bob",
                                        "/key/00", "/entropy"};

    for (size_t m = 0; m < 8; m++)
        for (size_t p = 0; p < 4; p++) {
            kpd_reply reply;
            CHECK_CASE(methods[m], route(methods[m], paths[p], &reply) == 405);
            CHECK_CASE(methods[m], reply.allow_get);
            kpd_reply_clear(&reply);
        }
}

static void key_body_has_requested_size(void **state)
{
    kpd_reply reply;
    char *key;

    assert_int_equal(route("GET", "/key?remoteSystemID=Bob&size=128", &reply), 200);
    key = strstr((char *)reply.body->data, "\"key\":\"");
    assert_non_null(key);
    assert_int_equal(strcspn(key + 7, "\""), 32);
    kpd_reply_clear(&reply);
}

static void entropy_default_is_256_bits(void **state)
{
    kpd_reply reply;
    char *hex;

    assert_int_equal(route("GET", "/entropy", &reply), 200);
    hex = strstr((char *)reply.body->data, "\"randomStr\":\"");
    assert_int_equal(strcspn(hex + 13, "\""), 64);
    assert_non_null(strstr((char *)reply.body->data, "\"minentropy\":256}"));
    kpd_reply_clear(&reply);
}

static void entropy_failure_is_503(void **state)
{
    kpd_reply reply;

    alice.cfg.entropy_file = "/nonexistent/hwrng";
    assert_int_equal(route("GET", "/entropy", &reply), 503);
    kpd_reply_clear(&reply);
    alice.cfg.entropy_file = NULL;
}

static void draining_answers_503(void **state)
{
    kpd_reply reply;

    alice.draining = true;
    assert_int_equal(route("GET", "/capabilities", &reply), 503);
    kpd_reply_clear(&reply);
    alice.draining = false;
}

static void capabilities_list_peers(void **state)
{
    kpd_reply reply;

    assert_int_equal(route("GET", "/capabilities", &reply), 200);
    assert_string_equal((char *)reply.body->data,
                        "{\"entropy\":true,\"key\":true,\"algorithm\":"
                        "\"PRF-HKDF-SHA256\",\"localSystemID\":\"Alice\","
                        "\"remoteSystemID\":[\"Bob\"]}");
    kpd_reply_clear(&reply);
}

/* [client] rules: who may ask keys for which remote. A refusal is byte for
 * byte a key not found; /capabilities lists what the client may ask for. */
/* Every call is counted once, by route and status; keys per peer;
 * refusals by cause (routes.c's account()). */
static void calls_are_counted(void **state)
{
    kpd_metrics *m = &alice.metrics;
    size_t bob = (size_t)(kpd_config_peer(&alice.cfg, "Bob") - alice.cfg.peers);
    unsigned ok = kpd_metrics_status_index(200), bad = kpd_metrics_status_index(400);
    kpd_reply reply;

    (void)state;
    /* the group's other tests counted too: from zero here */
    memset(m->requests, 0, sizeof(m->requests));
    memset(m->refusals, 0, sizeof(m->refusals));
    memset(&m->request_seconds, 0, sizeof(m->request_seconds));
    m->issued[bob] = 0;
    assert_int_equal(fixture_route(&alice, "GET", "/key?remoteSystemID=Bob",
                                   &reply), 200);
    kpd_reply_clear(&reply);
    assert_int_equal(fixture_route(&alice, "GET", "/key/zz?remoteSystemID=Bob",
                                   &reply), 400);
    kpd_reply_clear(&reply);
    assert_int_equal(fixture_route(&alice, "GET",
                                   "/key/00112233445566778899aabbccddeeff"
                                   "?remoteSystemID=Bob", &reply), 400);
    kpd_reply_clear(&reply);
    assert_int_equal(fixture_route(&alice, "GET", "/nowhere", &reply), 404);
    kpd_reply_clear(&reply);
    assert_int_equal(m->requests[KPD_ROUTE_KEY][ok], 1);
    assert_int_equal(m->requests[KPD_ROUTE_KEY_BY_ID][bad], 2);
    assert_int_equal(m->requests[KPD_ROUTE_OTHER][kpd_metrics_status_index(404)], 1);
    assert_int_equal(m->issued[bob], 1);
    assert_int_equal(m->refusals[KPD_CAUSE_BAD_REQUEST], 1);
    assert_int_equal(m->refusals[KPD_CAUSE_INVALID], 1); /* layout 0 */
    assert_int_equal(m->request_seconds.count, 4);
}

static void clients_ask_only_their_remotes(void **state)
{
    static const char only_carol[] =
        "[client carol-only]\nmatch = cert:/CN=carol-only\nremotes = Carol\n"
        "[client pinned]\nmatch = spki:" "00112233445566778899aabbccddeeff"
        "00112233445566778899aabbccddeeff\nremotes = B*\n";
    struct fixture g;
    kpd_ctx ctx = {.audit_fd = -1};
    kpd_reply not_found, refused, reply;
    char id_hex[33] = "";

    (void)state;
    fixture_setup(&g, only_carol);
    ctx.cfg = g.alice_cfg;
    ctx.sync = g.alice;
    ctx.ledger = g.alice_ledger;
    /* the reference: a keyId Alice never issued */
    assert_int_equal(fixture_route(&ctx, "GET",
                                   "/key/00112233445566778899aabbccddeeff"
                                   "?remoteSystemID=Bob", &not_found), 400);
    assert_int_equal(fixture_route_as(&ctx, "cert:/CN=carol-only", "GET",
                                      "/key?remoteSystemID=Bob", &refused), 400);
    assert_int_equal(refused.body->len, not_found.body->len);
    assert_memory_equal(refused.body->data, not_found.body->data,
                        not_found.body->len);
    kpd_reply_clear(&refused);
    /* a real keyId for Bob, asked by a client that may not: the same */
    assert_int_equal(fixture_route(&ctx, "GET", "/key?remoteSystemID=Bob",
                                   &reply), 200);
    memcpy(id_hex, strstr((char *)reply.body->data, "\"keyId\":\"") + 9, 32);
    kpd_reply_clear(&reply);
    {
        char uri[128];
        snprintf(uri, sizeof(uri), "/key/%s?remoteSystemID=Bob", id_hex);
        assert_int_equal(fixture_route_as(&ctx, "psk:stranger", "GET", uri,
                                          &refused), 400);
        assert_memory_equal(refused.body->data, not_found.body->data,
                            not_found.body->len);
        kpd_reply_clear(&refused);
    }
    /* what each may see */
    assert_int_equal(fixture_route_as(&ctx, "cert:/CN=carol-only", "GET",
                                      "/capabilities", &reply), 200);
    assert_non_null(strstr((char *)reply.body->data, "\"remoteSystemID\":[]"));
    kpd_reply_clear(&reply);
    /* a certificate pinned by its key's SHA-256 */
    assert_int_equal(fixture_route_as(&ctx, "spki:00112233445566778899AABBCCDDEEFF"
                                      "00112233445566778899aabbccddeeff", "GET",
                                      "/key?remoteSystemID=Bob", &reply), 200);
    kpd_reply_clear(&reply);
    assert_int_equal(fixture_route_as(&ctx, "spki:ff112233445566778899aabbccddeeff"
                                      "00112233445566778899aabbccddeeff", "GET",
                                      "/key?remoteSystemID=Bob", &reply), 400);
    kpd_reply_clear(&reply);
    kpd_reply_clear(&not_found);
    fixture_teardown(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(status_table),
        cmocka_unit_test(other_methods_get_405_with_allow),
        cmocka_unit_test(key_body_has_requested_size),
        cmocka_unit_test(entropy_default_is_256_bits),
        cmocka_unit_test(entropy_failure_is_503),
        cmocka_unit_test(draining_answers_503),
        cmocka_unit_test(capabilities_list_peers),
        cmocka_unit_test(clients_ask_only_their_remotes),
        cmocka_unit_test(calls_are_counted),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
