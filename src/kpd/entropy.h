/* SPDX-License-Identifier: BSD-3-Clause */
/* Where /entropy bytes come from: OpenSSL's private DRBG (seeded by the
 * kernel), or a configured device such as /dev/hwrng. */
#ifndef KPD_ENTROPY_H
#define KPD_ENTROPY_H

#include <stddef.h>

#include "skip/rc.h"

/* Fills out with len bytes; SKIP_E_ENTROPY when the source cannot deliver
 * them all (the API answers 503). file NULL means the DRBG. */
skip_rc kpd_entropy_read(const char *file, unsigned char *out, size_t len,
                         skip_err *err);

#endif
