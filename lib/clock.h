/* SPDX-License-Identifier: MIT */
#ifndef KEEL_CLOCK_H
#define KEEL_CLOCK_H

#include <stdbool.h>

/* Milliseconds on CLOCK_MONOTONIC, for timers. */
long monotonic_ms(void);

/* Milliseconds on CLOCK_BOOTTIME: timers that count a suspend too. */
long long boottime_ms(void);

/*
 * The last time this host knew, in seconds since the epoch, one decimal
 * line: init moves the clock on to it at boot (never back) and saves it
 * every hour and at shutdown; netd's time sync saves it at every sync.
 */
#define KEEL_CLOCK_FILE "/var/lib/keel/clock"
/* The image's build time, the same format: the clock's first floor. */
#define KEEL_BUILD_TIME_FILE "/etc/keel/build-time"

/*
 * A time file's text: digits, then at most a newline. Refused (-EINVAL):
 * anything else, 0, and times past 2106 (no 32-bit unsigned time holds
 * them; a file saying so is corrupt, and would stop every TLS check).
 */
int clock_parse(const char *text, long long *secs);

/* Read and parse a time file. 0 or -errno. */
int clock_read_file(const char *path, long long *secs);

/* secs into a time file, atomically: 0 or -errno. */
int clock_write_file(const char *path, long long secs);
/* The time now into a time file, atomically. 0 or -errno. */
int clock_save(const char *path);

/* Whether floor is later than now: then the clock moves on to it. */
bool clock_floor_raises(long long now, long long floor);

/*
 * Made by netd at its first time sync of a boot (/run is a tmpfs): a
 * service that needs the true time waits for it; imaged, whose TLS
 * certificates are checked against the clock, asks whether it exists.
 */
#define KEEL_CLOCK_SYNCED "/run/keel/time-synced"

/* Whether netd has synced the clock since boot. */
bool clock_synced(void);

#endif
