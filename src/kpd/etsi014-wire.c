/* SPDX-License-Identifier: BSD-3-Clause */
/* ETSI GS QKD 014 bodies and the key_ID <-> keyId mapping (etsi014-wire.h). */
#include "config.h"
#include "etsi014-wire.h"

#include <cjson/cJSON.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "skip/json.h"

#define UUID_TEXT_LEN 36
#define TAG_STRING 0x00
#define KEY_BYTES_MIN 16
#define KEY_BYTES_MAX 256

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1; /* upper case is not canonical: it goes the tagged way */
}

/* 16 bytes from a lower-case 8-4-4-4-12 UUID, or false. */
static bool uuid_bytes(const char *text, unsigned char *out)
{
    size_t n = 0;

    if (strlen(text) != UUID_TEXT_LEN)
        return false;
    for (size_t i = 0; i < UUID_TEXT_LEN;) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (text[i++] != '-')
                return false;
            continue;
        }
        int hi = hex_value(text[i]), lo = hex_value(text[i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        out[n++] = (unsigned char)(hi << 4 | lo);
        i += 2;
    }
    return true;
}

static bool printable(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] < 0x20 || s[i] > 0x7e)
            return false;
    return true;
}

bool etsi014_key_id_encode(const char *key_id, unsigned char *out,
                           size_t *out_len)
{
    size_t n = strlen(key_id);

    if (uuid_bytes(key_id, out)) {
        *out_len = 16;
        return true;
    }
    if (n == 0 || n > ETSI014_KEY_ID_MAX || !printable(key_id, n))
        return false;
    out[0] = TAG_STRING;
    memcpy(out + 1, key_id, n);
    *out_len = 1 + n;
    if (*out_len == 16) /* 16 bytes always read as a UUID */
        out[(*out_len)++] = TAG_STRING;
    return true;
}

bool etsi014_key_id_decode(const unsigned char *id, size_t id_len, char *out)
{
    static const char hex[] = "0123456789abcdef";
    size_t n;

    if (id_len == 16) {
        char *p = out;
        for (size_t i = 0; i < 16; i++) {
            if (i == 4 || i == 6 || i == 8 || i == 10)
                *p++ = '-';
            *p++ = hex[id[i] >> 4];
            *p++ = hex[id[i] & 15];
        }
        *p = '\0';
        return true;
    }
    if (id_len < 2 || id[0] != TAG_STRING)
        return false;
    n = id_len - 1;
    if (id_len == 17 && id[16] == TAG_STRING) /* the padded 15-byte form */
        n--;
    if (n > ETSI014_KEY_ID_MAX || !printable((const char *)id + 1, n))
        return false;
    memcpy(out, id + 1, n);
    out[n] = '\0';
    return true;
}

char *etsi014_enc_keys_body(unsigned number, unsigned size_bits)
{
    char *body = malloc(64);

    if (body != NULL)
        snprintf(body, 64, "{\"number\":%u,\"size\":%u}", number, size_bits);
    return body;
}

char *etsi014_dec_keys_body(const char *key_id)
{
    cJSON *root = cJSON_CreateObject(), *ids, *item;
    char *body = NULL;

    if (root != NULL && (ids = cJSON_AddArrayToObject(root, "key_IDs")) &&
        (item = cJSON_CreateObject()) != NULL) {
        cJSON_AddItemToArray(ids, item);
        if (cJSON_AddStringToObject(item, "key_ID", key_id) != NULL)
            body = cJSON_PrintUnformatted(root);
    }
    cJSON_Delete(root);
    return body;
}

/* A member that must be a whole number in 0..max. */
static bool whole(const cJSON *obj, const char *name, double max,
                  unsigned long *out)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, name);

    if (!cJSON_IsNumber(m) || m->valuedouble < 0 || m->valuedouble > max ||
        m->valuedouble != (double)(unsigned long)m->valuedouble)
        return false;
    *out = (unsigned long)m->valuedouble;
    return true;
}

skip_rc etsi014_parse_status(const char *body, size_t len,
                             etsi014_status *status, skip_err *err)
{
    static const char *const sizes[] = {"key_size", "min_key_size",
                                        "max_key_size"};
    unsigned *slots[] = {&status->key_size, &status->min_key_size,
                         &status->max_key_size};
    cJSON *root;
    skip_rc rc = skip_json_parse_object(body, len, &root, err);

    if (rc != SKIP_OK)
        return rc;
    for (size_t i = 0; rc == SKIP_OK && i < 3; i++) {
        unsigned long v;
        if (!whole(root, sizes[i], 1u << 20, &v))
            rc = skip_err_set(err, SKIP_E_MALFORMED, "status: %s is not a "
                              "whole number of bits", sizes[i]);
        else
            *slots[i] = (unsigned)v;
    }
    if (rc == SKIP_OK &&
        !whole(root, "stored_key_count", 1e15, &status->stored_key_count))
        rc = skip_err_set(err, SKIP_E_MALFORMED, "status: stored_key_count is "
                          "not a whole number");
    if (rc == SKIP_OK) {
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(root, "master_SAE_ID");
        status->master_sae_id[0] = '\0';
        if (cJSON_IsString(m) && strlen(m->valuestring) < sizeof(status->master_sae_id))
            strcpy(status->master_sae_id, m->valuestring);
    }
    if (rc == SKIP_OK) {
        unsigned long per = 1;
        if (cJSON_GetObjectItemCaseSensitive(root, "max_key_per_request") &&
            (!whole(root, "max_key_per_request", 1e6, &per) || per == 0))
            rc = skip_err_set(err, SKIP_E_MALFORMED, "status: "
                              "max_key_per_request is not a whole number over 0");
        status->max_key_per_request = (unsigned)per;
    }
    if (rc == SKIP_OK && status->min_key_size > status->max_key_size)
        rc = skip_err_set(err, SKIP_E_MALFORMED, "status: min_key_size %u over "
                          "max_key_size %u", status->min_key_size,
                          status->max_key_size);
    skip_json_free_tree(root);
    return rc;
}

static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

/* Canonical base64 (RFC 4648 section 4: padded, no line breaks, zero
 * padding bits) straight into secure memory: no other buffer holds the
 * key. NULL when text is not that, or out of memory. */
static skip_secbuf *b64_decode(const char *text, size_t len)
{
    size_t pad = 0, out_len;
    skip_secbuf *out;
    unsigned long acc = 0;
    int bits = 0;

    if (len == 0 || len % 4 != 0)
        return NULL;
    while (pad < 2 && text[len - 1 - pad] == '=')
        pad++;
    out_len = len / 4 * 3 - pad;
    if ((out = skip_secbuf_new(out_len)) == NULL)
        return NULL;
    for (size_t i = 0; i < len - pad; i++) {
        int v = b64_value((unsigned char)text[i]);
        if (v < 0)
            goto bad;
        acc = (acc << 6 | (unsigned long)v) & 0xffffff;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out->data[out->len++] = (unsigned char)(acc >> bits);
        }
    }
    if ((acc & ((1ul << bits) - 1)) != 0) /* non-zero padding bits */
        goto bad;
    OPENSSL_cleanse(&acc, sizeof(acc));
    return out;
bad:
    OPENSSL_cleanse(&acc, sizeof(acc));
    skip_secbuf_free(out);
    return NULL;
}

void etsi014_keys_clear(etsi014_key *keys, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        skip_secbuf_free(keys[i].key);
        keys[i].key = NULL;
    }
}

/* One member of "keys" into out, or why not. */
static skip_rc one_key(const cJSON *item, etsi014_key *out, skip_err *err)
{
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(item, "key_ID");
    const cJSON *value = cJSON_GetObjectItemCaseSensitive(item, "key");

    if (!cJSON_IsString(id) || !cJSON_IsString(value))
        return skip_err_set(err, SKIP_E_MALFORMED, "a key without key_ID and "
                            "key strings");
    if (strlen(id->valuestring) == 0 || strlen(id->valuestring) > ETSI014_KEY_ID_MAX)
        return skip_err_set(err, SKIP_E_MALFORMED, "key_ID of %zu bytes (1..%d)",
                            strlen(id->valuestring), ETSI014_KEY_ID_MAX);
    if ((out->key = b64_decode(value->valuestring,
                               strlen(value->valuestring))) == NULL)
        return skip_err_set(err, SKIP_E_MALFORMED, "key is not canonical base64");
    if (out->key->len < KEY_BYTES_MIN || out->key->len > KEY_BYTES_MAX)
        return skip_err_set(err, SKIP_E_MALFORMED, "key of %zu bytes (%d..%d)",
                            out->key->len, KEY_BYTES_MIN, KEY_BYTES_MAX);
    strcpy(out->key_id, id->valuestring);
    return SKIP_OK;
}

skip_rc etsi014_parse_keys(const char *body, size_t len, etsi014_key *out,
                           size_t max, size_t *count, skip_err *err)
{
    const cJSON *keys;
    cJSON *root;
    skip_rc rc = skip_json_parse_object(body, len, &root, err);
    size_t n = 0;

    *count = 0;
    if (rc != SKIP_OK)
        return rc;
    keys = cJSON_GetObjectItemCaseSensitive(root, "keys");
    if (!cJSON_IsArray(keys) || cJSON_GetArraySize(keys) < 1 ||
        (size_t)cJSON_GetArraySize(keys) > max)
        rc = skip_err_set(err, SKIP_E_MALFORMED, "keys is not an array of "
                          "1..%zu keys", max);
    for (const cJSON *item = keys ? keys->child : NULL; rc == SKIP_OK && item;
         item = item->next) {
        memset(&out[n], 0, sizeof(out[n]));
        rc = one_key(item, &out[n], err);
        n++;
    }
    if (rc != SKIP_OK)
        etsi014_keys_clear(out, n);
    else
        *count = n;
    skip_json_free_tree(root);
    return rc;
}

skip_rc etsi014_parse_key(const char *body, size_t len, char *key_id,
                          skip_secbuf **key, skip_err *err)
{
    etsi014_key one;
    size_t n;
    skip_rc rc = etsi014_parse_keys(body, len, &one, 1, &n, err);

    *key = NULL;
    if (rc == SKIP_E_MALFORMED && strstr(err->detail, "array of") != NULL)
        skip_err_set(err, SKIP_E_MALFORMED, "keys is not an array of one key");
    if (rc != SKIP_OK)
        return rc;
    strcpy(key_id, one.key_id);
    *key = one.key;
    return SKIP_OK;
}
