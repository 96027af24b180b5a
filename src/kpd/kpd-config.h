/* SPDX-License-Identifier: BSD-3-Clause */
/* skip-kpd configuration: an INI file with one [kpd] section and one
 * [peer NAME] section per Key Provider we share keys with. */
#ifndef KPD_KPD_CONFIG_H
#define KPD_KPD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "skip/log.h"
#include "skip/rc.h"
#include "skip/secbuf.h"
#include "skip/tls.h"

#define KPD_DEFAULT_LISTEN "127.0.0.1:8443"
#define KPD_PEERS_MAX 256
#define KPD_WORKERS_MAX 64
#define KPD_PSK_IDENTITIES_MAX 1024

typedef struct kpd_psk {
    char *identity;
    skip_secbuf *key;
    skip_psk_hash hash; /* TLS 1.3 binding: its [client]'s psk_hash */
} kpd_psk;

/* One "name = value" line of a [peer] section. Which names a peer may
 * have is the key source's business (kpd_sync_peer_option). */
typedef struct kpd_setting {
    char *name, *value;
} kpd_setting;

typedef struct kpd_peer {
    char *name; /* the peer's localSystemID */
    kpd_setting *settings;
    size_t setting_count;
} kpd_peer;

/* A [client NAME] section: who (an authenticated identity) may ask keys
 * for which remotes (clients.c). */
typedef struct kpd_client_rule {
    char *name;
    char *match;    /* "psk:ID", "cert:SUBJECT", "spki:SHA256HEX", "anonymous" */
    char **remotes; /* remoteSystemID globs */
    size_t remote_count;
    skip_psk_hash psk_hash; /* psk: matches, TLS 1.3 (psk_hash) */
    bool has_psk_hash;
} kpd_client_rule;

typedef struct kpd_config {
    char *path;
    char *local_id;
    char *listen_host;
    unsigned listen_port;   /* 0: any free port, see port_file */
    char *port_file;        /* where the bound port is written */
    skip_tls_mode tls;
    skip_tls_version tls_version;
    char *psk_file;
    kpd_psk *psks;
    size_t psk_count;
    char *cert_file, *key_file;
    bool client_auth_none;  /* client_auth = none: a lab without client certs */
    char *client_ca_file;   /* set: client certificates are required */
    char *state_dir;
    char *key_source;       /* a row of backends.c: "prf" */
    char *ledger;           /* a row of backends.c: "file" */
    /* ledger = postgresql: libpq's connection string, or a file holding
     * it (keeps a password out of the config). Never logged. */
    char *ledger_conninfo;
    char *ledger_conninfo_file;
    unsigned key_id_bits;   /* 128, 192 or 256 */
    unsigned instance;      /* 0..255: this KP among its site's, in keyIds */
    bool tls12_plain_psk;   /* accept PSK suites without DHE, taken last */
    unsigned key_lifetime_s;
    unsigned ratchet_interval_s;
    unsigned max_connections;
    unsigned workers;       /* event loops serving connections (worker.h) */
    unsigned max_connections_per_source;
    unsigned handshake_timeout_s; /* from accept to the handshake's end */
    unsigned request_timeout_s;   /* from a request's first byte to its end */
    unsigned idle_timeout_s;
    char *entropy_file;     /* NULL: OpenSSL's DRBG */
    /* The management listener (mgmt.c): off while management_host is NULL.
     * With a cert and key it speaks TLS; with a client CA too, only to
     * clients with a certificate from it. */
    char *management_host;
    unsigned management_port;
    char *management_port_file;
    char *management_cert_file, *management_key_file;
    char *management_client_ca_file;
    /* The audit trail (audit.c). */
    char *audit_file;
    bool audit_syslog;
    bool use_syslog;
    skip_log_level log_level;
    kpd_peer *peers;
    size_t peer_count;
    kpd_client_rule *clients;
    size_t client_count;
    /* The key source's own section ([kme] for etsi014), as for a peer's
     * settings: which names it takes is the source's business. */
    kpd_setting *source_settings;
    size_t source_setting_count;
} kpd_config;

/* Reads and validates path. On failure returns SKIP_E_CONFIG with
 * err->detail "FILE:LINE: problem" (LINE 0 for whole-file problems). */
skip_rc kpd_config_load(const char *path, kpd_config *cfg, skip_err *err);

/* Parses config text from memory (for the fuzz target and unit tests);
 * name stands for the file in messages. PSK files are still read. */
skip_rc kpd_config_parse_string(const char *text, const char *name,
                                kpd_config *cfg, skip_err *err);

/* Reads an "identity:key" file (keys "0x<hex>" or ASCII) into cfg. */
skip_rc kpd_config_load_psks(kpd_config *cfg, skip_err *err);

const kpd_peer *kpd_config_peer(const kpd_config *cfg, const char *name);

/* The value of a [peer] setting, or NULL. */
const char *kpd_peer_setting(const kpd_peer *peer, const char *name);

/* The value of a setting of the key source's section, or NULL. */
const char *kpd_source_setting(const kpd_config *cfg, const char *name);

void kpd_config_clear(kpd_config *cfg);

#endif
