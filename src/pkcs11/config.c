/* SPDX-License-Identifier: BSD-3-Clause */
/* skip-pkcs11.conf: one [slot NAME] section per token. The KP keys (url,
 * tls, psk_*, ca_file, ...) are skip-tool's, parsed by the same code. */
#include "config.h"
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "skip/hex.h"
#include "skip/ini.h"
#include "skip/log.h"
#include "skip/sysid.h"
#include "skip/url.h"

#define TOKEN_LABEL_MAX 32

struct parse_state {
    slot_config *slots;
    size_t count;
    char problem[256];
};

static slot_config *section_slot(struct parse_state *st, const char *name)
{
    slot_config *grown;

    for (size_t i = 0; i < st->count; i++)
        if (strcmp(st->slots[i].name, name) == 0)
            return &st->slots[i];
    grown = realloc(st->slots, (st->count + 1) * sizeof(*grown));
    if (grown == NULL)
        return NULL;
    st->slots = grown;
    memset(&grown[st->count], 0, sizeof(*grown));
    skip_client_opts_init(&grown[st->count].kp);
    grown[st->count].fetch_limit = FETCH_LIMIT_DEFAULT;
    grown[st->count].pin_max_failures = PIN_MAX_FAILURES_DEFAULT;
    grown[st->count].rng.reseed_bytes = RNG_RESEED_BYTES_DEFAULT;
    grown[st->count].rng.reseed_seconds = RNG_RESEED_SECONDS_DEFAULT;
    grown[st->count].name = strdup(name);
    if (grown[st->count].name == NULL)
        return NULL;
    return &grown[st->count++];
}

static int entry(void *user, const char *section, const char *name,
                 const char *value)
{
    struct parse_state *st = user;
    slot_config *s;
    skip_err err = {0};
    skip_rc rc;
    size_t n;

    if (strncmp(section, "slot ", 5) != 0 || section[5] == '\0') {
        snprintf(st->problem, sizeof(st->problem),
                 "unknown section [%s] (expected [slot NAME])", section);
        return 0;
    }
    n = strlen(section + 5);
    if (n > TOKEN_LABEL_MAX || !skip_utf8_text_valid(section + 5, n)) {
        snprintf(st->problem, sizeof(st->problem),
                 "slot name must be 1..%d bytes of printable UTF-8",
                 TOKEN_LABEL_MAX);
        return 0;
    }
    if ((s = section_slot(st, section + 5)) == NULL) {
        snprintf(st->problem, sizeof(st->problem), "out of memory");
        return 0;
    }
    if (name == NULL)
        return 1; /* the section's own line */
    if (strcmp(name, "remote") == 0) {
        if (!skip_system_id_valid(value, strlen(value))) {
            snprintf(st->problem, sizeof(st->problem),
                     "remote is not a valid system id (1..255 bytes of UTF-8)");
            return 0;
        }
        /* The KP answers for one peer: a pattern would be sent as is. */
        if (strpbrk(value, "*?[") != NULL) {
            snprintf(st->problem, sizeof(st->problem),
                     "remote must name one system, not a pattern (*, ? or [)");
            return 0;
        }
        free(s->remote);
        return (s->remote = strdup(value)) != NULL;
    }
    if (strcmp(name, "pin_sha256") == 0) {
        size_t len = 0;
        if (!skip_hex_decode(value, strlen(value), s->pin_sha256,
                             sizeof(s->pin_sha256), &len) || len != 32) {
            snprintf(st->problem, sizeof(st->problem),
                     "pin_sha256 must be 64 hex digits (sha256sum of the PIN)");
            return 0;
        }
        s->has_pin = true;
        return 1;
    }
    if (strcmp(name, "pin_max_failures") == 0) {
        if (skip_parse_uint(value, 1, 1000, &s->pin_max_failures) != SKIP_OK) {
            snprintf(st->problem, sizeof(st->problem),
                     "pin_max_failures must be a number in 1..1000");
            return 0;
        }
        return 1;
    }
    if (strcmp(name, "pin_failures_file") == 0) {
        if (value[0] != '/') {
            snprintf(st->problem, sizeof(st->problem),
                     "pin_failures_file must be an absolute path");
            return 0;
        }
        free(s->pin_failures_file);
        return (s->pin_failures_file = strdup(value)) != NULL;
    }
    if (strcmp(name, "max_derives") == 0) {
        if (skip_parse_uint(value, 0, 1000000, &s->max_derives) != SKIP_OK) {
            snprintf(st->problem, sizeof(st->problem),
                     "max_derives must be a number in 0..1000000 (0: no limit)");
            return 0;
        }
        return 1;
    }
    if (strcmp(name, "fetch_limit") == 0) {
        if (skip_parse_uint(value, 0, 1000000, &s->fetch_limit) != SKIP_OK) {
            snprintf(st->problem, sizeof(st->problem),
                     "fetch_limit must be a number in 0..1000000 (0: no limit)");
            return 0;
        }
        return 1;
    }
    if (strcmp(name, "derived_keys") == 0) {
        if (strcmp(value, "readable") == 0)
            s->derived_readable = true;
        else if (strcmp(value, "sensitive") == 0)
            s->derived_readable = false;
        else {
            snprintf(st->problem, sizeof(st->problem),
                     "derived_keys must be sensitive or readable");
            return 0;
        }
        return 1;
    }
    if (strcmp(name, "random") == 0) {
        if (strcmp(value, "drbg") == 0)
            s->random = RANDOM_DRBG;
        else if (strcmp(value, "kp") == 0)
            s->random = RANDOM_KP;
        else if (strcmp(value, "mix") == 0) {
            /* 0.x's default, which the DRBG replaces: same promise that
             * neither source alone decides the bytes (docs/random.md) */
            s->random = RANDOM_DRBG;
            skip_log_info("slot %s: random = mix is now random = drbg",
                          s->name);
        } else {
            snprintf(st->problem, sizeof(st->problem),
                     "random must be drbg or kp");
            return 0;
        }
        return 1;
    }
    if (strcmp(name, "reseed_bytes") == 0) {
        unsigned bytes;
        if (skip_parse_uint(value, 4096, 1u << 30, &bytes) != SKIP_OK) {
            snprintf(st->problem, sizeof(st->problem),
                     "reseed_bytes must be a number in 4096..1073741824");
            return 0;
        }
        s->rng.reseed_bytes = bytes;
        return 1;
    }
    if (strcmp(name, "reseed_interval") == 0) {
        if (skip_parse_uint(value, 1, 86400, &s->rng.reseed_seconds) !=
            SKIP_OK) {
            snprintf(st->problem, sizeof(st->problem),
                     "reseed_interval must be seconds in 1..86400");
            return 0;
        }
        return 1;
    }
    if (strcmp(name, "prediction_resistance") == 0) {
        if (strcmp(value, "yes") == 0)
            s->rng.prediction_resistance = true;
        else if (strcmp(value, "no") == 0)
            s->rng.prediction_resistance = false;
        else {
            snprintf(st->problem, sizeof(st->problem),
                     "prediction_resistance must be yes or no");
            return 0;
        }
        return 1;
    }
    rc = skip_client_opts_set(&s->kp, name, value, &err);
    if (rc != SKIP_OK) {
        snprintf(st->problem, sizeof(st->problem), "%s", err.detail);
        return 0;
    }
    return 1;
}

void config_free(slot_config *slots, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        free(slots[i].name);
        free(slots[i].remote);
        free(slots[i].pin_failures_file);
        skip_client_opts_clear(&slots[i].kp);
    }
    free(slots);
}

CK_RV config_load(slot_config **slots, size_t *count)
{
    const char *path = getenv("SKIP_PKCS11_CONF");
    struct parse_state st = {0};
    skip_err err = {0};
    const char *why;
    FILE *f;
    int line;

    *slots = NULL;
    *count = 0;
    if (path == NULL || *path == '\0')
        path = SYSCONFDIR "/skip-pkcs11.conf";
    f = fopen(path, "re");
    if (f == NULL) {
        if (errno == ENOENT)
            return CKR_OK; /* no configuration: a module with no slots */
        skip_log_error("%s:0: %s", path, strerror(errno));
        return CKR_GENERAL_ERROR;
    }
    line = skip_ini_parse_file(f, entry, &st, &why);
    fclose(f);
    if (line != 0) {
        skip_log_error("%s:%d: %s", path, line,
                       st.problem[0] ? st.problem : why ? why : "syntax error");
        config_free(st.slots, st.count);
        return CKR_GENERAL_ERROR;
    }
    for (size_t i = 0; i < st.count; i++) {
        if (skip_client_opts_check(&st.slots[i].kp, &err) != SKIP_OK) {
            skip_log_error("%s:0: [slot %s]: %s", path, st.slots[i].name,
                           err.detail);
            config_free(st.slots, st.count);
            return CKR_GENERAL_ERROR;
        }
    }
    *slots = st.slots;
    *count = st.count;
    return CKR_OK;
}
