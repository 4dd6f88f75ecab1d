// SPDX-License-Identifier: MIT
/* /etc/keel/imaged.conf: values, defaults, and refusing bad lines whole. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <string.h>

#include "imaged_conf.h"

static void test_conf(void **state)
{
	struct imaged_conf c;
	char err[128];

	(void)state;
	conf_defaults(&c);
	assert_int_equal(c.update_tries, 3);
	assert_int_equal(c.health_timeout, 300);
	assert_true(c.update_reboot);
	assert_true(c.default_host_users);
	assert_int_equal(c.update_stall_timeout, 120);
	assert_true(c.verify_after_write);
	assert_int_equal(c.workload_timeout, 300);
	assert_int_equal(conf_parse(&c,
				    "# comment\n\n update_tries = 2\n"
				    "workload_timeout = 45\n"
				    "update_stall_timeout = 30\n"
				    "verify_after_write = no\n"
				    "health_timeout=20\n"
				    "health_command = curl -sf http://x/ready\n"
				    "default_host_users = false\n"
				    "update_reboot = no",
				    err, sizeof(err)),
			 0);
	assert_false(c.default_host_users);
	assert_int_equal(c.update_stall_timeout, 30);
	assert_false(c.verify_after_write);
	assert_int_equal(c.workload_timeout, 45);
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
		{ "default_host_users = some\n", "bad value" },
		{ "update_stall_timeout = 4\n", "bad value" },
		{ "verify_after_write = perhaps\n", "bad value" },
		{ "workload_timeout = 4\n",
		  "line 1: bad value '4' for workload_timeout" },
		{ "workload_timeout = 86401\n", "bad value" },
		{ "workload_timeout = 30s\n", "bad value" },
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

/* Where the channel and the reports are: which URLs each takes. */
static void test_urls(void **state)
{
	struct imaged_conf c;
	char err[128];

	(void)state;
	conf_defaults(&c);
	assert_string_equal(c.channel_url, "");
	assert_string_equal(c.report_url, "");
	assert_int_equal(c.report_interval, 3600);
	assert_int_equal(
		conf_parse(&c,
			   "channel_url = file:///mnt/usb/channel.json\n"
			   "report_url = https://reports.example/keel\n"
			   "report_interval = 600\n",
			   err, sizeof(err)),
		0);
	assert_string_equal(c.channel_url, "file:///mnt/usb/channel.json");
	assert_string_equal(c.report_url, "https://reports.example/keel");
	assert_int_equal(c.report_interval, 600);
	assert_int_equal(conf_parse(&c,
				    "channel_url = http://cdn/c.json\n"
				    "report_url =\n",
				    err, sizeof(err)),
			 0);
	assert_string_equal(c.channel_url, "http://cdn/c.json");
	assert_string_equal(c.report_url, "");

	static const char *const bad[] = {
		"channel_url = ftp://cdn/c.json",
		"channel_url = /mnt/usb/channel.json",
		"channel_url = file://host/c.json",
		/* reports go to a web server, not a file */
		"report_url = file:///var/reports",
		"report_url = reports.example",
		"report_interval = 59",
		"report_interval = 604801",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		if (!conf_parse(&c, bad[i], err, sizeof(err)) ||
		    !strstr(err, "bad value"))
			fail_msg("'%s': '%s'", bad[i], err);
}

static void test_reboot_window(void **state)
{
	struct imaged_conf c;
	char err[128];

	(void)state;
	conf_defaults(&c);
	assert_int_equal(window_wait_s(c.window_start, c.window_end, 12345), 0);
	assert_int_equal(
		conf_parse(&c, "reboot_window = 02:00-04:30", err, sizeof(err)),
		0);
	assert_int_equal(c.window_start, 120);
	assert_int_equal(c.window_end, 270);
	assert_int_equal(window_wait_s(120, 270, 3 * 3600), 0);
	assert_int_equal(window_wait_s(120, 270, 2 * 3600), 0);
	assert_int_equal(window_wait_s(120, 270, 270 * 60),
			 22 * 3600 - 30 * 60);
	assert_int_equal(window_wait_s(120, 270, 3600), 3600);
	/* across midnight */
	assert_int_equal(window_wait_s(22 * 60, 120, 23 * 3600), 0);
	assert_int_equal(window_wait_s(22 * 60, 120, 3600), 0);
	assert_int_equal(window_wait_s(22 * 60, 120, 12 * 3600), 10 * 3600);

	static const char *const bad[] = {
		"reboot_window = 2-4",	       "reboot_window = 24:00-01:00",
		"reboot_window = 02:60-03:00", "reboot_window = 02:00-03:00x",
		"reboot_window = 02:00",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		if (!conf_parse(&c, bad[i], err, sizeof(err)))
			fail_msg("'%s' parsed", bad[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conf),
		cmocka_unit_test(test_urls),
		cmocka_unit_test(test_reboot_window),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
