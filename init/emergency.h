/* SPDX-License-Identifier: MIT */
#ifndef KEEL_EMERGENCY_H
#define KEEL_EMERGENCY_H

enum emergency_end {
	EMERGENCY_RETRY, /* a shell ran and exited: try again */
	EMERGENCY_NOBODY, /* no one came to a console: go on without it */
};

/*
 * Boot cannot go on. Say why, then (when CONFIG_KEEL_EMERGENCY_SHELL or
 * keel.emergency=1 enables it) offer a shell on every console: the first
 * console a line is typed on gets it (the line is its first command), and
 * this returns EMERGENCY_RETRY when it exits. With wait_s > 0 and no
 * input on any console for wait_s seconds, it returns EMERGENCY_NOBODY
 * (the caller boots degraded); wait_s 0 waits for good. Without a shell
 * it waits and reboots, which lets the bootloader try another slot.
 */
enum emergency_end emergency(const char *why, int wait_s);

/* The keel.emergency= value from the command line, -1 when not given. */
void emergency_set_override(int enabled);

#endif
