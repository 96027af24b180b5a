/* SPDX-License-Identifier: BSD-3-Clause */
/* Fuzz target: what a KME sends the etsi014 source (kpd/etsi014-wire.h):
 * the input as a Status and as a Key container, and its first bytes as a
 * keyId, whose key_ID must encode back to the same keyId. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kpd/etsi014-wire.h"
#include "skip/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char key_id[ETSI014_KEY_ID_MAX + 1], back[ETSI014_KEY_ID_MAX + 1];
    unsigned char id[SKIP_KEYID_MAX];
    size_t id_len = size < SKIP_KEYID_MAX ? size : SKIP_KEYID_MAX, again;
    skip_secbuf *key = NULL;
    etsi014_status st;
    skip_err err = {0};

    etsi014_parse_status((const char *)data, size, &st, &err);
    if (etsi014_parse_key((const char *)data, size, key_id, &key, &err) == SKIP_OK) {
        if (key == NULL || key->len < 16 || key->len > 256 || key_id[0] == '\0')
            abort();
        if (etsi014_key_id_encode(key_id, id, &again) &&
            (!etsi014_key_id_decode(id, again, back) || strcmp(back, key_id) != 0))
            abort(); /* every key_ID that encodes comes back unchanged */
    }
    skip_secbuf_free(key);
    if (etsi014_key_id_decode(data, id_len, key_id) &&
        (!etsi014_key_id_encode(key_id, id, &again) ||
         etsi014_key_id_decode(id, again, back) == false || strcmp(back, key_id) != 0))
        abort();
    return 0;
}
