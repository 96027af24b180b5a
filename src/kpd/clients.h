/* SPDX-License-Identifier: BSD-3-Clause */
/* Who may ask for which key: [client NAME] sections bind an authenticated
 * identity (a PSK identity, a certificate subject or its key's SHA-256
 * pin) to the remote system IDs it may ask keys for. */
#ifndef KPD_CLIENTS_H
#define KPD_CLIENTS_H

#include <stdbool.h>
#include <stddef.h>

#include "kpd-config.h"
#include "routes.h"

/* One "key = value" line of [client NAME]; 1, or 0 with problem set. */
int kpd_clients_entry(kpd_config *cfg, const char *name, const char *key,
                      const char *value, char *problem, size_t cap);

/* Checks that need the whole file: at least one client, each complete,
 * "anonymous" only with client_auth = none. NULL, or the problem. */
const char *kpd_clients_check(const kpd_config *cfg);

/* Gives each PSK of psk_file the TLS 1.3 hash its [client]'s psk_hash
 * names (SHA-384 when none does). */
void kpd_clients_bind_psks(kpd_config *cfg);

/* The first [client] section whose psk: identity psk_file lacks, or NULL.
 * Not an error: removing a client's PSK must revoke it even if its section
 * stays (skip-kpd warns instead). */
const kpd_client_rule *kpd_clients_unknown_psk(const kpd_config *cfg);

/* True when client may ask keys shared with remote. */
bool kpd_client_may_ask(const kpd_config *cfg, const kpd_client *client,
                        const char *remote);

void kpd_clients_clear(kpd_config *cfg);

#endif
