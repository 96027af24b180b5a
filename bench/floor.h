/* SPDX-License-Identifier: BSD-3-Clause */
/* Direct OpenSSL floors for bench.c: n operations, their seconds. */
#ifndef BENCH_FLOOR_H
#define BENCH_FLOOR_H

double floor_hmac_64(int n);
double floor_prfplus_32(int n);
double floor_hkdf_32(int n);

#endif
