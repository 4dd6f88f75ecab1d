// SPDX-License-Identifier: MIT
#include "images/regconf.h"
#include "store/store.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

static struct regconf c;
static char err[200];

static void test_full(void **state)
{
	(void)state;
	regconf_defaults(&c);
	assert_int_equal(c.max_parallel, 3);
	assert_false(c.unpack_devices);
	assert_int_equal(regconf_parse(&c,
				       "# comment\n"
				       "ca = /etc/keel/extra.pem\n"
				       "max_parallel = 5\n"
				       "unpack_devices = yes\n"
				       "max_layer_bytes = 1048576\n"
				       "\n"
				       "[127.0.0.1:5000]\n"
				       "insecure = yes\n"
				       "[docker.io]  # the hub\n"
				       "mirror = https://mirror.example:5000\n"
				       "mirror = http://10.0.0.1\n"
				       "username = me\n"
				       "password = secret\n",
				       err, sizeof(err)),
			 0);
	assert_int_equal(c.n_cas, 1);
	assert_string_equal(c.cas[0], "/etc/keel/extra.pem");
	assert_int_equal(c.max_parallel, 5);
	assert_true(c.unpack_devices);
	assert_int_equal(c.max_layer_bytes, 1048576);
	const struct reg_host *h = regconf_find(&c, "127.0.0.1:5000");
	assert_non_null(h);
	assert_true(h->insecure);
	assert_int_equal(h->n_mirrors, 0);
	h = regconf_find(&c, "docker.io");
	assert_non_null(h);
	assert_false(h->insecure);
	assert_int_equal(h->n_mirrors, 2);
	assert_string_equal(h->mirrors[1], "http://10.0.0.1");
	assert_string_equal(h->username, "me");
	assert_string_equal(h->password, "secret");
	assert_null(regconf_find(&c, "ghcr.io"));

	/* a later file's section replaces the earlier one's */
	assert_int_equal(regconf_parse(&c, "[docker.io]\ninsecure = yes\n", err,
				       sizeof(err)),
			 0);
	h = regconf_find(&c, "docker.io");
	assert_true(h->insecure);
	assert_int_equal(h->n_mirrors, 0);
	assert_int_equal(c.n_hosts, 2);
}

static void test_bad(void **state)
{
	static const struct {
		const char *text, *why;
	} cases[] = {
		{ "max_parallel = 0\n", "1: bad value for max_parallel" },
		{ "max_parallel = 17\n", "1: bad value for max_parallel" },
		{ "ca = relative.pem\n", "1: bad value for ca" },
		{ "unpack_devices = maybe\n", "bad value for unpack_devices" },
		{ "max_layer_bytes = 12k\n", "bad value for max_layer_bytes" },
		{ "\n\nfoo = 1\n", "3: unknown key 'foo'" },
		{ "[x]\nmax_parallel = 2\n",
		  "2: unknown key 'max_parallel' in a registry section" },
		{ "[x]\nmirror = ftp://m\n", "2: bad value for mirror" },
		{ "[x]\nmirror = http://m/path\n", "bad value for mirror" },
		{ "[x]\ninsecure\n", "2: expected 'key = value'" },
		{ "[a b]\n", "is not a registry host" },
		{ "[x\n", "expected '[registry]'" },
		{ "[x]\nusername =\n", "bad value for username" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		regconf_defaults(&c);
		assert_int_equal(regconf_parse(&c, "max_parallel = 7\n", err,
					       sizeof(err)),
				 0);
		err[0] = 0;
		assert_int_equal(
			regconf_parse(&c, cases[i].text, err, sizeof(err)),
			-22);
		if (!strstr(err, cases[i].why))
			fail_msg("case %zu: '%s' lacks '%s'", i, err,
				 cases[i].why);
		/* the whole file is refused: what was there stays */
		assert_int_equal(c.max_parallel, 7);
		assert_int_equal(c.n_hosts, 0);
	}
}

/* config.md, "Layer ChainID", worked through by hand with sha256sum */
static void test_chain_ids(void **state)
{
	uint8_t diff[3][32], chain[3][32];
	char s[OCI_DIGEST_STR];

	(void)state;
	for (int i = 0; i < 3; i++)
		memset(diff[i], 0x11 * (i + 1), 32);
	chain_ids((const uint8_t(*)[32])diff, 3, chain);
	assert_memory_equal(chain[0], diff[0], 32);
	oci_digest_format(chain[1], s);
	assert_string_equal(s, "sha256:"
			       "9932074217c35353d2e03a3f5a86549f7c67bfeb0ba53e2"
			       "3d69f4d4c8f7958f5");
	oci_digest_format(chain[2], s);
	assert_string_equal(s, "sha256:"
			       "50127c0d6b338be78246434b4bce23ecf75e505158ea0bb"
			       "d15effeb162fbf3ec");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_chain_ids),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
