/* SPDX-License-Identifier: BSD-3-Clause */
/* HMAC on OpenSSL's SHA-2 block functions (hmac-pads.h). OpenSSL 3
 * deprecates them for its EVP layer, whose contexts live in OpenSSL's heap
 * and are made per use; here the states must live in the key object's
 * locked, no-dump memory and be copied without allocating, which only the
 * plain SHA256_CTX and SHA512_CTX allow. The block functions are the same
 * assembly EVP uses. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "config.h"
#include "hmac-pads.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <string.h>

_Static_assert(sizeof(SHA512_CTX) <= sizeof(hmac_hash_state),
               "hmac_hash_state holds a SHA512_CTX");
_Static_assert(sizeof(SHA256_CTX) <= sizeof(hmac_hash_state),
               "hmac_hash_state holds a SHA256_CTX");

#define BLOCK_MAX 128

static size_t block_size(hmac_digest d)
{
    return d == HMAC_SHA256 ? 64 : 128;
}

/* The bytes of a hash state the digest uses: a SHA-256 run copies and
 * cleanses half of what a SHA-512 one does. */
static size_t state_size(hmac_digest d)
{
    return d == HMAC_SHA256 ? sizeof(SHA256_CTX) : sizeof(SHA512_CTX);
}

static void hash_init(hmac_digest d, hmac_hash_state *s)
{
    if (d == HMAC_SHA256)
        SHA256_Init((SHA256_CTX *)s->bytes);
    else if (d == HMAC_SHA384)
        SHA384_Init((SHA512_CTX *)s->bytes);
    else
        SHA512_Init((SHA512_CTX *)s->bytes);
}

static void hash_update(hmac_digest d, hmac_hash_state *s, const void *p,
                        size_t n)
{
    if (d == HMAC_SHA256)
        SHA256_Update((SHA256_CTX *)s->bytes, p, n);
    else if (d == HMAC_SHA384)
        SHA384_Update((SHA512_CTX *)s->bytes, p, n);
    else
        SHA512_Update((SHA512_CTX *)s->bytes, p, n);
}

/* Writes the digest and returns its length. */
static size_t hash_final(hmac_digest d, hmac_hash_state *s, unsigned char *out)
{
    if (d == HMAC_SHA256) {
        SHA256_Final(out, (SHA256_CTX *)s->bytes);
        return 32;
    }
    if (d == HMAC_SHA384) {
        SHA384_Final(out, (SHA512_CTX *)s->bytes);
        return 48;
    }
    SHA512_Final(out, (SHA512_CTX *)s->bytes);
    return 64;
}

bool hmac_pads_make(hmac_pads *p, hmac_digest d, const unsigned char *key,
                    size_t key_len)
{
    unsigned char k0[BLOCK_MAX], pad[BLOCK_MAX];
    size_t b;

    if (d >= HMAC_DIGESTS)
        return false;
    b = block_size(d);
    memset(k0, 0, sizeof(k0));
    if (key_len > b) { /* a key longer than a block is hashed first */
        hash_init(d, &p->inner);
        hash_update(d, &p->inner, key, key_len);
        hash_final(d, &p->inner, k0);
    } else {
        memcpy(k0, key, key_len);
    }
    p->digest = d;
    for (size_t i = 0; i < b; i++)
        pad[i] = k0[i] ^ 0x36;
    hash_init(d, &p->inner);
    hash_update(d, &p->inner, pad, b);
    for (size_t i = 0; i < b; i++)
        pad[i] = k0[i] ^ 0x5c;
    hash_init(d, &p->outer);
    hash_update(d, &p->outer, pad, b);
    OPENSSL_cleanse(k0, sizeof(k0));
    OPENSSL_cleanse(pad, sizeof(pad));
    return true;
}

void hmac_pads_start(hmac_pads *run, const hmac_pads *key)
{
    size_t n = state_size(key->digest);

    run->digest = key->digest;
    memcpy(run->inner.bytes, key->inner.bytes, n);
    memcpy(run->outer.bytes, key->outer.bytes, n);
}

void hmac_pads_update(hmac_pads *run, const void *data, size_t len)
{
    hash_update(run->digest, &run->inner, data, len);
}

size_t hmac_pads_final(hmac_pads *run, unsigned char *out)
{
    unsigned char inner[64];
    size_t len = hash_final(run->digest, &run->inner, inner);

    hash_update(run->digest, &run->outer, inner, len);
    len = hash_final(run->digest, &run->outer, out);
    OPENSSL_cleanse(inner, sizeof(inner));
    OPENSSL_cleanse(run->inner.bytes, state_size(run->digest));
    OPENSSL_cleanse(run->outer.bytes, state_size(run->digest));
    return len;
}

size_t hmac_pads_extract(hmac_digest d, const unsigned char *salt,
                         size_t salt_len, const unsigned char *ikm,
                         size_t ikm_len, unsigned char *prk)
{
    static const unsigned char zeros[64];
    hmac_pads run;

    if (salt_len == 0) { /* HMAC pads its key with zeros anyway */
        salt = zeros;
        salt_len = sizeof(zeros);
    }
    hmac_pads_make(&run, d, salt, salt_len);
    if (ikm_len)
        hmac_pads_update(&run, ikm, ikm_len);
    return hmac_pads_final(&run, prk); /* cleanses run */
}

void hmac_pads_expand(const hmac_pads *prk, const void *info1, size_t len1,
                      const void *info2, size_t len2, unsigned char *out,
                      size_t len)
{
    unsigned char t[64];
    unsigned char counter = 1;
    size_t t_len = 0;
    hmac_pads run;

    /* T(i) = HMAC(PRK, T(i-1) | info | i), T(0) empty */
    for (size_t done = 0; done < len; done += t_len, counter++) {
        hmac_pads_start(&run, prk);
        if (t_len)
            hmac_pads_update(&run, t, t_len);
        if (len1)
            hmac_pads_update(&run, info1, len1);
        if (len2)
            hmac_pads_update(&run, info2, len2);
        hmac_pads_update(&run, &counter, 1);
        t_len = hmac_pads_final(&run, t); /* cleanses run */
        memcpy(out + done, t, len - done < t_len ? len - done : t_len);
    }
    OPENSSL_cleanse(t, sizeof(t));
}
