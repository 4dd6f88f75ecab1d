// SPDX-License-Identifier: MIT
/* The kernel's console list (/sys/class/tty/console/active). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "console.h"

static void test_screen_and_serial(void **state)
{
	struct consoles c;

	(void)state;
	/* console=tty0 console=ttyS0,115200: the last is /dev/console */
	assert_int_equal(consoles_parse("tty0 ttyS0\n", &c), 2);
	assert_string_equal(c.name[0], "tty0");
	assert_string_equal(c.name[1], "ttyS0");
	assert_int_equal(consoles_parse("ttyS0\n", &c), 1);
	assert_string_equal(c.name[0], "ttyS0");
	assert_int_equal(consoles_parse("ttyAMA0", &c), 1);
}

static void test_empty(void **state)
{
	struct consoles c = { .n = 3 };

	(void)state;
	assert_int_equal(consoles_parse("", &c), 0);
	assert_int_equal(c.n, 0);
	assert_int_equal(consoles_parse("\n", &c), 0);
	assert_int_equal(consoles_parse("  \t \n", &c), 0);
}

static void test_odd_names_left_out(void **state)
{
	struct consoles c;

	(void)state;
	/* never a path: each becomes /dev/<name> */
	assert_int_equal(consoles_parse("../sda tty0 a/b ttyS0", &c), 2);
	assert_string_equal(c.name[0], "tty0");
	assert_string_equal(c.name[1], "ttyS0");
	/* too long for a name */
	assert_int_equal(consoles_parse("ttyABCDEFGHIJKLMNOP ttyS1", &c), 1);
	assert_string_equal(c.name[0], "ttyS1");
	/* the same one twice is one console */
	assert_int_equal(consoles_parse("ttyS0 ttyS0 tty0", &c), 2);
	assert_string_equal(c.name[1], "tty0");
}

static void test_bounded(void **state)
{
	struct consoles c;

	(void)state;
	assert_int_equal(consoles_parse("tty0 tty1 tty2 tty3 tty4 tty5", &c),
			 CONSOLES_MAX);
	assert_string_equal(c.name[CONSOLES_MAX - 1], "tty3");
	/* the longest name that fits */
	assert_int_equal(consoles_parse("ttyABCDEFGHIJKL", &c), 1);
	assert_int_equal(strlen(c.name[0]), CONSOLE_NAME_MAX - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_screen_and_serial),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_odd_names_left_out),
		cmocka_unit_test(test_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
