/* SPDX-License-Identifier: BSD-3-Clause */
/* Glob matching of remote system ids. */
#include "config.h"
#include "glob.h"

#include <fnmatch.h>
#include <string.h>

bool skip_glob_match(const char *pattern, const char *id)
{
    /* No FNM_PERIOD or FNM_PATHNAME: ids are names, not paths, and the
     * draft gives '*' and '?' no exceptions. */
    return fnmatch(pattern, id, 0) == 0;
}

bool skip_glob_is_pattern(const char *s)
{
    return strpbrk(s, "*?[") != NULL;
}

bool skip_caps_allows_remote(const skip_caps *caps, const char *id)
{
    for (size_t i = 0; i < caps->remote_count; i++)
        if (skip_glob_match(caps->remote_ids[i], id))
            return true;
    return false;
}
