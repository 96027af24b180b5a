/* SPDX-License-Identifier: BSD-3-Clause */
/* Pre-shared keys for TLS-PSK, as operators write them: "0x" followed by
 * hex digits for hex keys, anything else is taken as ASCII text (deployed
 * encryptors accept both). */
#ifndef SKIP_PSK_H
#define SKIP_PSK_H

#include <stddef.h>

#include "rc.h"
#include "secbuf.h"

#define SKIP_PSK_MIN 16        /* bytes; shorter keys are refused */
#define SKIP_PSK_MAX 256       /* bytes */
#define SKIP_PSK_IDENTITY_MAX 128

/* Parses one key written as "0x<hex>" or as printable ASCII. */
skip_rc skip_psk_parse(const char *text, size_t len, skip_secbuf **out,
                       skip_err *err);

/* Reads a file holding one key (a trailing newline is ignored). */
skip_rc skip_psk_read_file(const char *path, skip_secbuf **out, skip_err *err);

/* Reads a whole small file into a new secbuf (at most max bytes); for files
 * that hold secrets. SKIP_E_CONFIG names the path on failure. */
skip_rc skip_secret_file_read(const char *path, size_t max, skip_secbuf **out,
                              skip_err *err);

#endif
