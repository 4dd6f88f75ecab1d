// SPDX-License-Identifier: MIT
/* /etc/keel/imaged.conf: values, defaults, and refusing bad lines whole. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <string.h>

#include "imaged.h"

static void test_conf(void **state)
{
	struct imaged_conf c;
	char err[128];

	(void)state;
	conf_defaults(&c);
	assert_int_equal(c.update_tries, 3);
	assert_int_equal(c.health_timeout, 300);
	assert_true(c.update_reboot);
	assert_int_equal(conf_parse(&c,
				    "# comment\n\n update_tries = 2\n"
				    "health_timeout=20\n"
				    "health_command = curl -sf http://x/ready\n"
				    "update_reboot = no",
				    err, sizeof(err)),
			 0);
	assert_int_equal(c.update_tries, 2);
	assert_int_equal(c.health_timeout, 20);
	assert_string_equal(c.health_command, "curl -sf http://x/ready");
	assert_false(c.update_reboot);

	static const struct {
		const char *text, *why;
	} bad[] = {
		{ "update_tries = 0\n",
		  "line 1: bad value '0' for update_tries" },
		{ "update_tries = 10\n", "bad value" },
		{ "\nhealth_timeout = soon\n", "line 2: bad value" },
		{ "update_reboot = maybe\n", "bad value" },
		{ "tries = 3\n", "unknown key 'tries'" },
		{ "update_tries\n", "expected 'key = value'" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		struct imaged_conf before = c;
		assert_int_not_equal(
			conf_parse(&c, bad[i].text, err, sizeof(err)), 0);
		if (!strstr(err, bad[i].why))
			fail_msg("'%s': '%s'", bad[i].text, err);
		/* nothing of a bad file is taken */
		assert_memory_equal(&before, &c, sizeof(c));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conf),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
