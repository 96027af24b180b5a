/* SPDX-License-Identifier: BSD-3-Clause */
/* skip-kpd's request head parser, one row per accepted and refused head:
 * the status it answers (0: served), and for served heads the method,
 * target, body length and whether the connection closes after. */
#include "config.h"
#include "unit.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "kpd/http-parse.h"

struct row {
    const char *head;
    int status;
    const char *method, *target; /* when served */
    size_t body_len;
    bool close;
};

#define GET_CAPS "GET /capabilities HTTP/1.1\r\n"

static const struct row rows[] = {
    /* served */
    {GET_CAPS "\r\n", 0, "GET", "/capabilities", 0, false},
    {GET_CAPS "Host: kp\r\n\r\n", 0, "GET", "/capabilities", 0, false},
    {"GET /key?remoteSystemID=Bob HTTP/1.1\r\nHost: kp\r\n\r\n", 0, "GET",
     "/key?remoteSystemID=Bob", 0, false},
    {"HEAD /entropy HTTP/1.1\r\n\r\n", 0, "HEAD", "/entropy", 0, false},
    {"POST /key HTTP/1.1\r\nContent-Length: 5\r\n\r\n", 0, "POST", "/key", 5,
     false},
    {"POST /key HTTP/1.1\r\nContent-Length: 5\r\ncontent-length: 5\r\n\r\n", 0,
     "POST", "/key", 5, false},
    {GET_CAPS "Content-Length: 1024\r\n\r\n", 0, "GET", "/capabilities", 1024,
     false},
    {GET_CAPS "Connection: close\r\n\r\n", 0, "GET", "/capabilities", 0, true},
    {GET_CAPS "Connection: Keep-Alive, Close\r\n\r\n", 0, "GET",
     "/capabilities", 0, true},
    {"GET / HTTP/1.0\r\n\r\n", 0, "GET", "/", 0, true},
    {"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", 0, "GET", "/", 0,
     false},
    {GET_CAPS "X-Tab:\tvalue\twith tabs\r\n\r\n", 0, "GET", "/capabilities",
     0, false},
    {GET_CAPS "X-Utf8: \xc3\xa9t\xc3\xa9\r\n\r\n", 0, "GET", "/capabilities",
     0, false},
    {GET_CAPS "X-Empty:\r\n\r\n", 0, "GET", "/capabilities", 0, false},
    {"GET /key/%0a HTTP/1.1\r\n\r\n", 0, "GET", "/key/%0a", 0, false},

    /* refused: the request line */
    {"GET /capabilities\r\n\r\n", 400, NULL, NULL, 0, false},
    {"GET  /capabilities HTTP/1.1\r\n\r\n", 400, NULL, NULL, 0, false},
    {" GET /capabilities HTTP/1.1\r\n\r\n", 400, NULL, NULL, 0, false},
    {"GET /capabilities HTTP/1.1 x\r\n\r\n", 400, NULL, NULL, 0, false},
    {"get /capabilities HTTP/1.1\r\n\r\n", 400, NULL, NULL, 0, false},
    {"G3T /capabilities HTTP/1.1\r\n\r\n", 400, NULL, NULL, 0, false},
    {"GET /capabilities HTTP/2.0\r\n\r\n", 505, NULL, NULL, 0, false},
    {"GET /capabilities HTTP/1.2\r\n\r\n", 505, NULL, NULL, 0, false},
    {"GET /capabilities FTP/1.1\r\n\r\n", 400, NULL, NULL, 0, false},
    {"GET /cap\tabilities HTTP/1.1\r\n\r\n", 400, NULL, NULL, 0, false},
    {"GET /caf\xc3\xa9 HTTP/1.1\r\n\r\n", 400, NULL, NULL, 0, false},
    {"GET /a\x7f HTTP/1.1\r\n\r\n", 400, NULL, NULL, 0, false},

    /* refused: line ends and control characters */
    {"GET /capabilities HTTP/1.1\n\r\n", 400, NULL, NULL, 0, false},
    {GET_CAPS "X: a\nContent-Length: 5\r\n\r\n", 400, NULL, NULL, 0, false},
    {GET_CAPS "X: a\rContent-Length: 5\r\n\r\n", 400, NULL, NULL, 0, false},
    {GET_CAPS "X: a\x01b\r\n\r\n", 400, NULL, NULL, 0, false},
    {GET_CAPS "X: a\x1b[2Jb\r\n\r\n", 400, NULL, NULL, 0, false},
    {GET_CAPS "X: \x7f\r\n\r\n", 400, NULL, NULL, 0, false},
    {"GET /capabilities HTTP/1.1\r\r\n\r\n", 400, NULL, NULL, 0, false},

    /* refused: headers */
    {GET_CAPS "no colon\r\n\r\n", 400, NULL, NULL, 0, false},
    {GET_CAPS ": empty name\r\n\r\n", 400, NULL, NULL, 0, false},
    {GET_CAPS "Host: a\r\n folded\r\n\r\n", 400, NULL, NULL, 0, false},
    {GET_CAPS "Host: a\r\n\tfolded\r\n\r\n", 400, NULL, NULL, 0, false},
    {GET_CAPS "Bad Name: x\r\n\r\n", 400, NULL, NULL, 0, false},
    {GET_CAPS "Host : x\r\n\r\n", 400, NULL, NULL, 0, false},
    {GET_CAPS "Content-Length: -1\r\n\r\n", 400, NULL, NULL, 0, false},
    {GET_CAPS "Content-Length: 1x\r\n\r\n", 400, NULL, NULL, 0, false},
    {GET_CAPS "Content-Length: \r\n\r\n", 400, NULL, NULL, 0, false},
    {GET_CAPS "Content-Length: 1\r\nContent-Length: 2\r\n\r\n", 400, NULL,
     NULL, 0, false},
    {GET_CAPS "Content-Length: 1025\r\n\r\n", 413, NULL, NULL, 0, false},
    {GET_CAPS "Content-Length: 99999999999999999999999\r\n\r\n", 413, NULL,
     NULL, 0, false},
    {GET_CAPS "Transfer-Encoding: chunked\r\n\r\n", 501, NULL, NULL, 0, false},
    {GET_CAPS "Host: kp\r\n", 400, NULL, NULL, 0, false},
};

static void every_row(void **state)
{
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const struct row *row = &rows[i];
        char *head = strdup(row->head);
        const char *why = NULL;
        kpd_request r;
        int status;
        char name[64];

        assert_non_null(head);
        snprintf(name, sizeof(name), "row %zu", i);
        status = kpd_http_parse(head, &r, &why);
        if (status != row->status)
            fail_msg("%s: status %d, want %d (%s)", name, status, row->status,
                     why ? why : "");
        if (status == 0) {
            assert_string_equal(r.method, row->method);
            assert_string_equal(r.target, row->target);
            CHECK_CASE(name, r.body_len == row->body_len);
            CHECK_CASE(name, r.close == row->close);
        } else {
            CHECK_CASE(name, why != NULL && why[0] != '\0');
        }
        free(head);
    }
}

/* The refusal says which rule: an operator reads it in the log. */
static void refusals_name_the_rule(void **state)
{
    static const struct {
        const char *head, *why;
    } cases[] = {
        {GET_CAPS "X: a\nContent-Length: 5\r\n\r\n", "bare LF in the request"},
        {GET_CAPS "X: a\rb\r\n\r\n", "bare CR in the request"},
        {GET_CAPS "X: \x01\r\n\r\n", "control character in the request"},
        {"GET /a\tb HTTP/1.1\r\n\r\n", "malformed request target"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *head = strdup(cases[i].head);
        const char *why = NULL;
        kpd_request r;

        assert_int_equal(kpd_http_parse(head, &r, &why), 400);
        assert_string_equal(why, cases[i].why);
        free(head);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_row),
        cmocka_unit_test(refusals_name_the_rule),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
