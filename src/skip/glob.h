/* SPDX-License-Identifier: BSD-3-Clause */
/* remoteSystemID patterns (draft table 5: `*`, `?`, `[list]`, `[!list]`),
 * matched with POSIX fnmatch. */
#ifndef SKIP_GLOB_H
#define SKIP_GLOB_H

#include <stdbool.h>

#include "json.h"

/* True when id matches pattern; a pattern without glob characters matches
 * only itself. */
bool skip_glob_match(const char *pattern, const char *id);

/* True when s holds a glob character, so it names a set, not one KP. */
bool skip_glob_is_pattern(const char *s);

/* True when id matches an entry of the KP's remoteSystemID list. */
bool skip_caps_allows_remote(const skip_caps *caps, const char *id);

#endif
