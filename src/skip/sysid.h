/* SPDX-License-Identifier: BSD-3-Clause */
/* System ids (localSystemID, remoteSystemID and their glob patterns):
 * UTF-8 text of 1..SKIP_SYSTEM_ID_MAX bytes without control characters. */
#ifndef SKIP_SYSID_H
#define SKIP_SYSID_H

#include <stdbool.h>
#include <stddef.h>

/* The draft asks for at least 32 bytes; we take up to 255. */
#define SKIP_SYSTEM_ID_MAX 255

/* True for well-formed UTF-8 (no overlong forms, surrogates or code points
 * past U+10FFFF) with no C0/C1 control character and no DEL. */
bool skip_utf8_text_valid(const char *s, size_t len);

/* skip_utf8_text_valid() and 1 <= len <= SKIP_SYSTEM_ID_MAX. */
bool skip_system_id_valid(const char *s, size_t len);

#endif
