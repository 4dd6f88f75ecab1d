/* SPDX-License-Identifier: MIT */
#ifndef KEEL_CLOCKFLOOR_H
#define KEEL_CLOCKFLOOR_H

/*
 * A floor for the clock on machines whose RTC is wrong or missing: the
 * clock is moved on (never back) to the image's build time at the start
 * of stage 2, and to the last time this host knew (KEEL_CLOCK_FILE in
 * lib/clock.h) once /var is mounted; that time is saved every hour and
 * at shutdown. Time sync (netd) does the rest.
 */

/* Stage 2's start: the later of the clock (the RTC's) and the build's. */
void clock_floor_build(void);

/* /var is mounted: the saved time, if later; starts the hourly save. */
void clock_floor_saved(void);

/* Save when an hour has passed; ms until the next save, or -1. */
int clock_save_tick(void);

/* Shutdown: save now (once /var is mounted). */
void clock_save_now(void);

#endif
