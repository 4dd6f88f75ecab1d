// SPDX-License-Identifier: MIT
/*
 * Stage 2 runs as PID 1 on the read-only root: the kernel filesystems,
 * /var on the data partition, then the services, then the event loop
 * until a signal asks for shutdown.
 */
#include "stages.h"
#include "cmdline.h"
#include "config.h"
#include "data.h"
#include "emergency.h"
#include "log.h"
#include "partition.h"
#include "shutdown.h"
#include "supervise.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct {
	const char *src, *target, *type;
	unsigned long flags;
	const char *data;
} early_mounts[] = {
	{ "proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL },
	{ "sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL },
	{ "devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755" },
	{ "devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
	  "gid=5,mode=620,ptmxmode=666" },
	{ "tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777" },
	{ "tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755" },
	{ "tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777" },
	{ "cgroup2", "/sys/fs/cgroup", "cgroup2",
	  MS_NOSUID | MS_NODEV | MS_NOEXEC, "nsdelegate" },
};

static int early_mount(void)
{
	int failed = 0;

	for (size_t i = 0; i < sizeof(early_mounts) / sizeof(*early_mounts);
	     i++) {
		if (is_mountpoint(early_mounts[i].target))
			continue; /* moved here by stage 1 */
		if (mount_at(early_mounts[i].src, early_mounts[i].target,
			     early_mounts[i].type, early_mounts[i].flags,
			     early_mounts[i].data))
			failed++;
	}
	return failed;
}

static int probe_partition(const char *dev, enum data_kind *kind)
{
	static unsigned char buf[DATA_PROBE_LEN];
	size_t used = 0;
	int fd = open(dev, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while (used < sizeof(buf)) {
		ssize_t n = read(fd, buf + used, sizeof(buf) - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		used += n;
	}
	close(fd);
	*kind = data_probe(buf, used);
	return 0;
}

/* Mount the data partition on /var; on failure write the reason to why. */
static int mount_data(const char *spec, int wait_s, char *why, size_t len)
{
	char name[64], dev[80], parts[512];
	enum data_kind kind = DATA_UNKNOWN;
	const char *verdict;
	double until = boot_seconds() + wait_s;
	int r;

	while ((r = partition_find("/sys/class/block", spec, name,
				   sizeof(name))) == -ENOENT &&
	       boot_seconds() < until)
		usleep(20000);
	if (r) {
		partition_list("/sys/class/block", parts, sizeof(parts));
		snprintf(
			why, len,
			"unable to find data partition %s: %s (partitions: %s)",
			spec, strerror(-r), parts);
		return r;
	}
	snprintf(dev, sizeof(dev), "/dev/%s", name);
	r = probe_partition(dev, &kind);
	if (r) {
		snprintf(why, len, "unable to read data partition %s: %s", dev,
			 strerror(-r));
		return r;
	}

	if (kind == DATA_BLANK) {
		char *mkfs[] = { "/sbin/mke2fs", "-q",	 "-t", "ext4",
				 "-L",		 "data", dev,  NULL };
		log_keel("data: first boot, creating ext4 on %s", dev);
		r = run_wait(mkfs);
		if (r) {
			snprintf(why, len,
				 "unable to create ext4 on data partition %s: "
				 "mke2fs exit %d",
				 dev, r);
			return -EIO;
		}
		log_keel("data: created ext4 filesystem on %s", dev);
	} else {
		char *fsck[] = { "/sbin/e2fsck", "-p", dev, NULL };
		if (kind == DATA_UNKNOWN)
			log_warn("data partition %s has no ext4 superblock; "
				 "asking e2fsck to find a backup",
				 dev);
		r = run_wait(fsck);
		enum fsck_verdict v = fsck_judge(r, &verdict);
		if (v == FSCK_FAILED) {
			snprintf(why, len,
				 "unable to repair data partition %s: e2fsck "
				 "-p exit %d, %s; "
				 "run 'e2fsck -f %s' here, then exit to retry",
				 dev, r, verdict, dev);
			return -EIO;
		}
		log_keel("data: %s %s (e2fsck -p exit %d)", dev, verdict, r);
	}

	if (mount_at(dev, "/var", "ext4", MS_NOATIME, NULL)) {
		snprintf(why, len, "unable to mount data partition %s on /var",
			 dev);
		return -EIO;
	}
	mkdir("/var/log", 0755);
	mkdir("/var/lib", 0755);
	mkdir("/var/lib/keel", 0755);
	return 0;
}

/* The image's /etc/hostname; per-machine names come with the config. */
static void set_hostname(void)
{
	char name[65];
	ssize_t n = read_text("/etc/hostname", name, sizeof(name));

	if (n <= 0)
		return;
	name[strcspn(name, " \t\r\n")] = '\0';
	if (name[0] && sethostname(name, strlen(name)))
		log_warn("unable to set hostname %s: %s", name,
			 strerror(errno));
}

static int signals_open(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

static void __attribute__((noreturn)) event_loop(int sfd)
{
	struct pollfd pfd = { .fd = sfd, .events = POLLIN };
	struct signalfd_siginfo si;

	for (;;) {
		int r = poll(&pfd, 1, services_timeout_ms());
		if (r < 0 && errno != EINTR)
			log_err("unable to poll: %s", strerror(errno));
		while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
			enum shutdown_kind how =
				shutdown_for_signal(si.ssi_signo);
			if (how != SHUTDOWN_NONE)
				shutdown_system(how);
		}
		services_reap();
		services_tick();
	}
}

void stage2(void)
{
	static char text[4096];
	struct cmdline cl;
	char why[512];
	int sfd;

	/* Until a signalfd exists, signals must not kill or stop PID 1. */
	sfd = signals_open();
	early_mount();
	log_open("init");
	log_keel("stage 2 (root) at %.3f s", boot_seconds());
	/* ctrl-alt-del becomes SIGINT for us instead of an instant reboot. */
	reboot(RB_DISABLE_CAD);
	if (sfd < 0)
		log_err("unable to create signalfd: %s", strerror(errno));

	if (read_text("/proc/cmdline", text, sizeof(text)) < 0)
		text[0] = '\0';
	cmdline_parse(text, &cl);
	emergency_set_override(cl.emergency);
	if (!cl.data[0])
		snprintf(cl.data, sizeof(cl.data), "PARTLABEL=data");
	int wait_s = cl.rootwait >= 0 ? cl.rootwait : CONFIG_KEEL_ROOTWAIT;

	while (mount_data(cl.data, wait_s, why, sizeof(why)))
		emergency(why);
	set_hostname();

	if (services_load(SERVICE_DIR) <= 0)
		log_warn("no services in %s", SERVICE_DIR);
	services_start_all();
	log_keel("ready at %.3f s since kernel start", boot_seconds());

	event_loop(sfd);
}
