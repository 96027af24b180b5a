/* SPDX-License-Identifier: BSD-3-Clause */
/* The constructor tables: which key sources and delivery ledgers skip-kpd
 * has, by the names `key_source =` and `ledger =` take. A new source or
 * ledger is its own file plus one row here (docs/HACKING.md). */
#include "config.h"
#include "ledger.h"
#include "sync.h"

#include <stdio.h>
#include <string.h>

struct source_row {
    const char *name;
    const char *section; /* its own config section, or NULL */
    skip_rc (*peer_option)(const char *name, const char *value, skip_err *err);
    skip_rc (*source_option)(const char *name, const char *value,
                             skip_err *err);
    skip_rc (*check_config)(const kpd_config *cfg, const char *file,
                            skip_err *err);
    skip_rc (*check_files)(const kpd_config *cfg, skip_err *err);
    skip_rc (*create)(const kpd_config *cfg, struct event_base *base,
                      kpd_ledger *ledger, kpd_sync **out, skip_err *err);
};

/* prf computes every key at once: it never waits on the loop. */
static skip_rc prf_create(const kpd_config *cfg, struct event_base *base,
                          kpd_ledger *ledger, kpd_sync **out, skip_err *err)
{
    (void)base;
    return kpd_sync_prf_new(cfg, ledger, out, err);
}

static const struct source_row sources[] = {
    {"prf", NULL, kpd_sync_prf_peer_option, NULL, kpd_sync_prf_check_config,
     kpd_sync_prf_check_files, prf_create},
    {"etsi014", "kme", kpd_sync_etsi014_peer_option,
     kpd_sync_etsi014_source_option, kpd_sync_etsi014_check_config,
     kpd_sync_etsi014_check_files, kpd_sync_etsi014_new},
};

struct ledger_row {
    const char *name;
    skip_rc (*create)(const kpd_config *cfg, struct event_base *base,
                      kpd_ledger **out, skip_err *err);
};

static const struct ledger_row ledgers[] = {
    {"file", kpd_ledger_file_new},
    {"postgresql", kpd_ledger_pg_new},
};

#define COUNT(table) (sizeof(table) / sizeof(table[0]))

static const struct source_row *source_find(const char *name)
{
    for (size_t i = 0; name != NULL && i < COUNT(sources); i++)
        if (strcmp(sources[i].name, name) == 0)
            return &sources[i];
    return NULL;
}

static const struct ledger_row *ledger_find(const char *name)
{
    for (size_t i = 0; name != NULL && i < COUNT(ledgers); i++)
        if (strcmp(ledgers[i].name, name) == 0)
            return &ledgers[i];
    return NULL;
}

bool kpd_sync_known(const char *source)
{
    return source_find(source) != NULL;
}

/* "a, b, c" from a table's name column. */
#define NAMES(table, buf)                                                      \
    do {                                                                       \
        size_t n = 0;                                                          \
        for (size_t i = 0; i < COUNT(table); i++)                              \
            n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s",            \
                                  i ? ", " : "", table[i].name);               \
    } while (0)

const char *kpd_sync_names(void)
{
    static char names[256];

    NAMES(sources, names);
    return names;
}

skip_rc kpd_sync_peer_option(const char *source, const char *name,
                             const char *value, skip_err *err)
{
    const struct source_row *row = source_find(source);

    if (row == NULL)
        return skip_err_set(err, SKIP_E_CONFIG, "no key source");
    return row->peer_option(name, value, err);
}

const char *kpd_sync_section(const char *source)
{
    const struct source_row *row = source_find(source);

    return row == NULL ? NULL : row->section;
}

const char *kpd_sync_section_owner(const char *section)
{
    for (size_t i = 0; i < COUNT(sources); i++)
        if (sources[i].section && strcmp(sources[i].section, section) == 0)
            return sources[i].name;
    return NULL;
}

skip_rc kpd_sync_source_option(const char *source, const char *name,
                               const char *value, skip_err *err)
{
    const struct source_row *row = source_find(source);

    if (row == NULL || row->source_option == NULL)
        return skip_err_set(err, SKIP_E_CONFIG, "no such section");
    return row->source_option(name, value, err);
}

skip_rc kpd_sync_check_config(const kpd_config *cfg, const char *file,
                              skip_err *err)
{
    const struct source_row *row = source_find(cfg->key_source);

    if (row == NULL)
        return skip_err_set(err, SKIP_E_CONFIG, "%s:0: no key source", file);
    return row->check_config(cfg, file, err);
}

skip_rc kpd_sync_check_files(const kpd_config *cfg, skip_err *err)
{
    const struct source_row *row = source_find(cfg->key_source);

    if (row == NULL)
        return skip_err_set(err, SKIP_E_CONFIG, "no key source");
    return row->check_files(cfg, err);
}

skip_rc kpd_sync_new(const kpd_config *cfg, struct event_base *base,
                     kpd_ledger *ledger, kpd_sync **out, skip_err *err)
{
    const struct source_row *row = source_find(cfg->key_source);

    *out = NULL;
    if (row == NULL)
        return skip_err_set(err, SKIP_E_CONFIG, "unknown key_source %s",
                            cfg->key_source);
    return row->create(cfg, base, ledger, out, err);
}

bool kpd_ledger_known(const char *name)
{
    return ledger_find(name) != NULL;
}

const char *kpd_ledger_names(void)
{
    static char names[256];

    NAMES(ledgers, names);
    return names;
}

skip_rc kpd_ledger_new(const kpd_config *cfg, struct event_base *base,
                       kpd_ledger **out, skip_err *err)
{
    const struct ledger_row *row = ledger_find(cfg->ledger);

    *out = NULL;
    if (row == NULL)
        return skip_err_set(err, SKIP_E_CONFIG, "unknown ledger %s",
                            cfg->ledger);
    return row->create(cfg, base, out, err);
}
