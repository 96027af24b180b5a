/* SPDX-License-Identifier: BSD-3-Clause */
/* What every cmocka unit test includes. */
#ifndef TESTS_UNIT_H
#define TESTS_UNIT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs the four headers above first. */
#include <cmocka.h>
#include <string.h>

/* Runs one table case and names it when an assertion fails. */
#define CHECK_CASE(name, cond)                                                 \
    do {                                                                       \
        if (!(cond))                                                           \
            fail_msg("case \"%s\": %s", (name), #cond);                        \
    } while (0)

#endif
