/* SPDX-License-Identifier: BSD-3-Clause */
/* Fuzz target: query parsing, numbers, keyId hex and URL building. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "skip/hex.h"
#include "skip/json.h"
#include "skip/url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned char id[SKIP_KEYID_MAX];
    char value[SKIP_URL_MAX + 1], *text, *url;
    size_t id_len;
    unsigned n;

    text = malloc(size + 1);
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    skip_query_get(text, "remoteSystemID", value, sizeof(value));
    if (skip_query_get(text, "size", value, sizeof(value)) == SKIP_OK)
        skip_parse_uint(value, 128, 2048, &n);
    skip_parse_uint(text, 0, 4000000000u, &n);
    if (skip_hex_decode(text, strlen(text), id, sizeof(id), &id_len)) {
        url = skip_url_key_by_id("https://kp", id, id_len, "Bob");
        free(url);
    }
    url = skip_url_key("https://kp", text, 256);
    free(url);
    free(text);
    return 0;
}
