/* SPDX-License-Identifier: BSD-3-Clause */
/* The exposition writer's pieces (metrics.c) and the audit line's format
 * (audit.c): escapes, cumulative buckets, the status table. */
#include "unit.h"

#include "kpd/audit.h"
#include "kpd/metrics.h"
#include "kpd/routes.h"

static void label_values_are_escaped(void **state)
{
    kpd_text t = {0};

    (void)state;
    kpd_text_label(&t, "a\"b\\c\nd");
    assert_false(t.failed);
    assert_string_equal(t.buf, "a\\\"b\\\\c\\nd");
    free(t.buf);
}

static void histogram_buckets_are_cumulative(void **state)
{
    kpd_histogram h = {0};
    kpd_text t = {0};

    (void)state;
    kpd_histogram_observe(&h, 0.00005); /* first bucket */
    kpd_histogram_observe(&h, 0.003);   /* le 0.005 */
    kpd_histogram_observe(&h, 42);      /* past the last bound */
    kpd_histogram_observe(&h, -1);      /* a clock that went back: 0 */
    kpd_text_histogram(&t, "x_seconds", "help", &h);
    assert_non_null(strstr(t.buf, "# TYPE x_seconds histogram\n"));
    assert_non_null(strstr(t.buf, "x_seconds_bucket{le=\"0.0001\"} 2\n"));
    assert_non_null(strstr(t.buf, "x_seconds_bucket{le=\"0.0025\"} 2\n"));
    assert_non_null(strstr(t.buf, "x_seconds_bucket{le=\"0.005\"} 3\n"));
    assert_non_null(strstr(t.buf, "x_seconds_bucket{le=\"10\"} 3\n"));
    assert_non_null(strstr(t.buf, "x_seconds_bucket{le=\"+Inf\"} 4\n"));
    assert_non_null(strstr(t.buf, "x_seconds_count 4\n"));
    assert_non_null(strstr(t.buf, "x_seconds_sum 42.00305\n"));
    free(t.buf);
}

static void statuses_map_both_ways(void **state)
{
    (void)state;
    for (unsigned i = 0; i + 1 < KPD_STATUS_COUNT; i++)
        assert_int_equal(kpd_metrics_status_index(kpd_metrics_status_value(i)), i);
    /* one nobody answers with: the last, "0" */
    assert_int_equal(kpd_metrics_status_index(418), KPD_STATUS_COUNT - 1);
    assert_string_equal(kpd_cause_name(KPD_CAUSE_ALREADY_DELIVERED),
                        "already_delivered");
    assert_string_equal(kpd_tls_failure_name(KPD_TLS_FAIL_PSK_MISMATCH),
                        "psk_mismatch");
}

static void audit_line_is_json_without_the_key(void **state)
{
    kpd_client client = {.identity = "psk:a\"b"};
    kpd_call call = {.client = &client, .route = KPD_ROUTE_KEY_BY_ID,
                     .cause = KPD_CAUSE_ALREADY_DELIVERED,
                     .reply = {.status = 400}};
    char line[512], tiny[40];

    (void)state;
    snprintf(call.remote, sizeof(call.remote), "Bo\\b");
    snprintf(call.key_id, sizeof(call.key_id), "0100aa");
    assert_true(kpd_audit_format(&call, 1796646710063ull, line, sizeof(line)));
    assert_string_equal(line,
        "{\"time\":\"2026-12-07T12:31:50.063Z\",\"event\":\"refused\","
        "\"request\":\"GET /key/{keyId}\",\"client\":\"psk:a\\\"b\","
        "\"remote\":\"Bo\\\\b\",\"keyId\":\"0100aa\","
        "\"outcome\":\"already_delivered\",\"status\":400}");
    call.reply.status = 200;
    call.route = KPD_ROUTE_KEY;
    call.remote[0] = '\0';
    assert_true(kpd_audit_format(&call, 0, line, sizeof(line)));
    assert_non_null(strstr(line, "\"event\":\"issued\""));
    assert_non_null(strstr(line, "\"remote\":null"));
    assert_non_null(strstr(line, "\"outcome\":\"ok\""));
    assert_false(kpd_audit_format(&call, 0, tiny, sizeof(tiny)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(label_values_are_escaped),
        cmocka_unit_test(histogram_buckets_are_cumulative),
        cmocka_unit_test(statuses_map_both_ways),
        cmocka_unit_test(audit_line_is_json_without_the_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
