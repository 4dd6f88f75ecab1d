/* SPDX-License-Identifier: MIT */
#ifndef KEEL_UTIL_H
#define KEEL_UTIL_H

#include "clock.h" /* monotonic_ms() */
#include "file.h" /* read_text() */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Seconds since the kernel started (CLOCK_BOOTTIME). */
double boot_seconds(void);

/*
 * partition_find in /sys/class/block, polled while the answer is -ENOENT
 * for up to wait_s seconds: disks appear as their drivers probe, and the
 * drivers of what appears meanwhile are loaded (hwprobe.h).
 */
int partition_wait(const char *spec, int wait_s, char *dev, size_t len);

/* mkdir -p the target, then mount(2). Logs and returns -errno on error. */
int mount_at(const char *src, const char *target, const char *type,
	     unsigned long flags, const char *data);

/* True when path is the root of a mount (its device differs from ..). */
bool is_mountpoint(const char *path);

/*
 * In a child before exec: every signal back to its default action and
 * none blocked (PID 1 blocks those its signalfd reads, and a blocked
 * mask outlives exec).
 */
void child_signals(void);

/*
 * Run a program and wait for it. stdio is the console. Returns its exit
 * code, 128+signal if killed, or -errno if it could not start.
 */
int run_wait(char *const argv[]);

/* The same with its output thrown away. */
int run_quiet(char *const argv[]);

/* Make fd 0-2 the given tty, as the controlling tty of a new session. */
int attach_tty(const char *path);

#endif
