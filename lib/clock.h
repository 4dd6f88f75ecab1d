/* SPDX-License-Identifier: MIT */
#ifndef KEEL_CLOCK_H
#define KEEL_CLOCK_H

#include <stdbool.h>

/* Milliseconds on CLOCK_MONOTONIC, for timers. */
long monotonic_ms(void);

/* Milliseconds on CLOCK_BOOTTIME: timers that count a suspend too. */
long long boottime_ms(void);

/*
 * The last time the host knew (DESIGN.md, "Boot and update flow" 6):
 * decimal seconds since the epoch and a newline, written whole
 * (write_atomic) by netd at every time sync and by init, and read by
 * init at boot as a floor for the clock.
 */
#define KEEL_CLOCK_FILE "/var/lib/keel/clock"

/* The seconds in path into *secs: 0, -errno, -EINVAL when not a time. */
int clock_file_read(const char *path, long long *secs);
/* secs into path, atomically: 0 or -errno. */
int clock_file_write(const char *path, long long secs);

/*
 * Made by netd at its first time sync of a boot (/run is a tmpfs): a
 * service that needs the true time waits for it; imaged, whose TLS
 * certificates are checked against the clock, asks whether it exists.
 */
#define KEEL_CLOCK_SYNCED "/run/keel/time-synced"

/* Whether netd has synced the clock since boot. */
bool clock_synced(void);

#endif
