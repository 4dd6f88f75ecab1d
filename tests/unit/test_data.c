// SPDX-License-Identifier: MIT
/* data_probe and fsck_judge: when init may format or mount /var. */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "data.h"

static unsigned char buf[DATA_PROBE_LEN];

static void test_blank(void **state)
{
	(void)state;
	memset(buf, 0, sizeof(buf));
	assert_int_equal(data_probe(buf, sizeof(buf)), DATA_BLANK);
	/* short of the superblock, zeros are still zeros */
	assert_int_equal(data_probe(buf, 1), DATA_BLANK);
}

static void test_zero_length(void **state)
{
	(void)state;
	/* nothing read proves nothing: never format on it */
	memset(buf, 0, sizeof(buf));
	assert_int_equal(data_probe(buf, 0), DATA_UNKNOWN);
}

static void test_magic(void **state)
{
	(void)state;
	memset(buf, 0, sizeof(buf));
	buf[1080] = 0x53;
	buf[1081] = 0xEF;
	assert_int_equal(data_probe(buf, sizeof(buf)), DATA_EXT4);
	assert_int_equal(data_probe(buf, 1082), DATA_EXT4);
	/* the magic cut off by a short read is not the magic */
	assert_int_equal(data_probe(buf, 1081), DATA_UNKNOWN);

	/* the wrong byte order is not ext4 */
	buf[1080] = 0xEF;
	buf[1081] = 0x53;
	assert_int_equal(data_probe(buf, sizeof(buf)), DATA_UNKNOWN);
}

static void test_garbage(void **state)
{
	uint32_t x = 2463534242u;

	(void)state;
	/* xorshift: fixed, so the test cannot flake on a chance magic */
	for (size_t i = 0; i < sizeof(buf); i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		buf[i] = x;
	}
	buf[1080] = 0xaa;
	assert_int_equal(data_probe(buf, sizeof(buf)), DATA_UNKNOWN);

	/* one stray byte at the very end is enough to leave it alone */
	memset(buf, 0, sizeof(buf));
	buf[sizeof(buf) - 1] = 1;
	assert_int_equal(data_probe(buf, sizeof(buf)), DATA_UNKNOWN);
}

static void test_real_ext4(void **state)
{
	char dir[PATH_MAX], img[PATH_MAX + 16], log[PATH_MAX + 16];
	char cmd[3 * PATH_MAX], msg[256] = "";
	FILE *f;
	size_t n;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/keel-data-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	assert_non_null(mkdtemp(dir));
	snprintf(img, sizeof(img), "%s/data.img", dir);
	snprintf(log, sizeof(log), "%s/mke2fs.log", dir);
	/* mke2fs warns that 1M has no room for a journal; keep it quiet */
	snprintf(cmd, sizeof(cmd),
		 "PATH=$PATH:/sbin:/usr/sbin mke2fs -q -t ext4 -F '%s' 1M "
		 ">'%s' 2>&1",
		 img, log);
	int rc = system(cmd);

	f = fopen(log, "r");
	if (f) {
		msg[fread(msg, 1, sizeof(msg) - 1, f)] = '\0';
		fclose(f);
	}
	memset(buf, 0, sizeof(buf));
	f = fopen(img, "rb");
	n = f ? fread(buf, 1, sizeof(buf), f) : 0;
	if (f)
		fclose(f);
	unlink(log);
	unlink(img);
	rmdir(dir);

	if (rc != 0)
		fail_msg("mke2fs failed (%d): %s", rc, msg);
	assert_int_equal(n, sizeof(buf));
	assert_int_equal(data_probe(buf, n), DATA_EXT4);
}

static void test_fsck_judge(void **state)
{
	static const struct {
		int code;
		enum fsck_verdict want;
		const char *why;
	} cases[] = {
		{ 0, FSCK_CLEAN, "clean" },
		{ 1, FSCK_FIXED, "errors corrected" },
		{ 2, FSCK_FIXED, "errors corrected, reboot advised" },
		{ 3, FSCK_FIXED, "errors corrected, reboot advised" },
		{ 4, FSCK_FAILED, "errors left uncorrected" },
		{ 8, FSCK_FAILED,
		  "e2fsck operational error (no usable filesystem?)" },
		/* the worse bit names the failure */
		{ 12, FSCK_FAILED,
		  "e2fsck operational error (no usable filesystem?)" },
		{ 16, FSCK_FAILED, "e2fsck usage error" },
		{ 32, FSCK_FAILED, "e2fsck canceled" },
		{ 128, FSCK_FAILED, "e2fsck: shared library error" },
		{ -1, FSCK_FAILED, "e2fsck did not run" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *why = NULL;

		assert_int_equal(fsck_judge(cases[i].code, &why),
				 cases[i].want);
		assert_non_null(why);
		assert_string_equal(why, cases[i].why);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blank),
		cmocka_unit_test(test_zero_length),
		cmocka_unit_test(test_magic),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_real_ext4),
		cmocka_unit_test(test_fsck_judge),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
