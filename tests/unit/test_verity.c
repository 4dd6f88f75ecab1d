// SPDX-License-Identifier: MIT
/* keel.verity= values and the dm-verity table built from them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "verity.h"

#define HASH "5765a86680eb95e71c61db775aa7ed0de2bf9821884121f8f817e6f3dfab856c"

static void test_parse(void **state)
{
	struct verity_spec v;
	const char *why = NULL;

	(void)state;
	assert_int_equal(verity_parse(HASH ":359", &v, &why), 0);
	assert_string_equal(v.root_hash, HASH);
	assert_int_equal(v.data_blocks, 359);

	static const char *const bad[] = {
		HASH, /* no block count */
		HASH ":",
		HASH ":0",
		HASH ":-1",
		HASH ":12x",
		HASH ":99999999999999999999",
		"5765A86680EB95E71C61DB775AA7ED0DE2BF9821884121F8F817E6F3DFAB85"
		"6C:1",
		"abc:1",
		HASH "0:1",
		"",
		":1",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		why = NULL;
		if (verity_parse(bad[i], &v, &why) != -EINVAL)
			fail_msg("accepted '%s'", bad[i]);
		assert_non_null(why);
	}
}

static void test_table(void **state)
{
	struct verity_spec v;
	const char *why;
	char buf[256];

	(void)state;
	assert_int_equal(verity_parse(HASH ":359", &v, &why), 0);
	assert_int_equal(verity_table(&v, "/dev/vda2", buf, sizeof(buf)), 0);
	/* version, data dev, hash dev, block sizes, data blocks, hash
	 * start (right after the data), algorithm, digest, no salt */
	assert_string_equal(buf, "1 /dev/vda2 /dev/vda2 4096 4096 359 359 "
				 "sha256 " HASH " -");
	assert_int_equal(verity_table(&v, "/dev/vda2", buf, 40), -ENAMETOOLONG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
