// SPDX-License-Identifier: MIT
#include "watchdog.h"
#include "file.h"
#include "hwprobe.h"
#include "log.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/watchdog.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define WATCHDOGS_MAX 8

static int wd_fd = -1;
static long interval_ms;
static long last_pet;

int watchdog_pick(const struct watchdog_dev *w, int n)
{
	int pick = -1;

	for (int i = 0; i < n; i++) {
		bool better = pick < 0 ||
			      (w[pick].software && !w[i].software) ||
			      (w[pick].software == w[i].software &&
			       w[i].index < w[pick].index);
		if (better)
			pick = i;
	}
	return pick;
}

/*
 * /sys/class/watchdog/watchdogN and what each says it is (with
 * WATCHDOG_SYSFS, as the distribution kernels have). softdog is the one
 * "Software Watchdog"; a hardware driver may not name its device as the
 * watchdog's parent (i6300esb does not), so sysfs paths cannot tell.
 */
static int watchdogs_list(struct watchdog_dev *w, int max)
{
	char path[64];
	struct dirent *de;
	int n = 0;
	DIR *d = opendir("/sys/class/watchdog");

	if (!d)
		return 0;
	while ((de = readdir(d)) && n < max) {
		char *end;
		if (strncmp(de->d_name, "watchdog", 8))
			continue;
		long i = strtol(de->d_name + 8, &end, 10);
		if (end == de->d_name + 8 || *end || i < 0 || i > 999)
			continue;
		snprintf(path, sizeof(path),
			 "/sys/class/watchdog/watchdog%ld/identity", i);
		w[n].index = (int)i;
		if (read_text(path, w[n].identity, sizeof(w[n].identity)) < 0)
			w[n].identity[0] = '\0';
		w[n].identity[strcspn(w[n].identity, "\n")] = '\0';
		w[n].software = !strcmp(w[n].identity, "Software Watchdog");
		n++;
	}
	closedir(d);
	return n;
}

/* When sysfs did not say, the driver does (wd_fd open). */
static void identity_of(struct watchdog_dev *w)
{
	struct watchdog_info info = { 0 };

	if (w->identity[0])
		return;
	if (ioctl(wd_fd, WDIOC_GETSUPPORT, &info) == 0 && info.identity[0])
		snprintf(w->identity, sizeof(w->identity), "%.32s",
			 (char *)info.identity);
	else
		snprintf(w->identity, sizeof(w->identity), "watchdog%d",
			 w->index);
}

/* Open and set the timeout; returns the timeout it has, or -errno. */
static int arm(const char *dev, int timeout_s)
{
	int t = timeout_s;

	wd_fd = open(dev, O_WRONLY | O_CLOEXEC);
	if (wd_fd < 0)
		return -errno;
	if (ioctl(wd_fd, WDIOC_SETTIMEOUT, &t) || t <= 0) {
		/* keep the driver's own timeout */
		if (ioctl(wd_fd, WDIOC_GETTIMEOUT, &t) || t <= 0)
			t = timeout_s;
	}
	/* three chances to pet before it fires */
	interval_ms = t * 1000L / 3;
	ioctl(wd_fd, WDIOC_KEEPALIVE, 0);
	last_pet = monotonic_ms();
	return t;
}

void watchdog_open(int timeout_s)
{
	struct watchdog_dev w[WATCHDOGS_MAX];
	char dev[32];
	int n = watchdogs_list(w, WATCHDOGS_MAX);
	int pick = watchdog_pick(w, n);

	if (pick < 0 || w[pick].software) {
		/* none of the hardware's: softdog, if the root has it */
		if (hwprobe_load_name("softdog") == 0)
			n = watchdogs_list(w, WATCHDOGS_MAX);
		pick = watchdog_pick(w, n);
	}
	if (pick < 0)
		return;
	snprintf(dev, sizeof(dev), "/dev/watchdog%d", w[pick].index);
	int t = arm(dev, timeout_s);
	if (t < 0) {
		log_err("unable to open %s: %s", dev, strerror(-t));
		return;
	}
	identity_of(&w[pick]);
	log_info("watchdog %s (%s, %s) armed: %d s timeout", w[pick].identity,
		 dev,
		 w[pick].software ? "software: no hardware watchdog found"
				  : "hardware",
		 t);
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
