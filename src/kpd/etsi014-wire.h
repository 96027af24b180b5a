/* SPDX-License-Identifier: BSD-3-Clause */
/* The ETSI GS QKD 014 (V1.1.1) wire, as the etsi014 key source speaks it
 * to a QKD Key Management Entity: the request bodies, the Status and Key
 * container answers, and the mapping between a KME's key_ID and a SKIP
 * keyId. No sockets here, so unit tests and the fuzz target drive it. */
#ifndef KPD_ETSI014_WIRE_H
#define KPD_ETSI014_WIRE_H

#include <stdbool.h>
#include <stddef.h>

#include "skip/rc.h"
#include "skip/secbuf.h"

/* Longest key_ID the keyId encoding carries (see etsi014_key_id_encode). */
#define ETSI014_KEY_ID_MAX 62

/* The members of a Status answer the bridge uses (sizes in bits). */
typedef struct etsi014_status {
    unsigned key_size;     /* the KME's default size */
    unsigned min_key_size;
    unsigned max_key_size;
    unsigned long stored_key_count;
    unsigned max_key_per_request; /* 1 when the KME does not say */
    char master_sae_id[129]; /* who the KME takes us for; "" if not said */
} etsi014_status;

/* A key_ID as a SKIP keyId, so the peer's KP recovers it with no state:
 * a canonical lower-case UUID (8-4-4-4-12 hex digits) becomes its 16
 * bytes; any other key_ID of 1..ETSI014_KEY_ID_MAX printable ASCII bytes
 * becomes the byte 0x00, the key_ID's bytes, and one more 0x00 when that
 * would make 16 bytes, so the KME gets back exactly the string it issued.
 * False for a key_ID that fits neither form. out holds 64 bytes. */
bool etsi014_key_id_encode(const char *key_id, unsigned char *out,
                           size_t *out_len);
/* The key_ID a keyId encodes, into out (ETSI014_KEY_ID_MAX + 1 bytes);
 * false for a keyId that no key_ID encodes to. */
bool etsi014_key_id_decode(const unsigned char *id, size_t id_len, char *out);

/* Request bodies (malloc'ed JSON; NULL when out of memory). */
char *etsi014_enc_keys_body(unsigned number, unsigned size_bits);
char *etsi014_dec_keys_body(const char *key_id);

/* A Status answer. SKIP_E_MALFORMED names the member at fault. Unknown
 * members (extensions, certificate details) are ignored. */
skip_rc etsi014_parse_status(const char *body, size_t len,
                             etsi014_status *status, skip_err *err);

/* One key of a Key container. */
typedef struct etsi014_key {
    char key_id[ETSI014_KEY_ID_MAX + 1];
    skip_secbuf *key;
} etsi014_key;

/* A Key container of 1..max keys into out[] (*count of them), each
 * checked as etsi014_parse_key checks its one; on failure none is kept. */
skip_rc etsi014_parse_keys(const char *body, size_t len, etsi014_key *out,
                           size_t max, size_t *count, skip_err *err);
void etsi014_keys_clear(etsi014_key *keys, size_t count);

/* A Key container holding exactly one key: its key_ID into key_id
 * (ETSI014_KEY_ID_MAX + 1 bytes) and its bytes, from base64, into *key
 * (secure memory). Every copy of the key in the parse is cleansed.
 * SKIP_E_MALFORMED: not a container of one key, a key_ID too long, or a
 * key that is not canonical base64 of 16..256 bytes. */
skip_rc etsi014_parse_key(const char *body, size_t len, char *key_id,
                          skip_secbuf **key, skip_err *err);

#endif
