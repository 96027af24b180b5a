/* SPDX-License-Identifier: BSD-3-Clause */
/* skip-tool: a command-line SKIP client for operators and tests. It prints
 * JSON on stdout, one error line on stderr, and an exit code per failure
 * class so scripts can tell a TLS problem from a missing key. */
#include "config.h"

#include <getopt.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "skip/client.h"
#include "skip/hex.h"
#include "skip/ini.h"
#include "skip/log.h"
#include "skip/url.h"

enum exit_code {
    EXIT_OK = 0,
    EXIT_USAGE = 1,
    EXIT_CONFIG = 2,
    EXIT_TRANSPORT = 3,
    EXIT_TLS = 4,
    EXIT_TIMEOUT = 5,
    EXIT_HTTP_400 = 6,
    EXIT_HTTP_404 = 7,
    EXIT_HTTP_405 = 8,
    EXIT_HTTP_5XX = 9,
    EXIT_HTTP_503 = 10,
    EXIT_HTTP_OTHER = 11,
    EXIT_MALFORMED = 12,
    EXIT_INTERNAL = 13,
};

static const int exit_of_rc[SKIP_RC_COUNT] = {
    [SKIP_OK] = EXIT_OK,
    [SKIP_E_ARGS] = EXIT_USAGE,
    [SKIP_E_NOMEM] = EXIT_INTERNAL,
    [SKIP_E_CONFIG] = EXIT_CONFIG,
    [SKIP_E_TRANSPORT] = EXIT_TRANSPORT,
    [SKIP_E_TLS] = EXIT_TLS,
    [SKIP_E_TIMEOUT] = EXIT_TIMEOUT,
    [SKIP_E_HTTP_400] = EXIT_HTTP_400,
    [SKIP_E_HTTP_404] = EXIT_HTTP_404,
    [SKIP_E_HTTP_405] = EXIT_HTTP_405,
    [SKIP_E_HTTP_5XX] = EXIT_HTTP_5XX,
    [SKIP_E_HTTP_503] = EXIT_HTTP_503,
    [SKIP_E_HTTP_OTHER] = EXIT_HTTP_OTHER,
    [SKIP_E_MALFORMED] = EXIT_MALFORMED,
    [SKIP_E_TOO_LARGE] = EXIT_MALFORMED,
    [SKIP_E_NOT_FOUND] = EXIT_INTERNAL,
    [SKIP_E_ENTROPY] = EXIT_INTERNAL,
    [SKIP_E_INTERNAL] = EXIT_INTERNAL,
};

struct tool {
    skip_client_opts opts;
    char *remote; /* default remote from the config file */
    bool reveal_key;
    skip_err err;
};

static void usage(FILE *out)
{
    fputs("usage: skip-tool [options] COMMAND [ARGS]\n"
          "\n"
          "commands:\n"
          "  capabilities              GET /capabilities\n"
          "  key [REMOTE] [--size BITS] GET /key (REMOTE defaults to the "
          "config's remote)\n"
          "  key-by-id KEYID [REMOTE]  GET /key/{KEYID}\n"
          "  entropy [BITS]            GET /entropy\n"
          "  raw METHOD PATH           any request; prints status, Allow and "
          "body\n"
          "\n"
          "options:\n"
          "  -c, --config FILE     read [kp] options from FILE (INI)\n"
          "      --url URL         Key Provider, https://host:port\n"
          "      --tls MODE        psk or cert\n"
          "      --tls-version V   1.2, 1.3 or any\n"
          "      --psk-identity ID --psk-file FILE (\"0x<hex>\" or ASCII)\n"
          "      --psk-hash H      sha384 (default) or sha256: the TLS 1.3\n"
          "                        PSK's hash, as the KP binds it\n"
          "      --ca-file FILE    --cert-file FILE --key-file FILE\n"
          "      --ciphers LIST    TLS 1.2 cipher list\n"
          "      --timeout-ms N    --connect-timeout-ms N\n"
          "      --reveal-key      print the key itself, not its SHA-256\n"
          "      --repeat N        run the command N times on one connection\n"
          "                        and report the connections used\n"
          "      --version         print the version and exit\n"
          "\n"
          "exit codes: 0 ok, 1 usage, 2 config, 3 transport, 4 TLS, "
          "5 timeout,\n"
          "  6 HTTP 400, 7 HTTP 404, 8 HTTP 405, 9 HTTP 5xx, 10 HTTP 503,\n"
          "  11 other HTTP status, 12 malformed answer, 13 internal error\n",
          out);
}

static int fail(struct tool *t, skip_rc rc)
{
    fprintf(stderr, "skip-tool: %s: %s\n", skip_rc_name(rc), t->err.detail);
    return exit_of_rc[rc];
}

static int config_entry(void *user, const char *section, const char *name,
                        const char *value)
{
    struct tool *t = user;

    if (strcmp(section, "kp") != 0) {
        skip_err_set(&t->err, SKIP_E_CONFIG, "unknown section [%s]", section);
        return 0;
    }
    if (name == NULL)
        return 1; /* the section's own line */
    if (strcmp(name, "remote") == 0) {
        free(t->remote);
        t->remote = strdup(value);
        return t->remote != NULL;
    }
    return skip_client_opts_set(&t->opts, name, value, &t->err) == SKIP_OK;
}

static int load_config(struct tool *t, const char *path)
{
    const char *why;
    int line = skip_ini_parse(path, config_entry, t, &why);

    if (line < 0) {
        fprintf(stderr, "skip-tool: %s: cannot read the file\n", path);
        return EXIT_CONFIG;
    }
    if (line > 0) {
        fprintf(stderr, "skip-tool: %s:%d: %s\n", path, line,
                t->err.detail[0] ? t->err.detail : why ? why : "syntax error");
        return EXIT_CONFIG;
    }
    return EXIT_OK;
}

static void fingerprint(const unsigned char *data, size_t len, char *hex)
{
    unsigned char md[32];

    EVP_Digest(data, len, md, NULL, EVP_sha256(), NULL);
    skip_hex_encode(md, sizeof(md), hex);
}

static void print_key(const struct tool *t, const skip_key *key)
{
    char id[2 * SKIP_KEYID_MAX + 1], fp[65];

    skip_hex_encode(key->key_id, key->key_id_len, id);
    if (t->reveal_key) {
        /* The user asked for it; written straight from locked memory. */
        printf("{\"keyId\":\"%s\",\"key\":\"", id);
        for (size_t i = 0; i < key->key->len; i++)
            printf("%02x", key->key->data[i]);
        printf("\",\"bits\":%zu}\n", key->key->len * 8);
    } else {
        fingerprint(key->key->data, key->key->len, fp);
        printf("{\"keyId\":\"%s\",\"keySha256\":\"%s\",\"bits\":%zu}\n", id,
               fp, key->key->len * 8);
    }
}

static int cmd_capabilities(struct tool *t, skip_client *c)
{
    skip_caps caps;
    skip_rc rc = skip_client_caps(c, &caps, &t->err);
    char *text;

    if (rc != SKIP_OK)
        return fail(t, rc);
    text = skip_json_emit_caps(&caps);
    printf("%s\n", text ? text : "{}");
    free(text);
    skip_caps_clear(&caps);
    return EXIT_OK;
}

static int cmd_key(struct tool *t, skip_client *c, const char *remote,
                   unsigned size)
{
    skip_key key;
    skip_rc rc = skip_client_key(c, remote, size, &key, &t->err);

    if (rc != SKIP_OK)
        return fail(t, rc);
    print_key(t, &key);
    skip_key_clear(&key);
    return EXIT_OK;
}

static int cmd_key_by_id(struct tool *t, skip_client *c, const char *hex,
                         const char *remote)
{
    unsigned char id[SKIP_KEYID_MAX];
    size_t id_len;
    skip_key key;
    skip_rc rc;

    if (!skip_hex_decode(hex, strlen(hex), id, sizeof(id), &id_len) ||
        id_len == 0) {
        fprintf(stderr, "skip-tool: KEYID must be 2..%d hex digits\n",
                2 * SKIP_KEYID_MAX);
        return EXIT_USAGE;
    }
    rc = skip_client_key_by_id(c, id, id_len, remote, &key, &t->err);
    if (rc != SKIP_OK)
        return fail(t, rc);
    print_key(t, &key);
    skip_key_clear(&key);
    return EXIT_OK;
}

static int cmd_entropy(struct tool *t, skip_client *c, unsigned bits)
{
    skip_secbuf *random;
    skip_rc rc = skip_client_entropy(c, bits, &random, &t->err);
    char *hex;

    if (rc != SKIP_OK)
        return fail(t, rc);
    hex = malloc(2 * random->len + 1);
    if (hex) {
        skip_hex_encode(random->data, random->len, hex);
        printf("{\"randomStr\":\"%s\",\"minentropy\":%zu}\n", hex,
               random->len * 8);
        free(hex);
    }
    skip_secbuf_free(random);
    return hex ? EXIT_OK : EXIT_INTERNAL;
}

static int cmd_raw(struct tool *t, skip_client *c, const char *method,
                   const char *path)
{
    skip_secbuf *body;
    char *allow, *content_type;
    long status;
    skip_rc rc = skip_client_raw(c, method, path, &status, &allow,
                                 &content_type, &body, &t->err);

    if (rc != SKIP_OK)
        return fail(t, rc);
    printf("status: %ld\n", status);
    if (allow)
        printf("allow: %s\n", allow);
    if (content_type)
        printf("content-type: %s\n", content_type);
    printf("body: %.*s\n", (int)body->len, (const char *)body->data);
    free(allow);
    free(content_type);
    skip_secbuf_free(body);
    return EXIT_OK;
}

static unsigned parse_bits(const char *s, const char *what)
{
    unsigned v;

    if (skip_parse_uint(s, 8, 1u << 20, &v) != SKIP_OK || v % 8 != 0) {
        fprintf(stderr, "skip-tool: %s must be a multiple of 8\n", what);
        return 0;
    }
    return v;
}

/* Exit statuses of a failure another KP of the site may not have: it
 * could not be reached (transport, TLS, timeout) or failed (5xx). */
static bool fails_over(int code)
{
    return code == EXIT_TRANSPORT || code == EXIT_TLS || code == EXIT_TIMEOUT ||
           code == EXIT_HTTP_5XX || code == EXIT_HTTP_503;
}

/* One command with its arguments (after the command name). */
static int run_command(struct tool *t, skip_client *c, const char *cmd,
                       int argc, char **argv, const char *remote,
                       unsigned size)
{
    if (strcmp(cmd, "capabilities") == 0 && argc == 0)
        return cmd_capabilities(t, c);
    if (strcmp(cmd, "key") == 0 && argc <= 1 && remote)
        return cmd_key(t, c, remote, size);
    if (strcmp(cmd, "key-by-id") == 0 && argc >= 1 && argc <= 2 && remote)
        return cmd_key_by_id(t, c, argv[0], remote);
    if (strcmp(cmd, "entropy") == 0 && argc <= 1) {
        unsigned bits = 0;
        if (argc == 1 && (bits = parse_bits(argv[0], "BITS")) == 0)
            return EXIT_USAGE;
        return cmd_entropy(t, c, bits);
    }
    if (strcmp(cmd, "raw") == 0 && argc == 2)
        return cmd_raw(t, c, argv[0], argv[1]);
    usage(stderr);
    return EXIT_USAGE;
}

int main(int argc, char **argv)
{
    enum { OPT_URL = 256, OPT_TLS, OPT_TLS_VERSION, OPT_PSK_IDENTITY,
           OPT_PSK_FILE, OPT_CA_FILE, OPT_CERT_FILE, OPT_KEY_FILE,
           OPT_CIPHERS, OPT_TIMEOUT, OPT_CONNECT_TIMEOUT, OPT_PSK_HASH,
           OPT_REVEAL, OPT_SIZE, OPT_REPEAT, OPT_VERSION };
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"url", required_argument, NULL, OPT_URL},
        {"tls", required_argument, NULL, OPT_TLS},
        {"tls-version", required_argument, NULL, OPT_TLS_VERSION},
        {"psk-identity", required_argument, NULL, OPT_PSK_IDENTITY},
        {"psk-file", required_argument, NULL, OPT_PSK_FILE},
        {"psk-hash", required_argument, NULL, OPT_PSK_HASH},
        {"ca-file", required_argument, NULL, OPT_CA_FILE},
        {"cert-file", required_argument, NULL, OPT_CERT_FILE},
        {"key-file", required_argument, NULL, OPT_KEY_FILE},
        {"ciphers", required_argument, NULL, OPT_CIPHERS},
        {"timeout-ms", required_argument, NULL, OPT_TIMEOUT},
        {"connect-timeout-ms", required_argument, NULL, OPT_CONNECT_TIMEOUT},
        {"reveal-key", no_argument, NULL, OPT_REVEAL},
        {"size", required_argument, NULL, OPT_SIZE},
        {"repeat", required_argument, NULL, OPT_REPEAT},
        {"version", no_argument, NULL, OPT_VERSION},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    /* Flags map onto config names, so both paths share one validator. */
    static const char *const opt_names[] = {
        [OPT_URL - OPT_URL] = "url",
        [OPT_TLS - OPT_URL] = "tls",
        [OPT_TLS_VERSION - OPT_URL] = "tls_version",
        [OPT_PSK_IDENTITY - OPT_URL] = "psk_identity",
        [OPT_PSK_FILE - OPT_URL] = "psk_file",
        [OPT_CA_FILE - OPT_URL] = "ca_file",
        [OPT_CERT_FILE - OPT_URL] = "cert_file",
        [OPT_KEY_FILE - OPT_URL] = "key_file",
        [OPT_CIPHERS - OPT_URL] = "ciphers",
        [OPT_TIMEOUT - OPT_URL] = "timeout_ms",
        [OPT_CONNECT_TIMEOUT - OPT_URL] = "connect_timeout_ms",
        [OPT_PSK_HASH - OPT_URL] = "psk_hash",
    };
    struct tool t = {0};
    const char *cmd, *remote;
    skip_client *client = NULL;
    unsigned size = 0, repeat = 1;
    bool url_flag_seen = false;
    int opt, code = EXIT_USAGE;

    skip_log_init("skip-tool", "SKIP_DEBUG", false);
    skip_client_opts_init(&t.opts);
    /* The config file is read first so flags override it. */
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0)
            if ((code = load_config(&t, argv[i + 1])) != EXIT_OK)
                goto out;
    code = EXIT_USAGE;
    while ((opt = getopt_long(argc, argv, "+c:h", longopts, NULL)) != -1) {
        if (opt == 'c')
            continue;
        if (opt == OPT_VERSION) {
            printf("skip-tool %s\n", PACKAGE_VERSION);
            code = EXIT_OK;
            goto out;
        }
        if (opt == 'h') {
            usage(stdout);
            code = EXIT_OK;
            goto out;
        }
        if (opt == OPT_REVEAL) {
            t.reveal_key = true;
        } else if (opt == OPT_REPEAT) {
            if (skip_parse_uint(optarg, 1, 1000000, &repeat) != SKIP_OK) {
                fprintf(stderr, "skip-tool: --repeat must be 1..1000000\n");
                goto out;
            }
        } else if (opt == OPT_SIZE) {
            if ((size = parse_bits(optarg, "--size")) == 0)
                goto out;
        } else if (opt >= OPT_URL && opt <= OPT_PSK_HASH) {
            skip_rc rc;
            /* --url replaces the config file's list; more --url add to it */
            if (opt == OPT_URL && !url_flag_seen) {
                skip_client_opts_reset_urls(&t.opts);
                url_flag_seen = true;
            }
            rc = skip_client_opts_set(&t.opts, opt_names[opt - OPT_URL],
                                      optarg, &t.err);
            if (rc != SKIP_OK) {
                fprintf(stderr, "skip-tool: %s\n", t.err.detail);
                code = EXIT_CONFIG;
                goto out;
            }
        } else {
            usage(stderr);
            goto out;
        }
    }
    if (optind >= argc) {
        usage(stderr);
        goto out;
    }
    cmd = argv[optind++];
    /* Allow --size after the command too: `key Bob --size 128`. */
    for (int i = optind; i < argc; i++) {
        if (strcmp(argv[i], "--size") == 0 && i + 1 < argc) {
            if ((size = parse_bits(argv[i + 1], "--size")) == 0)
                goto out;
            memmove(&argv[i], &argv[i + 2], (size_t)(argc - i - 2) * sizeof(char *));
            argc -= 2;
            i--;
        } else if (strcmp(argv[i], "--reveal-key") == 0) {
            t.reveal_key = true;
            memmove(&argv[i], &argv[i + 1], (size_t)(argc - i - 1) * sizeof(char *));
            argc--;
            i--;
        }
    }
    remote = optind + (strcmp(cmd, "key-by-id") == 0) < argc
                 ? argv[optind + (strcmp(cmd, "key-by-id") == 0)]
                 : t.remote;
    /* The site's KPs in order: a KP that cannot be reached or fails
     * (5xx) passes the request on to the next; any other answer stands. */
    for (size_t u = 0; u < (t.opts.url_count ? t.opts.url_count : 1); u++) {
        if (u > 0) {
            skip_client_free(client);
            if (skip_client_opts_use_url(&t.opts, u) != SKIP_OK)
                break;
            fprintf(stderr, "skip-tool: trying %s\n", t.opts.url);
        }
        client = skip_client_new(&t.opts, &t.err);
        if (client == NULL) {
            fprintf(stderr, "skip-tool: %s\n", t.err.detail);
            code = EXIT_CONFIG;
            goto out;
        }
        for (unsigned i = 0; i < repeat; i++) {
            code = run_command(&t, client, cmd, argc - optind, argv + optind,
                               remote, size);
            if (code != EXIT_OK)
                break;
        }
        if (!fails_over(code) || strcmp(cmd, "raw") == 0) /* raw: that KP */
            break;
    }
    if (repeat > 1)
        fprintf(stderr, "skip-tool: %u requests over %lu connections\n",
                repeat, skip_client_connections(client));
out:
    skip_client_free(client);
    skip_client_opts_clear(&t.opts);
    free(t.remote);
    return code;
}
