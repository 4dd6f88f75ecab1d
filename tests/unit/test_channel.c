// SPDX-License-Identifier: MIT
/* The update channel document and the rollout waves. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "os/channel.h"

static int parse(struct channel *ch, const char *json, char *err)
{
	return channel_parse(ch, json, strlen(json), "qemu-x86_64", err, 160);
}

static void test_parse(void **state)
{
	struct channel ch;
	char err[160];

	(void)state;
	assert_int_equal(
		parse(&ch,
		      "{\"format\": 1, \"serial\": 42, \"boards\": {"
		      "\"rpi4\": {\"version\": \"9\", \"url\": \"http://x/r\", "
		      "\"rollout\": 5},"
		      "\"qemu-x86_64\": {\"version\": \"0.2.0\", \"url\": "
		      "\"http://10.0.2.2:8000/keel.keelb\", \"rollout\": 25}}}",
		      err),
		0);
	assert_string_equal(ch.version, "0.2.0");
	assert_string_equal(ch.url, "http://10.0.2.2:8000/keel.keelb");
	assert_int_equal(ch.rollout, 25);
	assert_int_equal(ch.serial, 42);

	assert_int_equal(parse(&ch,
			       "{\"format\": 1, \"serial\": 1, \"boards\": "
			       "{\"rpi4\": {}}}",
			       err),
			 -ENOENT);
	assert_non_null(strstr(err, "nothing for board qemu-x86_64"));

	static const struct {
		const char *json, *why;
	} bad[] = {
		{ "[]", "not a JSON object" },
		{ "{\"format\": 1, \"serial\": 1, \"boards\": ",
		  "not a JSON object" },
		{ "{\"format\": 2, \"boards\": {}}", "format is not 1" },
		{ "{\"format\": 1, \"serial\": 1}", "no \"boards\"" },
		{ "{\"format\": 1, \"boards\": {}}", "\"serial\" is not" },
		{ "{\"format\": 1, \"serial\": -1, \"boards\": {}}",
		  "\"serial\" is not" },
		{ "{\"format\": 1, \"serial\": 1.5, \"boards\": {}}",
		  "\"serial\" is not" },
		{ "{\"format\": 1, \"serial\": 1, \"boards\": "
		  "{\"qemu-x86_64\": {\"url\": "
		  "\"http://x\", \"rollout\": 1}}}",
		  "needs \"version\"" },
		{ "{\"format\": 1, \"serial\": 1, \"boards\": "
		  "{\"qemu-x86_64\": {\"version\": "
		  "\"1 2\", \"url\": \"http://x\", \"rollout\": 1}}}",
		  "needs \"version\"" },
		{ "{\"format\": 1, \"serial\": 1, \"boards\": "
		  "{\"qemu-x86_64\": {\"version\": "
		  "\"1\", \"url\": \"http://x\", \"rollout\": 101}}}",
		  "whole percentage" },
		{ "{\"format\": 1, \"serial\": 1, \"boards\": "
		  "{\"qemu-x86_64\": {\"version\": "
		  "\"1\", \"url\": \"http://x\", \"rollout\": 2.5}}}",
		  "whole percentage" },
		{ "{\"format\": 1, \"serial\": 1, \"boards\": "
		  "{\"qemu-x86_64\": {\"version\": "
		  "\"1\", \"url\": \"http://x\", \"rollout\": \"50\"}}}",
		  "whole percentage" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		err[0] = '\0';
		if (parse(&ch, bad[i].json, err) != -EINVAL ||
		    !strstr(err, bad[i].why))
			fail_msg("%s: '%s'", bad[i].json, err);
	}
}

static void test_rollout(void **state)
{
	char id[40];
	int hist[10] = { 0 };

	(void)state;
	/* stable for a host and version, spread over hosts */
	assert_int_equal(rollout_slot("abc", "1.0"),
			 rollout_slot("abc", "1.0"));
	for (int i = 0; i < 1000; i++) {
		snprintf(id, sizeof(id), "%032x", i * 2654435761u);
		int s = rollout_slot(id, "0.2.0");
		assert_true(s >= 0 && s < 100);
		hist[s / 10]++;
	}
	for (int i = 0; i < 10; i++)
		assert_in_range(hist[i], 60, 140);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_rollout),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
