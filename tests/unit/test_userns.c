// SPDX-License-Identifier: MIT
/* Host id ranges for pods with a user namespace: picked once, kept, unique. */
#include "run/userns.h"
#include "file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

static char top[64];

static int make_top(void **state)
{
	(void)state;
	snprintf(top, sizeof(top), "/tmp/keel-test-userns.XXXXXX");
	return mkdtemp(top) ? 0 : -1;
}

static int drop_top(void **state)
{
	char cmd[96];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", top);
	return system(cmd);
}

/* each pod its own range, the same one every time it asks */
static void test_pick_and_keep(void **state)
{
	uint32_t a, b, again;

	(void)state;
	assert_int_equal(userns_recorded(top, "web", &a), -ENOENT);
	assert_int_equal(userns_pick(top, "web", &a), 0);
	assert_int_equal(a, USERNS_SIZE);
	assert_int_equal(userns_pick(top, "db", &b), 0);
	assert_int_equal(b, 2 * USERNS_SIZE);
	assert_int_equal(userns_pick(top, "web", &again), 0);
	assert_int_equal(again, a);
	assert_int_equal(userns_recorded(top, "db", &again), 0);
	assert_int_equal(again, b);
}

/* a range a deleted pod let go is the next one taken */
static void test_reuse(void **state)
{
	char path[128];
	uint32_t a, b, c;

	(void)state;
	assert_int_equal(userns_pick(top, "a", &a), 0);
	assert_int_equal(userns_pick(top, "b", &b), 0);
	snprintf(path, sizeof(path), "%s/a/" USERNS_FILE, top);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(userns_pick(top, "c", &c), 0);
	assert_int_equal(c, a);
}

/* a record that is not one userns_pick writes is not believed */
static void test_bad_records(void **state)
{
	static const char *const bad[] = {
		"0\n",	     "1000\n", "65537\n",      "abc\n",
		"65536 x\n", "",       "4294901760\n", /* past USERNS_RANGES */
	};
	char path[128];
	uint32_t base;

	(void)state;
	snprintf(path, sizeof(path), "%s/p", top);
	assert_int_equal(mkdir_parents(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/p/" USERNS_FILE, top);
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		assert_int_equal(
			write_atomic(path, bad[i], strlen(bad[i]), 0600), 0);
		if (userns_recorded(top, "p", &base) != -EINVAL)
			fail_msg("'%s' was taken", bad[i]);
	}
}

static void test_map(void **state)
{
	char map[64];

	(void)state;
	userns_map(3 * USERNS_SIZE, map, sizeof(map));
	assert_string_equal(map, "0 196608 65536\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pick_and_keep, make_top,
						drop_top),
		cmocka_unit_test_setup_teardown(test_reuse, make_top, drop_top),
		cmocka_unit_test_setup_teardown(test_bad_records, make_top,
						drop_top),
		cmocka_unit_test(test_map),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
