/* SPDX-License-Identifier: MIT */
#ifndef KEEL_HWPROBE_H
#define KEEL_HWPROBE_H

#include <stdbool.h>

/*
 * Drivers loaded when their hardware is there. The build puts a board's
 * candidates (board/<b>/modules.probe in the initramfs, modules.hw on the
 * root) with their own modules.alias and modules.dep in
 * /lib/modules/<release>/; each device's modalias, from sysfs at first
 * and then from the kernel's uevents, picks what to load
 * (modalias.h). A root without those files has nothing to probe.
 */

/*
 * Read this root's candidates and listen for uevents. 0, or -ENOENT when
 * there are none (nothing to do), or another -errno (logged).
 */
int hwprobe_open(void);

/*
 * Every device there now (/sys/bus/<bus>/devices/<dev>/modalias), then
 * the uevents that loading caused.
 */
void hwprobe_coldplug(void);

/* The uevent socket, for poll; -1 when not open. */
int hwprobe_fd(void);

/* Handle the uevents waiting on the socket. */
void hwprobe_events(void);

/* Wait up to ms for uevents and handle them (sleep when not open). */
void hwprobe_wait(int ms);

/* Load a candidate by name (no modalias: softdog). 0 or -errno. */
int hwprobe_load_name(const char *name);

void hwprobe_close(void);

#endif
