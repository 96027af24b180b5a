/* SPDX-License-Identifier: BSD-3-Clause */
/* Preconditions: a broken contract returns the given value and logs the
 * expression and function; under SKIP_PKCS11_STRICT it aborts instead.
 * And every line is one line of printable ASCII, whatever it quotes. */
#include "config.h"
#include "unit.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "skip/log.h"

static int needs_positive(int n)
{
    return_val_if_fail(n > 0, -1);
    return n;
}

static int never(void)
{
    return_val_if_reached(-2);
}

/* Runs fn in a child with SKIP_PKCS11_STRICT set to strict (NULL: unset);
 * returns its wait status, its stderr in err. */
static int in_child(const char *strict, int (*fn)(void), char *err, size_t cap)
{
    int pipefd[2], status;
    pid_t pid;
    ssize_t n;

    assert_int_equal(pipe(pipefd), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(pipefd[1], STDERR_FILENO);
        if (strict)
            setenv("SKIP_PKCS11_STRICT", strict, 1);
        else
            unsetenv("SKIP_PKCS11_STRICT");
        signal(SIGABRT, SIG_DFL);
        _exit(fn() & 0xff);
    }
    close(pipefd[1]);
    n = read(pipefd[0], err, cap - 1);
    err[n > 0 ? n : 0] = '\0';
    close(pipefd[0]);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return status;
}

static int fail_once(void)
{
    return needs_positive(0);
}

static void lenient_returns_and_logs(void **state)
{
    char err[512];
    int status = in_child(NULL, fail_once, err, sizeof(err));

    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0xff); /* -1 */
    assert_non_null(strstr(err, "needs_positive: precondition failed: n > 0"));
    status = in_child("0", never, err, sizeof(err));
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0xfe); /* -2 */
    assert_non_null(strstr(err, "never: precondition failed: code that "
                                "cannot be reached"));
    assert_int_equal(needs_positive(5), 5);
}

static void strict_aborts(void **state)
{
    char err[512];
    int status = in_child("1", fail_once, err, sizeof(err));

    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGABRT);
    assert_non_null(strstr(err, "precondition failed: n > 0"));
}

static int log_hostile(void)
{
    /* what a client could put in a remoteSystemID (%0a, %1b...) */
    skip_log_info("for %s (client %s)", "Bob\nskip-kpd: error: forged\r",
                  "\x1b[31mred\x7f\xc3\xa9\\x0a");
    return 0;
}

static void lines_are_printable_ascii(void **state)
{
    char err[512];
    int status = in_child(NULL, log_hostile, err, sizeof(err));

    (void)state;
    assert_true(WIFEXITED(status));
    assert_string_equal(err,
        "skip: info: for Bob\\x0askip-kpd: error: forged\\x0d (client "
        "\\x1b[31mred\\x7f\\xc3\\xa9\\x5cx0a)\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lenient_returns_and_logs),
        cmocka_unit_test(strict_aborts),
        cmocka_unit_test(lines_are_printable_ascii),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
