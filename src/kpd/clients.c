/* SPDX-License-Identifier: BSD-3-Clause */
/* [client NAME] sections: the client identities the KP serves and the
 * remotes each may ask keys for. A TLS handshake says who a client is; this
 * says what it may have. An identity no section names may ask for none. */
#include "config.h"
#include "clients.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "skip/glob.h"
#include "skip/hex.h"

static kpd_client_rule *rule_named(kpd_config *cfg, const char *name)
{
    kpd_client_rule *grown;

    for (size_t i = 0; i < cfg->client_count; i++)
        if (strcmp(cfg->clients[i].name, name) == 0)
            return &cfg->clients[i];
    grown = realloc(cfg->clients, (cfg->client_count + 1) * sizeof(*grown));
    if (grown == NULL)
        return NULL;
    cfg->clients = grown;
    grown += cfg->client_count;
    memset(grown, 0, sizeof(*grown));
    if ((grown->name = strdup(name)) == NULL)
        return NULL;
    cfg->client_count++;
    return grown;
}

static bool valid_match(const char *m)
{
    size_t n = 0;

    if (strcmp(m, "anonymous") == 0)
        return true;
    if (strncmp(m, "psk:", 4) == 0 || strncmp(m, "cert:", 5) == 0)
        return strchr(m, ':')[1] != '\0';
    if (strncmp(m, "spki:", 5) == 0) {
        unsigned char digest[32];
        return skip_hex_decode(m + 5, strlen(m + 5), digest, sizeof(digest),
                               &n) && n == 32;
    }
    return false;
}

/* "Bob, Carol-*": one glob per comma- or space-separated word. */
static bool add_remotes(kpd_client_rule *r, const char *value)
{
    char *copy = strdup(value), *save = NULL;

    if (copy == NULL)
        return false;
    for (char *w = strtok_r(copy, ", \t", &save); w != NULL;
         w = strtok_r(NULL, ", \t", &save)) {
        char **grown = realloc(r->remotes,
                               (r->remote_count + 1) * sizeof(*grown));
        if (grown == NULL || (grown[r->remote_count] = strdup(w)) == NULL) {
            if (grown != NULL)
                r->remotes = grown;
            free(copy);
            return false;
        }
        r->remotes = grown;
        r->remote_count++;
    }
    free(copy);
    return true;
}

int kpd_clients_entry(kpd_config *cfg, const char *name, const char *key,
                      const char *value, char *problem, size_t cap)
{
    kpd_client_rule *r = rule_named(cfg, name);

    if (r == NULL) {
        snprintf(problem, cap, "out of memory");
        return 0;
    }
    if (strcmp(key, "match") == 0) {
        if (r->match != NULL) {
            snprintf(problem, cap, "match given twice in [client %s]", name);
            return 0;
        }
        if (!valid_match(value)) {
            snprintf(problem, cap, "[client %s]: match must be psk:IDENTITY, "
                     "cert:SUBJECT, spki:SHA256HEX or anonymous, not \"%s\"",
                     name, value);
            return 0;
        }
        if ((r->match = strdup(value)) == NULL) {
            snprintf(problem, cap, "out of memory");
            return 0;
        }
        return 1;
    }
    if (strcmp(key, "remotes") == 0) {
        if (!add_remotes(r, value)) {
            snprintf(problem, cap, "out of memory");
            return 0;
        }
        return 1;
    }
    if (strcmp(key, "psk_hash") == 0) {
        if (!skip_psk_hash_parse(value, &r->psk_hash)) {
            snprintf(problem, cap, "[client %s]: psk_hash must be sha384 or "
                     "sha256", name);
            return 0;
        }
        r->has_psk_hash = true;
        return 1;
    }
    snprintf(problem, cap, "unknown key \"%s\" in [client %s] (match, "
             "remotes, psk_hash)", key, name);
    return 0;
}

void kpd_clients_bind_psks(kpd_config *cfg)
{
    for (size_t i = 0; i < cfg->client_count; i++) {
        const kpd_client_rule *r = &cfg->clients[i];
        if (!r->has_psk_hash || strncmp(r->match, "psk:", 4) != 0)
            continue;
        for (size_t j = 0; j < cfg->psk_count; j++)
            if (strcmp(cfg->psks[j].identity, r->match + 4) == 0)
                cfg->psks[j].hash = r->psk_hash;
    }
}

const char *kpd_clients_check(const kpd_config *cfg)
{
    static char problem[256];

    if (cfg->client_count == 0)
        return "no [client NAME] section: name each client identity "
               "(match = psk:ID, cert:SUBJECT or spki:SHA256) and the remotes "
               "it may ask keys for";
    for (size_t i = 0; i < cfg->client_count; i++) {
        const kpd_client_rule *r = &cfg->clients[i];

        if (r->match == NULL || r->remote_count == 0) {
            snprintf(problem, sizeof(problem), "[client %s] needs match and "
                     "remotes", r->name);
            return problem;
        }
        if (strcmp(r->match, "anonymous") == 0 && !cfg->client_auth_none) {
            snprintf(problem, sizeof(problem), "[client %s]: match = anonymous "
                     "needs client_auth = none", r->name);
            return problem;
        }
        if (r->has_psk_hash && strncmp(r->match, "psk:", 4) != 0) {
            snprintf(problem, sizeof(problem), "[client %s]: psk_hash goes "
                     "with match = psk:IDENTITY", r->name);
            return problem;
        }
    }
    return NULL;
}

const kpd_client_rule *kpd_clients_unknown_psk(const kpd_config *cfg)
{
    for (size_t i = 0; i < cfg->client_count; i++) {
        const kpd_client_rule *r = &cfg->clients[i];
        bool known = false;

        if (strncmp(r->match, "psk:", 4) != 0)
            continue;
        for (size_t j = 0; j < cfg->psk_count && !known; j++)
            known = strcmp(cfg->psks[j].identity, r->match + 4) == 0;
        if (!known)
            return r;
    }
    return NULL;
}

static bool matches(const kpd_client_rule *r, const kpd_client *client)
{
    if (strncmp(r->match, "spki:", 5) == 0)
        return client->spki[0] != '\0' &&
               strcasecmp(r->match + 5, client->spki) == 0;
    return strcmp(r->match, client->identity) == 0;
}

bool kpd_client_may_ask(const kpd_config *cfg, const kpd_client *client,
                        const char *remote)
{
    for (size_t i = 0; i < cfg->client_count; i++) {
        const kpd_client_rule *r = &cfg->clients[i];

        if (!matches(r, client))
            continue;
        for (size_t j = 0; j < r->remote_count; j++)
            if (skip_glob_match(r->remotes[j], remote))
                return true;
    }
    return false;
}

void kpd_clients_clear(kpd_config *cfg)
{
    for (size_t i = 0; i < cfg->client_count; i++) {
        kpd_client_rule *r = &cfg->clients[i];
        for (size_t j = 0; j < r->remote_count; j++)
            free(r->remotes[j]);
        free(r->remotes);
        free(r->name);
        free(r->match);
    }
    free(cfg->clients);
    cfg->clients = NULL;
    cfg->client_count = 0;
}
