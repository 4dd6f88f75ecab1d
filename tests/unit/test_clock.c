// SPDX-License-Identifier: MIT
/* The clock's floor: the time files and the never-backwards rule. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "clock.h"
#include "file.h"

static void test_parse(void **state)
{
	long long t = -1;

	(void)state;
	assert_int_equal(clock_parse("1796597637\n", &t), 0);
	assert_int_equal(t, 1796597637LL);
	assert_int_equal(clock_parse("1", &t), 0);
	assert_int_equal(t, 1);
	/* the last second of unsigned 32-bit time */
	assert_int_equal(clock_parse("4294967295", &t), 0);
	assert_int_equal(t, 4294967295LL);
}

static void test_parse_refuses(void **state)
{
	static const char *const bad[] = {
		"",
		"\n",
		"0\n",
		"-5\n",
		"+5\n",
		" 5\n",
		"5 \n",
		"5\n\n",
		"5x",
		"1.5\n",
		"4294967296\n",
		"99999999999\n",
		"0x10\n",
		"12345678901234567890\n",
	};
	long long t = 42;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		assert_int_equal(clock_parse(bad[i], &t), -EINVAL);
		assert_int_equal(t, 42); /* untouched */
	}
}

static void test_floor_never_back(void **state)
{
	(void)state;
	/* an RTC at 2001, an image built in 2026: on */
	assert_true(clock_floor_raises(978307200LL, 1796597637LL));
	/* a clock already later than the floor stays */
	assert_false(clock_floor_raises(1796597637LL, 978307200LL));
	assert_false(clock_floor_raises(1796597637LL, 1796597637LL));
	/* a clock at 1970 (no RTC at all) */
	assert_true(clock_floor_raises(0, 1));
}

static void test_save_and_read(void **state)
{
	char dir[] = "/tmp/keel-test-clock.XXXXXX", path[64];
	long long t = 0, before = (long long)time(NULL);

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/clock", dir);
	assert_int_equal(clock_read_file(path, &t), -ENOENT);
	assert_int_equal(clock_save(path), 0);
	assert_int_equal(clock_read_file(path, &t), 0);
	assert_true(t >= before && t <= (long long)time(NULL));
	/* what a torn or foreign file reads as */
	assert_int_equal(write_atomic(path, "garbage\n", 8, 0644), 0);
	assert_int_equal(clock_read_file(path, &t), -EINVAL);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_refuses),
		cmocka_unit_test(test_floor_never_back),
		cmocka_unit_test(test_save_and_read),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
