/* SPDX-License-Identifier: BSD-3-Clause */
/* skip-kpd.conf: a good file, and every kind of bad line reported with
 * its line number. */
#include "config.h"
#include "unit.h"
#include "kpd-fixture.h"

#include "kpd/clients.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char dir[64];

static int setup(void **state)
{
    strcpy(dir, "/tmp/skip-unit-XXXXXX");
    assert_non_null(mkdtemp(dir));
    fixture_write(dir, "psks", "# encryptors\nenc-a:0x000102030405060708090a0b0c0d0e0f\n"
                               "enc-b:an ASCII key: long enough\n");
    return 0;
}

static int teardown(void **state)
{
    char cmd[128];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd);
}

static skip_rc parse(const char *body, kpd_config *cfg, skip_err *err)
{
    char text[8192];
    const char *at = strstr(body, "@DIR@");

    /* Config texts name the temp dir as @DIR@. */
    if (at)
        snprintf(text, sizeof(text), "%.*s%s%s", (int)(at - body), body, dir,
                 at + 5);
    else
        snprintf(text, sizeof(text), "%s", body);
    return kpd_config_parse_string(text, "kpd.conf", cfg, err);
}

#define GOOD "[kpd]\nlocal_system_id = Alice\nstate_dir = /tmp/x\npsk_file = @DIR@/psks\n" \
             "[client a]\nmatch = psk:enc-a\nremotes = Bob, KP_*\n" \
             "[peer Bob]\nsecret_file = /tmp/bob\n"

static void good_file(void **state)
{
    kpd_config cfg;
    skip_err err = {0};

    assert_int_equal(parse(GOOD "[peer KP_2]\nsecret_file = /tmp/kp2\n", &cfg,
                           &err), SKIP_OK);
    assert_string_equal(cfg.local_id, "Alice");
    assert_string_equal(cfg.listen_host, "127.0.0.1");
    assert_int_equal(cfg.listen_port, 8443);
    assert_int_equal(cfg.peer_count, 2);
    assert_non_null(kpd_config_peer(&cfg, "KP_2"));
    assert_null(kpd_config_peer(&cfg, "Eve"));
    assert_int_equal(cfg.psk_count, 2);
    assert_string_equal(cfg.psks[1].identity, "enc-b");
    assert_memory_equal(cfg.psks[1].key->data, "an ASCII key: long enough", 25);
    assert_int_equal(cfg.psks[0].key->len, 16);
    assert_int_equal(cfg.key_id_bits, 128);
    assert_string_equal(cfg.key_source, "prf");
    assert_string_equal(cfg.ledger, "file");
    assert_string_equal(kpd_peer_setting(kpd_config_peer(&cfg, "KP_2"),
                                         "secret_file"), "/tmp/kp2");
    assert_int_equal(cfg.client_count, 1);
    assert_string_equal(cfg.clients[0].match, "psk:enc-a");
    assert_int_equal(cfg.clients[0].remote_count, 2);
    assert_string_equal(cfg.clients[0].remotes[1], "KP_*");
    kpd_config_clear(&cfg);
    /* Both backends named explicitly, the source before any [peer]. */
    assert_int_equal(parse("[kpd]\nkey_source = prf\nledger = file\n" GOOD,
                           &cfg, &err), SKIP_OK);
    assert_string_equal(cfg.key_source, "prf");
    kpd_config_clear(&cfg);
}

/* A comment after a value, with ';' or '#' after a blank, is not part of
 * the value (the man page says comments start with either). */
static void inline_comments(void **state)
{
    kpd_config cfg;
    skip_err err = {0};

    assert_int_equal(parse("[kpd]\nlocal_system_id = Alice # site A\n"
                           "state_dir = /tmp/x ; where the ledger is\n"
                           "psk_file = @DIR@/psks\n"
                           "[client a]\nmatch = psk:enc-a\nremotes = Bob\n"
                           "[peer Bob] # the branch office\nsecret_file = /tmp/bob\n",
                           &cfg, &err), SKIP_OK);
    assert_string_equal(cfg.local_id, "Alice");
    assert_string_equal(cfg.state_dir, "/tmp/x");
    assert_string_equal(cfg.peers[0].name, "Bob");
    kpd_config_clear(&cfg);
}

static void listen_forms(void **state)
{
    kpd_config cfg;
    skip_err err = {0};

    assert_int_equal(parse(GOOD "[kpd]\nlisten = [::1]:0\n", &cfg, &err), SKIP_OK);
    assert_string_equal(cfg.listen_host, "::1");
    assert_int_equal(cfg.listen_port, 0);
    kpd_config_clear(&cfg);
}

/* A [client] whose PSK identity is gone is no error (removing a PSK must
 * revoke its client even when the section stays), but it is found. */
static void a_client_without_its_psk(void **state)
{
    kpd_config cfg;
    skip_err err = {0};

    (void)state;
    assert_int_equal(parse(GOOD "[client b]\nmatch = psk:nobody\nremotes = *\n",
                           &cfg, &err), SKIP_OK);
    assert_non_null(kpd_clients_unknown_psk(&cfg));
    assert_string_equal(kpd_clients_unknown_psk(&cfg)->name, "b");
    kpd_config_clear(&cfg);
    assert_int_equal(parse(GOOD, &cfg, &err), SKIP_OK);
    assert_null(kpd_clients_unknown_psk(&cfg));
    kpd_config_clear(&cfg);
}

/* Each PSK identity binds to SHA-384 in TLS 1.3 unless its [client] says
 * psk_hash = sha256; nothing else moves it (an identity whose entry was
 * left unset once took a stray hash after a reload). */
static void psk_hash_per_identity(void **state)
{
    kpd_config cfg;
    skip_err err = {0};

    (void)state;
    assert_int_equal(parse(GOOD "[client b]\nmatch = psk:enc-b\nremotes = *\n"
                                "psk_hash = sha256\n", &cfg, &err), SKIP_OK);
    assert_int_equal(cfg.psk_count, 2);
    for (size_t i = 0; i < cfg.psk_count; i++) {
        skip_psk_hash want = strcmp(cfg.psks[i].identity, "enc-b") == 0
                                 ? SKIP_PSK_SHA256 : SKIP_PSK_SHA384;
        CHECK_CASE(cfg.psks[i].identity, cfg.psks[i].hash == want);
    }
    kpd_config_clear(&cfg);
    assert_int_equal(parse(GOOD, &cfg, &err), SKIP_OK);
    for (size_t i = 0; i < cfg.psk_count; i++)
        CHECK_CASE(cfg.psks[i].identity, cfg.psks[i].hash == SKIP_PSK_SHA384);
    kpd_config_clear(&cfg);
}

static void bad_lines_named(void **state)
{
    static const struct {
        const char *body, *want;
    } cases[] = {
        {GOOD "[kpd]\nbogus = 1\n", "kpd.conf:11: unknown option bogus in [kpd]"},
        {GOOD "[other]\nx = 1\n", "kpd.conf:10: unknown section [other]"},
        {GOOD "[other]\n", "kpd.conf:10: unknown section [other]"},
        {GOOD "[kpd]\ntls = tls\n", "kpd.conf:11: tls must be psk or cert"},
        {GOOD "[kpd]\ntls_version = 1.1\n", "kpd.conf:11: tls_version must be"},
        {GOOD "[kpd]\nlisten = 8443\n", "kpd.conf:11: listen must be HOST:PORT"},
        {GOOD "[kpd]\nlisten = h:65536\n", "kpd.conf:11: listen port"},
        {GOOD "[kpd]\nkey_id_bits = 100\n", "kpd.conf:11: key_id_bits must be"},
        {GOOD "[kpd]\nmax_connections = 0\n", "kpd.conf:11: max_connections must be"},
        {GOOD "[kpd]\nkey_lifetime_s = -1\n", "kpd.conf:11: key_lifetime_s must be"},
        {GOOD "[kpd]\nlog = file\n", "kpd.conf:11: log must be stderr or syslog"},
        {GOOD "[kpd]\nlog_level = loud\n", "kpd.conf:11: log_level must be"},
        {GOOD "[kpd]\nlocal_system_id = \n", "kpd.conf:11: local_system_id is empty"},
        {GOOD "[peer Bob]\nsecret = x\n",
         "kpd.conf:11: [peer Bob]: unknown option secret (key_source prf takes secret_file)"},
        {GOOD "[peer Bob]\nsecret_file = /a\n", "kpd.conf:11: secret_file given twice in [peer Bob]"},
        {GOOD "[peer Carol]\nsecret_file =\n", "kpd.conf:11: [peer Carol]: secret_file is empty"},
        {"[kpd]\nkey_source = qkd\n", "kpd.conf:2: key_source \"qkd\" is not one of: prf"},
        {GOOD "[kpd]\nkey_source = prf\n",
         "kpd.conf:11: key_source must come before the first [peer] section"},
        {GOOD "[kpd]\nledger = sql\n", "kpd.conf:11: ledger \"sql\" is not one of: file"},
        {GOOD "no equals sign\n", "kpd.conf:10: expected name = value"},
        {GOOD "[peer Bob\n", "kpd.conf:10: a section must be written [name]"},
        {"[kpd]\nstate_dir = /x\npsk_file = @DIR@/psks\n[peer B]\nsecret_file = /s\n",
         "kpd.conf:0: local_system_id is not set"},
        {"[kpd]\nlocal_system_id = A\nstate_dir = /x\npsk_file = @DIR@/psks\n",
         "kpd.conf:0: no [peer NAME] section"},
        {"[kpd]\nlocal_system_id = A\nstate_dir = /x\n[peer B]\nsecret_file = /s\n",
         "kpd.conf:0: tls = psk needs psk_file"},
        {GOOD "[kpd]\ntls = cert\n", "kpd.conf:0: tls = cert needs cert_file"},
        {GOOD "[kpd]\nkey_lifetime_s = 100\nratchet_interval_s = 50\n",
         "kpd.conf:0: key_lifetime_s must not exceed ratchet_interval_s"},
        {GOOD "[kpd]\npsk_file = /nonexistent/psks\n", "/nonexistent/psks: No such file"},
        /* who may ask for what */
        {"[kpd]\nlocal_system_id = A\nstate_dir = /x\npsk_file = @DIR@/psks\n"
         "[peer B]\nsecret_file = /s\n", "kpd.conf:0: no [client NAME] section"},
        {GOOD "[client b]\nmatch = psk:enc-b\n", "kpd.conf:0: [client b] needs match and remotes"},
        {GOOD "[client b]\nmatch = enc-b\n", "kpd.conf:11: [client b]: match must be psk:IDENTITY"},
        {GOOD "[client b]\nmatch = spki:abcd\n", "kpd.conf:11: [client b]: match must be"},
        {GOOD "[client a]\nmatch = psk:enc-b\n", "kpd.conf:11: match given twice in [client a]"},
        {GOOD "[client b]\nwho = x\n", "kpd.conf:11: unknown key \"who\" in [client b]"},
        {GOOD "[client b]\nmatch = anonymous\nremotes = *\n",
         "kpd.conf:0: [client b]: match = anonymous needs client_auth = none"},
        {GOOD "[kpd]\ntls = cert\ncert_file = c\nkey_file = k\n",
         "kpd.conf:0: tls = cert needs client_ca_file"},
        {GOOD "[kpd]\nclient_auth = none\n", "kpd.conf:0: client_auth = none goes with tls = cert"},
        {GOOD "[kpd]\nclient_auth = maybe\n", "kpd.conf:11: client_auth must be required or none"},
        {GOOD "[client a]\npsk_hash = md5\n", "kpd.conf:11: [client a]: psk_hash must be sha384 or sha256"},
        {GOOD "[client c]\nmatch = cert:/CN=x\nremotes = *\npsk_hash = sha256\n",
         "kpd.conf:0: [client c]: psk_hash goes with match = psk:IDENTITY"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        kpd_config cfg;
        skip_err err = {0};
        skip_rc rc = parse(cases[i].body, &cfg, &err);
        CHECK_CASE(cases[i].want, rc == SKIP_E_CONFIG);
        if (strstr(err.detail, cases[i].want) == NULL)
            fail_msg("want \"%s\", got \"%s\"", cases[i].want, err.detail);
        CHECK_CASE(cases[i].want, cfg.peers == NULL && cfg.psks == NULL);
    }
}

/* System IDs of every length the docs allow (1..255 bytes of UTF-8) are
 * read whole, as [peer NAME], local_system_id and in a client's remotes;
 * two that differ only after byte 50 stay two; 256 bytes is an error at
 * its line, never a cut. */
static void system_ids_whole(void **state)
{
    static const size_t lengths[] = {32, 60, 200, 255};
    char *text = malloc(8192);

    assert_non_null(text);
    /* bad_psk_files_named left its own PSK file */
    fixture_write(dir, "psks", "enc-a:0x000102030405060708090a0b0c0d0e0f\n");
    for (size_t i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++) {
        char a[256], b[256];
        size_t n = lengths[i];
        kpd_config cfg;
        skip_err err = {0};

        memset(a, 'P', n);
        memcpy(a + n - 4, "\xC3\xA9\xC3\xA9", 4); /* two é at the end */
        a[n] = '\0';
        memcpy(b, a, n + 1);
        b[n / 2 + 10 < n - 4 ? n / 2 + 10 : 0] = 'Q'; /* past byte 50 for n > 60 */
        snprintf(text, 8192,
                 "[kpd]\nlocal_system_id = %s\nstate_dir = /tmp/x\n"
                 "psk_file = @DIR@/psks\n[client a]\nmatch = psk:enc-a\n"
                 "remotes = %s, %s\n[peer %s]\nsecret_file = /tmp/a\n"
                 "[peer %s]\nsecret_file = /tmp/b\n", a, a, b, a, b);
        if (parse(text, &cfg, &err) != SKIP_OK)
            fail_msg("%zu bytes: %s", n, err.detail);
        CHECK_CASE(a, strcmp(cfg.local_id, a) == 0);
        CHECK_CASE(a, cfg.peer_count == 2);
        CHECK_CASE(a, strcmp(cfg.peers[0].name, a) == 0);
        CHECK_CASE(a, strcmp(cfg.peers[1].name, b) == 0);
        kpd_config_clear(&cfg);
    }
    {
        char id[257];
        kpd_config cfg;
        skip_err err = {0};

        memset(id, 'P', 256);
        id[256] = '\0';
        snprintf(text, 8192, GOOD "[peer %s]\nsecret_file = /tmp/c\n", id);
        assert_int_equal(parse(text, &cfg, &err), SKIP_E_CONFIG);
        if (strstr(err.detail, "kpd.conf:10: ") == NULL) /* the [peer] line */
            fail_msg("got \"%s\"", err.detail);
        snprintf(text, 8192, "[kpd]\nlocal_system_id = %s\n", id);
        assert_int_equal(parse(text, &cfg, &err), SKIP_E_CONFIG);
        if (strstr(err.detail, "kpd.conf:2: ") == NULL)
            fail_msg("got \"%s\"", err.detail);
    }
    free(text);
}

static void bad_psk_files_named(void **state)
{
    static const struct {
        const char *file, *want;
    } cases[] = {
        {"enc:0x0001\n", "psks:1: PSK of 2 bytes is shorter than 16"},
        {"# c\n\nnocolon\n", "psks:3: expected identity:key"},
        {":0x000102030405060708090a0b0c0d0e0f\n", "psks:1: expected identity:key"},
        {"enc:0xzz0102030405060708090a0b0c0d0e0f\n", "psks:1: hex PSK is not"},
        {"enc:with\ttab and more text\n", "psks:1: ASCII PSK has a non-printable"},
        {"a:0x000102030405060708090a0b0c0d0e0f\na:0x000102030405060708090a0b0c0d0e0f\n",
         "psks:2: identity given twice"},
        {"# only a comment\n", "psks:0: no identity:key line"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        kpd_config cfg;
        skip_err err = {0};
        fixture_write(dir, "psks", cases[i].file);
        CHECK_CASE(cases[i].want, parse(GOOD, &cfg, &err) == SKIP_E_CONFIG);
        if (strstr(err.detail, cases[i].want) == NULL)
            fail_msg("want \"%s\", got \"%s\"", cases[i].want, err.detail);
        /* The key bytes never appear in the message. */
        CHECK_CASE(cases[i].want, strstr(err.detail, "0102030405") == NULL);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(good_file),
        cmocka_unit_test(listen_forms),
        cmocka_unit_test(bad_lines_named),
        cmocka_unit_test(inline_comments),
        cmocka_unit_test(a_client_without_its_psk),
        cmocka_unit_test(psk_hash_per_identity),
        cmocka_unit_test(bad_psk_files_named),
        cmocka_unit_test(system_ids_whole),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
