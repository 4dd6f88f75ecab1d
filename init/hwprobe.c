// SPDX-License-Identifier: MIT
#include "hwprobe.h"
#include "file.h"
#include "log.h"
#include "modalias.h"
#include "modules.h"

#include <dirent.h>
#include <errno.h>
#include <linux/netlink.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>

/*
 * The candidates' files, read once: a board's lists have about a
 * thousand alias lines (PCI ids mostly), some 60 KiB. PID 1 holds no
 * heap: fixed buffers, and a file that does not fit is an error.
 */
static char alias_text[256 * 1024];
static char dep_text[32 * 1024];
static char moddir[96];
static int uevent_fd = -1;
static bool have_index;

static int read_index(const char *name, char *buf, size_t len)
{
	char path[160];
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s", moddir, name);
	n = read_text(path, buf, len);
	if (n == (ssize_t)len - 1) {
		log_err("unable to read %s: larger than %zu bytes", path,
			len - 1);
		return -EFBIG;
	}
	if (n < 0 && n != -ENOENT)
		log_err("unable to read %s: %s", path, strerror((int)-n));
	return n < 0 ? (int)n : 0;
}

/* A large buffer: loading a driver may add hundreds of devices at once. */
static int uevent_open(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = 1 };
	int size = 1 << 20;
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
			NETLINK_KOBJECT_UEVENT);

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

int hwprobe_open(void)
{
	struct utsname u;
	int r;

	if (uname(&u))
		return -errno;
	snprintf(moddir, sizeof(moddir), "/lib/modules/%s", u.release);
	r = read_index("modules.alias", alias_text, sizeof(alias_text));
	if (!r)
		r = read_index("modules.dep", dep_text, sizeof(dep_text));
	if (r)
		return r;
	have_index = true;
	/* before the first look at sysfs: nothing added after it is missed */
	uevent_fd = uevent_open();
	if (uevent_fd < 0)
		log_err("unable to listen for uevents: %s; only devices there "
			"now get their drivers",
			strerror(-uevent_fd));
	return 0;
}

static bool module_loaded(const char *name)
{
	char path[96];

	snprintf(path, sizeof(path), "/sys/module/%s", name);
	return access(path, F_OK) == 0;
}

static int load_path(const char *rel, void *ctx)
{
	char name[MODULE_NAME_MAX], path[sizeof(moddir) + MODULE_PATH_MAX];

	(void)ctx;
	if (module_name_of(rel, name, sizeof(name)) == 0 && module_loaded(name))
		return 0;
	snprintf(path, sizeof(path), "%s/%s", moddir, rel);
	int r = module_load_file(path, NULL);
	/* a softdep for a CPU this is not (crct10dif-pclmul): load on */
	return r == -ENODEV ? 0 : r;
}

int hwprobe_load_name(const char *name)
{
	int r;

	if (!have_index)
		return -ENOENT;
	r = moddep_load_order(dep_text, name, load_path, NULL);
	if (r == -ENOENT)
		log_err("unable to load module %s: not in %s/modules.dep", name,
			moddir);
	return r;
}

static int load_match(const char *module, void *ctx)
{
	char name[MODULE_NAME_MAX];

	if (module_name_of(module, name, sizeof(name)) || module_loaded(name))
		return 0;
	/* module_load_file said what failed */
	if (hwprobe_load_name(name) == 0)
		log_info("loaded %s for %s", name, (const char *)ctx);
	return 0;
}

static void device_found(const char *modalias)
{
	if (modalias_valid(modalias))
		modalias_match(alias_text, modalias, load_match,
			       (void *)modalias);
}

static void scan_bus(const char *bus)
{
	char path[256], modalias[256];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "/sys/bus/%s/devices", bus);
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		int n = snprintf(path, sizeof(path),
				 "/sys/bus/%s/devices/%s/modalias", bus,
				 de->d_name);
		if (n < 0 || (size_t)n >= sizeof(path) ||
		    read_text(path, modalias, sizeof(modalias)) <= 0)
			continue;
		modalias[strcspn(modalias, "\n")] = '\0';
		device_found(modalias);
	}
	closedir(d);
}

/*
 * Every device with a modalias sits on a bus, and /sys/bus/<bus>/devices
 * links each: two levels to read, where /sys/devices is a deep tree.
 */
static void scan_all(void)
{
	struct dirent *de;
	DIR *d = opendir("/sys/bus");

	if (!d) {
		log_err("unable to read /sys/bus: %s", strerror(errno));
		return;
	}
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			scan_bus(de->d_name);
	closedir(d);
}

void hwprobe_coldplug(void)
{
	if (!have_index)
		return;
	scan_all();
	hwprobe_events();
}

int hwprobe_fd(void)
{
	return uevent_fd;
}

/* One uevent; false when none is waiting. */
static bool read_uevent(bool *lost)
{
	static char buf[8192 + 1];
	struct sockaddr_nl sa;
	struct iovec iov = { buf, sizeof(buf) - 1 };
	struct msghdr mh = { .msg_name = &sa,
			     .msg_namelen = sizeof(sa),
			     .msg_iov = &iov,
			     .msg_iovlen = 1 };
	ssize_t n = recvmsg(uevent_fd, &mh, MSG_DONTWAIT);

	if (n < 0) {
		if (errno == ENOBUFS)
			*lost = true;
		return errno == ENOBUFS || errno == EINTR;
	}
	/* the kernel's own (pid 0), never another process's */
	if (sa.nl_pid != 0 || n == 0)
		return true;
	buf[n] = '\0';
	const char *modalias = uevent_modalias(buf, (size_t)n);
	if (modalias)
		device_found(modalias);
	return true;
}

void hwprobe_events(void)
{
	/* a lost uevent's device is still in sysfs: look again, once */
	for (int pass = 0; pass < 2 && uevent_fd >= 0; pass++) {
		bool lost = false;
		while (read_uevent(&lost))
			;
		if (!lost)
			return;
		log_warn("uevents lost (buffer full); looking at every device "
			 "again");
		scan_all();
	}
}

void hwprobe_wait(int ms)
{
	struct pollfd p = { .fd = uevent_fd, .events = POLLIN };

	if (uevent_fd < 0) {
		usleep(ms * 1000);
		return;
	}
	if (poll(&p, 1, ms) > 0)
		hwprobe_events();
}

void hwprobe_close(void)
{
	if (uevent_fd >= 0)
		close(uevent_fd);
	uevent_fd = -1;
	have_index = false;
}
