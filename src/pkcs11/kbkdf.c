/* SPDX-License-Identifier: BSD-3-Clause */
/* CKM_SP800_108_COUNTER_KDF: NIST SP 800-108 counter mode over HMAC-SHA-2
 * or AES-CMAC, with our own counter loop, because OpenSSL 3.0's KBKDF has a
 * fixed 32-bit counter and IEEE 802.1X's MACsec KDF needs an 8-bit one.
 * The PRF input is the caller's data parameters in order: the counter
 * first, then byte arrays and an optional DKM length. Up to four additional
 * keys are derived in the same call, each from fresh segments, and created
 * all or none.
 *
 * Why the counter comes first and a call makes few segments: HMAC(K, M)
 * for an M the caller picks would make a KDF key a MAC key (for M = "Key
 * Pad for IKEv2", the IKEv2 PSK authentication key). With the counter
 * anywhere, fixed data around it and segment n = the byte M ends with
 * gave exactly that block. First in the input and at most SEGMENTS_MAX,
 * every block's input starts with a small counter (bytes 0x00..0x10),
 * which no text and no freely chosen message does. */
#include "config.h"
#include "general.h"
#include "internal.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "skip/log.h"
#include "skip/ossl.h"

#define DATA_PARAMS_MAX 16
#define BYTE_ARRAY_MAX 1024
#define EXTRA_KEYS_MAX 4
/* PRF blocks per call, all keys together: 16 * 64 bytes with SHA-512, 256
 * with AES-CMAC; MACsec's KEK and ICK take one or two. */
#define SEGMENTS_MAX 16

struct kbkdf {
    CK_MECHANISM_TYPE prf;
    const char *digest; /* HMAC */
    size_t h;           /* PRF output bytes */
    CK_PRF_DATA_PARAM params[DATA_PARAMS_MAX];
    size_t param_count;
    CK_SP800_108_COUNTER_FORMAT counter;
    CK_SP800_108_DKM_LENGTH_FORMAT dkm;
    bool has_dkm;
    CK_DERIVED_KEY extra[EXTRA_KEYS_MAX];
    size_t extra_count;
};

static bool prf_of(CK_MECHANISM_TYPE m, struct kbkdf *k)
{
    k->prf = m;
    switch (m) {
    case CKM_SHA256_HMAC: k->digest = "SHA256", k->h = 32; return true;
    case CKM_SHA384_HMAC: k->digest = "SHA384", k->h = 48; return true;
    case CKM_SHA512_HMAC: k->digest = "SHA512", k->h = 64; return true;
    case CKM_AES_CMAC: k->digest = NULL, k->h = 16; return true;
    default: return false;
    }
}

/* Copies and checks the parameter; CKR_MECHANISM_PARAM_INVALID for every
 * malformed part, never a read past a length the caller gave. */
static CK_RV parse_params(const CK_MECHANISM *m, struct kbkdf *k)
{
    CK_SP800_108_KDF_PARAMS p;
    bool has_counter = false;

    memset(k, 0, sizeof(*k));
    if (m->pParameter == NULL || m->ulParameterLen != sizeof(p))
        return CKR_MECHANISM_PARAM_INVALID;
    memcpy(&p, m->pParameter, sizeof(p));
    if (!prf_of(p.prfType, k) || p.pDataParams == NULL ||
        p.ulNumberOfDataParams == 0 || p.ulNumberOfDataParams > DATA_PARAMS_MAX ||
        p.ulAdditionalDerivedKeys > EXTRA_KEYS_MAX ||
        (p.ulAdditionalDerivedKeys && p.pAdditionalDerivedKeys == NULL))
        return CKR_MECHANISM_PARAM_INVALID;
    memcpy(k->params, p.pDataParams, p.ulNumberOfDataParams * sizeof(*k->params));
    k->param_count = p.ulNumberOfDataParams;
    for (size_t i = 0; i < k->param_count; i++) {
        const CK_PRF_DATA_PARAM *d = &k->params[i];
        switch (d->type) {
        case CK_SP800_108_ITERATION_VARIABLE:
            if (i != 0) {
                skip_log_error("C_DeriveKey: SP 800-108: the counter must be "
                               "the first data parameter (fixed data after it)");
                return CKR_MECHANISM_PARAM_INVALID;
            }
            if (has_counter || d->pValue == NULL ||
                d->ulValueLen != sizeof(k->counter))
                return CKR_MECHANISM_PARAM_INVALID;
            memcpy(&k->counter, d->pValue, sizeof(k->counter));
            if (k->counter.bLittleEndian > CK_TRUE ||
                k->counter.ulWidthInBits % 8 != 0 ||
                k->counter.ulWidthInBits < 8 || k->counter.ulWidthInBits > 32)
                return CKR_MECHANISM_PARAM_INVALID;
            has_counter = true;
            break;
        case CK_SP800_108_DKM_LENGTH:
            if (k->has_dkm || d->pValue == NULL || d->ulValueLen != sizeof(k->dkm))
                return CKR_MECHANISM_PARAM_INVALID;
            memcpy(&k->dkm, d->pValue, sizeof(k->dkm));
            if ((k->dkm.dkmLengthMethod != CK_SP800_108_DKM_LENGTH_SUM_OF_KEYS &&
                 k->dkm.dkmLengthMethod != CK_SP800_108_DKM_LENGTH_SUM_OF_SEGMENTS) ||
                k->dkm.bLittleEndian > CK_TRUE || k->dkm.ulWidthInBits % 8 != 0 ||
                k->dkm.ulWidthInBits < 8 || k->dkm.ulWidthInBits > 64)
                return CKR_MECHANISM_PARAM_INVALID;
            k->has_dkm = true;
            break;
        case CK_SP800_108_BYTE_ARRAY:
            if (d->pValue == NULL || d->ulValueLen == 0 ||
                d->ulValueLen > BYTE_ARRAY_MAX)
                return CKR_MECHANISM_PARAM_INVALID;
            break;
        default:
            /* OPTIONAL_COUNTER has no place in counter mode; a key handle
             * would feed one key's bytes into another key's PRF input. */
            return CKR_MECHANISM_PARAM_INVALID;
        }
    }
    if (!has_counter)
        return CKR_MECHANISM_PARAM_INVALID;
    for (size_t i = 0; i < p.ulAdditionalDerivedKeys; i++) {
        memcpy(&k->extra[i], &p.pAdditionalDerivedKeys[i], sizeof(k->extra[i]));
        if (k->extra[i].phKey == NULL ||
            (k->extra[i].pTemplate == NULL && k->extra[i].ulAttributeCount))
            return CKR_MECHANISM_PARAM_INVALID;
    }
    k->extra_count = p.ulAdditionalDerivedKeys;
    return CKR_OK;
}

/* parse_params, and one line when it refuses (the counter's place says
 * more itself). */
static CK_RV parse(const CK_MECHANISM *m, struct kbkdf *k)
{
    CK_RV rv = parse_params(m, k);

    if (rv == CKR_MECHANISM_PARAM_INVALID)
        skip_log_error("C_DeriveKey: CKR_MECHANISM_PARAM_INVALID: SP 800-108: "
                       "the parameters are malformed (PRF HMAC-SHA-256/384/"
                       "512 or AES-CMAC; one counter of 8..32 bits, first; "
                       "byte arrays of 1..1024 bytes; at most one DKM length "
                       "and four additional keys)");
    return rv;
}

static void put_int(unsigned char *out, uint64_t v, size_t bytes, bool little)
{
    for (size_t i = 0; i < bytes; i++, v >>= 8)
        out[little ? i : bytes - 1 - i] = (unsigned char)v;
}

/* The PRF: HMAC with the digest, or CMAC with AES of the key's size. */
static EVP_MAC_CTX *prf_new(const struct kbkdf *k, const skip_secbuf *key)
{
    EVP_MAC *mac = EVP_MAC_fetch(skip_ossl_ctx(), k->digest ? "HMAC" : "CMAC", NULL);
    EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
    OSSL_PARAM params[2];

    EVP_MAC_free(mac);
    if (ctx == NULL)
        return NULL;
    params[0] = k->digest
                    ? OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                                       (char *)k->digest, 0)
                    : OSSL_PARAM_construct_utf8_string(
                          OSSL_MAC_PARAM_CIPHER,
                          key->len == 32 ? "AES-256-CBC" : "AES-128-CBC", 0);
    params[1] = OSSL_PARAM_construct_end();
    if (EVP_MAC_init(ctx, key->data, key->len, params) != 1) {
        EVP_MAC_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

/* The PRF blocks keys of lens[0..n) bytes take, each from fresh ones;
 * CKR_KEY_SIZE_RANGE past SEGMENTS_MAX or what the DKM field holds. */
static CK_RV count_segments(const struct kbkdf *k, const size_t *lens,
                            size_t n, unsigned *segments)
{
    uint64_t total = 0, bits = 0, dkm;

    for (size_t i = 0; i < n; i++) {
        total += (lens[i] + k->h - 1) / k->h;
        bits += 8 * (uint64_t)lens[i];
    }
    dkm = k->dkm.dkmLengthMethod == CK_SP800_108_DKM_LENGTH_SUM_OF_SEGMENTS
              ? total * 8 * k->h : bits;
    if (total > SEGMENTS_MAX) {
        skip_log_error("C_DeriveKey: SP 800-108: %llu PRF blocks asked; at "
                       "most %d per call", (unsigned long long)total,
                       SEGMENTS_MAX);
        return CKR_KEY_SIZE_RANGE;
    }
    if (k->has_dkm && k->dkm.ulWidthInBits < 64 &&
        dkm >= (1ull << k->dkm.ulWidthInBits))
        return CKR_KEY_SIZE_RANGE;
    *segments = (unsigned)total;
    return CKR_OK;
}

/* Derives keys of lens[0..n) bytes into outs[], each from fresh segments
 * (count_segments said they fit). */
static CK_RV run(const struct kbkdf *k, const skip_secbuf *key,
                 const size_t *lens, size_t n, unsigned segments,
                 skip_secbuf **outs)
{
    unsigned char block[EVP_MAX_MD_SIZE], num[8];
    uint64_t bits = 0, dkm, counter = 0;
    EVP_MAC_CTX *base = prf_new(k, key), *ctx = NULL;
    CK_RV rv = CKR_OK;

    if (base == NULL)
        return CKR_FUNCTION_FAILED;
    for (size_t i = 0; i < n; i++)
        bits += 8 * (uint64_t)lens[i];
    dkm = k->dkm.dkmLengthMethod == CK_SP800_108_DKM_LENGTH_SUM_OF_SEGMENTS
              ? (uint64_t)segments * 8 * k->h : bits;
    for (size_t i = 0; rv == CKR_OK && i < n; i++) {
        if ((outs[i] = skip_secbuf_new(lens[i])) == NULL) {
            rv = CKR_HOST_MEMORY;
            break;
        }
        while (rv == CKR_OK && outs[i]->len < lens[i]) {
            size_t got = 0, take;
            ctx = EVP_MAC_CTX_dup(base);
            counter++;
            for (size_t p = 0; ctx && p < k->param_count; p++) {
                const CK_PRF_DATA_PARAM *d = &k->params[p];
                const unsigned char *data = d->pValue;
                size_t len = d->ulValueLen;
                if (d->type == CK_SP800_108_ITERATION_VARIABLE) {
                    len = k->counter.ulWidthInBits / 8;
                    put_int(num, counter, len, k->counter.bLittleEndian);
                    data = num;
                } else if (d->type == CK_SP800_108_DKM_LENGTH) {
                    len = k->dkm.ulWidthInBits / 8;
                    put_int(num, dkm, len, k->dkm.bLittleEndian);
                    data = num;
                }
                if (EVP_MAC_update(ctx, data, len) != 1)
                    rv = CKR_FUNCTION_FAILED;
            }
            if (ctx == NULL || rv != CKR_OK ||
                EVP_MAC_final(ctx, block, &got, sizeof(block)) != 1) {
                rv = CKR_FUNCTION_FAILED;
            } else {
                take = lens[i] - outs[i]->len < got ? lens[i] - outs[i]->len : got;
                memcpy(outs[i]->data + outs[i]->len, block, take);
                outs[i]->len += take;
            }
            EVP_MAC_CTX_free(ctx);
        }
    }
    OPENSSL_cleanse(block, sizeof(block));
    EVP_MAC_CTX_free(base);
    return rv;
}

static bool base_type_ok(const object *base, const struct kbkdf *k)
{
    if (k->prf == CKM_AES_CMAC)
        return base->key_type == CKK_AES &&
               (base->value->len == 16 || base->value->len == 32);
    return base->key_type == CKK_GENERIC_SECRET;
}

CK_RV kbkdf_derive(CK_SESSION_HANDLE h, CK_MECHANISM_PTR pMechanism,
                   CK_OBJECT_HANDLE hBaseKey, CK_ATTRIBUTE_PTR pTemplate,
                   CK_ULONG ulCount, CK_OBJECT_HANDLE_PTR phKey)
{
    struct kbkdf k;
    key_template t[1 + EXTRA_KEYS_MAX];
    CK_KEY_TYPE types[1 + EXTRA_KEYS_MAX];
    key_role roles[1 + EXTRA_KEYS_MAX];
    size_t lens[1 + EXTRA_KEYS_MAX], n;
    skip_secbuf *values[1 + EXTRA_KEYS_MAX] = {0};
    object *objs[1 + EXTRA_KEYS_MAX] = {0};
    size_t added = 0;
    unsigned segments = 0;
    session *sess;
    object *base;
    CK_RV rv = parse(pMechanism, &k);

    for (size_t i = 0; rv == CKR_OK && i < k.extra_count; i++)
        *k.extra[i].phKey = CK_INVALID_HANDLE;
    if (rv != CKR_OK)
        return rv;
    n = 1 + k.extra_count;
    for (size_t i = 0; rv == CKR_OK && i < n; i++)
        rv = derive_template(i ? k.extra[i - 1].pTemplate : pTemplate,
                             i ? k.extra[i - 1].ulAttributeCount : ulCount, 0,
                             SEGMENTS_MAX * k.h, &t[i], &types[i], &lens[i],
                             &roles[i]);
    if (rv == CKR_OK)
        rv = count_segments(&k, lens, n, &segments);
    if (rv != CKR_OK)
        return rv;

    module_lock();
    rv = derive_base_locked(h, hBaseKey, &t[0], segments, &sess, &base);
    /* The extra keys ask the gate too (a token key, a private one). */
    for (size_t i = 1; rv == CKR_OK && i < n; i++)
        rv = session_begin_locked(h, new_object_needs(&t[i], false), &sess);
    if (rv == CKR_OK && !base_type_ok(base, &k))
        rv = CKR_KEY_TYPE_INCONSISTENT;
    if (rv == CKR_OK)
        rv = run(&k, base->value, lens, n, segments, values);
    for (size_t i = 0; rv == CKR_OK && i < n; i++) {
        objs[i] = derive_object_new(&t[i], types[i], roles[i], base, sess, true,
                                    values[i]);
        values[i] = NULL;
        if (objs[i] == NULL)
            rv = CKR_HOST_MEMORY;
    }
    /* All or none: a failure removes the keys already added. */
    for (; rv == CKR_OK && added < n; added++)
        rv = store_add_locked(objs[added]);
    if (rv != CKR_OK) {
        for (size_t i = 0; i < added; i++)
            store_remove_locked(objs[i]);
    } else {
        base->role = ROLE_KDF;
        base->derives += segments;
        *phKey = objs[0]->handle;
        for (size_t i = 1; i < n; i++)
            *k.extra[i - 1].phKey = objs[i]->handle;
        memset(objs, 0, sizeof(objs));
    }
    module_unlock();
    for (size_t i = 0; i < n; i++) {
        object_free(objs[i]);
        skip_secbuf_free(values[i]);
    }
    return rv;
}
