/* SPDX-License-Identifier: BSD-3-Clause */
/* C_Initialize, C_Finalize, C_GetInfo and the fork rule: after fork() the
 * child answers CKR_CRYPTOKI_NOT_INITIALIZED until it initializes again. */
#include "config.h"
#include "general.h"
#include "internal.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "skip/hmac.h"
#include "skip/log.h"
#include "skip/ossl.h"

module g_module = {.lock = PTHREAD_ADAPTIVE_MUTEX_INITIALIZER_NP,
                   .fetched = PTHREAD_COND_INITIALIZER};
unsigned long g_fork_generation;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

/* An adaptive mutex spins briefly before it sleeps: the module's critical
 * sections are a few hundred nanoseconds, and sleeping on them cost two
 * threads more than they gained (a context switch per contended call). */
static void init_lock(void)
{
    pthread_mutexattr_t attr;

    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ADAPTIVE_NP);
    pthread_mutex_init(&g_module.lock, &attr);
    pthread_mutexattr_destroy(&attr);
}

/* In the child the lock may be held by a parent thread that does not exist
 * here; the child starts over with a fresh lock and a new generation. */
static void in_child(void)
{
    init_lock();
    module_lock_reset_in_child();
    /* the parent's searches asking the KP are not the child's */
    pthread_cond_init(&g_module.fetched, NULL);
    g_module.fetching = NULL;
    g_fork_generation++;
}

static void register_atfork(void)
{
    pthread_atfork(NULL, NULL, in_child);
}

CK_RV module_ready(void)
{
    if (!g_module.initialized ||
        g_module.fork_generation != g_fork_generation)
        return CKR_CRYPTOKI_NOT_INITIALIZED;
    return CKR_OK;
}

static void free_object(void *value, void *arg)
{
    object_free(value);
}

static void free_session(void *value, void *arg)
{
    session *s = value;

    session_op_end_locked(s);
    session_find_end_locked(s);
    free(s);
}

/* Drops every table. in_forked_child: the KP connections belong to the
 * parent (their sockets are shared), so they are abandoned, not closed. */
static void teardown_locked(bool in_forked_child)
{
    if (g_module.sessions) {
        handle_map_each(g_module.sessions, free_session, NULL);
        handle_map_free(g_module.sessions);
    }
    if (g_module.objects) {
        handle_map_each(g_module.objects, free_object, NULL);
        handle_map_free(g_module.objects);
    }
    id_index_free(g_module.objects_by_id);
    store_free_spares_locked();
    for (size_t i = 0; i < g_module.slot_count; i++) {
        slot *s = &g_module.slots[i];
        if (!in_forked_child)
            kp_slot_release_locked(s);
        else
            rng_abandon(s->rng); /* the parent's stream is not ours */
        skip_caps_clear(&s->caps);
    }
    if (g_module.slots) {
        slot_config *cfgs = calloc(g_module.slot_count, sizeof(*cfgs));
        for (size_t i = 0; cfgs && i < g_module.slot_count; i++)
            cfgs[i] = g_module.slots[i].cfg;
        config_free(cfgs, cfgs ? g_module.slot_count : 0);
    }
    free(g_module.slots);
    g_module.slots = NULL;
    g_module.slot_count = 0;
    g_module.sessions = NULL;
    g_module.objects = NULL;
    g_module.objects_by_id = NULL;
    g_module.initialized = false;
}

static CK_RV check_args(CK_C_INITIALIZE_ARGS *args)
{
    int callbacks;

    if (args == NULL)
        return CKR_OK;
    if (args->pReserved != NULL)
        return CKR_ARGUMENTS_BAD;
    callbacks = (args->CreateMutex != NULL) + (args->DestroyMutex != NULL) +
                (args->LockMutex != NULL) + (args->UnlockMutex != NULL);
    if (callbacks != 0 && callbacks != 4)
        return CKR_ARGUMENTS_BAD;
    /* We lock with pthreads only: callbacks without permission to use the
     * OS's locks cannot be honoured. */
    if (callbacks == 4 && !(args->flags & CKF_OS_LOCKING_OK))
        return CKR_CANT_LOCK;
    return CKR_OK;
}

static bool may_create_threads(const CK_C_INITIALIZE_ARGS *args)
{
    return args == NULL || !(args->flags & CKF_LIBRARY_CANT_CREATE_OS_THREADS);
}

/* Stops the random generators' refill threads and zeroizes them, one at
 * a time. Without the lock: a thread may be asking the KP, which takes it. */
static void stop_generators(void)
{
    rng *r;

    do {
        r = NULL;
        module_lock();
        /* in a forked child they are the parent's: teardown abandons them */
        for (size_t i = 0; module_ready() == CKR_OK &&
                           i < g_module.slot_count && r == NULL; i++) {
            r = g_module.slots[i].rng;
            g_module.slots[i].rng = NULL;
        }
        module_unlock();
        rng_free(r);
    } while (r != NULL);
}

CK_RV general_initialize(CK_VOID_PTR pInitArgs)
{
    CK_RV rv = check_args(pInitArgs);
    slot_config *cfgs = NULL;
    size_t count = 0;

    if (rv != CKR_OK)
        return rv;
    pthread_once(&atfork_once, register_atfork);
    skip_log_init("skip-pkcs11", "SKIP_PKCS11_DEBUG", false);
    /* Our own OpenSSL world (skip/ossl.h), and libcurl's global state,
     * before the lock: curl may load the host's OpenSSL configuration,
     * and a provider it starts may call us back (that call fails fast). */
    if (!skip_ossl_use_private()) {
        skip_log_error("C_Initialize: cannot make a private OpenSSL library "
                       "context with the default provider");
        return CKR_GENERAL_ERROR;
    }
    if (!skip_client_global_init()) {
        skip_log_error("C_Initialize: curl_global_init failed");
        return CKR_GENERAL_ERROR;
    }
    /* A host that forks must not hand its children our keys. */
    skip_secbuf_wipe_on_fork();
    module_lock();
    if (g_module.initialized) {
        if (g_module.fork_generation == g_fork_generation) {
            rv = CKR_CRYPTOKI_ALREADY_INITIALIZED;
            goto out;
        }
        teardown_locked(true); /* a forked child starting over */
    }
    rv = config_load(&cfgs, &count);
    if (rv != CKR_OK)
        goto out;
    g_module.slots = calloc(count ? count : 1, sizeof(slot));
    g_module.sessions = handle_map_new();
    g_module.objects = handle_map_new();
    g_module.objects_by_id = id_index_new();
    if (!g_module.slots || !g_module.sessions || !g_module.objects ||
        !g_module.objects_by_id) {
        config_free(cfgs, count);
        teardown_locked(false);
        rv = CKR_HOST_MEMORY;
        goto out;
    }
    for (size_t i = 0; i < count; i++) {
        g_module.slots[i].id = i;
        g_module.slots[i].cfg = cfgs[i];
    }
    free(cfgs); /* the members moved into the slots */
    g_module.slot_count = count;
    g_module.next_handle = 1;
    g_module.fork_generation = g_fork_generation;
    g_module.may_create_threads = may_create_threads(pInitArgs);
    g_module.initialized = true;
out:
    module_unlock();
    return rv;
}

CK_RV general_finalize(CK_VOID_PTR pReserved)
{
    CK_RV rv = CKR_OK;

    if (pReserved != NULL)
        return CKR_ARGUMENTS_BAD;
    stop_generators();
    module_lock();
    if (!g_module.initialized ||
        g_module.fork_generation != g_fork_generation) {
        rv = CKR_CRYPTOKI_NOT_INITIALIZED;
    } else {
        /* Every key is cleansed here, as the random generators' states
         * were in stop_generators. OpenSSL and curl stay initialised:
         * the host may still use them, or be exiting through atexit. Our
         * own HMAC templates go, so unloading the module leaks nothing;
         * freeing them after OpenSSL's exit cleanup is safe (counted
         * references keep what they point to). */
        teardown_locked(false);
        skip_hmac_release();
    }
    module_unlock();
    return rv;
}

void general_pad(CK_UTF8CHAR *dst, size_t len, const char *src)
{
    size_t n = strlen(src);

    memset(dst, ' ', len);
    memcpy(dst, src, n < len ? n : len);
}

CK_RV general_get_info(CK_INFO_PTR pInfo)
{
    CK_RV rv = module_ready();

    if (rv != CKR_OK)
        return rv;
    if (pInfo == NULL)
        return CKR_ARGUMENTS_BAD;
    memset(pInfo, 0, sizeof(*pInfo));
    pInfo->cryptokiVersion.major = 3;
    pInfo->cryptokiVersion.minor = 0;
    general_pad(pInfo->manufacturerID, sizeof(pInfo->manufacturerID),
                SKIP_PKCS11_MANUFACTURER);
    general_pad(pInfo->libraryDescription, sizeof(pInfo->libraryDescription),
                "SKIP keys over PKCS#11");
    pInfo->libraryVersion.major = 0;
    pInfo->libraryVersion.minor = 1;
    return CKR_OK;
}
