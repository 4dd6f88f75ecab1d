// SPDX-License-Identifier: MIT
/*
 * Workload revisions' record (os/revstate.h): the state file read and
 * written back, and what a poll does with the revision a channel offers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "os/revstate.h"

static void test_parse_format(void **state)
{
	struct rev_state st, back;
	char text[2048], err[128];

	(void)state;
	assert_int_equal(rev_state_parse(&st, "", err, sizeof(err)), 0);
	assert_true(st.current == 0 && st.applying == 0 && st.rejected == 0);
	assert_string_equal(st.outcome, "");

	assert_int_equal(
		rev_state_parse(&st,
				"current 2\napplying 3\nrejected 1\n"
				"outcome rolled_back\nat 2026-12-07T01:02:03Z\n"
				"reason revision 1: pod web is Running, not "
				"ready\nnewer_key skipped\n",
				err, sizeof(err)),
		0);
	assert_true(st.current == 2 && st.applying == 3 && st.rejected == 1);
	assert_string_equal(st.outcome, "rolled_back");
	assert_string_equal(st.at, "2026-12-07T01:02:03Z");
	assert_string_equal(st.reason, "revision 1: pod web is Running, not "
				       "ready");

	/* written back, read again: the same; a reason stays one line */
	snprintf(st.reason, sizeof(st.reason), "two\nlines");
	int n = rev_state_format(&st, text, sizeof(text));
	assert_true(n > 0 && (size_t)n == strlen(text));
	assert_int_equal(rev_state_parse(&back, text, err, sizeof(err)), 0);
	assert_true(back.current == 2 && back.applying == 3 &&
		    back.rejected == 1);
	assert_string_equal(back.outcome, "rolled_back");
	assert_string_equal(back.reason, "two lines");
	assert_int_equal(rev_state_format(&st, text, 20), -ENOSPC);

	/* none yet: no outcome lines */
	memset(&st, 0, sizeof(st));
	st.current = 7;
	rev_state_format(&st, text, sizeof(text));
	assert_string_equal(text, "current 7\napplying 0\nrejected 0\n");
}

static void test_parse_bad(void **state)
{
	static const char *const bad[] = {
		"current two\n",
		"current -1\n",
		"current\n",
		"applying 3x\n",
		"\nrejected 99999999999999999999\n",
	};
	struct rev_state st;
	char err[128], big[REV_REASON_MAX + 64];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		if (rev_state_parse(&st, bad[i], err, sizeof(err)) != -EINVAL ||
		    !strstr(err, "line "))
			fail_msg("'%s': '%s'", bad[i], err);
	assert_int_equal(
		rev_state_parse(&st, "\nrejected 9x\n", err, sizeof(err)),
		-EINVAL);
	assert_string_equal(err, "line 2: not 'key value' of a known form");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "reason ", 7);
	assert_int_equal(rev_state_parse(&st, big, err, sizeof(err)), -EINVAL);
}

static void test_wanted(void **state)
{
	struct rev_state st = { .current = 2, .rejected = 3 };

	(void)state;
	assert_int_equal(rev_wanted(&st, 2, 100, 0), REV_CURRENT);
	assert_int_equal(rev_wanted(&st, 1, 100, 0), REV_CURRENT);
	/* rejected: not tried again until a higher one */
	assert_int_equal(rev_wanted(&st, 3, 100, 0), REV_REJECTED);
	assert_int_equal(rev_wanted(&st, 4, 100, 0), REV_TAKE);
	/* waves: the host's slot against the rollout */
	assert_int_equal(rev_wanted(&st, 4, 40, 39), REV_TAKE);
	assert_int_equal(rev_wanted(&st, 4, 40, 40), REV_WAITS);
	assert_int_equal(rev_wanted(&st, 4, 0, 0), REV_WAITS);
	st.applying = 4;
	assert_int_equal(rev_wanted(&st, 5, 100, 0), REV_BUSY);
	/* a first revision on a host with none */
	memset(&st, 0, sizeof(st));
	assert_int_equal(rev_wanted(&st, 1, 100, 99), REV_TAKE);
}

static void test_empty(void **state)
{
	static const char *const empty[] = {
		"",
		"\n\n",
		"# nothing yet\n---\n  \n",
		"--- \n\t\r\n---",
	};
	static const char *const not_empty[] = {
		"apiVersion: v1\n", "---\nkind: Pod", "----\n",
		"---x\n",	    "# c\n  a: b\n",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(empty) / sizeof(*empty); i++)
		if (!rev_text_empty(empty[i], strlen(empty[i])))
			fail_msg("'%s' is not empty", empty[i]);
	for (size_t i = 0; i < sizeof(not_empty) / sizeof(*not_empty); i++)
		if (rev_text_empty(not_empty[i], strlen(not_empty[i])))
			fail_msg("'%s' is empty", not_empty[i]);
}

static void test_file(void **state)
{
	char path[128];

	(void)state;
	rev_file(12, path, sizeof(path));
	assert_string_equal(path, "/var/lib/keel/revisions/12.yaml");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_format),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_wanted),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
