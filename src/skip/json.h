/* SPDX-License-Identifier: BSD-3-Clause */
/* The SKIP JSON bodies (capabilities, key, entropy): strict parsing with
 * limits for the client, emitting for the Key Provider. Key and entropy
 * bytes only ever live in skip_secbuf; every cJSON string that held their
 * hex is cleansed before it is freed. Unknown fields are ignored. */
#ifndef SKIP_JSON_H
#define SKIP_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include "rc.h"
#include "secbuf.h"

#define SKIP_BODY_MAX (64 * 1024)   /* any KP answer, bytes */
#define SKIP_ALGORITHM_MAX 255      /* bytes; the draft asks for >= 16 */
#define SKIP_REMOTE_MAX 256         /* remoteSystemID entries */
#define SKIP_KEYID_MAX 64           /* keyId bytes (512 bits) */
#define SKIP_KEY_MAX 512            /* key bytes (4096 bits) */
#define SKIP_ENTROPY_MAX_BITS 32768 /* one /entropy answer */

typedef struct skip_caps {
    bool entropy;
    bool key;
    char *algorithm;
    char *local_id;
    char **remote_ids; /* remote_count entries, each may be a glob */
    size_t remote_count;
} skip_caps;

typedef struct skip_key {
    unsigned char key_id[SKIP_KEYID_MAX];
    size_t key_id_len;
    skip_secbuf *key; /* owned */
} skip_key;

/* Releases what a parse put in caps and zeroes it; NULL is a no-op. */
void skip_caps_clear(skip_caps *caps);

/* Releases (cleansing) the key and zeroes the struct; NULL is a no-op. */
void skip_key_clear(skip_key *key);

/* Parses a /capabilities body. On failure caps is left empty. */
skip_rc skip_json_parse_caps(const char *body, size_t len, skip_caps *caps,
                             skip_err *err);

/* Parses a /key or /key/{keyId} body. want_key_len is the key size asked in
 * bytes (0: any size up to SKIP_KEY_MAX, for a fetch by keyId); want_id, when
 * not NULL, is the keyId asked, and the answer must carry the same bytes. */
skip_rc skip_json_parse_key(const char *body, size_t len, size_t want_key_len,
                            const unsigned char *want_id, size_t want_id_len,
                            skip_key *key, skip_err *err);

/* Parses an /entropy body: randomStr must decode to want_bits / 8 bytes and
 * minentropy must equal want_bits. *out receives a new secbuf. */
skip_rc skip_json_parse_entropy(const char *body, size_t len, size_t want_bits,
                                skip_secbuf **out, skip_err *err);

/* The message of an error answer, for the user to read: its "error",
 * "message", "detail" or "title" string (skip-kpd, ETSI GS QKD 014 KMEs,
 * other KPs, RFC 7807 problem details),
 * else the body itself when it is not JSON; at most SKIP_ERROR_TEXT_MAX
 * bytes, every byte outside printable ASCII written \xNN. Empty when
 * the body says nothing. */
#define SKIP_ERROR_TEXT_MAX 200
void skip_json_error_text(const char *body, size_t len, char *out,
                          size_t out_len);

/* For codecs of other key-bearing bodies (skip-kpd's ETSI 014 client):
 * one JSON object with nothing after it, no NUL and no \u0000, at most
 * SKIP_BODY_MAX bytes; and its release, every string cleansed first. */
struct cJSON;
skip_rc skip_json_parse_object(const char *body, size_t len,
                               struct cJSON **out, skip_err *err);
void skip_json_free_tree(struct cJSON *root);

/* Emits a capabilities body; the caller frees it with free(). */
char *skip_json_emit_caps(const skip_caps *caps);

/* Emits {"keyId":..,"key":..} (lower-case hex) into a new secbuf. */
skip_secbuf *skip_json_emit_key(const unsigned char *key_id, size_t key_id_len,
                                const unsigned char *key, size_t key_len);

/* Emits {"randomStr":..,"minentropy":8*len} into a new secbuf. */
skip_secbuf *skip_json_emit_entropy(const unsigned char *random, size_t len);

#endif
