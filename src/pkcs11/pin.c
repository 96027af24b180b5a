/* SPDX-License-Identifier: BSD-3-Clause */
/* The user PIN: its check, and the count of wrong PINs that makes guessing
 * slow and then stops it. Each wrong PIN waits longer before its answer
 * (100 ms, doubling, at most 5 s); pin_max_failures wrong PINs in a row
 * lock the token (CKR_PIN_LOCKED, even for the right PIN) until an
 * administrator resets the count. The right PIN resets it.
 *
 * The count lives in the module while it stays initialized, or with
 * pin_failures_file in a file
 * shared by every process that loads this config (skip-pkcs11-server
 * restarted, pkcs11-tool runs), read and written under flock(2). A file
 * that cannot be read, written or parsed fails closed: no login. */
#include "config.h"
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "skip/log.h"
#include "skip/ossl.h"

#define DELAY_FIRST_MS 100
#define DELAY_MAX_MS 5000

/* The count's file: "N\n", written in place at one fixed width so that a
 * crash mid-write never leaves a shorter, smaller number. */
#define COUNT_WIDTH 10

static int open_count_file(const slot *s)
{
    int fd = open(s->cfg.pin_failures_file,
                  O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

    if (fd < 0)
        skip_log_error("slot %s: pin_failures_file %s: %s", s->cfg.name,
                       s->cfg.pin_failures_file, strerror(errno));
    return fd;
}

/* The count in fd; an empty file is 0. False when unreadable or garbled. */
static bool read_count(const slot *s, int fd, unsigned *count)
{
    char buf[COUNT_WIDTH + 2] = {0}, *end;
    ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
    unsigned long v;

    if (n == 0) {
        *count = 0;
        return true;
    }
    errno = 0;
    v = n > 0 ? strtoul(buf, &end, 10) : 0;
    if (n < 0 || errno != 0 || end == buf || (*end != '\n' && *end != '\0') ||
        v > 1000000) {
        skip_log_error("slot %s: pin_failures_file %s is not a count of wrong "
                       "PINs; no login until it is removed",
                       s->cfg.name, s->cfg.pin_failures_file);
        return false;
    }
    *count = (unsigned)v;
    return true;
}

static bool write_count(const slot *s, int fd, unsigned count)
{
    char buf[COUNT_WIDTH + 2];
    int n = snprintf(buf, sizeof(buf), "%0*u\n", COUNT_WIDTH, count);

    if (pwrite(fd, buf, (size_t)n, 0) != n || fsync(fd) != 0) {
        skip_log_error("slot %s: pin_failures_file %s: %s", s->cfg.name,
                       s->cfg.pin_failures_file, strerror(errno));
        return false;
    }
    return true;
}

unsigned pin_failures_locked(const slot *s)
{
    unsigned count = s->pin_failures;
    int fd;

    if (s->cfg.pin_failures_file == NULL)
        return count;
    fd = open_count_file(s);
    if (fd < 0)
        return s->cfg.pin_max_failures; /* fails closed */
    flock(fd, LOCK_SH);
    if (!read_count(s, fd, &count))
        count = s->cfg.pin_max_failures;
    close(fd); /* releases the lock */
    return count;
}

CK_FLAGS pin_token_flags_locked(const slot *s)
{
    unsigned failures, max = s->cfg.pin_max_failures;

    if (!s->cfg.has_pin)
        return 0;
    failures = pin_failures_locked(s);
    if (failures >= max)
        return CKF_USER_PIN_LOCKED;
    if (failures + 1 == max)
        return CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY;
    return failures > 0 ? CKF_USER_PIN_COUNT_LOW : 0;
}

static unsigned delay_ms(unsigned failures)
{
    unsigned ms = DELAY_FIRST_MS;

    for (unsigned i = 1; i < failures && ms < DELAY_MAX_MS; i++)
        ms *= 2;
    return ms < DELAY_MAX_MS ? ms : DELAY_MAX_MS;
}

void pin_delay(unsigned ms)
{
    struct timespec left = {ms / 1000, (long)(ms % 1000) * 1000000};

    while (nanosleep(&left, &left) != 0 && errno == EINTR)
        ;
}

CK_RV pin_check_locked(slot *s, const CK_UTF8CHAR *pin, CK_ULONG len,
                       unsigned *wait_ms)
{
    unsigned char digest[32];
    unsigned failures = s->pin_failures;
    bool right;
    int fd = -1;
    CK_RV rv;

    *wait_ms = 0;
    if (s->cfg.pin_failures_file) {
        /* held until the new count is written: two processes guessing at
         * once each count */
        if ((fd = open_count_file(s)) < 0)
            return CKR_DEVICE_ERROR;
        flock(fd, LOCK_EX);
        if (!read_count(s, fd, &failures)) {
            close(fd);
            return CKR_PIN_LOCKED;
        }
    }
    if (failures >= s->cfg.pin_max_failures) {
        skip_log_error("C_Login: slot %s: the PIN is locked after %u wrong "
                       "PINs; %s", s->cfg.name, failures,
                       s->cfg.pin_failures_file
                           ? "remove pin_failures_file to unlock"
                           : "restart the process to unlock");
        rv = CKR_PIN_LOCKED;
        goto out;
    }
    /* Only the PIN's SHA-256 is kept, and compared in constant time. A
     * length past what the token info allows is wrong unread. */
    right = EVP_Q_digest(skip_ossl_ctx(), "SHA256", NULL,
                         pin && len <= PIN_MAX_LEN ? pin : (const CK_UTF8CHAR *)"",
                         len <= PIN_MAX_LEN ? len : 0, digest, NULL) == 1 &&
            len <= PIN_MAX_LEN &&
            CRYPTO_memcmp(digest, s->cfg.pin_sha256, sizeof(digest)) == 0;
    OPENSSL_cleanse(digest, sizeof(digest));
    if (right) {
        failures = 0;
        rv = CKR_OK;
    } else {
        failures++;
        *wait_ms = delay_ms(failures);
        skip_log_error("C_Login: slot %s: wrong PIN (%u in a row; %u lock "
                       "the token)", s->cfg.name, failures,
                       s->cfg.pin_max_failures);
        rv = CKR_PIN_INCORRECT;
    }
    /* An uncounted wrong PIN would be a free guess: fail closed. */
    if (fd >= 0 && !write_count(s, fd, failures))
        rv = CKR_DEVICE_ERROR;
    s->pin_failures = failures;
out:
    if (fd >= 0)
        close(fd);
    return rv;
}
