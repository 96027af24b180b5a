/* SPDX-License-Identifier: BSD-3-Clause */
/* SKIP JSON codec over cJSON. Parsing is strict about what SKIP requires
 * (fields, types, hex, lengths, limits) and lenient about what it does not
 * (unknown fields, hex case, whitespace). */
#include "config.h"
#include "json.h"
#include "hex.h"
#include "sysid.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void skip_caps_clear(skip_caps *caps)
{
    if (caps == NULL)
        return;
    free(caps->algorithm);
    free(caps->local_id);
    for (size_t i = 0; i < caps->remote_count; i++)
        free(caps->remote_ids[i]);
    free(caps->remote_ids);
    memset(caps, 0, sizeof(*caps));
}

void skip_key_clear(skip_key *key)
{
    if (key == NULL)
        return;
    skip_secbuf_free(key->key);
    OPENSSL_cleanse(key, sizeof(*key));
    key->key = NULL;
}

/* cJSON copies every string value into its own allocation; wipe them all
 * before cJSON_Delete so no key hex survives in freed heap. */
static void cleanse_tree(cJSON *node)
{
    for (; node != NULL; node = node->next) {
        if (node->valuestring != NULL)
            OPENSSL_cleanse(node->valuestring, strlen(node->valuestring));
        cleanse_tree(node->child);
    }
}

void skip_json_free_tree(cJSON *root)
{
    cleanse_tree(root);
    cJSON_Delete(root);
}

/* Copies text, bounded and escaped (json.h). */
static void escaped(const char *text, size_t len, char *out, size_t out_len)
{
    size_t used = 0, limit = out_len - 1 < SKIP_ERROR_TEXT_MAX
                                 ? out_len - 1 : SKIP_ERROR_TEXT_MAX;

    for (size_t i = 0; i < len && used < limit; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            out[used++] = (char)c;
        } else if (used + 4 <= limit) {
            snprintf(out + used, out_len - used, "\\x%02x", c);
            used += 4;
        } else {
            break;
        }
    }
    /* blanks at the end (a newline after the body) say nothing */
    while (used > 0 && out[used - 1] == ' ')
        used--;
    out[used] = '\0';
}

void skip_json_error_text(const char *body, size_t len, char *out,
                          size_t out_len)
{
    static const char *const members[] = {"error", "message", "detail", "title"};
    cJSON *root;

    if (out_len == 0)
        return;
    out[0] = '\0';
    if (body == NULL || len == 0)
        return;
    root = cJSON_ParseWithLength(body, len);
    if (root == NULL) {
        /* not JSON: the text itself, without its line ends */
        while (len > 0 && (body[len - 1] == '\n' || body[len - 1] == '\r'))
            len--;
        escaped(body, len, out, out_len);
        return;
    }
    for (size_t i = 0; cJSON_IsObject(root) && i < 4; i++) {
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(root, members[i]);
        if (cJSON_IsString(m)) {
            escaped(m->valuestring, strlen(m->valuestring), out, out_len);
            break;
        }
    }
    skip_json_free_tree(root);
}

/* One JSON object with nothing but whitespace after it (json.h). */
skip_rc skip_json_parse_object(const char *body, size_t len, cJSON **out,
                               skip_err *err)
{
    const char *end = NULL;
    cJSON *root;

    if (len > SKIP_BODY_MAX)
        return skip_err_set(err, SKIP_E_TOO_LARGE, "body of %zu bytes over %d",
                            len, SKIP_BODY_MAX);
    /* cJSON turns \u0000 into a NUL inside the string, which would silently
     * shorten it; such bodies and raw NULs are refused outright. */
    if (memchr(body, '\0', len) != NULL)
        return skip_err_set(err, SKIP_E_MALFORMED, "NUL byte in body");
    for (size_t i = 0; i + 6 <= len; i++)
        if (body[i] == '\\' && body[i + 1] == 'u' &&
            strncmp(body + i + 2, "0000", 4) == 0)
            return skip_err_set(err, SKIP_E_MALFORMED, "\\u0000 in body");
    root = cJSON_ParseWithLengthOpts(body, len, &end, false);
    if (root == NULL)
        return skip_err_set(err, SKIP_E_MALFORMED, "not JSON");
    while (end < body + len && strchr(" \t\r\n", *end) != NULL)
        end++;
    if (end != body + len) {
        skip_json_free_tree(root);
        return skip_err_set(err, SKIP_E_MALFORMED, "data after the JSON value");
    }
    if (!cJSON_IsObject(root)) {
        skip_json_free_tree(root);
        return skip_err_set(err, SKIP_E_MALFORMED, "JSON value is not an object");
    }
    *out = root;
    return SKIP_OK;
}

/* The member called name, present exactly once: a duplicate is refused,
 * since two readers could pick different ones. */
static cJSON *member(const cJSON *obj, const char *name, skip_err *err)
{
    cJSON *found = NULL;

    for (cJSON *it = obj->child; it != NULL; it = it->next) {
        if (it->string == NULL || strcmp(it->string, name) != 0)
            continue;
        if (found != NULL) {
            skip_err_set(err, SKIP_E_MALFORMED, "field %s given twice", name);
            return NULL;
        }
        found = it;
    }
    if (found == NULL)
        skip_err_set(err, SKIP_E_MALFORMED, "field %s missing", name);
    return found;
}

static cJSON *string_member(const cJSON *obj, const char *name, skip_err *err)
{
    cJSON *it = member(obj, name, err);

    if (it != NULL && !cJSON_IsString(it)) {
        skip_err_set(err, SKIP_E_MALFORMED, "field %s is not a string", name);
        return NULL;
    }
    return it;
}

static skip_rc bool_member(const cJSON *obj, const char *name, bool *out,
                           skip_err *err)
{
    cJSON *it = member(obj, name, err);

    if (it == NULL)
        return SKIP_E_MALFORMED;
    if (!cJSON_IsBool(it))
        return skip_err_set(err, SKIP_E_MALFORMED, "field %s is not a boolean",
                            name);
    *out = cJSON_IsTrue(it);
    return SKIP_OK;
}

static skip_rc system_id_dup(const cJSON *it, const char *what, char **out,
                             skip_err *err)
{
    const char *s = it->valuestring;

    if (!skip_system_id_valid(s, strlen(s)))
        return skip_err_set(err, SKIP_E_MALFORMED,
                            "%s is empty, too long, not UTF-8 or has control "
                            "characters", what);
    *out = strdup(s);
    return *out ? SKIP_OK : skip_err_set(err, SKIP_E_NOMEM, "out of memory");
}

skip_rc skip_json_parse_caps(const char *body, size_t len, skip_caps *caps,
                             skip_err *err)
{
    cJSON *root = NULL, *it, *list;
    skip_rc rc;
    size_t n;

    memset(caps, 0, sizeof(*caps));
    rc = skip_json_parse_object(body, len, &root, err);
    if (rc != SKIP_OK)
        return rc;
    rc = bool_member(root, "entropy", &caps->entropy, err);
    if (rc == SKIP_OK)
        rc = bool_member(root, "key", &caps->key, err);
    if (rc != SKIP_OK)
        goto out;

    rc = SKIP_E_MALFORMED;
    if ((it = string_member(root, "algorithm", err)) == NULL)
        goto out;
    if (strlen(it->valuestring) > SKIP_ALGORITHM_MAX ||
        !skip_utf8_text_valid(it->valuestring, strlen(it->valuestring))) {
        skip_err_set(err, rc, "algorithm too long or not printable UTF-8");
        goto out;
    }
    if ((caps->algorithm = strdup(it->valuestring)) == NULL) {
        rc = skip_err_set(err, SKIP_E_NOMEM, "out of memory");
        goto out;
    }
    if ((it = string_member(root, "localSystemID", err)) == NULL)
        goto out;
    if ((rc = system_id_dup(it, "localSystemID", &caps->local_id, err)))
        goto out;

    rc = SKIP_E_MALFORMED;
    if ((list = member(root, "remoteSystemID", err)) == NULL)
        goto out;
    if (!cJSON_IsArray(list)) {
        skip_err_set(err, rc, "remoteSystemID is not an array");
        goto out;
    }
    n = (size_t)cJSON_GetArraySize(list);
    if (n == 0 || n > SKIP_REMOTE_MAX) {
        skip_err_set(err, rc, "remoteSystemID has %zu entries (1..%d)", n,
                     SKIP_REMOTE_MAX);
        goto out;
    }
    caps->remote_ids = calloc(n, sizeof(char *));
    if (caps->remote_ids == NULL) {
        rc = skip_err_set(err, SKIP_E_NOMEM, "out of memory");
        goto out;
    }
    cJSON_ArrayForEach(it, list) {
        if (!cJSON_IsString(it)) {
            rc = skip_err_set(err, SKIP_E_MALFORMED,
                              "remoteSystemID entry is not a string");
            goto out;
        }
        rc = system_id_dup(it, "remoteSystemID entry",
                           &caps->remote_ids[caps->remote_count], err);
        if (rc != SKIP_OK)
            goto out;
        caps->remote_count++;
    }
    rc = SKIP_OK;
out:
    if (rc != SKIP_OK)
        skip_caps_clear(caps);
    skip_json_free_tree(root);
    return rc;
}

/* Decodes a hex member into out (at most cap bytes). */
static skip_rc hex_member(const cJSON *root, const char *name,
                          unsigned char *out, size_t cap, size_t *out_len,
                          skip_err *err)
{
    cJSON *it = string_member(root, name, err);
    size_t hexlen;

    if (it == NULL)
        return SKIP_E_MALFORMED;
    hexlen = strlen(it->valuestring);
    if (hexlen == 0 || hexlen % 2 != 0)
        return skip_err_set(err, SKIP_E_MALFORMED,
                            "%s has %zu hex digits (needs a non-zero even "
                            "number)", name, hexlen);
    if (hexlen / 2 > cap)
        return skip_err_set(err, SKIP_E_MALFORMED,
                            "%s of %zu bytes over the limit of %zu", name,
                            hexlen / 2, cap);
    if (!skip_hex_decode(it->valuestring, hexlen, out, cap, out_len))
        return skip_err_set(err, SKIP_E_MALFORMED, "%s is not hex", name);
    return SKIP_OK;
}

skip_rc skip_json_parse_key(const char *body, size_t len, size_t want_key_len,
                            const unsigned char *want_id, size_t want_id_len,
                            skip_key *key, skip_err *err)
{
    cJSON *root = NULL;
    skip_secbuf *scratch = NULL;
    skip_rc rc;

    memset(key, 0, sizeof(*key));
    rc = skip_json_parse_object(body, len, &root, err);
    if (rc != SKIP_OK)
        return rc;
    rc = hex_member(root, "keyId", key->key_id, sizeof(key->key_id),
                    &key->key_id_len, err);
    if (rc != SKIP_OK)
        goto out;
    if (want_id != NULL &&
        (want_id_len != key->key_id_len ||
         CRYPTO_memcmp(want_id, key->key_id, want_id_len) != 0)) {
        rc = skip_err_set(err, SKIP_E_MALFORMED, "keyId other than asked");
        goto out;
    }
    scratch = skip_secbuf_new(SKIP_KEY_MAX);
    if (scratch == NULL) {
        rc = skip_err_set(err, SKIP_E_NOMEM, "out of memory");
        goto out;
    }
    rc = hex_member(root, "key", scratch->data, scratch->cap, &scratch->len,
                    err);
    if (rc != SKIP_OK)
        goto out;
    if (want_key_len != 0 && scratch->len != want_key_len) {
        rc = skip_err_set(err, SKIP_E_MALFORMED,
                          "key of %zu bits, asked for %zu", scratch->len * 8,
                          want_key_len * 8);
        goto out;
    }
    key->key = scratch;
    scratch = NULL;
out:
    skip_secbuf_free(scratch);
    if (rc != SKIP_OK)
        skip_key_clear(key);
    skip_json_free_tree(root);
    return rc;
}

skip_rc skip_json_parse_entropy(const char *body, size_t len, size_t want_bits,
                                skip_secbuf **out, skip_err *err)
{
    cJSON *root = NULL, *it;
    skip_secbuf *buf = NULL;
    skip_rc rc;

    *out = NULL;
    if (want_bits == 0 || want_bits % 8 != 0 || want_bits > SKIP_ENTROPY_MAX_BITS)
        return skip_err_set(err, SKIP_E_ARGS, "entropy of %zu bits", want_bits);
    rc = skip_json_parse_object(body, len, &root, err);
    if (rc != SKIP_OK)
        return rc;
    buf = skip_secbuf_new(SKIP_ENTROPY_MAX_BITS / 8);
    if (buf == NULL) {
        rc = skip_err_set(err, SKIP_E_NOMEM, "out of memory");
        goto out;
    }
    rc = hex_member(root, "randomStr", buf->data, buf->cap, &buf->len, err);
    if (rc != SKIP_OK)
        goto out;
    rc = SKIP_E_MALFORMED;
    if (buf->len * 8 != want_bits) {
        skip_err_set(err, rc, "randomStr of %zu bits, asked for %zu",
                     buf->len * 8, want_bits);
        goto out;
    }
    if ((it = member(root, "minentropy", err)) == NULL)
        goto out;
    if (!cJSON_IsNumber(it) || it->valuedouble != floor(it->valuedouble) ||
        it->valuedouble != (double)want_bits) {
        skip_err_set(err, rc, "minentropy is not the integer %zu", want_bits);
        goto out;
    }
    *out = buf;
    buf = NULL;
    rc = SKIP_OK;
out:
    skip_secbuf_free(buf);
    skip_json_free_tree(root);
    return rc;
}

char *skip_json_emit_caps(const skip_caps *caps)
{
    cJSON *root = cJSON_CreateObject(), *list;
    char *text = NULL;

    if (root == NULL)
        return NULL;
    if (!cJSON_AddBoolToObject(root, "entropy", caps->entropy) ||
        !cJSON_AddBoolToObject(root, "key", caps->key) ||
        !cJSON_AddStringToObject(root, "algorithm", caps->algorithm) ||
        !cJSON_AddStringToObject(root, "localSystemID", caps->local_id) ||
        !(list = cJSON_AddArrayToObject(root, "remoteSystemID")))
        goto out;
    for (size_t i = 0; i < caps->remote_count; i++) {
        cJSON *s = cJSON_CreateString(caps->remote_ids[i]);
        if (s == NULL || !cJSON_AddItemToArray(list, s)) {
            cJSON_Delete(s);
            goto out;
        }
    }
    text = cJSON_PrintUnformatted(root);
out:
    cJSON_Delete(root);
    return text;
}

/* Formats a two-member body by hand, straight into locked memory: cJSON
 * would copy the hex through heap buffers we could not cleanse. */
skip_secbuf *skip_json_emit_key(const unsigned char *key_id, size_t key_id_len,
                                const unsigned char *key, size_t key_len)
{
    size_t cap = 2 * key_id_len + 2 * key_len + 32;
    skip_secbuf *buf;
    char *p;

    if (key_id_len > SKIP_KEYID_MAX || key_len > SKIP_KEY_MAX)
        return NULL;
    buf = skip_secbuf_new(cap);
    if (buf == NULL)
        return NULL;
    p = (char *)buf->data;
    memcpy(p, "{\"keyId\":\"", 10), p += 10;
    skip_hex_encode(key_id, key_id_len, p), p += 2 * key_id_len;
    memcpy(p, "\",\"key\":\"", 9), p += 9;
    skip_hex_encode(key, key_len, p), p += 2 * key_len;
    memcpy(p, "\"}", 3), p += 2;
    buf->len = (size_t)(p - (char *)buf->data);
    return buf;
}

skip_secbuf *skip_json_emit_entropy(const unsigned char *random, size_t len)
{
    size_t cap = 2 * len + 48;
    skip_secbuf *buf;
    char *p;
    int n;

    if (len == 0 || len * 8 > SKIP_ENTROPY_MAX_BITS)
        return NULL;
    buf = skip_secbuf_new(cap);
    if (buf == NULL)
        return NULL;
    p = (char *)buf->data;
    memcpy(p, "{\"randomStr\":\"", 14), p += 14;
    skip_hex_encode(random, len, p), p += 2 * len;
    n = snprintf(p, cap - (size_t)(p - (char *)buf->data),
                 "\",\"minentropy\":%zu}", len * 8);
    buf->len = (size_t)(p - (char *)buf->data) + (size_t)n;
    return buf;
}
