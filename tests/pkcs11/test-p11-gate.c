/* SPDX-License-Identifier: BSD-3-Clause */
/* The session gate (src/pkcs11/gate.c): what each call needs of its
 * session, and publish_key, the one way a key made from a KP answer reaches
 * the store: a token key survives its session's closing, and a keyId held
 * already is never stored twice. The keys are built here as kp.c would
 * from an answer, since the fixture's KP is offline. Also what limits the
 * searches that reach the KP: the slot's fetch_limit, the keyId length. */
#include "config.h"
#include "p11-fixture.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "pkcs11/internal.h"

static const CK_BBOOL yes = CK_TRUE, no = CK_FALSE;

/* A SKIP key object for keyId id[0..15] = fill, key bytes = key_byte, as
 * keygen.c and the fetch path build them, ready for publish_key. */
static object *kp_key(unsigned char fill, unsigned char key_byte, bool token)
{
    skip_key key = {0};
    object *obj;

    memset(key.key_id, fill, 16);
    key.key_id_len = 16;
    key.key = skip_secbuf_new(32);
    assert_non_null(key.key);
    memset(key.key->data, key_byte, 32);
    key.key->len = 32;
    obj = skip_key_object(&key, NULL, CKK_GENERIC_SECRET, ROLE_OPEN,
                          CK_UNAVAILABLE_INFORMATION, NULL);
    skip_key_clear(&key);
    assert_non_null(obj);
    obj->token = token;
    obj->slot_id = 0;
    return obj;
}

/* How many objects a search by keyId id[0..15] = fill finds. A held
 * keyId is answered from the store; a search for session keys never asks
 * the KP (offline here: CKR_DEVICE_ERROR if it were asked). */
static CK_ULONG count_by_id(CK_SESSION_HANDLE s, unsigned char fill,
                            bool token)
{
    unsigned char id[16];
    CK_BBOOL tok = token ? CK_TRUE : CK_FALSE;
    CK_ATTRIBUTE tmpl[] = {{CKA_ID, id, sizeof(id)},
                           {CKA_TOKEN, &tok, sizeof(tok)}};
    CK_OBJECT_HANDLE found[4];
    CK_ULONG n = 0;

    memset(id, fill, sizeof(id));
    assert_int_equal(p11->C_FindObjectsInit(s, tmpl, 2), CKR_OK);
    assert_int_equal(p11->C_FindObjects(s, found, 4, &n), CKR_OK);
    assert_int_equal(p11->C_FindObjectsFinal(s), CKR_OK);
    return n;
}

/* stderr into a file while a call runs, to read its log line. */
static int saved_stderr = -1;
static char capture_path[] = "/tmp/skip-gate-log-XXXXXX";

static void capture_begin(void)
{
    int fd = mkstemp(capture_path);

    assert_true(fd >= 0);
    fflush(stderr);
    saved_stderr = dup(STDERR_FILENO);
    assert_true(dup2(fd, STDERR_FILENO) >= 0);
    close(fd);
}

static void capture_end(char *out, size_t cap)
{
    FILE *f;
    size_t n;

    fflush(stderr);
    dup2(saved_stderr, STDERR_FILENO);
    close(saved_stderr);
    f = fopen(capture_path, "r");
    assert_non_null(f);
    n = fread(out, 1, cap - 1, f);
    out[n] = '\0';
    fclose(f);
    unlink(capture_path);
    strcpy(capture_path, "/tmp/skip-gate-log-XXXXXX");
}

static void a_held_keyid_returns_the_held_handle(void **state)
{
    CK_SESSION_HANDLE s;
    CK_OBJECT_HANDLE first = 0, again = 0, fresh = 0;
    char log[1024];

    (void)state;
    p11_fixture_config(NULL);
    p11_fixture_open(&s);
    assert_int_equal(publish_key(s, kp_key(0x11, 0xA1, true), false, &first),
                     CKR_OK);
    assert_true(first != CK_INVALID_HANDLE);

    /* A search that raced another, or a KP that gives a key twice: the
     * held handle, one object, and a log line when the bytes differ. */
    capture_begin();
    assert_int_equal(publish_key(s, kp_key(0x11, 0xA1, true), false, &again),
                     CKR_OK);
    capture_end(log, sizeof(log));
    assert_int_equal(again, first);
    assert_string_equal(log, "");
    capture_begin();
    assert_int_equal(publish_key(s, kp_key(0x11, 0xB2, true), false, &again),
                     CKR_OK);
    capture_end(log, sizeof(log));
    assert_int_equal(again, first);
    assert_non_null(strstr(log, "slot Test: the KP gave keyId "
                                "11111111111111111111111111111111 again with "
                                "another key; the key held first is kept"));
    assert_null(strstr(log, "b2b2"));
    assert_int_equal(count_by_id(s, 0x11, true), 1);

    /* C_GenerateKey asked for a fresh key: a held keyId is a KP fault. */
    capture_begin();
    assert_int_equal(publish_key(s, kp_key(0x11, 0xA1, true), true, &fresh),
                     CKR_DEVICE_ERROR);
    capture_end(log, sizeof(log));
    assert_non_null(strstr(log, "as a fresh key, but the token already "
                                "holds it; refused"));
    assert_int_equal(count_by_id(s, 0x11, true), 1);
    p11_fixture_close();
}

static void a_token_key_outlives_the_session_that_asked(void **state)
{
    CK_SESSION_HANDLE asked, other;
    CK_OBJECT_HANDLE h = 0;

    (void)state;
    p11_fixture_config(NULL);
    p11_fixture_open(&asked);
    assert_int_equal(p11->C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL,
                                        &other), CKR_OK);
    /* The session closes while the KP answers. */
    assert_int_equal(p11->C_CloseSession(asked), CKR_OK);
    assert_int_equal(publish_key(asked, kp_key(0x22, 0xC3, true), false, &h),
                     CKR_SESSION_HANDLE_INVALID);
    /* The KP gave that key once: it stays findable (with no KP at all). */
    assert_int_equal(count_by_id(other, 0x22, true), 1);

    /* A session key dies with its session anyway. */
    assert_int_equal(publish_key(asked, kp_key(0x33, 0xD4, false), false, &h),
                     CKR_SESSION_HANDLE_INVALID);
    assert_int_equal(count_by_id(other, 0x33, false), 0);
    p11_fixture_close();
}

static void publish_after_finalize_keeps_nothing(void **state)
{
    CK_SESSION_HANDLE s;
    CK_OBJECT_HANDLE h = 0;

    (void)state;
    p11_fixture_config(NULL);
    p11_fixture_open(&s);
    p11_fixture_close();
    assert_int_equal(publish_key(s, kp_key(0x44, 0xE5, true), false, &h),
                     CKR_CRYPTOKI_NOT_INITIALIZED);
}

/* Every object-making call asks the same gate: a private object needs the
 * login, a token object a read/write session. */
static void every_new_object_passes_the_gate(void **state)
{
    static const unsigned char value[32] = {1, 2, 3};
    CK_SESSION_HANDLE rw, ro;
    CK_OBJECT_HANDLE base, out;
    CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
    CK_KEY_TYPE generic = CKK_GENERIC_SECRET;
    CK_ULONG len = 32;
    unsigned char seed[8] = {0};
    CK_IKE2_PRF_PLUS_DERIVE_PARAMS prf = {CKM_SHA256_HMAC, CK_FALSE, 0,
                                          seed, sizeof(seed)};
    CK_MECHANISM mech = {CKM_IKE2_PRF_PLUS_DERIVE, &prf, sizeof(prf)};
    CK_ATTRIBUTE public_attr[] = {{CKA_PRIVATE, (void *)&no, 1}};
    CK_ATTRIBUTE derived[] = {
        {CKA_CLASS, &cls, sizeof(cls)},
        {CKA_KEY_TYPE, &generic, sizeof(generic)},
        {CKA_VALUE_LEN, &len, sizeof(len)},
        {CKA_PRIVATE, (void *)&no, 1},
        {CKA_TOKEN, (void *)&yes, 1},
    };
    CK_MECHANISM gen = {CKM_GENERIC_SECRET_KEY_GEN, NULL, 0};
    CK_ATTRIBUTE gen_tmpl[] = {{CKA_VALUE_LEN, &len, sizeof(len)},
                               {CKA_TOKEN, (void *)&yes, 1}};
    unsigned char buf[8];

    (void)state;
    p11_fixture_config("pin_sha256 = " TEST_PIN_SHA256);
    p11_fixture_open(&rw);
    assert_int_equal(p11->C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, &ro),
                     CKR_OK);
    /* Not logged in: a public key may be made, a private one not. */
    base = p11_import(rw, CKK_GENERIC_SECRET, value, sizeof(value),
                      public_attr, 1);
    /* derive: an omitted CKA_PRIVATE is the token's default, private */
    assert_int_equal(p11->C_DeriveKey(rw, &mech, base, derived, 3, &out),
                     CKR_USER_NOT_LOGGED_IN);
    assert_int_equal(p11->C_DeriveKey(rw, &mech, base, derived, 4, &out),
                     CKR_OK);
    /* a token key needs a read/write session */
    assert_int_equal(p11->C_DeriveKey(ro, &mech, base, derived, 5, &out),
                     CKR_SESSION_READ_ONLY);
    /* the KP paths: login before anything reaches the KP */
    assert_int_equal(p11->C_GenerateKey(rw, &gen, gen_tmpl, 1, &out),
                     CKR_USER_NOT_LOGGED_IN);
    assert_int_equal(p11->C_GenerateKey(ro, &gen, gen_tmpl, 1, &out),
                     CKR_USER_NOT_LOGGED_IN);
    assert_int_equal(p11->C_GenerateRandom(rw, buf, sizeof(buf)),
                     CKR_USER_NOT_LOGGED_IN);
    assert_int_equal(p11->C_GenerateRandom(rw, buf, 0), CKR_OK);
    assert_int_equal(p11->C_Login(rw, CKU_USER, (CK_UTF8CHAR_PTR)TEST_PIN,
                                  strlen(TEST_PIN)), CKR_OK);
    assert_int_equal(p11->C_DeriveKey(rw, &mech, base, derived, 3, &out),
                     CKR_OK);
    /* logged in, a token key in a read-only session is still refused, and
     * before the KP is asked (the fixture's KP would fail otherwise); a
     * session key (CKA_TOKEN's default, FALSE) passes the gate and reaches
     * the offline KP */
    assert_int_equal(p11->C_GenerateKey(ro, &gen, gen_tmpl, 2, &out),
                     CKR_SESSION_READ_ONLY);
    assert_int_equal(p11->C_GenerateKey(ro, &gen, gen_tmpl, 1, &out),
                     CKR_DEVICE_ERROR);
    p11_fixture_close();
}

/* fetch_limit counts the slot's searches that ask the KP, whatever
 * session asks: the third session here is refused without a request, and
 * the refusals of one window make one log line. */
static void the_fetch_limit_is_per_slot(void **state)
{
    CK_SESSION_HANDLE s[5];
    char log[4096];
    const char *p;
    int transport = 0, refused = 0;

    (void)state;
    p11_fixture_config("fetch_limit = 2");
    p11_fixture_open(&s[0]);
    for (int i = 1; i < 5; i++)
        assert_int_equal(p11->C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL,
                                            &s[i]), CKR_OK);
    capture_begin();
    for (int i = 0; i < 5; i++) {
        unsigned char id[16];
        CK_ATTRIBUTE tmpl[] = {{CKA_ID, id, sizeof(id)}};
        memset(id, 0x60 + i, sizeof(id));
        /* the fixture's KP is offline: every search that asks it fails */
        assert_int_equal(p11->C_FindObjectsInit(s[i], tmpl, 1),
                         CKR_DEVICE_ERROR);
    }
    capture_end(log, sizeof(log));
    for (p = log; (p = strstr(p, "transport: ")) != NULL; p++)
        transport++;
    for (p = log; (p = strstr(p, "more than fetch_limit = 2 searches")) != NULL; p++)
        refused++;
    assert_int_equal(transport, 2);
    assert_int_equal(refused, 1);
    p11_fixture_close();

    /* 0: no limit */
    p11_fixture_config("fetch_limit = 0");
    p11_fixture_open(&s[0]);
    capture_begin();
    for (int i = 0; i < 4; i++) {
        unsigned char id[16];
        CK_ATTRIBUTE tmpl[] = {{CKA_ID, id, sizeof(id)}};
        memset(id, 0x70 + i, sizeof(id));
        assert_int_equal(p11->C_FindObjectsInit(s[0], tmpl, 1),
                         CKR_DEVICE_ERROR);
    }
    capture_end(log, sizeof(log));
    assert_null(strstr(log, "fetch_limit"));
    p11_fixture_close();
}

/* A keyId shorter than 128 bits never reaches the KP. */
static void short_key_ids_are_not_fetched(void **state)
{
    CK_SESSION_HANDLE s;
    unsigned char id[15] = {1};
    CK_ATTRIBUTE tmpl[] = {{CKA_ID, id, sizeof(id)}};
    CK_OBJECT_HANDLE h;
    CK_ULONG n = 1;

    (void)state;
    p11_fixture_config(NULL);
    p11_fixture_open(&s);
    /* the KP is offline: asking it would be CKR_DEVICE_ERROR */
    assert_int_equal(p11->C_FindObjectsInit(s, tmpl, 1), CKR_OK);
    assert_int_equal(p11->C_FindObjects(s, &h, 1, &n), CKR_OK);
    assert_int_equal(n, 0);
    assert_int_equal(p11->C_FindObjectsFinal(s), CKR_OK);
    p11_fixture_close();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_held_keyid_returns_the_held_handle),
        cmocka_unit_test(a_token_key_outlives_the_session_that_asked),
        cmocka_unit_test(publish_after_finalize_keeps_nothing),
        cmocka_unit_test(every_new_object_passes_the_gate),
        cmocka_unit_test(the_fetch_limit_is_per_slot),
        cmocka_unit_test(short_key_ids_are_not_fetched),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
