// SPDX-License-Identifier: MIT
#include "file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

static char top[64];

static int make_top(void **state)
{
	(void)state;
	snprintf(top, sizeof(top), "/tmp/keel-test-file.XXXXXX");
	return mkdtemp(top) ? 0 : -1;
}

static int is_dir(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISDIR(st.st_mode);
}

/* every missing parent, then the same again: mkdir -p */
static void test_mkdir_parents(void **state)
{
	char path[256];

	(void)state;
	snprintf(path, sizeof(path), "%s/a/b/c", top);
	assert_int_equal(mkdir_parents(path, 0755), 0);
	assert_true(is_dir(path));
	assert_int_equal(mkdir_parents(path, 0755), 0);
	/* a trailing slash names the same folder */
	snprintf(path, sizeof(path), "%s/a/b/c/", top);
	assert_int_equal(mkdir_parents(path, 0755), 0);
}

/* a file in the way is an error, and so is a name past PATH_MAX */
static void test_mkdir_parents_errors(void **state)
{
	char file[256], path[300];
	static char huge[PATH_MAX + 16];

	(void)state;
	snprintf(file, sizeof(file), "%s/plain", top);
	assert_int_equal(write_atomic(file, "x", 1, 0644), 0);
	snprintf(path, sizeof(path), "%s/below", file);
	assert_int_equal(mkdir_parents(path, 0755), -ENOTDIR);
	assert_int_equal(mkdir_parents(file, 0755), 0); /* EEXIST: fine */
	memset(huge, 'a', sizeof(huge) - 1);
	huge[0] = '/';
	assert_int_equal(mkdir_parents(huge, 0755), -ENAMETOOLONG);
}

/* write_atomic leaves the new contents and no temporary file beside */
static void test_write_atomic_read_text(void **state)
{
	char path[256], buf[32];

	(void)state;
	snprintf(path, sizeof(path), "%s/text", top);
	assert_int_equal(write_atomic(path, "old\n", 4, 0600), 0);
	assert_int_equal(write_atomic(path, "newer\n", 6, 0600), 0);
	assert_int_equal(read_text(path, buf, sizeof(buf)), 6);
	assert_string_equal(buf, "newer\n");
	assert_int_equal(read_text(path, buf, 4), 3); /* cut, NUL-ended */
	assert_string_equal(buf, "new");
	snprintf(path, sizeof(path), "%s/none", top);
	assert_int_equal(read_text(path, buf, sizeof(buf)), -ENOENT);
}

static int remove_top(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", top);
	return system(cmd) ? -1 : 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mkdir_parents),
		cmocka_unit_test(test_mkdir_parents_errors),
		cmocka_unit_test(test_write_atomic_read_text),
	};
	return cmocka_run_group_tests(tests, make_top, remove_top);
}
