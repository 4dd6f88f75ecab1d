/* SPDX-License-Identifier: MIT */
#ifndef KEEL_WATCHDOG_H
#define KEEL_WATCHDOG_H

/*
 * The watchdog is petted from the main loop and nowhere else: when the
 * loop stops turning, petting stops and the machine is reset.
 */
void watchdog_open(int timeout_s);

/* Pet it if the interval has passed; returns ms until the next pet, or -1. */
int watchdog_tick(void);

/* Clean shutdown: the magic close disarms it. */
void watchdog_close(void);

#endif
