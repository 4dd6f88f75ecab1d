// SPDX-License-Identifier: MIT
/*
 * Stage 1 runs as /init in the initramfs: bring up just enough of the
 * kernel to find the slot's root partition, mount it read-only and hand
 * over to stage 2 on it.
 */
#include "stages.h"
#include "cmdline.h"
#include "config.h"
#include "console.h"
#include "emergency.h"
#include "errmsg.h"
#include "hwprobe.h"
#include "log.h"
#include "modules.h"
#include "partition.h"
#include "util.h"
#include "verity.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#define NEWROOT "/newroot"

static void load_modules(void)
{
	static char list[16384];
	ssize_t n = read_text(MODULES_LIST, list, sizeof(list));

	if (n < 0) {
		log_warn("unable to read module list %s: %s", MODULES_LIST,
			 strerror(-n));
		return;
	}
	int failed = modules_load_list(list, module_load_file, NULL);
	if (failed)
		log_err("%d module(s) failed to load", failed);
}

static int mount_root(const char *src, const char *fstype)
{
	static const char *const fallbacks[] = { "squashfs", "erofs" };
	int r = -EINVAL;

	mkdir(NEWROOT, 0755);
	if (*fstype) {
		if (mount(src, NEWROOT, fstype, MS_RDONLY, NULL) == 0)
			return 0;
		r = -errno;
		log_err("unable to mount %s (%s) on %s: %s", src, fstype,
			NEWROOT, strerror(-r));
		return r;
	}
	for (size_t i = 0; i < sizeof(fallbacks) / sizeof(*fallbacks); i++) {
		if (mount(src, NEWROOT, fallbacks[i], MS_RDONLY, NULL) == 0)
			return 0;
		r = -errno;
	}
	log_err("unable to mount %s read-only as squashfs or erofs: %s", src,
		strerror(-r));
	return r;
}

/*
 * The root goes through dm-verity when the command line names its root
 * hash: a changed block is then an I/O error, never served. src gets the
 * device to mount.
 */
static int open_root(const struct cmdline *cl, const char *dev, char *src,
		     size_t len, char *why, size_t whylen)
{
	struct verity_spec v;
	char part[80];
	const char *reason;
	int r;

	snprintf(part, sizeof(part), "/dev/%s", dev);
	if (!cl->verity[0]) {
		if (CONFIG_KEEL_VERITY)
			return errmsg(why, whylen, -EPERM,
				      "no keel.verity= on the command line: "
				      "refusing to mount %s unverified",
				      part);
		snprintf(src, len, "%s", part);
		return 0;
	}
	if (verity_parse(cl->verity, &v, &reason))
		return errmsg(why, whylen, -EINVAL, "bad keel.verity=%s: %s",
			      cl->verity, reason);
	r = verity_open("keel-root", &v, part, src, len);
	if (r)
		return errmsg_errno(why, whylen, r, -r,
				    "unable to open dm-verity over %s", part);
	/* devtmpfs makes the node as the uevent arrives */
	for (int i = 0; i < 200 && access(src, F_OK); i++)
		usleep(10000);
	log_keel("root %s verified by dm-verity as %s", part, src);
	return 0;
}

/* Free the initramfs' memory: remove everything on its filesystem. */
static void delete_tree(int dirfd, dev_t rootdev)
{
	DIR *d = fdopendir(dirfd);
	struct dirent *de;

	if (!d) {
		close(dirfd);
		return;
	}
	while ((de = readdir(d))) {
		struct stat st;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW))
			continue;
		if (st.st_dev != rootdev)
			continue; /* a mount point, e.g. the new root */
		if (S_ISDIR(st.st_mode)) {
			int fd = openat(dirfd, de->d_name,
					O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
			if (fd >= 0)
				delete_tree(fd, rootdev);
			unlinkat(dirfd, de->d_name, AT_REMOVEDIR);
		} else {
			unlinkat(dirfd, de->d_name, 0);
		}
	}
	closedir(d);
}

static int switch_root(void)
{
	static const char *const moves[] = { "/dev", "/proc", "/sys" };
	struct stat st;
	char target[64];

	for (size_t i = 0; i < sizeof(moves) / sizeof(*moves); i++) {
		snprintf(target, sizeof(target), NEWROOT "%s", moves[i]);
		if (mount(moves[i], target, NULL, MS_MOVE, NULL)) {
			int e = errno;
			log_err("unable to move %s to %s: %s", moves[i], target,
				strerror(e));
			return -e;
		}
	}
	if (chdir(NEWROOT) || stat("/", &st))
		return -errno;
	delete_tree(open("/", O_RDONLY | O_DIRECTORY), st.st_dev);
	if (mount(".", "/", NULL, MS_MOVE, NULL) || chroot(".") || chdir("/")) {
		int e = errno;
		log_err("unable to switch root to %s: %s", NEWROOT,
			strerror(e));
		return -e;
	}
	return 0;
}

void stage1(void)
{
	static char text[4096];
	struct cmdline cl;
	char dev[64], src[80], why[768], parts[512];
	int r;

	mount_at("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755");
	mount_at("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		 NULL);
	mount_at("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		 NULL);
	console_log_open("init");
	log_keel("stage 1 (initramfs) at %.3f s", boot_seconds());

	if (read_text("/proc/cmdline", text, sizeof(text)) < 0)
		text[0] = '\0';
	if (cmdline_parse(text, &cl))
		log_warn("ignoring malformed values on the command line: %s",
			 text);
	emergency_set_override(cl.emergency);
	if (!cl.root[0])
		snprintf(cl.root, sizeof(cl.root), "PARTLABEL=root-a");
	if (!cl.rootfstype[0])
		snprintf(cl.rootfstype, sizeof(cl.rootfstype), "%s",
			 CONFIG_KEEL_ROOTFS_TYPE);
	int wait_s = cl.rootwait >= 0 ? cl.rootwait : CONFIG_KEEL_ROOTWAIT;

	load_modules();
	/* the disk controllers and keyboards this machine has */
	if (hwprobe_open() == 0)
		hwprobe_coldplug();

	for (;;) {
		r = partition_wait(cl.root, wait_s, dev, sizeof(dev));
		why[0] = '\0';
		if (r == 0 &&
		    open_root(&cl, dev, src, sizeof(src), why, sizeof(why)) ==
			    0 &&
		    mount_root(src, cl.rootfstype) == 0 && switch_root() == 0)
			break;
		if (why[0]) {
			/* open_root said why */
		} else if (r) {
			partition_list("/sys/class/block", parts,
				       sizeof(parts));
			snprintf(why, sizeof(why),
				 "unable to find root partition %s: %s "
				 "(waited %d s; partitions: %s)",
				 cl.root,
				 r == -EEXIST ? "more than one has that label"
				 : r == -EINVAL
					 ? "use PARTLABEL=<name> or /dev/<name>"
					 : strerror(-r),
				 wait_s, parts);
		} else {
			snprintf(why, sizeof(why),
				 "unable to start root filesystem on %s", src);
		}
		umount2(NEWROOT, MNT_DETACH);
		emergency(why, 0);
	}

	hwprobe_close();
	console_log_open("init");
	log_keel("root %s (%s) mounted read-only", src, cl.rootfstype);
	char *argv[] = { "/sbin/init", NULL };
	execv(argv[0], argv);
	snprintf(why, sizeof(why), "unable to run stage 2 %s: %s", argv[0],
		 strerror(errno));
	for (;;)
		emergency(why, 0);
}
