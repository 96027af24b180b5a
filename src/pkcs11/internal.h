/* SPDX-License-Identifier: BSD-3-Clause */
/* Structures shared inside src/pkcs11. One module lock guards every table
 * below; it is held briefly and never across network I/O (see kp.c).
 * Functions that need it held end in _locked. */
#ifndef SKIP_PKCS11_INTERNAL_H
#define SKIP_PKCS11_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "handle-map.h"
#include "hmac-pads.h"
#include "id-index.h"
#include "pkcs11-3.h"
#include "rng.h"
#include "skip/client.h"
#include "skip/json.h"
#include "skip/secbuf.h"

#define SKIP_PKCS11_MANUFACTURER "skip-pkcs11"
#define KEY_MIN_LEN 16
#define KEY_MAX_LEN 64
#define IMPORT_KEY_MAX 4096 /* imported (HMAC) keys: 1..IMPORT_KEY_MAX bytes */
/* keyIds this token holds and asks for: 128 bits (the draft's default)
 * to SKIP_KEYID_MAX. A shorter one would be guessable, and a label of
 * 32..128 hex digits can then only ever name a keyId (policy.c). */
#define KEYID_MIN_LEN 16
#define KEYID_MAX_LEN SKIP_KEYID_MAX
/* The longest attribute value any template may carry: more than any key,
 * label or system id here needs, and checked before a length is added to
 * or copied, so no claimed length (SIZE_MAX included) wraps an allocation
 * or reads past the caller's buffer. */
#define ATTR_VALUE_MAX 65536
#define CAPS_TTL_S 300
/* The /entropy sample every KP takes: the draft's default size. */
#define ENTROPY_SMALL_BITS 256
#define CLIENT_POOL_MAX 8
/* fetch_limit counts the searches that asked the KP in this window. */
#define FETCH_WINDOW_S 10
#define FETCH_LIMIT_DEFAULT 100
/* Wrong PINs in a row that lock the token (pin.c), and the longest PIN. */
#define PIN_MAX_FAILURES_DEFAULT 10
#define PIN_MAX_LEN 256

/* --- configuration (config.c) --- */
/* drbg: rng.h's DRBG over pooled KP entropy; kp: the KP's bytes as they
 * come, one /entropy request per call. */
typedef enum { RANDOM_DRBG, RANDOM_KP } random_mode;

typedef struct slot_config {
    char *name;              /* token label */
    skip_client_opts kp;     /* url and TLS for the KP */
    char *remote;            /* default remoteSystemID */
    unsigned char pin_sha256[32];
    bool has_pin;
    unsigned pin_max_failures;  /* wrong PINs in a row that lock it */
    char *pin_failures_file;    /* the count's file, or NULL: in memory */
    random_mode random;
    rng_policy rng;          /* random = drbg: reseed bounds */
    unsigned max_derives;    /* PRF blocks derived per key; 0: no limit */
    unsigned fetch_limit;    /* KP fetches per FETCH_WINDOW_S; 0: no limit */
    bool derived_readable;   /* derived keys readable unless the template
                              * says otherwise (derived_keys = readable) */
} slot_config;

/* Reads $SKIP_PKCS11_CONF or SYSCONFDIR/skip-pkcs11.conf into a new array
 * (*count entries). No file: zero slots and CKR_OK. A bad file:
 * CKR_GENERAL_ERROR and one log line naming file, line and problem. */
CK_RV config_load(slot_config **slots, size_t *count);
void config_free(slot_config *slots, size_t count);

/* --- slots (slot.c) --- */
typedef struct slot {
    CK_SLOT_ID id;
    slot_config cfg;
    bool logged_in;
    unsigned pin_failures; /* wrong PINs in a row, without pin_failures_file */
    size_t session_count; /* open sessions: the login ends at zero */
    /* KP access (kp.c): idle clients (each talks to cfg.kp.urls[idle_url])
     * and the cached capabilities. A URL that failed is passed over until
     * url_down_until. */
    skip_client *idle[CLIENT_POOL_MAX];
    size_t idle_url[CLIENT_POOL_MAX];
    size_t idle_count;
    time_t url_down_until[SKIP_URLS_MAX];
    skip_caps caps;
    bool have_caps;
    bool entropy_small; /* its KP takes ENTROPY_SMALL_BITS samples only */
    time_t caps_time;
    rng *rng; /* random = drbg: made at the first C_GenerateRandom */
    /* The fetch limit's window (object.c), for every session alike. */
    time_t fetch_window;
    unsigned fetches;
} slot;

/* --- objects (object.c, store.c) --- */
typedef enum { ROLE_OPEN = 0, ROLE_HMAC, ROLE_KDF } key_role;

typedef struct object {
    CK_OBJECT_HANDLE handle;
    CK_SLOT_ID slot_id;
    CK_SESSION_HANDLE session; /* owner of a session object; 0 for token */
    CK_KEY_TYPE key_type;
    bool token, private_obj, modifiable, destroyable;
    bool sensitive, extractable, always_sensitive, never_extractable, local;
    key_role role;
    CK_MECHANISM_TYPE keygen_mech; /* CK_UNAVAILABLE_INFORMATION if none */
    unsigned char *id;             /* CKA_ID: the keyId for SKIP keys */
    size_t id_len;
    char *label;                   /* CKA_LABEL (UTF-8, not NUL-counted) */
    size_t label_len;
    bool label_is_key_id; /* CKA_LABEL is the keyId in hex, written when
                           * read: a SKIP key's default, not stored */
    char *remote;                  /* CKA_SKIP_REMOTE_SYSTEM_ID or NULL */
    char unique_id[24];            /* CKA_UNIQUE_ID */
    skip_secbuf *value;            /* CKA_VALUE */
    skip_secbuf *hmac[HMAC_DIGESTS]; /* its HMAC pads per digest
                                      * (object_pads_locked) */
    unsigned derives;              /* PRF blocks derived from it (max_derives) */
    atomic_uint ops; /* sessions whose operation it keys; counted under
                      * the shared lock too (mac.c) */
    /* A session object's place in its session's list, so closing a
     * session touches its own objects, not every object held. */
    struct object *owner_prev, *owner_next;
} object;

/* Destroyed keys the store keeps for the next derive (store.c). */
#define STORE_SPARE_KEYS 8

/* --- sessions (session.c) --- */
/* A session runs at most one operation of each kind: a search, and one
 * cryptographic operation. */
typedef enum { OP_NONE = 0, OP_SIGN, OP_VERIFY } op_kind;

typedef struct session {
    CK_SESSION_HANDLE handle;
    CK_SLOT_ID slot_id;
    CK_FLAGS flags;
    /* The operation, changed under session_claim, or exclusively. */
    atomic_bool claimed;
    op_kind op;
    void *op_data; /* freed by session_op_end_locked */
    object *op_key; /* the key op_data was keyed with, or NULL */
    void *find;    /* the search in progress (object.c), or NULL */
    object *owned;       /* its session objects (owner_next list) */
} session;

/* --- the module --- */
/* A keyId some search is asking the KP for (object.c): other searches for
 * it wait for that answer instead of asking again. */
typedef struct fetch_in_flight {
    CK_SLOT_ID slot_id;
    const unsigned char *id;
    size_t id_len;
    struct fetch_in_flight *next;
} fetch_in_flight;

typedef struct module {
    pthread_mutex_t lock;
    pthread_cond_t fetched; /* a fetch ended: signalled under lock */
    fetch_in_flight *fetching; /* on the askers' stacks; survives C_Finalize */
    bool initialized;
    unsigned long fork_generation; /* the generation C_Initialize ran in */
    bool may_create_threads; /* CKF_LIBRARY_CANT_CREATE_OS_THREADS clear */
    slot *slots;
    size_t slot_count;
    handle_map *sessions; /* handle -> session */
    handle_map *objects;  /* handle -> object */
    id_index *objects_by_id; /* (slot, CKA_ID) -> SKIP key */
    unsigned long removals;  /* objects removed so far: a search's snapshot
                              * of handles is still valid while unchanged */
    CK_ULONG next_handle;
    char last_unique_id[24]; /* decimal; "" before the first */
    object *spares[STORE_SPARE_KEYS]; /* destroyed keys, for the next derive */
    size_t spare_count;      /* (store_new_key_locked) */
} module;

extern module g_module;

/* module-lock.c: g_module.lock with a shared mode. Exclusive (the mutex)
 * around every change to the tables; shared around the MAC calls
 * (mac.c), which read the tables and change only their own session's
 * operation, under session_claim. A function named *_locked wants either
 * mode unless it says it changes something. */
void module_lock(void);
void module_unlock(void);
/* pthread_cond_wait on cond, exclusive again on return. */
void module_wait(pthread_cond_t *cond);
void module_lock_shared(void);
void module_unlock_shared(void);
void module_lock_reset_in_child(void);

/* general.c: checks made by every entry point but C_Initialize. */
CK_RV module_ready(void);
extern unsigned long g_fork_generation;

/* pin.c: the user PIN and its failure count. */
/* CKR_OK for the slot's PIN; CKR_PIN_INCORRECT (counted, *wait_ms to wait
 * before answering, without the lock), CKR_PIN_LOCKED, or
 * CKR_DEVICE_ERROR when the count cannot be kept. */
CK_RV pin_check_locked(slot *s, const CK_UTF8CHAR *pin, CK_ULONG len,
                       unsigned *wait_ms);
void pin_delay(unsigned ms);
/* Wrong PINs in a row so far (pin_max_failures when unknown). */
unsigned pin_failures_locked(const slot *s);
/* CKF_USER_PIN_COUNT_LOW, _FINAL_TRY and _LOCKED as the count stands. */
CK_FLAGS pin_token_flags_locked(const slot *s);

/* slot.c */
slot *slot_get_locked(CK_SLOT_ID id);
bool slot_needs_login_locked(const slot *s);

/* session.c; the operation data is freed by its owner's function. */
session *session_get_locked(CK_SESSION_HANDLE h);
/* rv, unless the library is not initialized or h is no session: the
 * codes that outrank it (entry.c's TRACED_S). Takes the lock shared. */
CK_RV session_first(CK_SESSION_HANDLE h, CK_RV rv);
void find_state_free(void *data); /* object.c */
void mac_state_free(void *data);  /* mac.c */
/* Ends s's operation and frees its state; a state a computing call took
 * out of the session is freed by that call when it sees the end. */
void session_op_end_locked(session *s);
/* Ends s's operation, leaving its state to the caller. */
void session_op_detach_locked(session *s);
/* Under the shared lock, two calls on one session (a host sharing it
 * between threads) take turns at its operation with these. */
void session_claim(session *s);
void session_release(session *s);
void session_find_end_locked(session *s);
void session_close_all_locked(CK_SLOT_ID slot_id);

/* store.c */
CK_RV store_add_locked(object *obj);
object *store_get_locked(CK_OBJECT_HANDLE h);
/* The index entry of the SKIP key with this CKA_ID in the slot, or NULL. */
const id_entry *store_find_by_id_locked(CK_SLOT_ID slot_id,
                                        const unsigned char *id, size_t len);
void store_remove_locked(object *obj);
/* A zeroed object whose value is a buffer of value_len bytes (empty), for a
 * derived key: a destroyed key's, cleansed, when one of that size is
 * spare. NULL when out of memory. */
object *store_new_key_locked(size_t value_len);
/* Frees an object no table holds, or keeps it for store_new_key_locked
 * with its value cleansed. */
void store_discard_locked(object *obj);
void store_free_spares_locked(void);
void store_destroy_session_objects_locked(session *s);
/* True when obj may be seen from sess (private objects need login). */
bool store_visible_locked(const object *obj, const session *sess);
/* C_Logout: private session objects are destroyed, and private token
 * objects get new handles, so no handle to a private object outlives the
 * login (the objects themselves stay findable after the next login). */
void store_logout_locked(CK_SLOT_ID slot_id);
void object_free(object *obj);
/* The key's HMAC pads for the digest (hmac-pads.h), made at its first MAC
 * or derive and kept until the key is freed; NULL without memory. */
const hmac_pads *object_pads_locked(object *key, hmac_digest d);

/* policy.c: the attribute policy table and the template parser. */
typedef struct key_template {
    bool has_class, has_key_type, has_value_len, has_token, has_private;
    bool has_sensitive, has_extractable, has_label, has_id, has_remote;
    bool has_modifiable, has_destroyable, has_value;
    bool has_sign, has_verify, has_derive;
    CK_OBJECT_CLASS cls;
    CK_KEY_TYPE key_type;
    CK_ULONG value_len;
    bool token, private_obj, sensitive, extractable, modifiable, destroyable;
    bool sign, verify, derive;
    const CK_ATTRIBUTE *label, *id, *remote, *value;
} key_template;

/* The calls that read a template; the columns of the policy table. */
enum template_use { TEMPLATE_GENERATE, TEMPLATE_CREATE, TEMPLATE_DERIVE,
                    TEMPLATE_FIND, TEMPLATE_SET, TEMPLATE_USES };

/* How a value is read: its form, else CKR_ATTRIBUTE_VALUE_INVALID. */
enum attr_reader {
    READ_BOOL,      /* one CK_BBOOL */
    READ_ULONG,     /* one CK_ULONG */
    READ_BYTES,     /* any bytes; {NULL, 0} reads as empty */
    READ_LABEL,     /* bytes not in keyId form, but in a search */
    READ_SYSTEM_ID, /* 1..255 bytes */
    READ_DATE,      /* a CK_DATE, or empty */
    READ_ANY,       /* not read */
};

/* What a call does with an attribute its template names. */
enum attr_rule {
    ATTR_TAKE,      /* read into key_template; the call's code decides */
    ATTR_IGNORE,    /* read for its form; grants nothing */
    ATTR_NOT_TRUE,  /* TRUE is refused: CKR_TEMPLATE_INCONSISTENT */
    ATTR_NOT_FALSE, /* FALSE is refused: CKR_TEMPLATE_INCONSISTENT */
    ATTR_READ_ONLY, /* CKR_ATTRIBUTE_READ_ONLY */
};

struct attr_policy {
    CK_ATTRIBUTE_TYPE type;
    const char *name;
    enum attr_reader reader;
    size_t has, value; /* a TAKE row's fields in key_template */
    unsigned char rule[TEMPLATE_USES]; /* enum attr_rule, by use */
    const char *why; /* said when a rule refuses it; may be NULL */
};

/* Every row, for the tests that walk the table. */
const struct attr_policy *attr_policy_rows(size_t *count);
/* The row of an attribute type, or NULL: CKR_ATTRIBUTE_TYPE_INVALID where
 * a key is made or changed, matching nothing in a search. */
const struct attr_policy *attr_policy_find(CK_ATTRIBUTE_TYPE type);
/* True when label (any case) spells a keyId this token could hold:
 * 2 * KEYID_MIN_LEN .. 2 * KEYID_MAX_LEN hex digits. The keyId goes to
 * id (room for KEYID_MAX_LEN) unless id is NULL. */
bool label_names_key_id(const CK_ATTRIBUTE *label, unsigned char *id,
                        size_t *id_len);
/* Reads a template by the table's column for use. */
CK_RV template_parse(const CK_ATTRIBUTE *attrs, CK_ULONG count,
                     enum template_use use, key_template *out);
/* CKR_TEMPLATE_INCONSISTENT, with a log line, when the key must be private
 * (a SKIP key on a token with a PIN, or a key derived from a private key)
 * and t asks CKA_PRIVATE = FALSE: no key that only a login unlocks may
 * have a public copy or child that outlives C_Logout. */
CK_RV template_private(const key_template *t, bool must_be_private,
                       enum template_use use);
/* The role a template asks for, or CKR_TEMPLATE_INCONSISTENT for both. */
CK_RV template_role(const key_template *t, key_role *role);

/* attrs.c: reading an object's attributes. */
/* Fills one attribute of the caller's template (the C_GetAttributeValue
 * rules for one entry). */
CK_RV attr_get(const object *obj, CK_ATTRIBUTE *attr);
/* True when obj has every attribute of the template with the same value. */
bool attr_match(const object *obj, const CK_ATTRIBUTE *attrs, CK_ULONG count);

/* gate.c: what a call may do in a session, and how a key made from a KP
 * answer reaches the store. Every path to the KP or a key passes here. */
enum session_need {
    NEED_SESSION = 0,     /* a live session, nothing more */
    NEED_LOGIN = 1u << 0, /* the user logged in, when the token has a PIN */
    NEED_RW = 1u << 1,    /* a read/write session: token objects change */
};
/* Lock held: session h in *sess if it has every need; else the first unmet
 * need's CKR (login before read/write) and *sess NULL. */
CK_RV session_begin_locked(CK_SESSION_HANDLE h, unsigned needs,
                           session **sess);
/* The needs of a call that makes an object from template t, whose
 * CKA_TOKEN defaults to token_default. */
unsigned new_object_needs(const key_template *t, bool token_default);
/* Takes the lock and puts obj (taken; its slot_id set) in the store; *handle
 * is its handle. A token key is kept even if session h closed meanwhile,
 * since the KP gives each key once (CKR_SESSION_HANDLE_INVALID is still
 * returned); a session key is freed then. When the slot holds obj's
 * CKA_ID already, obj is freed and: fresh (C_GenerateKey asked for a new
 * key) is CKR_DEVICE_ERROR; otherwise *handle is the held key's. */
CK_RV publish_key(CK_SESSION_HANDLE h, object *obj, bool fresh,
                  CK_OBJECT_HANDLE *handle);

/* derive.c: what every derive mechanism shares. */
/* Parses a derived key's template: type, length (fixed_len, or CKA_VALUE_LEN
 * when fixed_len is 0, at most max_len) and role. */
CK_RV derive_template(const CK_ATTRIBUTE *attrs, CK_ULONG count,
                      size_t fixed_len, size_t max_len, key_template *t,
                      CK_KEY_TYPE *type, size_t *len, key_role *role);
/* The session and a base key usable for derivation; lock held. The call
 * is to take outputs PRF blocks from the key: refused when that passes the
 * slot's max_derives (the caller adds them to base->derives on success). */
CK_RV derive_base_locked(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE hBaseKey,
                         const key_template *t, unsigned outputs,
                         session **sess, object **base);
/* A derived key object around value (taken); NULL when out of memory.
 * inherit_flags: omitted SENSITIVE/EXTRACTABLE follow the base key. */
object *derive_object_new(const key_template *t, CK_KEY_TYPE type,
                          key_role role, const object *base,
                          const session *sess, bool inherit_flags,
                          skip_secbuf *value);
/* kbkdf.c: CKM_SP800_108_COUNTER_KDF. */
CK_RV kbkdf_derive(CK_SESSION_HANDLE h, CK_MECHANISM_PTR pMechanism,
                   CK_OBJECT_HANDLE hBaseKey, CK_ATTRIBUTE_PTR pTemplate,
                   CK_ULONG ulCount, CK_OBJECT_HANDLE_PTR phKey);

/* keygen.c: a SKIP key object around key->key (taken) and remote (taken),
 * with the attributes every SKIP key has: token, local, sensitive, never
 * extractable, not modifiable; CKA_ID the keyId; CKA_LABEL the label given
 * or the keyId in hex. NULL when out of memory. */
object *skip_key_object(skip_key *key, char *remote, CK_KEY_TYPE type,
                        key_role role, CK_MECHANISM_TYPE mech,
                        const CK_ATTRIBUTE *label);

/* kp.c: talking to the slot's KP without holding the module lock. */
CK_RV kp_generate(CK_SLOT_ID slot_id, const char *remote_asked,
                  unsigned size_bits, skip_key *key, char **remote_used);
CK_RV kp_fetch(CK_SLOT_ID slot_id, const char *remote_asked,
               const unsigned char *id, size_t id_len, skip_key *key,
               char **remote_used, bool *not_found);
CK_RV kp_entropy(CK_SLOT_ID slot_id, unsigned char *out, size_t len);
void kp_slot_release_locked(slot *s);

/* errmap.c */
CK_RV errmap_rv(skip_rc rc);
const char *errmap_rv_name(CK_RV rv);

/* mechanisms (slot.c) */
bool mechanism_supported(CK_MECHANISM_TYPE type);
/* "CKM_..." for a mechanism of this token, else NULL. */
const char *mechanism_name(CK_MECHANISM_TYPE type);

#endif
