/* SPDX-License-Identifier: BSD-3-Clause */
/* Parsing and validation of skip-kpd.conf. Every problem names its line. */
#include "config.h"
#include "kpd-config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clients.h"
#include "ledger.h"
#include "skip/ini.h"
#include "skip/psk.h"
#include "skip/sysid.h"
#include "skip/url.h"
#include "sync.h"

struct parse_state {
    kpd_config *cfg;
    skip_err *err;
    bool seen_kpd;
};

static int set_string(char **slot, const char *value)
{
    char *copy = strdup(value);

    if (copy == NULL)
        return 0;
    free(*slot);
    *slot = copy;
    return 1;
}

static int bad(struct parse_state *st, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Records the problem for finish(), which adds FILE:LINE; returns 0 so the
 * INI parser stops at this line. */
static int bad(struct parse_state *st, const char *fmt, ...)
{
    va_list ap;

    if (st->err) {
        st->err->rc = SKIP_E_CONFIG;
        va_start(ap, fmt);
        vsnprintf(st->err->detail, sizeof(st->err->detail), fmt, ap);
        va_end(ap);
    }
    return 0;
}

static int set_uint(struct parse_state *st, unsigned *slot, const char *name,
                    const char *value, unsigned min, unsigned max)
{
    char range[64];

    if (skip_parse_uint(value, min, max, slot) == SKIP_OK)
        return 1;
    snprintf(range, sizeof(range), "%u..%u", min, max);
    return bad(st, "%s must be a number in %s", name, range);
}

/* A setting of two words: *slot is whether value is the first. */
static int set_either(struct parse_state *st, bool *slot, const char *name,
                      const char *value, const char *is_true,
                      const char *is_false)
{
    if (strcmp(value, is_true) && strcmp(value, is_false))
        return bad(st, "%s must be %s or %s, not \"%s\"", name, is_true,
                   is_false, value);
    *slot = strcmp(value, is_true) == 0;
    return 1;
}

/* HOST:PORT of listen or management_listen, named name. */
static int parse_host_port(struct parse_state *st, const char *name,
                           const char *value, char **host_out,
                           unsigned *port_out)
{
    const char *colon = strrchr(value, ':');
    char *host;

    if (colon == NULL || colon == value)
        return bad(st, "%s must be HOST:PORT, not \"%s\"", name, value);
    if (skip_parse_uint(colon + 1, 0, 65535, port_out) != SKIP_OK)
        return bad(st, "%s port \"%s\" is not 0..65535", name, colon + 1);
    /* "[::1]:8443": the brackets are URL syntax, not part of the host. */
    if (value[0] == '[' && colon[-1] == ']')
        host = strndup(value + 1, (size_t)(colon - value - 2));
    else
        host = strndup(value, (size_t)(colon - value));
    if (host == NULL)
        return 0;
    free(*host_out);
    *host_out = host;
    return 1;
}

static int kpd_entry(struct parse_state *st, const char *name,
                     const char *value)
{
    kpd_config *cfg = st->cfg;

    if (strcmp(name, "local_system_id") == 0) {
        if (!skip_system_id_valid(value, strlen(value)))
            return bad(st, "local_system_id is empty, over %d bytes, not "
                           "UTF-8 or has control characters", SKIP_SYSTEM_ID_MAX);
        return set_string(&cfg->local_id, value);
    }
    if (strcmp(name, "listen") == 0)
        return parse_host_port(st, name, value, &cfg->listen_host,
                               &cfg->listen_port);
    if (strcmp(name, "management_listen") == 0)
        return parse_host_port(st, name, value, &cfg->management_host,
                               &cfg->management_port);
    if (strcmp(name, "management_port_file") == 0)
        return set_string(&cfg->management_port_file, value);
    if (strcmp(name, "management_cert_file") == 0)
        return set_string(&cfg->management_cert_file, value);
    if (strcmp(name, "management_key_file") == 0)
        return set_string(&cfg->management_key_file, value);
    if (strcmp(name, "management_client_ca_file") == 0)
        return set_string(&cfg->management_client_ca_file, value);
    if (strcmp(name, "audit_file") == 0)
        return set_string(&cfg->audit_file, value);
    if (strcmp(name, "audit_syslog") == 0)
        return set_either(st, &cfg->audit_syslog, name, value, "yes", "no");
    if (strcmp(name, "port_file") == 0)
        return set_string(&cfg->port_file, value);
    if (strcmp(name, "tls") == 0)
        return skip_tls_mode_parse(value, &cfg->tls)
                   ? 1 : bad(st, "tls must be psk or cert, not \"%s\"", value);
    if (strcmp(name, "tls_version") == 0)
        return skip_tls_version_parse(value, &cfg->tls_version)
                   ? 1 : bad(st, "tls_version must be 1.2, 1.3 or any, not \"%s\"",
                             value);
    if (strcmp(name, "psk_file") == 0)
        return set_string(&cfg->psk_file, value);
    if (strcmp(name, "cert_file") == 0)
        return set_string(&cfg->cert_file, value);
    if (strcmp(name, "key_file") == 0)
        return set_string(&cfg->key_file, value);
    if (strcmp(name, "client_ca_file") == 0)
        return set_string(&cfg->client_ca_file, value);
    if (strcmp(name, "state_dir") == 0)
        return set_string(&cfg->state_dir, value);
    if (strcmp(name, "key_source") == 0) {
        if (!kpd_sync_known(value))
            return bad(st, "key_source \"%s\" is not one of: %s", value,
                       kpd_sync_names());
        /* The [peer] lines read so far were checked against the other. */
        if (cfg->peer_count > 0)
            return bad(st, "key_source must come before the first [peer] "
                           "section");
        return set_string(&cfg->key_source, value);
    }
    if (strcmp(name, "ledger") == 0) {
        if (!kpd_ledger_known(value))
            return bad(st, "ledger \"%s\" is not one of: %s", value,
                       kpd_ledger_names());
        return set_string(&cfg->ledger, value);
    }
    if (strcmp(name, "ledger_conninfo") == 0)
        return set_string(&cfg->ledger_conninfo, value);
    if (strcmp(name, "ledger_conninfo_file") == 0)
        return set_string(&cfg->ledger_conninfo_file, value);
    if (strcmp(name, "entropy_file") == 0)
        return set_string(&cfg->entropy_file, value);
    if (strcmp(name, "key_id_bits") == 0) {
        if (strcmp(value, "128") && strcmp(value, "192") && strcmp(value, "256"))
            return bad(st, "key_id_bits must be 128, 192 or 256, not \"%s\"",
                       value);
        return set_uint(st, &cfg->key_id_bits, name, value, 128, 256);
    }
    if (strcmp(name, "tls12_plain_psk") == 0)
        return set_either(st, &cfg->tls12_plain_psk, name, value, "yes", "no");
    if (strcmp(name, "client_auth") == 0) {
        bool required = true;
        if (!set_either(st, &required, name, value, "required", "none"))
            return 0;
        cfg->client_auth_none = !required;
        return 1;
    }
    if (strcmp(name, "instance") == 0)
        return set_uint(st, &cfg->instance, name, value, 0, 255);
    if (strcmp(name, "key_lifetime_s") == 0)
        return set_uint(st, &cfg->key_lifetime_s, name, value, 1, 7 * 86400);
    if (strcmp(name, "ratchet_interval_s") == 0)
        return set_uint(st, &cfg->ratchet_interval_s, name, value, 10,
                        365 * 86400);
    if (strcmp(name, "max_connections") == 0)
        return set_uint(st, &cfg->max_connections, name, value, 1, 100000);
    if (strcmp(name, "workers") == 0)
        return set_uint(st, &cfg->workers, name, value, 1, KPD_WORKERS_MAX);
    if (strcmp(name, "max_connections_per_source") == 0)
        return set_uint(st, &cfg->max_connections_per_source, name, value, 1,
                        100000);
    if (strcmp(name, "handshake_timeout_s") == 0)
        return set_uint(st, &cfg->handshake_timeout_s, name, value, 1, 600);
    if (strcmp(name, "request_timeout_s") == 0)
        return set_uint(st, &cfg->request_timeout_s, name, value, 1, 600);
    if (strcmp(name, "idle_timeout_s") == 0)
        return set_uint(st, &cfg->idle_timeout_s, name, value, 1, 3600);
    if (strcmp(name, "log") == 0) {
        if (strcmp(value, "stderr") && strcmp(value, "syslog"))
            return bad(st, "log must be stderr or syslog, not \"%s\"", value);
        cfg->use_syslog = strcmp(value, "syslog") == 0;
        return 1;
    }
    if (strcmp(name, "log_level") == 0) {
        static const char *const levels[] = {"error", "warning", "info", "debug"};
        for (unsigned i = 0; i < 4; i++)
            if (strcmp(value, levels[i]) == 0) {
                cfg->log_level = (skip_log_level)i;
                return 1;
            }
        return bad(st, "log_level must be error, warning, info or debug, not "
                       "\"%s\"", value);
    }
    return bad(st, "unknown option %s in [kpd]", name);
}

/* Appends one "name = value"; 0 when out of memory. */
static int settings_add(kpd_setting **list, size_t *count, const char *name,
                        const char *value)
{
    kpd_setting *grown = realloc(*list, (*count + 1) * sizeof(*grown));

    if (grown == NULL)
        return 0;
    *list = grown;
    grown += *count;
    grown->name = strdup(name);
    grown->value = strdup(value);
    if (grown->name == NULL || grown->value == NULL) {
        free(grown->name);
        free(grown->value);
        return 0;
    }
    (*count)++;
    return 1;
}

static const char *settings_find(const kpd_setting *list, size_t count,
                                 const char *name)
{
    for (size_t i = 0; i < count; i++)
        if (strcmp(list[i].name, name) == 0)
            return list[i].value;
    return NULL;
}

static void settings_free(kpd_setting *list, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        free(list[i].name);
        free(list[i].value);
    }
    free(list);
}

/* Keeps a [peer] line once the key source has accepted it; the source's
 * refusal is this line's error. */
static int peer_setting(struct parse_state *st, kpd_peer *peer,
                        const char *name, const char *value)
{
    skip_err why = {0};

    if (kpd_peer_setting(peer, name) != NULL)
        return bad(st, "%s given twice in [peer %s]", name, peer->name);
    if (kpd_sync_peer_option(st->cfg->key_source, name, value, &why) != SKIP_OK)
        return bad(st, "[peer %s]: %s", peer->name, why.detail);
    return settings_add(&peer->settings, &peer->setting_count, name, value);
}

/* A line of the key source's own section ([kme]), kept once the source
 * has accepted it. */
static int source_entry(struct parse_state *st, const char *section,
                        const char *name, const char *value)
{
    kpd_config *cfg = st->cfg;
    skip_err why = {0};

    if (name == NULL)
        return 1;
    if (kpd_source_setting(cfg, name) != NULL)
        return bad(st, "%s given twice in [%s]", name, section);
    if (kpd_sync_source_option(cfg->key_source, name, value, &why) != SKIP_OK)
        return bad(st, "[%s]: %s", section, why.detail);
    return settings_add(&cfg->source_settings, &cfg->source_setting_count,
                        name, value);
}

static int peer_entry(struct parse_state *st, const char *peer_name,
                      const char *name, const char *value)
{
    kpd_config *cfg = st->cfg;
    kpd_peer *peer = NULL;

    for (size_t i = 0; i < cfg->peer_count; i++)
        if (strcmp(cfg->peers[i].name, peer_name) == 0)
            peer = &cfg->peers[i];
    if (peer == NULL) {
        kpd_peer *grown;
        if (!skip_system_id_valid(peer_name, strlen(peer_name)))
            return bad(st, "peer name is empty, over %d bytes, not UTF-8 "
                           "or has control characters", SKIP_SYSTEM_ID_MAX);
        if (cfg->peer_count >= KPD_PEERS_MAX)
            return bad(st, "more than %d peers", KPD_PEERS_MAX);
        grown = realloc(cfg->peers, (cfg->peer_count + 1) * sizeof(*grown));
        if (grown == NULL)
            return 0;
        cfg->peers = grown;
        peer = &cfg->peers[cfg->peer_count++];
        memset(peer, 0, sizeof(*peer));
        if ((peer->name = strdup(peer_name)) == NULL)
            return 0;
    }
    /* the section's own line makes the peer, named or refused there */
    return name == NULL || peer_setting(st, peer, name, value);
}

static int entry(void *user, const char *section, const char *name,
                 const char *value)
{
    struct parse_state *st = user;

    if (strcmp(section, "kpd") == 0) {
        st->seen_kpd = true;
        return name == NULL || kpd_entry(st, name, value);
    }
    if (strncmp(section, "peer ", 5) == 0)
        return peer_entry(st, section + 5, name, value);
    if (strncmp(section, "client ", 7) == 0) {
        if (name == NULL)
            return 1; /* its name is checked with its first setting */
        char problem[sizeof(st->err->detail)];
        if (kpd_clients_entry(st->cfg, section + 7, name, value, problem,
                              sizeof(problem)))
            return 1;
        return bad(st, "%s", problem);
    }
    if (kpd_sync_section(st->cfg->key_source) != NULL &&
        strcmp(section, kpd_sync_section(st->cfg->key_source)) == 0)
        return source_entry(st, section, name, value);
    if (kpd_sync_section_owner(section) != NULL)
        return bad(st, "[%s] goes with key_source = %s, set in [kpd] before it",
                   section, kpd_sync_section_owner(section));
    return bad(st, "unknown section [%s]", section);
}

static void defaults(kpd_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->tls = SKIP_TLS_PSK;
    cfg->tls_version = SKIP_TLS_ANY;
    cfg->key_source = strdup("prf");
    cfg->ledger = strdup("file");
    cfg->key_id_bits = 128;
    cfg->tls12_plain_psk = true;
    cfg->key_lifetime_s = 3600;
    cfg->ratchet_interval_s = 86400;
    cfg->max_connections = 512;
    cfg->workers = 1;
    cfg->idle_timeout_s = 30;
    cfg->max_connections_per_source = 64;
    cfg->handshake_timeout_s = 10;
    cfg->request_timeout_s = 10;
    cfg->log_level = SKIP_LOG_INFO;
}

/* Checks that need the whole file. */
static skip_rc validate(kpd_config *cfg, const char *name, skip_err *err)
{
    const char *problem = NULL;

    if (cfg->local_id == NULL)
        problem = "local_system_id is not set";
    else if (cfg->peer_count == 0)
        problem = "no [peer NAME] section";
    else if (cfg->state_dir == NULL)
        problem = "state_dir is not set";
    else if (cfg->tls == SKIP_TLS_PSK && cfg->psk_file == NULL)
        problem = "tls = psk needs psk_file";
    else if (cfg->tls == SKIP_TLS_CERT &&
             (cfg->cert_file == NULL || cfg->key_file == NULL))
        problem = "tls = cert needs cert_file and key_file";
    else if (cfg->tls == SKIP_TLS_CERT && cfg->client_ca_file == NULL &&
             !cfg->client_auth_none)
        problem = "tls = cert needs client_ca_file: every client must present "
                  "a certificate (client_auth = none is for labs and "
                  "benchmarks only)";
    else if (cfg->client_auth_none &&
             (cfg->tls != SKIP_TLS_CERT || cfg->client_ca_file != NULL))
        problem = "client_auth = none goes with tls = cert and no "
                  "client_ca_file";
    else if (cfg->key_lifetime_s > cfg->ratchet_interval_s)
        problem = "key_lifetime_s must not exceed ratchet_interval_s";
    else if (cfg->key_source == NULL || cfg->ledger == NULL)
        problem = "out of memory";
    else if (strcmp(cfg->ledger, "postgresql") == 0 &&
             (cfg->ledger_conninfo == NULL) == (cfg->ledger_conninfo_file == NULL))
        problem = "ledger = postgresql needs one of ledger_conninfo and "
                  "ledger_conninfo_file";
    else if ((cfg->management_cert_file == NULL) !=
             (cfg->management_key_file == NULL))
        problem = "management_cert_file and management_key_file go together";
    else if (cfg->management_client_ca_file != NULL &&
             cfg->management_cert_file == NULL)
        problem = "management_client_ca_file needs management_cert_file and "
                  "management_key_file (TLS)";
    else if (cfg->management_host == NULL &&
             (cfg->management_port_file || cfg->management_cert_file))
        problem = "management_* settings need management_listen";
    else if (strcmp(cfg->ledger, "postgresql") != 0 &&
             (cfg->ledger_conninfo != NULL || cfg->ledger_conninfo_file != NULL))
        problem = "ledger_conninfo and ledger_conninfo_file go with "
                  "ledger = postgresql";
    if (problem)
        return skip_err_set(err, SKIP_E_CONFIG, "%s:0: %s", name, problem);
    if (kpd_sync_check_config(cfg, name, err) != SKIP_OK)
        return SKIP_E_CONFIG;
    if (cfg->listen_host == NULL &&
        kpd_entry(&(struct parse_state){cfg, err, true}, "listen",
                  KPD_DEFAULT_LISTEN) == 0)
        return SKIP_E_CONFIG;
    if (cfg->tls == SKIP_TLS_PSK && kpd_config_load_psks(cfg, err) != SKIP_OK)
        return SKIP_E_CONFIG;
    if ((problem = kpd_clients_check(cfg)) != NULL)
        return skip_err_set(err, SKIP_E_CONFIG, "%s:0: %s", name, problem);
    kpd_clients_bind_psks(cfg);
    return SKIP_OK;
}

static skip_rc finish(int line, const char *why, struct parse_state *st,
                      const char *name, skip_err *err)
{
    skip_err inner = {0};

    if (line != 0) {
        memcpy(&inner, err, sizeof(inner));
        if (line < 0)
            skip_err_set(err, SKIP_E_CONFIG, "%s:0: cannot read the file", name);
        else
            skip_err_set(err, SKIP_E_CONFIG, "%s:%d: %s", name, line,
                         inner.detail[0] ? inner.detail
                         : why           ? why
                                         : "syntax error");
        kpd_config_clear(st->cfg);
        return SKIP_E_CONFIG;
    }
    if (validate(st->cfg, name, err) != SKIP_OK) {
        kpd_config_clear(st->cfg);
        return SKIP_E_CONFIG;
    }
    return SKIP_OK;
}

skip_rc kpd_config_load(const char *path, kpd_config *cfg, skip_err *err)
{
    struct parse_state st = {cfg, err, false};
    const char *why;
    int line;

    defaults(cfg);
    err->detail[0] = '\0';
    line = skip_ini_parse(path, entry, &st, &why);
    if (line == 0 && (cfg->path = strdup(path)) == NULL)
        return skip_err_set(err, SKIP_E_NOMEM, "out of memory");
    return finish(line, why, &st, path, err);
}

skip_rc kpd_config_parse_string(const char *text, const char *name,
                                kpd_config *cfg, skip_err *err)
{
    struct parse_state st = {cfg, err, false};
    const char *why;
    int line;

    defaults(cfg);
    err->detail[0] = '\0';
    line = skip_ini_parse_string(text, entry, &st, &why);
    return finish(line, why, &st, name, err);
}

static void psks_clear(kpd_config *cfg)
{
    for (size_t i = 0; i < cfg->psk_count; i++) {
        free(cfg->psks[i].identity);
        skip_secbuf_free(cfg->psks[i].key);
    }
    free(cfg->psks);
    cfg->psks = NULL;
    cfg->psk_count = 0;
}

/* One "identity:key" line; the key may itself contain ':' (ASCII keys). */
static skip_rc psk_line(kpd_config *cfg, const char *line, size_t len,
                        unsigned lineno, skip_err *err)
{
    const char *colon = memchr(line, ':', len);
    size_t id_len = colon ? (size_t)(colon - line) : 0;
    skip_err inner = {0};
    kpd_psk *grown;
    skip_secbuf *key;

    if (colon == NULL || id_len == 0 || id_len > 128)
        return skip_err_set(err, SKIP_E_CONFIG,
                            "%s:%u: expected identity:key (identity 1..128 "
                            "bytes)", cfg->psk_file, lineno);
    for (size_t i = 0; i < cfg->psk_count; i++)
        if (strlen(cfg->psks[i].identity) == id_len &&
            memcmp(cfg->psks[i].identity, line, id_len) == 0)
            return skip_err_set(err, SKIP_E_CONFIG,
                                "%s:%u: identity given twice", cfg->psk_file,
                                lineno);
    if (skip_psk_parse(colon + 1, len - id_len - 1, &key, &inner) != SKIP_OK)
        return skip_err_set(err, SKIP_E_CONFIG, "%s:%u: %s", cfg->psk_file,
                            lineno, inner.detail);
    if (cfg->psk_count >= KPD_PSK_IDENTITIES_MAX ||
        (grown = realloc(cfg->psks, (cfg->psk_count + 1) * sizeof(*grown))) == NULL) {
        skip_secbuf_free(key);
        return skip_err_set(err, SKIP_E_CONFIG, "%s:%u: too many identities",
                            cfg->psk_file, lineno);
    }
    cfg->psks = grown;
    /* Every field: realloc leaves the new entry's bytes undefined, and a
     * stray hash would bind the identity to the wrong suite. A [client]
     * psk_hash rebinds it later (kpd_clients_bind_psks). */
    cfg->psks[cfg->psk_count] = (kpd_psk){
        .identity = strndup(line, id_len),
        .key = key,
        .hash = SKIP_PSK_SHA384,
    };
    if (cfg->psks[cfg->psk_count].identity == NULL) {
        skip_secbuf_free(key);
        return skip_err_set(err, SKIP_E_NOMEM, "out of memory");
    }
    cfg->psk_count++;
    return SKIP_OK;
}

skip_rc kpd_config_load_psks(kpd_config *cfg, skip_err *err)
{
    skip_secbuf *file;
    skip_rc rc;
    unsigned lineno = 0;
    size_t pos = 0;

    psks_clear(cfg);
    rc = skip_secret_file_read(cfg->psk_file, 1 << 20, &file, err);
    if (rc != SKIP_OK)
        return rc;
    while (rc == SKIP_OK && pos < file->len) {
        const char *line = (const char *)file->data + pos;
        const char *nl = memchr(line, '\n', file->len - pos);
        size_t len = nl ? (size_t)(nl - line) : file->len - pos;

        pos += len + 1;
        lineno++;
        if (len > 0 && line[len - 1] == '\r')
            len--;
        if (len == 0 || line[0] == '#')
            continue;
        rc = psk_line(cfg, line, len, lineno, err);
    }
    skip_secbuf_free(file);
    if (rc == SKIP_OK && cfg->psk_count == 0)
        rc = skip_err_set(err, SKIP_E_CONFIG, "%s:0: no identity:key line",
                          cfg->psk_file);
    if (rc != SKIP_OK)
        psks_clear(cfg);
    return rc;
}

const kpd_peer *kpd_config_peer(const kpd_config *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->peer_count; i++)
        if (strcmp(cfg->peers[i].name, name) == 0)
            return &cfg->peers[i];
    return NULL;
}

const char *kpd_peer_setting(const kpd_peer *peer, const char *name)
{
    return settings_find(peer->settings, peer->setting_count, name);
}

const char *kpd_source_setting(const kpd_config *cfg, const char *name)
{
    return settings_find(cfg->source_settings, cfg->source_setting_count, name);
}

void kpd_config_clear(kpd_config *cfg)
{
    psks_clear(cfg);
    kpd_clients_clear(cfg);
    for (size_t i = 0; i < cfg->peer_count; i++) {
        settings_free(cfg->peers[i].settings, cfg->peers[i].setting_count);
        free(cfg->peers[i].name);
    }
    settings_free(cfg->source_settings, cfg->source_setting_count);
    free(cfg->peers);
    free(cfg->path);
    free(cfg->local_id);
    free(cfg->listen_host);
    free(cfg->port_file);
    free(cfg->psk_file);
    free(cfg->cert_file);
    free(cfg->key_file);
    free(cfg->client_ca_file);
    free(cfg->state_dir);
    free(cfg->key_source);
    free(cfg->ledger);
    if (cfg->ledger_conninfo != NULL) /* may hold a password */
        explicit_bzero(cfg->ledger_conninfo, strlen(cfg->ledger_conninfo));
    free(cfg->ledger_conninfo);
    free(cfg->ledger_conninfo_file);
    free(cfg->management_host);
    free(cfg->management_port_file);
    free(cfg->management_cert_file);
    free(cfg->management_key_file);
    free(cfg->management_client_ca_file);
    free(cfg->audit_file);
    free(cfg->entropy_file);
    memset(cfg, 0, sizeof(*cfg));
}
