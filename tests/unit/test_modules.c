// SPDX-License-Identifier: MIT
/* modules_load_list with a recording loader; module_load_file's errors. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "modules.h"

#define CALLS_MAX 16

/* What the fake loader saw, and which calls it should fail. */
struct recorder {
	char paths[CALLS_MAX][300];
	int calls;
	const char *fail; /* path to fail with -ENOEXEC, or NULL */
};

static int record(const char *path, void *ctx)
{
	struct recorder *r = ctx;

	assert_in_range(r->calls, 0, CALLS_MAX - 1);
	assert_true(strlen(path) < sizeof(r->paths[0]));
	strcpy(r->paths[r->calls++], path);
	if (r->fail && !strcmp(path, r->fail))
		return -ENOEXEC;
	return 0;
}

static void test_order(void **state)
{
	struct recorder r = { .calls = 0 };

	(void)state;
	assert_int_equal(modules_load_list("/lib/modules/virtio.ko\n"
					   "/lib/modules/virtio_ring.ko\n"
					   "/lib/modules/virtio_pci.ko\n"
					   "/lib/modules/virtio_blk.ko\n",
					   record, &r),
			 0);
	assert_int_equal(r.calls, 4);
	assert_string_equal(r.paths[0], "/lib/modules/virtio.ko");
	assert_string_equal(r.paths[1], "/lib/modules/virtio_ring.ko");
	assert_string_equal(r.paths[2], "/lib/modules/virtio_pci.ko");
	assert_string_equal(r.paths[3], "/lib/modules/virtio_blk.ko");
}

static void test_skipped(void **state)
{
	struct recorder r = { .calls = 0 };

	(void)state;
	assert_int_equal(modules_load_list("# generated from modules.dep\n"
					   "\n"
					   "/m/a.ko   \n"
					   "   \n"
					   "\r\n"
					   "/m/b.ko\r\n"
					   "#/m/disabled.ko\n"
					   "/m/c.ko \r\n"
					   "/m/d.ko",
					   record, &r),
			 0);
	assert_int_equal(r.calls, 4);
	assert_string_equal(r.paths[0], "/m/a.ko");
	assert_string_equal(r.paths[1], "/m/b.ko");
	assert_string_equal(r.paths[2], "/m/c.ko");
	/* the last line needs no newline */
	assert_string_equal(r.paths[3], "/m/d.ko");
}

static void test_empty(void **state)
{
	struct recorder r = { .calls = 0 };

	(void)state;
	assert_int_equal(modules_load_list("", record, &r), 0);
	assert_int_equal(modules_load_list("\n\n# nothing\n", record, &r), 0);
	assert_int_equal(r.calls, 0);
}

static void test_failure_continues(void **state)
{
	struct recorder r = { .calls = 0, .fail = "/m/b.ko" };

	(void)state;
	assert_int_equal(
		modules_load_list("/m/a.ko\n/m/b.ko\n/m/c.ko\n", record, &r),
		1);
	assert_int_equal(r.calls, 3);
	assert_string_equal(r.paths[2], "/m/c.ko");

	/* every failure counts, not just the first */
	r.calls = 0;
	assert_int_equal(
		modules_load_list("/m/b.ko\n/m/a.ko\n/m/b.ko\n", record, &r),
		2);
	assert_int_equal(r.calls, 3);
}

static void test_overlong(void **state)
{
	struct recorder r = { .calls = 0 };
	char text[1024];
	int n;

	(void)state;
	/* 256 bytes of path: one more than the loader's buffer holds */
	n = snprintf(text, sizeof(text), "/m/a.ko\n/");
	memset(text + n, 'x', 255);
	n += 255;
	n += snprintf(text + n, sizeof(text) - n, "\n/m/c.ko\n");
	assert_true(n < (int)sizeof(text));

	assert_int_equal(modules_load_list(text, record, &r), 1);
	/* never handed to the loader cut short */
	assert_int_equal(r.calls, 2);
	assert_string_equal(r.paths[0], "/m/a.ko");
	assert_string_equal(r.paths[1], "/m/c.ko");

	/* 255 bytes fits */
	r.calls = 0;
	text[8 + 255] = '\0';
	assert_int_equal(modules_load_list(text, record, &r), 0);
	assert_int_equal(r.calls, 2);
	assert_int_equal(strlen(r.paths[1]), 255);
}

static void test_load_file_missing(void **state)
{
	(void)state;
	/* logs to stderr: the test has no /dev/console open */
	assert_int_equal(module_load_file("/nonexistent/keel/nothing.ko", NULL),
			 -ENOENT);
	assert_int_equal(module_load_file("nothing-here.ko", NULL), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_skipped),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_failure_continues),
		cmocka_unit_test(test_overlong),
		cmocka_unit_test(test_load_file_missing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
