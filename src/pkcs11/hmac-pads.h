/* SPDX-License-Identifier: BSD-3-Clause */
/* HMAC (RFC 2104) from a key's padded states: the hash state after
 * (K ^ ipad) and after (K ^ opad), computed once per key and digest and
 * kept in the key object's locked memory. A MAC then copies them, hashes
 * the data and finishes: three compressions for 64 bytes of data, where
 * keying an EVP_MAC context again for every operation costs two more and
 * OpenSSL's provider dispatch besides (docs/performance.md). */
#ifndef SKIP_PKCS11_HMAC_PADS_H
#define SKIP_PKCS11_HMAC_PADS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { HMAC_SHA256, HMAC_SHA384, HMAC_SHA512, HMAC_DIGESTS } hmac_digest;

/* Large enough for OpenSSL's SHA256_CTX and SHA512_CTX (checked in
 * hmac-pads.c), so this header needs no deprecated OpenSSL header. */
typedef struct hmac_hash_state {
    _Alignas(8) unsigned char bytes[224];
} hmac_hash_state;

typedef struct hmac_pads {
    hmac_digest digest;
    hmac_hash_state inner, outer;
} hmac_pads;

/* The pads of key for digest; false if the digest is unknown. */
bool hmac_pads_make(hmac_pads *p, hmac_digest digest, const unsigned char *key,
                    size_t key_len);
/* A running MAC starts as a copy of the key's pads (of the bytes its
 * digest uses); data goes into its inner state. */
void hmac_pads_start(hmac_pads *run, const hmac_pads *key);
void hmac_pads_update(hmac_pads *run, const void *data, size_t len);
/* The full MAC into out (room for 64 bytes); returns its length. The
 * run's states are cleansed. */
size_t hmac_pads_final(hmac_pads *run, unsigned char *out);

/* HKDF (RFC 5869) on the pads. prf+ with an HMAC PRF (RFC 7296 2.13) is
 * HKDF-Expand byte for byte, with the seed as info.
 *
 * Extract: PRK = HMAC(salt, ikm) into prk (room for 64 bytes); an empty
 * salt is a hash length of zeros. Returns the PRK's length. */
size_t hmac_pads_extract(hmac_digest d, const unsigned char *salt,
                         size_t salt_len, const unsigned char *ikm,
                         size_t ikm_len, unsigned char *prk);
/* Expand: len bytes (at most 255 hash lengths) under the PRK's pads, the
 * info given in two pieces, either empty: a prf+ seed key's value goes
 * before the seed data without being copied next to it. */
void hmac_pads_expand(const hmac_pads *prk, const void *info1, size_t len1,
                      const void *info2, size_t len2, unsigned char *out,
                      size_t len);

#endif
