/* SPDX-License-Identifier: BSD-3-Clause */
/* The SKIP HTTPS client (libcurl over OpenSSL). One skip_client is one KP
 * identity with one kept-alive connection; it is used by one thread at a
 * time (callers pool clients for concurrency). */
#ifndef SKIP_CLIENT_H
#define SKIP_CLIENT_H

#include "json.h"
#include "rc.h"
#include "secbuf.h"
#include "tls.h"

/* A site's KPs, tried in order (several instances, or a fallback). */
#define SKIP_URLS_MAX 8

typedef struct skip_client_opts {
    char *url;              /* https://host:port: the KP a client talks to */
    char *urls[SKIP_URLS_MAX]; /* every KP of the site, in order; urls[0] = url */
    size_t url_count;
    skip_tls_mode tls;
    skip_tls_version tls_version;
    char *psk_identity;     /* PSK mode */
    skip_secbuf *psk;       /* PSK mode, owned */
    skip_psk_hash psk_hash; /* PSK mode: TLS 1.3's binding, SHA-384 default */
    char *ca_file;          /* certificate mode: trust anchors */
    char *cert_file;        /* optional client certificate */
    char *key_file;
    char *ciphers;          /* optional TLS 1.2 cipher list override */
    long connect_timeout_ms;
    long timeout_ms;
} skip_client_opts;

#define SKIP_CLIENT_CONNECT_TIMEOUT_MS 3000
#define SKIP_CLIENT_TIMEOUT_MS 10000

/* Defaults: PSK mode, any version, the timeouts above. */
void skip_client_opts_init(skip_client_opts *opts);
void skip_client_opts_clear(skip_client_opts *opts);

/* Sets one option from its config name ("url", "tls", "tls_version",
 * "psk_identity", "psk_file", "ca_file", "cert_file", "key_file",
 * "ciphers", "timeout_ms", "connect_timeout_ms"). A "url" value may name
 * several KPs, separated by blanks, and each "url" (or "fallback_url",
 * its old name) adds to the list. SKIP_E_NOT_FOUND for an unknown name,
 * SKIP_E_CONFIG for a bad value (detail says why). */
skip_rc skip_client_opts_set(skip_client_opts *opts, const char *name,
                             const char *value, skip_err *err);

/* Forgets the URLs, so the next "url" starts a new list (a command-line
 * --url over a config file's). */
void skip_client_opts_reset_urls(skip_client_opts *opts);

/* Makes urls[i] the URL a client of opts talks to. */
skip_rc skip_client_opts_use_url(skip_client_opts *opts, size_t i);

/* Whether a failure is worth trying the next URL of the site for: the KP
 * could not be reached or failed itself (5xx). A 400 never is: another
 * KP of the site would say the same. */
bool skip_rc_fails_over(skip_rc rc);

/* A deep copy of src into dst (initialised here); on SKIP_E_NOMEM dst holds
 * what was copied and must still be cleared. */
skip_rc skip_client_opts_copy(skip_client_opts *dst,
                              const skip_client_opts *src);

/* Checks that the options form a usable client (url, and the PSK or CA the
 * mode needs). */
skip_rc skip_client_opts_check(const skip_client_opts *opts, skip_err *err);

typedef struct skip_client skip_client;

/* Initializes libcurl once for the process (skip_client_new does it too);
 * false when it cannot. */
bool skip_client_global_init(void);
/* From now on every transfer of this process ends at its next progress
 * check (libcurl's, well within a second) with a transport error: for a
 * library whose own thread may be in a transfer when the host exits, so
 * it can be stopped before OpenSSL's exit cleanup frees what the transfer
 * uses. */
void skip_client_stop_all(void);
/* A client for opts (copied); NULL with err set on failure. */
skip_client *skip_client_new(const skip_client_opts *opts, skip_err *err);
void skip_client_free(skip_client *client);

skip_rc skip_client_caps(skip_client *client, skip_caps *caps, skip_err *err);

/* GET /key; size_bits 0 asks for the KP default (256 bits). */
skip_rc skip_client_key(skip_client *client, const char *remote,
                        unsigned size_bits, skip_key *key, skip_err *err);

/* GET /key/{keyId}. */
skip_rc skip_client_key_by_id(skip_client *client, const unsigned char *key_id,
                              size_t key_id_len, const char *remote,
                              skip_key *key, skip_err *err);

/* GET /entropy; bits 0 asks for the KP default (256 bits). */
skip_rc skip_client_entropy(skip_client *client, unsigned bits,
                            skip_secbuf **out, skip_err *err);

/* Any method on any path, for diagnostics: the status, the Allow and
 * Content-Type headers (new strings or NULL) and the body (new secbuf,
 * possibly empty). */
skip_rc skip_client_raw(skip_client *client, const char *method,
                        const char *path, long *status, char **allow,
                        char **content_type, skip_secbuf **body,
                        skip_err *err);

/* Connections opened so far: requests on a kept-alive connection add 0. */
unsigned long skip_client_connections(const skip_client *client);

#endif
