/* SPDX-License-Identifier: BSD-3-Clause */
/* Durable replacement of state files: the new content whole, mode 0600, no
 * temporary left behind; and when the write cannot happen, the old file
 * untouched and an error naming the path. */
#include "config.h"
#include "unit.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kpd/statefile.h"

static char dir[] = "/tmp/skip-statefile-XXXXXX";
static char path[128], tmp[160];

static void read_back(char *buf, size_t cap)
{
    FILE *f = fopen(path, "r");
    size_t n;

    assert_non_null(f);
    n = fread(buf, 1, cap - 1, f);
    buf[n] = '\0';
    fclose(f);
}

static void replaces_whole_with_mode_0600(void **state)
{
    skip_err err = {0};
    struct stat st;
    char buf[64];

    assert_int_equal(kpd_statefile_write(path, "first\n", 6, &err), SKIP_OK);
    assert_int_equal(kpd_statefile_write(path, "second\n", 7, &err), SKIP_OK);
    read_back(buf, sizeof(buf));
    assert_string_equal(buf, "second\n");
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(access(tmp, F_OK), -1);
    assert_int_equal(kpd_statefile_write(path, "", 0, &err), SKIP_OK);
    read_back(buf, sizeof(buf));
    assert_string_equal(buf, "");
}

static void failed_write_keeps_the_old_file(void **state)
{
    struct rlimit old, small;
    skip_err err = {0};
    char big[4096], buf[64];

    memset(big, 'x', sizeof(big));
    assert_int_equal(kpd_statefile_write(path, "kept\n", 5, &err), SKIP_OK);
    signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    small = old;
    small.rlim_cur = 1024;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
    assert_int_equal(kpd_statefile_write(path, big, sizeof(big), &err),
                     SKIP_E_INTERNAL);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    assert_non_null(strstr(err.detail, path));
    read_back(buf, sizeof(buf));
    assert_string_equal(buf, "kept\n");
    assert_int_equal(access(tmp, F_OK), -1);

    /* A directory that does not exist: an error, nothing created. */
    assert_int_equal(kpd_statefile_write("/nonexistent/dir/f", "x", 1, &err),
                     SKIP_E_INTERNAL);
    assert_non_null(strstr(err.detail, "/nonexistent/dir/f"));
}

static int setup(void **state)
{
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/state", dir);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    return 0;
}

static int teardown(void **state)
{
    unlink(path);
    rmdir(dir);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(replaces_whole_with_mode_0600),
        cmocka_unit_test(failed_write_keeps_the_old_file),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
