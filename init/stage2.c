// SPDX-License-Identifier: MIT
/*
 * Stage 2 runs as PID 1 on the read-only root: the kernel filesystems,
 * /var on the data partition, then the services, then the event loop
 * until a signal asks for shutdown.
 */
#include "stages.h"
#include "cmdline.h"
#include "config.h"
#include "console.h"
#include "cgroup.h"
#include "clockfloor.h"
#include "control.h"
#include "datapart.h"
#include "hostsetup.h"
#include "hwprobe.h"
#include "logfile.h"
#include "watchdog.h"
#include "emergency.h"
#include "file.h"
#include "firmware.h"
#include "log.h"
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

/* Each failure is logged by mount_at; boot goes on without it. */
static void early_mount(void)
{
	for (size_t i = 0; i < sizeof(early_mounts) / sizeof(*early_mounts);
	     i++) {
		if (is_mountpoint(early_mounts[i].target))
			continue; /* moved here by stage 1 */
		mount_at(early_mounts[i].src, early_mounts[i].target,
			 early_mounts[i].type, early_mounts[i].flags,
			 early_mounts[i].data);
	}
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

static int min_timeout(int a, int b)
{
	if (a < 0)
		return b;
	if (b < 0)
		return a;
	return a < b ? a : b;
}

/* The kernel's side: new devices (their drivers), its log (firmware). */
enum { KERNEL_UEVENTS, KERNEL_LOG, KERNEL_FDS };

static void kernel_events(const struct pollfd *fds)
{
	if (fds[KERNEL_UEVENTS].revents)
		hwprobe_events();
	if (fds[KERNEL_LOG].revents)
		firmware_watch_read();
}

static void ready_line(void)
{
	if (services_degraded())
		log_keel("ready at %.3f s since kernel start (degraded; "
			 "initctl health says why)",
			 boot_seconds());
	else
		log_keel("ready at %.3f s since kernel start", boot_seconds());
}

static void __attribute__((noreturn)) event_loop(int sfd, int cfd)
{
	struct pollfd fds[2 + KERNEL_FDS + 2 * SERVICES_MAX];
	struct signalfd_siginfo si;
	char why[64];
	double ready_by = boot_seconds() + CONFIG_KEEL_READY_TIMEOUT;
	bool ready = false;

	for (;;) {
		/* (poll skips a negative fd: each keeps its place) */
		fds[0] = (struct pollfd){ sfd, POLLIN, 0 };
		fds[1] = (struct pollfd){ cfd, POLLIN, 0 };
		fds[2 + KERNEL_UEVENTS] =
			(struct pollfd){ hwprobe_fd(), POLLIN, 0 };
		fds[2 + KERNEL_LOG] =
			(struct pollfd){ firmware_watch_fd(), POLLIN, 0 };
		int n = 2 + KERNEL_FDS, first_svc = n;
		n += services_pollfds(fds + n, SERVICES_MAX * 2);

		int timeout =
			min_timeout(services_timeout_ms(), watchdog_tick());
		timeout = min_timeout(timeout, clock_save_tick());
		if (!ready || sfd < 0)
			timeout = min_timeout(timeout, 1000);
		if (poll(fds, n, timeout) < 0 && errno != EINTR)
			log_err("unable to poll: %s", strerror(errno));
		watchdog_tick();

		while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
			enum shutdown_kind how =
				shutdown_for_signal(si.ssi_signo);
			if (how != SHUTDOWN_NONE)
				shutdown_system(how);
		}
		if (cfd >= 0 && fds[1].revents) {
			enum shutdown_kind how = control_handle(cfd);
			if (how != SHUTDOWN_NONE)
				shutdown_system(how);
		}
		kernel_events(fds + 2);
		services_io(fds + first_svc, n - first_svc);
		if (services_reap(why, sizeof(why))) {
			log_err("%s: rebooting", why);
			shutdown_system(SHUTDOWN_REBOOT);
		}
		services_tick();

		if (!ready && services_settled()) {
			ready_line();
			ready = true;
		} else if (!ready && boot_seconds() > ready_by) {
			log_warn("services not ready after %d s; see initctl "
				 "status",
				 CONFIG_KEEL_READY_TIMEOUT);
			log_keel(
				"ready at %.3f s since kernel start (degraded)",
				boot_seconds());
			ready = true;
		}
	}
}

/*
 * /var from the data partition; when it cannot be, the emergency shell,
 * and with no one at the console, a tmpfs: the box stays on the network.
 * The partition itself is left as it is, for someone to repair.
 */
static void var_mount(const char *spec, int wait_s)
{
	char why[512], note[600];

	while (data_mount(spec, wait_s, why, sizeof(why))) {
		if (emergency(why, CONFIG_KEEL_EMERGENCY_WAIT) !=
		    EMERGENCY_NOBODY)
			continue;
		snprintf(note, sizeof(note),
			 "data partition unusable, /var is a tmpfs: %s", why);
		if (data_mount_tmpfs()) {
			/* not even a tmpfs: the services run without /var */
			snprintf(note, sizeof(note),
				 "data partition unusable, no /var: %s", why);
		}
		log_keel("booting degraded: %s", note);
		services_set_degraded(note);
		return;
	}
}

void stage2(void)
{
	static char text[4096];
	char machine_id[40];
	struct cmdline cl;
	int sfd, cfd;

	/* Until a signalfd exists, signals must not kill or stop PID 1. */
	sfd = signals_open();
	int sfd_errno = errno;
	early_mount();
	console_log_open("init");
	log_keel("stage 2 (root) at %.3f s", boot_seconds());
	clock_floor_build();
	/* ctrl-alt-del becomes SIGINT for us instead of an instant reboot. */
	reboot(RB_DISABLE_CAD);
	if (sfd < 0)
		log_err("unable to create signalfd: %s", strerror(sfd_errno));

	if (read_text("/proc/cmdline", text, sizeof(text)) < 0)
		text[0] = '\0';
	cmdline_parse(text, &cl);
	emergency_set_override(cl.emergency);
	if (!cl.data[0])
		snprintf(cl.data, sizeof(cl.data), "PARTLABEL=data");
	int wait_s = cl.rootwait >= 0 ? cl.rootwait : CONFIG_KEEL_ROOTWAIT;

	/*
	 * The OOM killer spares PID 1 itself; what it forks (e2fsck,
	 * resize2fs, the emergency shell) gets -900 from it, and each
	 * service the value its file gives (0 unless it says otherwise)
	 */
	int r = write_text("/proc/self/oom_score_adj", "-900");
	if (r)
		log_warn("unable to set oom_score_adj: %s", strerror(-r));
	r = cgroup_setup();
	if (r)
		log_err("unable to set up %s: %s", CGROUP_SYSTEM, strerror(-r));
	mkdir(KEEL_RUN, 0755);
	/* the NICs and watchdogs this machine has; the kernel's word on them */
	if (hwprobe_open() == 0)
		hwprobe_coldplug();
	r = firmware_watch_open();
	if (r)
		log_warn("unable to read /dev/kmsg: %s", strerror(-r));
	/* stage 1 found the disk already; an ESP is optional */
	boot_mount(wait_s < 2 ? wait_s : 2);

	var_mount(cl.data, wait_s);
	mkdir(KEEL_STATE, 0755);
	clock_floor_saved();
	init_log_open("/var/log/init.log", (long)CONFIG_KEEL_LOG_SIZE_KB * 1024,
		      CONFIG_KEEL_LOG_KEEP);

	/* the seed first: a new machine id wants good randomness */
	random_seed_load();
	r = machine_id_setup(machine_id, sizeof(machine_id));
	if (r) {
		log_err("unable to set up the machine id: %s", strerror(-r));
		snprintf(machine_id, sizeof(machine_id), "00000000");
	}
	hostname_setup(machine_id);
	sysctl_apply_all();

	if (services_load(SERVICE_DIR) <= 0)
		log_warn("no services in %s", SERVICE_DIR);
	services_logs_open("/var/log");
	cfd = control_open();
	if (cfd < 0)
		log_err("unable to listen on %s: %s", CONTROL_SOCKET,
			strerror(-cfd));
	services_start_all();
	/* armed only now: an emergency shell must not be reset under you */
	watchdog_open(CONFIG_KEEL_WATCHDOG_TIMEOUT);
	event_loop(sfd, cfd);
}
