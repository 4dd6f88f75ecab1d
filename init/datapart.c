// SPDX-License-Identifier: MIT
#include "datapart.h"
#include "data.h"
#include "errmsg.h"
#include "grow.h"
#include "log.h"
#include "partition.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

static unsigned char probe_buf[DATA_PROBE_LEN];

static int probe_partition(const char *dev, enum data_kind *kind,
			   long long *fs_bytes, long long *part_bytes)
{
	size_t used = 0;
	unsigned long long size = 0;
	int fd = open(dev, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while (used < sizeof(probe_buf)) {
		ssize_t n =
			read(fd, probe_buf + used, sizeof(probe_buf) - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		used += n;
	}
	if (ioctl(fd, BLKGETSIZE64, &size))
		size = 0;
	close(fd);
	*kind = data_probe(probe_buf, used);
	*fs_bytes = ext4_fs_bytes(probe_buf, used);
	*part_bytes = (long long)size;
	return 0;
}

/* Online growth: ext4 resizes under the journal, so a cut is safe. */
static void grow_filesystem(const char *dev, long long fs, long long part)
{
	char *argv[] = { "/sbin/resize2fs", (char *)dev, NULL };

	log_keel("data: growing the filesystem on %s from %lld to %lld MiB",
		 dev, fs >> 20, part >> 20);
	int r = run_quiet(argv);
	if (r)
		log_err("unable to grow the filesystem on %s: resize2fs exit "
			"%d",
			dev, r);
}

static void var_layout(void)
{
	mkdir("/var/log", 0755);
	mkdir("/var/lib", 0755);
	mkdir("/var/lib/keel", 0755);
}

/* Mount the data partition on /var; on failure write the reason to why. */
int data_mount(const char *spec, int wait_s, char *why, size_t len)
{
	char name[64], dev[80], parts[512], msg[256];
	long long fs_bytes, part_bytes;
	enum data_kind kind = DATA_UNKNOWN;
	const char *verdict;
	int r;

	r = partition_wait(spec, wait_s, name, sizeof(name));
	if (r) {
		partition_list("/sys/class/block", parts, sizeof(parts));
		return errmsg(why, len, r,
			      "unable to find data partition %s: %s "
			      "(partitions: %s)",
			      spec, strerror(-r), parts);
	}
	snprintf(dev, sizeof(dev), "/dev/%s", name);
	r = data_grow(name, msg, sizeof(msg));
	if (r > 0)
		log_keel("data: %s", msg);
	else if (r == 0)
		log_info("data: %s", msg);
	else if (r < 0)
		log_err("unable to grow data partition %s: %s", dev, msg);
	r = probe_partition(dev, &kind, &fs_bytes, &part_bytes);
	if (r)
		return errmsg_errno(why, len, r, -r,
				    "unable to read data partition %s", dev);

	if (kind == DATA_BLANK) {
		char *mkfs[] = { "/sbin/mke2fs", "-q",	 "-t", "ext4",
				 "-L",		 "data", dev,  NULL };
		log_keel("data: first boot, creating ext4 on %s", dev);
		r = run_wait(mkfs);
		if (r)
			return errmsg(why, len, -EIO,
				      "unable to create ext4 on data partition "
				      "%s: mke2fs exit %d",
				      dev, r);
		log_keel("data: created ext4 filesystem on %s", dev);
	} else {
		char *fsck[] = { "/sbin/e2fsck", "-p", dev, NULL };
		if (kind == DATA_UNKNOWN)
			log_warn("data partition %s has no ext4 superblock; "
				 "asking e2fsck to find a backup",
				 dev);
		r = run_wait(fsck);
		enum fsck_verdict v = fsck_judge(r, &verdict);
		if (v == FSCK_FAILED)
			return errmsg(why, len, -EIO,
				      "unable to repair data partition %s: "
				      "e2fsck -p exit %d, %s (try 'e2fsck -f "
				      "%s')",
				      dev, r, verdict, dev);
		log_keel("data: %s %s (e2fsck -p exit %d)", dev, verdict, r);
	}

	/*
	 * nosuid, nodev: what lands here (images, containers' writable
	 * layers, volumes) comes from containers and registries; a setuid
	 * file or a device node one of them made gives a host user nothing
	 */
	r = mount_at(dev, "/var", "ext4", MS_NOATIME | MS_NOSUID | MS_NODEV,
		     NULL);
	if (r)
		return errmsg_errno(why, len, r, -r,
				    "unable to mount data partition %s on /var",
				    dev);
	/* a filesystem left smaller than its partition: grown, or cut short */
	if (kind == DATA_BLANK)
		probe_partition(dev, &kind, &fs_bytes, &part_bytes);
	if (fs_bytes > 0 && part_bytes - fs_bytes >= (1 << 20))
		grow_filesystem(dev, fs_bytes, part_bytes);
	var_layout();
	return 0;
}

int data_mount_tmpfs(void)
{
	int r = mount_at("tmpfs", "/var", "tmpfs", MS_NOSUID | MS_NODEV,
			 "mode=0755");

	if (!r)
		var_layout();
	return r;
}
