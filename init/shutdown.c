// SPDX-License-Identifier: MIT
#include "shutdown.h"
#include "clockfloor.h"
#include "hostsetup.h"
#include "log.h"
#include "logfile.h"
#include "supervise.h"
#include "watchdog.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/wait.h>
#include <unistd.h>

enum shutdown_kind shutdown_for_signal(int sig)
{
	switch (sig) {
	case SIGTERM:
	case SIGINT:
		return SHUTDOWN_REBOOT;
	case SIGUSR1:
		return SHUTDOWN_HALT;
	case SIGUSR2:
		return SHUTDOWN_POWEROFF;
	}
	return SHUTDOWN_NONE;
}

enum shutdown_kind shutdown_for_name(const char *name)
{
	if (!strcmp(name, "reboot"))
		return SHUTDOWN_REBOOT;
	if (!strcmp(name, "halt"))
		return SHUTDOWN_HALT;
	if (!strcmp(name, "poweroff"))
		return SHUTDOWN_POWEROFF;
	return SHUTDOWN_NONE;
}

/* Wait for every child to go, for at most ms; true if none is left. */
static bool reap_all(int ms)
{
	for (int t = 0; t <= ms; t += 50) {
		watchdog_tick();
		for (;;) {
			pid_t pid = waitpid(-1, NULL, WNOHANG);
			if (pid < 0 && errno == ECHILD)
				return true;
			if (pid <= 0)
				break;
		}
		usleep(50000);
	}
	return false;
}

/* Container overlays and the like under /var go first, the last
 * mounted first. */
static void unmount_below_var(void)
{
	static char points[64][128];
	char line[512];
	int n = 0;
	FILE *f = fopen("/proc/self/mounts", "re");

	if (!f)
		return;
	while (n < 64 && fgets(line, sizeof(line), f)) {
		char dev[128], dir[128];
		if (sscanf(line, "%127s %127s", dev, dir) == 2 &&
		    !strncmp(dir, "/var/", 5))
			strcpy(points[n++], dir);
	}
	fclose(f);
	while (n-- > 0)
		if (umount2(points[n], 0) && umount2(points[n], MNT_DETACH))
			log_warn("unable to unmount %s: %s", points[n],
				 strerror(errno));
}

static void unmount_var(void)
{
	unmount_below_var();
	for (int i = 0; i < 10; i++) {
		if (umount2("/var", 0) == 0) {
			log_info("/var unmounted");
			return;
		}
		if (errno != EBUSY)
			break;
		usleep(100000);
	}
	/* Busy even now: at least make the journal consistent. */
	if (mount(NULL, "/var", NULL,
		  MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOATIME,
		  NULL) == 0)
		log_warn("/var busy; remounted read-only");
	else
		log_err("unable to unmount /var: %s", strerror(errno));
}

void shutdown_system(enum shutdown_kind how)
{
	static const char *const names[] = {
		[SHUTDOWN_REBOOT] = "reboot",
		[SHUTDOWN_HALT] = "halt",
		[SHUTDOWN_POWEROFF] = "poweroff",
	};
	int cmd = how == SHUTDOWN_POWEROFF ? RB_POWER_OFF
		  : how == SHUTDOWN_HALT   ? RB_HALT_SYSTEM
					   : RB_AUTOBOOT;

	log_keel("%s: stopping services", names[how]);
	services_stop_all();

	/* Whatever is left is not ours to wait for politely. */
	kill(-1, SIGTERM);
	if (!reap_all(2000)) {
		kill(-1, SIGKILL);
		reap_all(1000);
	}
	random_seed_save();
	clock_save_now();
	init_log_close(); /* it lives on /var */
	watchdog_tick();
	sync();
	watchdog_tick();
	unmount_var();
	umount2("/boot", MNT_DETACH);
	sync();
	watchdog_close();
	log_keel("%s now", names[how]);
	reboot(cmd);
	/* reboot(2) failed: nothing else to do but stay alive */
	log_err("unable to %s: %s", names[how], strerror(errno));
	for (;;)
		pause();
}
