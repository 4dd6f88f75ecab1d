/* SPDX-License-Identifier: MIT */
#ifndef KEEL_CLOCK_H
#define KEEL_CLOCK_H

/* Milliseconds on CLOCK_MONOTONIC, for timers. */
long monotonic_ms(void);

/* Milliseconds on CLOCK_BOOTTIME: timers that count a suspend too. */
long long boottime_ms(void);

#endif
