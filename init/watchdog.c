// SPDX-License-Identifier: MIT
#include "watchdog.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/watchdog.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

static int wd_fd = -1;
static long interval_ms;
static long last_pet;

void watchdog_open(int timeout_s)
{
	struct watchdog_info info = { 0 };
	int t = timeout_s;

	if (access("/dev/watchdog", F_OK))
		return;
	wd_fd = open("/dev/watchdog", O_WRONLY | O_CLOEXEC);
	if (wd_fd < 0) {
		log_err("unable to open /dev/watchdog: %s", strerror(errno));
		return;
	}
	ioctl(wd_fd, WDIOC_GETSUPPORT, &info);
	if (ioctl(wd_fd, WDIOC_SETTIMEOUT, &t) || t <= 0) {
		/* keep the driver's own timeout */
		if (ioctl(wd_fd, WDIOC_GETTIMEOUT, &t) || t <= 0)
			t = timeout_s;
	}
	/* three chances to pet before it fires */
	interval_ms = t * 1000L / 3;
	ioctl(wd_fd, WDIOC_KEEPALIVE, 0);
	last_pet = monotonic_ms();
	log_info("watchdog %.32s armed: %d s timeout",
		 info.identity[0] ? (char *)info.identity : "/dev/watchdog", t);
}

int watchdog_tick(void)
{
	long now;

	if (wd_fd < 0)
		return -1;
	now = monotonic_ms();
	if (now - last_pet >= interval_ms) {
		ioctl(wd_fd, WDIOC_KEEPALIVE, 0);
		last_pet = now;
	}
	return (int)(interval_ms - (now - last_pet));
}

void watchdog_close(void)
{
	if (wd_fd < 0)
		return;
	if (write(wd_fd, "V", 1) != 1)
		log_warn("unable to disarm the watchdog: %s", strerror(errno));
	close(wd_fd);
	wd_fd = -1;
}
