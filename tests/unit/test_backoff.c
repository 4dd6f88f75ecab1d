// SPDX-License-Identifier: MIT
#include "pods/backoff.h"
#include "oci/pod.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

/* the kubelet's series: 10 s, 20, 40, 80, 160, then 300 s for ever */
static void test_series(void **state)
{
	static const int64_t want[] = { 10000,	20000,	40000,	80000,
					160000, 300000, 300000, 300000 };
	struct backoff b = { 0 };

	(void)state;
	for (int i = 0; i < 8; i++)
		assert_int_equal(backoff_next(&b, 1000), want[i]);
}

/* 10 minutes of running forgives the past; 9:59 does not */
static void test_reset(void **state)
{
	struct backoff b = { 0 };

	(void)state;
	for (int i = 0; i < 5; i++)
		backoff_next(&b, 500);
	assert_int_equal(backoff_next(&b, BACKOFF_RESET_MS - 1), 300000);
	assert_int_equal(backoff_next(&b, BACKOFF_RESET_MS), 10000);
	assert_int_equal(backoff_next(&b, 0), 20000);
}

static void test_policy(void **state)
{
	(void)state;
	assert_true(restart_wanted(POD_RESTART_ALWAYS, 0, false));
	assert_true(restart_wanted(POD_RESTART_ALWAYS, 1, false));
	assert_false(restart_wanted(POD_RESTART_ON_FAILURE, 0, false));
	assert_true(restart_wanted(POD_RESTART_ON_FAILURE, 3, false));
	/* an OOM kill is a failure */
	assert_true(restart_wanted(POD_RESTART_ON_FAILURE, 0, true));
	assert_false(restart_wanted(POD_RESTART_NEVER, 1, true));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_series),
		cmocka_unit_test(test_reset),
		cmocka_unit_test(test_policy),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
