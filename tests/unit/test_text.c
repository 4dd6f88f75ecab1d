// SPDX-License-Identifier: MIT
/* lib/text: the host name label init and imaged both check. */
#include "text.h"

#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

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
		cmocka_unit_test(test_hostname_label),
		cmocka_unit_test(test_hostname_label_span),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
