/* SPDX-License-Identifier: BSD-3-Clause */
/* The start's files, checked without writing (check.h). */
#include "config.h"
#include "check.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "skip/tls.h"
#include "sync.h"

static skip_rc writable_dir(const char *what, const char *path, skip_err *err)
{
    if (access(path, W_OK | X_OK) != 0)
        return skip_err_set(err, SKIP_E_CONFIG, "%s %s: %s", what, path,
                            strerror(errno));
    return SKIP_OK;
}

/* A file written anew at each start (port_file, management_port_file):
 * its directory must take it. */
static skip_rc file_dir(const char *what, const char *file, skip_err *err)
{
    char dir[4096], *slash;

    snprintf(dir, sizeof(dir), "%s", file);
    slash = strrchr(dir, '/');
    if (slash == NULL)
        return writable_dir(what, ".", err);
    if (slash == dir)
        slash++;
    *slash = '\0';
    return writable_dir(what, dir, err);
}

/* audit_file is appended to: the file, or its directory if it is new. */
static skip_rc audit_file(const char *path, skip_err *err)
{
    if (access(path, F_OK) != 0)
        return file_dir("audit_file's directory", path, err);
    if (access(path, W_OK) != 0)
        return skip_err_set(err, SKIP_E_CONFIG, "audit_file %s: %s", path,
                            strerror(errno));
    return SKIP_OK;
}

static skip_rc readable(const char *what, const char *path, skip_err *err)
{
    if (path != NULL && access(path, R_OK) != 0)
        return skip_err_set(err, SKIP_E_CONFIG, "%s %s: %s", what, path,
                            strerror(errno));
    return SKIP_OK;
}

static skip_rc tls_material(const kpd_config *cfg, skip_err *err)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    char why[256];
    skip_rc rc = SKIP_OK;

    if (ctx == NULL)
        return skip_err_set(err, SKIP_E_NOMEM, "SSL_CTX_new failed");
    if (SSL_CTX_use_certificate_chain_file(ctx, cfg->cert_file) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, cfg->key_file, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1) {
        skip_tls_last_error(why, sizeof(why));
        rc = skip_err_set(err, SKIP_E_CONFIG, "cert_file %s / key_file %s: %s",
                          cfg->cert_file, cfg->key_file, why);
    } else if (cfg->client_ca_file &&
               SSL_CTX_load_verify_locations(ctx, cfg->client_ca_file, NULL) != 1) {
        skip_tls_last_error(why, sizeof(why));
        rc = skip_err_set(err, SKIP_E_CONFIG, "client_ca_file %s: %s",
                          cfg->client_ca_file, why);
    }
    SSL_CTX_free(ctx);
    return rc;
}

skip_rc kpd_check_files(const kpd_config *cfg, skip_err *err)
{
    skip_rc rc = writable_dir("state_dir", cfg->state_dir, err);
    int fd;

    if (rc == SKIP_OK && cfg->port_file)
        rc = file_dir("port_file's directory", cfg->port_file, err);
    if (rc == SKIP_OK && cfg->management_port_file)
        rc = file_dir("management_port_file's directory",
                      cfg->management_port_file, err);
    if (rc == SKIP_OK && cfg->audit_file)
        rc = audit_file(cfg->audit_file, err);
    if (rc == SKIP_OK)
        rc = readable("management_cert_file", cfg->management_cert_file, err);
    if (rc == SKIP_OK)
        rc = readable("management_key_file", cfg->management_key_file, err);
    if (rc == SKIP_OK)
        rc = readable("management_client_ca_file",
                      cfg->management_client_ca_file, err);
    if (rc == SKIP_OK && cfg->entropy_file) {
        /* /capabilities says entropy: true; it must be able to serve it */
        fd = open(cfg->entropy_file, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        if (fd < 0)
            rc = skip_err_set(err, SKIP_E_CONFIG, "entropy_file %s: %s",
                              cfg->entropy_file, strerror(errno));
        else
            close(fd);
    }
    if (rc == SKIP_OK && cfg->tls == SKIP_TLS_CERT)
        rc = tls_material(cfg, err);
    if (rc == SKIP_OK)
        rc = kpd_sync_check_files(cfg, err);
    return rc;
}
