/* SPDX-License-Identifier: MIT */
#ifndef KEEL_CLOCK_H
#define KEEL_CLOCK_H

/* Milliseconds on CLOCK_MONOTONIC, for timers. */
long monotonic_ms(void);

#endif
