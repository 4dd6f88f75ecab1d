// SPDX-License-Identifier: MIT
/*
 * What init decides about a real machine's hardware: which watchdog to
 * use, and the kernel's word that a driver lacked its firmware.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "firmware.h"
#include "watchdog.h"

static void test_pick_hardware_first(void **state)
{
	/* QEMU q35: the 6300ESB (watchdog0) and the ICH9 TCO (watchdog1) */
	struct watchdog_dev two[] = { { 0, false, "i6300ESB timer" },
				      { 1, false, "iTCO_wdt" } };
	/* softdog came first: the hardware one still wins */
	struct watchdog_dev soft_first[] = { { 0, true, "Software Watchdog" },
					     { 1, false, "iTCO_wdt" } };
	/* readdir's order is not the index's */
	struct watchdog_dev shuffled[] = { { 2, false, "wdat_wdt" },
					   { 1, false, "iTCO_wdt" },
					   { 0, true, "Software Watchdog" } };

	(void)state;
	assert_int_equal(watchdog_pick(two, 2), 0);
	assert_int_equal(watchdog_pick(soft_first, 2), 1);
	assert_int_equal(watchdog_pick(shuffled, 3), 1);
}

static void test_pick_softdog_or_none(void **state)
{
	struct watchdog_dev soft[] = { { 0, true, "Software Watchdog" } };

	(void)state;
	assert_int_equal(watchdog_pick(soft, 1), 0);
	assert_int_equal(watchdog_pick(soft, 0), -1);
}

static bool missing(const char *rec, char *file, char *dev)
{
	return firmware_missing(rec, strlen(rec), file, 128, dev, 96);
}

static void test_firmware_missing(void **state)
{
	char file[128], dev[96];

	(void)state;
	assert_true(missing("4,1234,5678901,-;r8169 0000:02:00.0: Direct "
			    "firmware load for rtl_nic/rtl8168h-2.fw failed "
			    "with error -2\n SUBSYSTEM=pci\n "
			    "DEVICE=+pci:0000:02:00.0\n",
			    file, dev));
	assert_string_equal(file, "rtl_nic/rtl8168h-2.fw");
	assert_string_equal(dev, "r8169 0000:02:00.0");
	/* a USB NIC, and a record without its newline */
	assert_true(missing("4,9,9,c;r8152 2-1:1.0: Direct firmware load for "
			    "rtl_nic/rtl8153a-4.fw failed with error -2",
			    file, dev));
	assert_string_equal(file, "rtl_nic/rtl8153a-4.fw");
	assert_string_equal(dev, "r8152 2-1:1.0");
	/* no device prefix */
	assert_true(missing("4,1,1,-;Direct firmware load for x.bin failed "
			    "with error -2\n",
			    file, dev));
	assert_string_equal(file, "x.bin");
	assert_string_equal(dev, "a driver");
}

static void test_firmware_not_missing(void **state)
{
	char file[128] = "", dev[96] = "";

	(void)state;
	/* another message */
	assert_false(missing("6,1,1,-;e1000e 0000:00:02.0 eth0: NIC Link is "
			     "Up\n",
			     file, dev));
	/* a process wrote it to /dev/kmsg: facility 1, prio 12 */
	assert_false(missing("12,5,5,-;r8169 x: Direct firmware load for "
			     "a.fw failed with error -2\n",
			     file, dev));
	/* the text only in the dictionary, not the message */
	assert_false(missing("6,1,1,-;hello\n X=Direct firmware load for "
			     "a.fw failed with error -2\n",
			     file, dev));
	/* cut short, or no record at all */
	assert_false(
		missing("4,1,1,-;Direct firmware load for a.fw", file, dev));
	assert_false(missing("4,1,1,-;Direct firmware load for  failed with "
			     "error -2",
			     file, dev));
	assert_false(missing("", file, dev));
	assert_false(missing("garbage", file, dev));
	assert_false(missing(",;", file, dev));
}

static void test_firmware_long_name(void **state)
{
	char rec[512], file[16], dev[96];

	(void)state;
	strcpy(rec, "4,1,1,-;d 1: Direct firmware load for ");
	size_t n = strlen(rec);
	memset(rec + n, 'a', 100);
	strcpy(rec + n + 100, " failed with error -2\n");
	/* a file name longer than the buffer is not cut: no match */
	assert_false(firmware_missing(rec, strlen(rec), file, sizeof(file), dev,
				      sizeof(dev)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pick_hardware_first),
		cmocka_unit_test(test_pick_softdog_or_none),
		cmocka_unit_test(test_firmware_missing),
		cmocka_unit_test(test_firmware_not_missing),
		cmocka_unit_test(test_firmware_long_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
