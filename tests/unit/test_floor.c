// SPDX-License-Identifier: MIT
/*
 * The version floor: it only rises, and nothing below it is installed
 * or rolled back to.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "file.h"
#include "os/floor.h"

static char dir[64], path[128];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/keel-floor-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	/* the state folder is made when the floor is first raised */
	snprintf(path, sizeof(path), "%s/update/version-floor", dir);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static const char *floor_now(void)
{
	static char v[80];

	assert_int_equal(floor_read(path, v, sizeof(v)), 0);
	return v;
}

static void test_rises_only(void **state)
{
	char text[80];

	(void)state;
	assert_string_equal(floor_now(), "");
	/* no min_version: no floor */
	assert_int_equal(floor_raise(path, ""), 0);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(floor_raise(path, "0.2.0"), 0);
	assert_string_equal(floor_now(), "0.2.0");
	assert_true(read_text(path, text, sizeof(text)) > 0);
	assert_string_equal(text, "0.2.0\n");
	/* a lower or equal min_version leaves it */
	assert_int_equal(floor_raise(path, "0.1.9"), 0);
	assert_int_equal(floor_raise(path, "0.2.0"), 0);
	assert_string_equal(floor_now(), "0.2.0");
	/* versions compare as numbers: 0.10 is above 0.9 */
	assert_int_equal(floor_raise(path, "0.10.0"), 0);
	assert_int_equal(floor_raise(path, "0.9.0"), 0);
	assert_string_equal(floor_now(), "0.10.0");
	/* what a file could not hold */
	assert_int_equal(floor_raise(path, "1\n2"), -EINVAL);
	assert_string_equal(floor_now(), "0.10.0");
}

static void test_allows(void **state)
{
	char err[256];

	(void)state;
	assert_true(floor_allows("", "0.0.1"));
	assert_true(floor_allows("0.2.0", "0.2.0"));
	assert_true(floor_allows("0.2.0", "0.3"));
	assert_false(floor_allows("0.2.0", "0.1.9"));
	assert_false(floor_allows("0.10.0", "0.9.9"));

	/* the floor file: no floor at all, then one */
	unlink(path);
	assert_int_equal(
		floor_check(path, "bundle version", "0.0.9", err, sizeof(err)),
		0);
	assert_int_equal(floor_raise(path, "0.2.0"), 0);
	assert_int_equal(
		floor_check(path, "bundle version", "0.2.1", err, sizeof(err)),
		0);
	assert_int_equal(
		floor_check(path, "bundle version", "0.0.9", err, sizeof(err)),
		-EPERM);
	assert_string_equal(err, "bundle version 0.0.9 is below the version "
				 "floor 0.2.0 (the channel's min_version; "
				 "--force does not go below it)");
	assert_int_equal(floor_check(path, "slot a's version", "0.1.0", err,
				     sizeof(err)),
			 -EPERM);
	assert_non_null(strstr(err, "slot a's version 0.1.0 is below"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rises_only),
		cmocka_unit_test(test_allows),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
