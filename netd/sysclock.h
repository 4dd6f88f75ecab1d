/* SPDX-License-Identifier: MIT */
#ifndef KEEL_SYSCLOCK_H
#define KEEL_SYSCLOCK_H

#include <stdbool.h>
#include <stdint.h>

/*
 * The system clock, behind the thin interface the time sync uses
 * (STYLE.md: kernel access behind a thin interface). Two backends: the
 * kernel's clock (clock_gettime, adjtimex), and a dry run that only
 * pretends, for tests on a build host whose clock is not theirs to
 * change: its clock is the kernel's plus every correction it was asked
 * to make, and nothing reaches the kernel.
 */

/* From now on, the dry run (netd --clock-dry-run). */
void sysclock_dry_run(void);
bool sysclock_is_dry_run(void);

/* The clock, in nanoseconds since the epoch. */
int64_t sysclock_now_ns(void);
/* A kernel timestamp (a datagram's SO_TIMESTAMPNS) on the same clock. */
int64_t sysclock_from_kernel_ns(int64_t ns);

/*
 * Correct the clock by offset_ns at once (adjtimex ADJ_SETOFFSET: one
 * relative step, no window between reading the time and setting it),
 * or gradually (the kernel's PLL: ADJ_OFFSET, which the kernel clamps
 * to +-0.5 s, with the time constant of a 2^poll_exp s poll). Either
 * way the kernel clock is then marked synchronised (STA_UNSYNC clear,
 * the error estimates from dist_ns), so the kernel copies it to the
 * hardware clock every 11 minutes. 0 or -errno.
 */
int sysclock_step(int64_t offset_ns, int poll_exp, int64_t dist_ns);
int sysclock_slew(int64_t offset_ns, int poll_exp, int64_t dist_ns);

#endif
