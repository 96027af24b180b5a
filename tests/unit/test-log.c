/* SPDX-License-Identifier: BSD-3-Clause */
/* Preconditions: a broken contract returns the given value and logs the
 * expression and function; under SKIP_PKCS11_STRICT it aborts instead. */
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lenient_returns_and_logs),
        cmocka_unit_test(strict_aborts),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
