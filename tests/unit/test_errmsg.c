// SPDX-License-Identifier: MIT
/* lib/errmsg: one message, built where the failure is found. */
#include "errmsg.h"

#include <errno.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

static void test_message_and_code(void **state)
{
	char err[64];

	(void)state;
	assert_int_equal(errmsg(err, sizeof(err), -EINVAL, "port %d", 8),
			 -EINVAL);
	assert_string_equal(err, "port 8");
	assert_int_equal(errmsg_errno(err, sizeof(err), -ENOENT, ENOENT,
				      "open %s", "/x"),
			 -ENOENT);
	assert_string_equal(err, "open /x: No such file or directory");
	/* no errno text when there is no errno */
	errmsg_errno(err, sizeof(err), -EIO, 0, "bad");
	assert_string_equal(err, "bad");
}

static void test_prefix(void **state)
{
	char err[64];

	(void)state;
	errmsg(err, sizeof(err), -EINVAL, "not a number");
	assert_int_equal(errmsg_prefix(err, sizeof(err), -EINVAL,
				       "%s:%d: ", "web.yaml", 12),
			 -EINVAL);
	assert_string_equal(err, "web.yaml:12: not a number");
}

/* a message longer than the buffer is cut, never overrun */
static void test_truncated(void **state)
{
	char err[8];

	(void)state;
	errmsg_errno(err, sizeof(err), -E2BIG, E2BIG, "%s", "0123456789");
	assert_string_equal(err, "0123456");
	errmsg_prefix(err, sizeof(err), -E2BIG, "%s", "abcdefgh");
	assert_string_equal(err, "abcdefg");
	assert_int_equal(errmsg(err, 0, -EIO, "x"), -EIO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_message_and_code),
		cmocka_unit_test(test_prefix),
		cmocka_unit_test(test_truncated),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
