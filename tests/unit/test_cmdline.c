// SPDX-License-Identifier: MIT
/* cmdline_parse and split_args: what init believes about its boot. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "cmdline.h"

static void test_defaults(void **state)
{
	struct cmdline c;

	(void)state;
	/* garbage first: the parser must reset every field itself */
	memset(&c, 0x5a, sizeof(c));
	assert_int_equal(cmdline_parse("", &c), 0);
	assert_string_equal(c.root, "");
	assert_string_equal(c.rootfstype, "");
	assert_string_equal(c.slot, "");
	assert_string_equal(c.data, "");
	assert_int_equal(c.rootwait, -1);
	assert_int_equal(c.emergency, -1);

	assert_int_equal(cmdline_parse("   \t\n ", &c), 0);
	assert_string_equal(c.root, "");
	assert_int_equal(c.rootwait, -1);
}

static void test_typical(void **state)
{
	static const char text[] =
		"console=ttyS0 quiet root=PARTLABEL=root-a rootfstype=squashfs "
		"ro rootwait=10 keel.slot=a keel.data=PARTLABEL=data\n";
	struct cmdline c;

	(void)state;
	assert_int_equal(cmdline_parse(text, &c), 0);
	assert_string_equal(c.root, "PARTLABEL=root-a");
	assert_string_equal(c.rootfstype, "squashfs");
	assert_int_equal(c.rootwait, 10);
	assert_string_equal(c.slot, "a");
	assert_string_equal(c.data, "PARTLABEL=data");
	assert_int_equal(c.emergency, -1);
}

static void test_unknown_ignored(void **state)
{
	struct cmdline c;

	(void)state;
	/* kernel words, bare words, and keys that only look like ours */
	assert_int_equal(cmdline_parse("quiet rootwait rootx=1 keel.slotx=b "
				       "keel.=1 =foo init=/sbin/init",
				       &c),
			 0);
	assert_string_equal(c.root, "");
	assert_string_equal(c.slot, "");
	/* bare "rootwait" means what it means to the kernel: no limit */
	assert_int_equal(c.rootwait, ROOTWAIT_FOREVER);
}

static void test_rootwait(void **state)
{
	struct cmdline c;

	(void)state;
	assert_int_equal(cmdline_parse("rootwait=0", &c), 0);
	assert_int_equal(c.rootwait, 0);
	assert_int_equal(cmdline_parse("rootwait=3600", &c), 0);
	assert_int_equal(c.rootwait, 3600);

	assert_int_equal(cmdline_parse("rootwait=3601", &c), -EINVAL);
	assert_int_equal(c.rootwait, -1);
	assert_int_equal(cmdline_parse("rootwait=-1", &c), -EINVAL);
	assert_int_equal(c.rootwait, -1);
	assert_int_equal(cmdline_parse("rootwait=abc", &c), -EINVAL);
	assert_int_equal(c.rootwait, -1);
	assert_int_equal(cmdline_parse("rootwait=5s", &c), -EINVAL);
	assert_int_equal(c.rootwait, -1);
	assert_int_equal(cmdline_parse("rootwait=", &c), -EINVAL);
	assert_int_equal(c.rootwait, -1);
	assert_int_equal(cmdline_parse("rootwait=99999999999999999999", &c),
			 -EINVAL);
	assert_int_equal(c.rootwait, -1);

	/* a bad word does not stop the words after it */
	assert_int_equal(cmdline_parse("rootwait=x keel.slot=b", &c), -EINVAL);
	assert_string_equal(c.slot, "b");
}

static void test_emergency(void **state)
{
	struct cmdline c;

	(void)state;
	assert_int_equal(cmdline_parse("keel.emergency=0", &c), 0);
	assert_int_equal(c.emergency, 0);
	assert_int_equal(cmdline_parse("keel.emergency=1", &c), 0);
	assert_int_equal(c.emergency, 1);
	assert_int_equal(cmdline_parse("keel.emergency=2", &c), -EINVAL);
	assert_int_equal(c.emergency, -1);
	assert_int_equal(cmdline_parse("keel.emergency=yes", &c), -EINVAL);
	assert_int_equal(c.emergency, -1);
}

static void test_quoted(void **state)
{
	struct cmdline c;

	(void)state;
	assert_int_equal(cmdline_parse("quiet keel.data=\"PARTLABEL=my data\" "
				       "\"keel.slot=b\" root=/dev/vda2",
				       &c),
			 0);
	assert_string_equal(c.data, "PARTLABEL=my data");
	assert_string_equal(c.slot, "b");
	assert_string_equal(c.root, "/dev/vda2");

	/* a tab inside quotes is kept too */
	assert_int_equal(cmdline_parse("rootfstype=\"a\tb\"", &c), 0);
	assert_string_equal(c.rootfstype, "a\tb");
}

static void test_too_long(void **state)
{
	char text[512];
	struct cmdline c;

	(void)state;
	/* fits the word buffer but not the field: 8 bytes for 7 chars */
	assert_int_equal(cmdline_parse("keel.slot=abcdefgh root=/dev/vda2", &c),
			 -EINVAL);
	assert_string_equal(c.slot, "");
	assert_string_equal(c.root, "/dev/vda2");

	assert_int_equal(cmdline_parse("keel.slot=abcdefg", &c), 0);
	assert_string_equal(c.slot, "abcdefg");

	/* longer than the word buffer: must not pass as a cut value */
	strcpy(text, "root=PARTLABEL=");
	memset(text + strlen(text), 'x', 300);
	text[15 + 300] = '\0';
	strcat(text, " keel.slot=a");
	assert_int_equal(cmdline_parse(text, &c), -EINVAL);
	assert_string_equal(c.root, "");
	assert_string_equal(c.slot, "a");

	/*
	 * Zero padding makes a number whose cut form is still a number:
	 * the 0 left after the cut must not pass for the 7 that was meant.
	 */
	strcpy(text, "rootwait=");
	memset(text + 9, '0', 300);
	strcpy(text + 9 + 300, "7");
	assert_int_equal(cmdline_parse(text, &c), -EINVAL);
	assert_int_equal(c.rootwait, -1);

	/* an earlier good value is not kept when a later one is too long */
	snprintf(text, sizeof(text), "root=/dev/vda2 root=%0200d", 0);
	assert_int_equal(cmdline_parse(text, &c), -EINVAL);
	assert_string_equal(c.root, "");

	/* an overlong word that is not ours is still just ignored */
	strcpy(text, "other=");
	memset(text + 6, 'y', 400);
	text[406] = '\0';
	assert_int_equal(cmdline_parse(text, &c), 0);
	assert_string_equal(c.root, "");
}

static void test_split_basic(void **state)
{
	char line[] = "  /bin/sh\t-c   \"echo hi  there\" last ";
	char *argv[8];

	(void)state;
	assert_int_equal(split_args(line, argv, 7), 4);
	assert_string_equal(argv[0], "/bin/sh");
	assert_string_equal(argv[1], "-c");
	assert_string_equal(argv[2], "echo hi  there");
	assert_string_equal(argv[3], "last");
	assert_null(argv[4]);
}

static void test_split_escapes(void **state)
{
	char line[] = "/bin/echo a\\ b \"q\\\"uote\" x\"y z\"w \"\" end\\";
	char *argv[8];

	(void)state;
	assert_int_equal(split_args(line, argv, 7), 6);
	assert_string_equal(argv[0], "/bin/echo");
	assert_string_equal(argv[1], "a b");
	assert_string_equal(argv[2], "q\"uote");
	assert_string_equal(argv[3], "xy zw");
	assert_string_equal(argv[4], "");
	/* a trailing backslash has nothing to escape and stays */
	assert_string_equal(argv[5], "end\\");
	assert_null(argv[6]);
}

static void test_split_empty(void **state)
{
	char empty[] = "", blank[] = " \t  ";
	char *argv[4] = { empty, empty, empty, empty };

	(void)state;
	assert_int_equal(split_args(empty, argv, 3), 0);
	assert_null(argv[0]);
	argv[0] = empty;
	assert_int_equal(split_args(blank, argv, 3), 0);
	assert_null(argv[0]);
}

static void test_split_limits(void **state)
{
	char exact[] = "a b c", over[] = "a b c d";
	char quote[] = "/bin/sh -c \"unterminated";
	char *argv[4];

	(void)state;
	assert_int_equal(split_args(exact, argv, 3), 3);
	assert_string_equal(argv[2], "c");
	assert_null(argv[3]);
	assert_int_equal(split_args(over, argv, 3), -E2BIG);
	assert_int_equal(split_args(quote, argv, 3), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_typical),
		cmocka_unit_test(test_unknown_ignored),
		cmocka_unit_test(test_rootwait),
		cmocka_unit_test(test_emergency),
		cmocka_unit_test(test_quoted),
		cmocka_unit_test(test_too_long),
		cmocka_unit_test(test_split_basic),
		cmocka_unit_test(test_split_escapes),
		cmocka_unit_test(test_split_empty),
		cmocka_unit_test(test_split_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
