// SPDX-License-Identifier: MIT
/* Host setup helpers, log files and the ext4 size probe. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "data.h"
#include "hostsetup.h"
#include "logfile.h"

static void test_machine_id(void **state)
{
	(void)state;
	assert_true(machine_id_valid("0123456789abcdef0123456789abcdef"));
	assert_true(machine_id_valid("0123456789abcdef0123456789abcdef\n"));
	assert_false(machine_id_valid("0123456789ABCDEF0123456789abcdef"));
	assert_false(machine_id_valid("0123456789abcdef0123456789abcde"));
	assert_false(machine_id_valid("0123456789abcdef0123456789abcdef0"));
	assert_false(machine_id_valid(""));
}

static void test_sysctl_line(void **state)
{
	char line[128], path[96], *value;

	(void)state;
	strcpy(line, "  net.ipv4.ip_forward =  1  ");
	assert_int_equal(sysctl_parse_line(line, path, sizeof(path), &value),
			 1);
	assert_string_equal(path, "/proc/sys/net/ipv4/ip_forward");
	assert_string_equal(value, "1");

	strcpy(line, "kernel/panic=10");
	assert_int_equal(sysctl_parse_line(line, path, sizeof(path), &value),
			 1);
	assert_string_equal(path, "/proc/sys/kernel/panic");

	strcpy(line, "net.ipv4.ip_local_port_range = 1024 65000");
	assert_int_equal(sysctl_parse_line(line, path, sizeof(path), &value),
			 1);
	assert_string_equal(value, "1024 65000");

	const char *skip[] = { "", "   ", "# comment", "; comment" };
	for (size_t i = 0; i < 4; i++) {
		strcpy(line, skip[i]);
		assert_int_equal(
			sysctl_parse_line(line, path, sizeof(path), &value), 0);
	}
	const char *bad[] = { "no equals sign",	  "= 1",
			      "../../etc/x = 1",  "/kernel/panic = 1",
			      "kernel panic = 1", "kernel..panic = 1" };
	for (size_t i = 0; i < 6; i++) {
		strcpy(line, bad[i]);
		if (sysctl_parse_line(line, path, sizeof(path), &value) !=
		    -EINVAL)
			fail_msg("accepted '%s'", bad[i]);
	}
	/* a key that does not fit the path buffer is refused, not cut */
	strcpy(line, "a.very.long.key.that.goes.on = 1");
	assert_int_equal(sysctl_parse_line(line, path, 20, &value), -EINVAL);
}

static char dir[64];

static int setup_dir(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/keel-logfile-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown_dir(void **state)
{
	char cmd[96];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static long file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) ? -1 : st.st_size;
}

static void test_rotation(void **state)
{
	struct logfile lf;
	char path[96], p1[100], p2[100], p3[100], line[64];

	(void)state;
	snprintf(path, sizeof(path), "%s/svc.log", dir);
	snprintf(p1, sizeof(p1), "%s.1", path);
	snprintf(p2, sizeof(p2), "%s.2", path);
	snprintf(p3, sizeof(p3), "%s.3", path);
	logfile_init(&lf, path, 1000, 2);
	for (int i = 0; i < 200; i++) {
		int n = snprintf(line, sizeof(line), "line %03d ........\n", i);
		assert_int_equal(logfile_write(&lf, line, n), 0);
	}
	logfile_close(&lf);
	assert_true(file_size(path) > 0 && file_size(path) <= 1000);
	assert_true(file_size(p1) > 0 && file_size(p1) <= 1000);
	assert_true(file_size(p2) > 0 && file_size(p2) <= 1000);
	assert_int_equal(file_size(p3), -1);

	/* the newest line is last in the current file */
	FILE *f = fopen(path, "r");
	char buf[1100] = "";
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	assert_non_null(strstr(buf, "line 199"));

	/* reopening appends to what is there */
	long before = file_size(path);
	logfile_init(&lf, path, 1000000, 2);
	assert_int_equal(logfile_write(&lf, "x\n", 2), 0);
	logfile_close(&lf);
	assert_int_equal(file_size(path), before + 2);
}

static void test_full_disk(void **state)
{
	struct logfile lf;
	char path[96], buf[256];

	(void)state;
	/* /dev/full answers every write with ENOSPC */
	logfile_init(&lf, "/dev/full", 0, 0);
	assert_int_equal(logfile_write(&lf, "a\nb\n", 4), -ENOSPC);
	assert_int_equal(logfile_write(&lf, "c", 1), -ENOSPC);
	assert_int_equal(lf.dropped, 3);
	assert_int_equal(lf.dropped_total, 3);

	/* the disk has room again: the loss is written down first */
	snprintf(path, sizeof(path), "%s/full.log", dir);
	snprintf(lf.path, sizeof(lf.path), "%s", path);
	logfile_close(&lf);
	assert_int_equal(logfile_write(&lf, "d\n", 2), 0);
	logfile_close(&lf);
	int fd = open(path, O_RDONLY);
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n] = '\0';
	assert_string_equal(buf, "[init: dropped 3 lines: No space left on "
				 "device]\nd\n");
	assert_int_equal(lf.dropped, 0);
	assert_int_equal(lf.dropped_total, 3);
}

static void test_ext4_size(void **state)
{
	unsigned char buf[DATA_PROBE_LEN];
	char img[96], cmd[192];

	(void)state;
	memset(buf, 0, sizeof(buf));
	assert_int_equal(ext4_fs_bytes(buf, sizeof(buf)), -1);

	snprintf(img, sizeof(img), "%s/fs.img", dir);
	snprintf(cmd, sizeof(cmd),
		 "mke2fs -q -F -t ext4 -b 4096 %s 48M >/dev/null 2>&1", img);
	assert_int_equal(system(cmd), 0);
	int fd = open(img, O_RDONLY);
	assert_true(read(fd, buf, sizeof(buf)) == sizeof(buf));
	close(fd);
	assert_int_equal(ext4_fs_bytes(buf, sizeof(buf)), 48LL << 20);
	/* too short to hold the fields */
	assert_int_equal(ext4_fs_bytes(buf, 1100), -1);
	/* an absurd block size is refused */
	buf[1024 + 0x18] = 20;
	assert_int_equal(ext4_fs_bytes(buf, sizeof(buf)), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_machine_id),
		cmocka_unit_test(test_sysctl_line),
		cmocka_unit_test(test_rotation),
		cmocka_unit_test(test_full_disk),
		cmocka_unit_test(test_ext4_size),
	};
	return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
