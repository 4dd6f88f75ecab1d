/* SPDX-License-Identifier: MIT */
#ifndef KEEL_SHUTDOWN_H
#define KEEL_SHUTDOWN_H

/*
 * Signals to PID 1, as busybox's halt/poweroff/reboot send them:
 *   SIGTERM reboot, SIGINT ctrl-alt-del (reboot), SIGUSR1 halt,
 *   SIGUSR2 poweroff.
 */
enum shutdown_kind {
	SHUTDOWN_NONE,
	SHUTDOWN_REBOOT,
	SHUTDOWN_HALT,
	SHUTDOWN_POWEROFF,
};

enum shutdown_kind shutdown_for_signal(int sig);

/* "reboot", "halt", "poweroff"; SHUTDOWN_NONE for anything else. */
enum shutdown_kind shutdown_for_name(const char *name);

/* Stop everything, sync, unmount /var and reboot(2). Does not return. */
void shutdown_system(enum shutdown_kind how) __attribute__((noreturn));

#endif
