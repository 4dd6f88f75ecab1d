// SPDX-License-Identifier: MIT
/*
 * lib/text: the values of "key = value" lines, why one is refused, and
 * the host name label init and imaged both check.
 */
#include "text.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

static void test_trim(void **state)
{
	char s[] = " \t key = value \n";

	(void)state;
	assert_string_equal(text_trim(s), "key = value");
}

static void test_bool(void **state)
{
	(void)state;
	assert_int_equal(text_bool("yes"), 1);
	assert_int_equal(text_bool("true"), 1);
	assert_int_equal(text_bool("1"), 1);
	assert_int_equal(text_bool("no"), 0);
	assert_int_equal(text_bool("false"), 0);
	assert_int_equal(text_bool("0"), 0);
	assert_int_equal(text_bool("maybe"), -EINVAL);
	assert_int_equal(text_bool(""), -EINVAL);
}

static void test_range(void **state)
{
	int v = 7;

	(void)state;
	assert_int_equal(text_range("68", 68, 65535, &v), 0);
	assert_int_equal(v, 68);
	assert_int_equal(text_range("-5", -10, 10, &v), 0);
	assert_int_equal(v, -5);
	/* not a number: nothing written */
	v = 7;
	assert_int_equal(text_range("huge", 0, 10, &v), -EINVAL);
	assert_int_equal(text_range("", 0, 10, &v), -EINVAL);
	assert_int_equal(text_range("12ms", 0, 100, &v), -EINVAL);
	/* a number, but not one of these */
	assert_int_equal(text_range("67", 68, 65535, &v), -ERANGE);
	assert_int_equal(text_range("99999999999999999999", 0, 10, &v),
			 -ERANGE);
	assert_int_equal(v, 7);
}

static bool label(const char *s)
{
	return text_hostname_label(s, strlen(s));
}

static void test_hostname_label(void **state)
{
	char longest[64];

	(void)state;
	assert_true(label("keel"));
	assert_true(label("edge-01"));
	assert_true(label("a"));
	assert_false(label(""));
	assert_false(label("-edge"));
	assert_false(label("edge-"));
	assert_false(label("edge.example"));
	assert_false(label("edge box"));
	assert_false(label("é"));
	memset(longest, 'a', 63);
	longest[63] = '\0';
	assert_true(label(longest));
	char toolong[65];
	memset(toolong, 'a', 64);
	toolong[64] = '\0';
	assert_false(label(toolong));
}

/* A span inside a longer string: only its n bytes count. */
static void test_hostname_label_span(void **state)
{
	(void)state;
	assert_true(text_hostname_label("edge.example", 4));
	assert_false(text_hostname_label("edge-.example", 5));
	assert_false(text_hostname_label("edge", 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_trim),
		cmocka_unit_test(test_bool),
		cmocka_unit_test(test_range),
		cmocka_unit_test(test_hostname_label),
		cmocka_unit_test(test_hostname_label_span),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
