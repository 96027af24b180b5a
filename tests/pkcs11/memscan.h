/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TESTS_MEMSCAN_H
#define TESTS_MEMSCAN_H

#include <stddef.h>

/* How many places in this process's readable memory hold the key whose
 * bytes, each complemented, are not_key (len <= 64), in binary, lower-case
 * hex or upper-case hex; -1 on error. */
long memscan_count(const unsigned char *not_key, size_t len);

#endif
