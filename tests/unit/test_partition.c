// SPDX-License-Identifier: MIT
/* uevent_value, partition_find and partition_list on a fake sysfs. */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "partition.h"

static const char vda2_uevent[] = "MAJOR=253\n"
				  "MINOR=2\n"
				  "DEVNAME=vda2\n"
				  "DEVTYPE=partition\n"
				  "DISKSEQ=9\n"
				  "PARTN=2\n"
				  "PARTNAME=root-a\n";

static void test_uevent_partname(void **state)
{
	char name[32];

	(void)state;
	assert_int_equal(
		uevent_value(vda2_uevent, "PARTNAME", name, sizeof(name)), 0);
	assert_string_equal(name, "root-a");

	/* last line without a newline, as a short read might leave it */
	assert_int_equal(uevent_value("MAJOR=8\nPARTNAME=esp", "PARTNAME", name,
				      sizeof(name)),
			 0);
	assert_string_equal(name, "esp");

	/* an empty name is a name: GPT allows it */
	assert_int_equal(uevent_value("PARTN=1\nPARTNAME=\n", "PARTNAME", name,
				      sizeof(name)),
			 0);
	assert_string_equal(name, "");
}

static void test_uevent_partname_missing(void **state)
{
	char name[32];

	(void)state;
	/* a whole disk has no PARTNAME */
	assert_int_equal(uevent_value("MAJOR=253\nMINOR=0\nDEVNAME=vda\n"
				      "DEVTYPE=disk\n",
				      "PARTNAME", name, sizeof(name)),
			 -ENOENT);
	assert_int_equal(uevent_value("", "PARTNAME", name, sizeof(name)),
			 -ENOENT);
	/* only at the start of a line */
	assert_int_equal(uevent_value("XPARTNAME=root-a\n", "PARTNAME", name,
				      sizeof(name)),
			 -ENOENT);
}

static void test_uevent_partname_too_long(void **state)
{
	char name[7];

	(void)state;
	assert_int_equal(uevent_value(vda2_uevent, "PARTNAME", name, 6),
			 -ENAMETOOLONG);
	assert_int_equal(
		uevent_value(vda2_uevent, "PARTNAME", name, sizeof(name)), 0);
	assert_string_equal(name, "root-a");
}

/* Any key, whole: grow.c finds a partition's disk by DEVNAME and MAJOR. */
static void test_uevent_value_keys(void **state)
{
	char val[32];

	(void)state;
	assert_int_equal(uevent_value(vda2_uevent, "DEVNAME", val, sizeof(val)),
			 0);
	assert_string_equal(val, "vda2");
	assert_int_equal(uevent_value(vda2_uevent, "MAJOR", val, sizeof(val)),
			 0);
	assert_string_equal(val, "253");
	/* a key is the whole name before '=': PARTN is not PARTNAME */
	assert_int_equal(uevent_value(vda2_uevent, "PARTN", val, sizeof(val)),
			 0);
	assert_string_equal(val, "2");
	assert_int_equal(
		uevent_value("PARTNAME=root-a\n", "PARTN", val, sizeof(val)),
		-ENOENT);
	assert_int_equal(uevent_value(vda2_uevent, "DEV", val, sizeof(val)),
			 -ENOENT);
}

/* The fake /sys/class/block, made fresh for each test. */
struct fake_sysfs {
	char root[PATH_MAX];
};

static void add_dev(const char *root, const char *dev, const char *partname)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, dev);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/%s/uevent", root, dev);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "MAJOR=253\nMINOR=0\nDEVNAME=%s\n", dev);
	if (partname)
		fprintf(f, "DEVTYPE=partition\nPARTN=%s\nPARTNAME=%s\n",
			dev + strlen(dev) - 1, partname);
	else
		fprintf(f, "DEVTYPE=disk\n");
	assert_int_equal(fclose(f), 0);
}

static void del_dev(const char *root, const char *dev)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s/uevent", root, dev);
	unlink(path);
	snprintf(path, sizeof(path), "%s/%s", root, dev);
	rmdir(path);
}

static const char *const devs[] = { "vda", "vda1", "vda2", "vda3", "vda4" };

static int setup(void **state)
{
	struct fake_sysfs *fs = calloc(1, sizeof(*fs));

	if (!fs)
		return -1;
	snprintf(fs->root, sizeof(fs->root), "%s/keel-sysfs-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(fs->root)) {
		free(fs);
		return -1;
	}
	add_dev(fs->root, "vda", NULL);
	add_dev(fs->root, "vda1", "esp");
	add_dev(fs->root, "vda2", "root-a");
	add_dev(fs->root, "vda3", "root-b");
	add_dev(fs->root, "vda4", "data");
	*state = fs;
	return 0;
}

static int teardown(void **state)
{
	struct fake_sysfs *fs = *state;

	for (size_t i = 0; i < sizeof(devs) / sizeof(devs[0]); i++)
		del_dev(fs->root, devs[i]);
	del_dev(fs->root, "vdb1");
	rmdir(fs->root);
	free(fs);
	return 0;
}

static void test_find_label(void **state)
{
	struct fake_sysfs *fs = *state;
	char dev[16];

	assert_int_equal(
		partition_find(fs->root, "PARTLABEL=root-a", dev, sizeof(dev)),
		0);
	assert_string_equal(dev, "vda2");
	assert_int_equal(
		partition_find(fs->root, "PARTLABEL=data", dev, sizeof(dev)),
		0);
	assert_string_equal(dev, "vda4");
	/* the result must fit the caller's buffer */
	assert_int_equal(partition_find(fs->root, "PARTLABEL=data", dev, 4),
			 -ENAMETOOLONG);
}

static void test_find_label_missing(void **state)
{
	struct fake_sysfs *fs = *state;
	char dev[16];

	assert_int_equal(
		partition_find(fs->root, "PARTLABEL=root-c", dev, sizeof(dev)),
		-ENOENT);
	/* a prefix of a label is not the label */
	assert_int_equal(
		partition_find(fs->root, "PARTLABEL=root", dev, sizeof(dev)),
		-ENOENT);
}

static void test_find_label_duplicate(void **state)
{
	struct fake_sysfs *fs = *state;
	char dev[16];

	add_dev(fs->root, "vdb1", "root-a");
	assert_int_equal(
		partition_find(fs->root, "PARTLABEL=root-a", dev, sizeof(dev)),
		-EEXIST);
	/* the other labels are still unique */
	assert_int_equal(
		partition_find(fs->root, "PARTLABEL=root-b", dev, sizeof(dev)),
		0);
	assert_string_equal(dev, "vda3");
}

static void test_find_devpath(void **state)
{
	struct fake_sysfs *fs = *state;
	char dev[16];

	assert_int_equal(
		partition_find(fs->root, "/dev/vda2", dev, sizeof(dev)), 0);
	assert_string_equal(dev, "vda2");
	assert_int_equal(
		partition_find(fs->root, "/dev/vdz9", dev, sizeof(dev)),
		-ENOENT);
}

static void test_find_malformed(void **state)
{
	struct fake_sysfs *fs = *state;
	char dev[16];

	assert_int_equal(
		partition_find(fs->root, "PARTLABEL=", dev, sizeof(dev)),
		-EINVAL);
	assert_int_equal(
		partition_find(fs->root, "LABEL=root-a", dev, sizeof(dev)),
		-EINVAL);
	assert_int_equal(partition_find(fs->root, "vda2", dev, sizeof(dev)),
			 -EINVAL);
	assert_int_equal(partition_find(fs->root, "", dev, sizeof(dev)),
			 -EINVAL);
	assert_int_equal(partition_find(fs->root, "/dev/", dev, sizeof(dev)),
			 -EINVAL);
	/* no climbing out of sysfs through the device name */
	assert_int_equal(
		partition_find(fs->root, "/dev/../vda2", dev, sizeof(dev)),
		-EINVAL);
	assert_int_equal(
		partition_find(fs->root, "/dev/mapper/x", dev, sizeof(dev)),
		-EINVAL);
}

static const char *const entries[] = { "vda", "vda1(esp)", "vda2(root-a)",
				       "vda3(root-b)", "vda4(data)" };

/* Each word of buf must be a whole entry we made; returns how many. */
static int check_entries(const char *buf)
{
	char copy[256], *save, *w;
	int n = 0;

	assert_true(strlen(buf) < sizeof(copy));
	strcpy(copy, buf);
	for (w = strtok_r(copy, " ", &save); w;
	     w = strtok_r(NULL, " ", &save)) {
		size_t i;

		for (i = 0; i < sizeof(entries) / sizeof(entries[0]); i++)
			if (!strcmp(w, entries[i]))
				break;
		if (i == sizeof(entries) / sizeof(entries[0]))
			fail_msg("unexpected entry '%s' in '%s'", w, buf);
		n++;
	}
	return n;
}

static void test_list(void **state)
{
	struct fake_sysfs *fs = *state;
	char buf[256];

	partition_list(fs->root, buf, sizeof(buf));
	for (size_t i = 0; i < sizeof(entries) / sizeof(entries[0]); i++)
		assert_non_null(strstr(buf, entries[i]));
	/* five whole entries, one space between each, nothing else */
	assert_int_equal(check_entries(buf), 5);
	/* in name order, whatever order sysfs lists them in */
	assert_string_equal(buf, "vda vda1(esp) vda2(root-a) vda3(root-b) "
				 "vda4(data)");
}

static void test_list_truncated(void **state)
{
	struct fake_sysfs *fs = *state;
	char buf[16];

	/*
	 * Every entry fits alone (the longest is 12) but no three do, so
	 * one or two whole entries must come back, never half of one.
	 */
	partition_list(fs->root, buf, sizeof(buf));
	int n = check_entries(buf);
	assert_in_range(n, 1, 2);
	assert_int_not_equal(buf[strlen(buf) - 1], ' ');
}

static void test_list_empty(void **state)
{
	char dir[PATH_MAX], buf[64];

	(void)state;
	snprintf(dir, sizeof(dir), "%s/keel-empty-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	assert_non_null(mkdtemp(dir));
	partition_list(dir, buf, sizeof(buf));
	assert_string_equal(buf, "none");
	assert_int_equal(rmdir(dir), 0);

	/* a sysfs that is not there at all */
	partition_list(dir, buf, sizeof(buf));
	assert_string_equal(buf, "none");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uevent_partname),
		cmocka_unit_test(test_uevent_partname_missing),
		cmocka_unit_test(test_uevent_partname_too_long),
		cmocka_unit_test(test_uevent_value_keys),
		cmocka_unit_test_setup_teardown(test_find_label, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_find_label_missing, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_find_label_duplicate,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_find_devpath, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_find_malformed, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_truncated, setup,
						teardown),
		cmocka_unit_test(test_list_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
