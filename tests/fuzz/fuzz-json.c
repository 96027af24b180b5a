/* SPDX-License-Identifier: BSD-3-Clause */
/* Fuzz target: the SKIP JSON codec, as a client parses KP answers. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>

#include "skip/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const unsigned char want_id[] = {0x17, 0x26, 0xe9, 0xae};
    const char *body = (const char *)data;
    skip_secbuf *random = NULL;
    skip_err err;
    skip_caps caps;
    skip_key key;

    if (skip_json_parse_caps(body, size, &caps, &err) == SKIP_OK)
        skip_caps_clear(&caps);
    if (skip_json_parse_key(body, size, 32, NULL, 0, &key, &err) == SKIP_OK)
        skip_key_clear(&key);
    if (skip_json_parse_key(body, size, 0, want_id, sizeof(want_id), &key,
                            &err) == SKIP_OK)
        skip_key_clear(&key);
    if (skip_json_parse_entropy(body, size, 256, &random, &err) == SKIP_OK)
        skip_secbuf_free(random);
    return 0;
}
