/* SPDX-License-Identifier: BSD-3-Clause */
/* HMAC (and HKDF on it) without a fetch per use. OpenSSL 3 looks an
 * algorithm up by name on every fetch, under its global method-store lock;
 * one unkeyed template per digest, and contexts each thread reuses, keep
 * threads (and the KP's request loop) off that lock and off OpenSSL's
 * shared reference counts. */
#ifndef SKIP_HMAC_H
#define SKIP_HMAC_H

#include <openssl/evp.h>

/* An HMAC context for digest "SHA256", "SHA384" or "SHA512" (NULL for
 * another digest or out of memory), to key with EVP_MAC_init(ctx, key,
 * len, NULL): the calling thread's spare when it has one, else a new
 * copy of the digest's template. Hand it back with skip_hmac_give. */
EVP_MAC_CTX *skip_hmac_take(const char *digest);

/* Re-keys ctx with zeros (erasing the key's state) and keeps it as the
 * calling thread's spare, or frees it. NULL is a no-op. */
void skip_hmac_give(EVP_MAC_CTX *ctx, const char *digest);

/* Frees the templates and the calling thread's spares; the next use makes
 * them again. Not to be called while another thread uses this file
 * (C_Finalize's contract). */
void skip_hmac_release(void);

/* One-shot HMAC into out (room for EVP_MAX_MD_SIZE); 1 on success. */
int skip_hmac(const char *digest, const void *key, size_t key_len,
              const void *data, size_t len, unsigned char *out,
              size_t *out_len);

/* HKDF-SHA256 (RFC 5869) on the HMAC above: OpenSSL 3.0 cannot copy an
 * HKDF context, so its KDF would look SHA-256 up on every call. With salt
 * NULL it is expand-only and ikm is the PRK. out_len is at most 255 * 32.
 * Returns 1 on success; the intermediate values are cleansed. */
int skip_hkdf_sha256(const void *ikm, size_t ikm_len, const void *salt,
                     size_t salt_len, const void *info, size_t info_len,
                     unsigned char *out, size_t out_len);

#endif
