/* SPDX-License-Identifier: MIT */
#ifndef KEEL_WATCHDOG_H
#define KEEL_WATCHDOG_H

#include <stdbool.h>

/*
 * The watchdog is petted from the main loop and nowhere else: when the
 * loop stops turning, petting stops and the machine is reset. init uses
 * the first hardware watchdog the kernel has, and softdog (loaded by
 * name from the root's candidates, hwprobe.h) only when there is none.
 */
void watchdog_open(int timeout_s);

/* Pet it if the interval has passed; returns ms until the next pet, or -1. */
int watchdog_tick(void);

/* Clean shutdown: the magic close disarms it. */
void watchdog_close(void);

/* One of /sys/class/watchdog's devices. */
struct watchdog_dev {
	int index; /* watchdogN */
	bool software; /* softdog */
	char identity[40]; /* "i6300ESB timer"; "" when sysfs has none */
};

/* The one to use: the first hardware one by index, else the first; -1. */
int watchdog_pick(const struct watchdog_dev *w, int n);

#endif
