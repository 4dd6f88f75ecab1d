// SPDX-License-Identifier: MIT
/* The system clock: the kernel's, or the dry run's (sysclock.h). */
#include <errno.h>
#include <sys/timex.h>
#include <time.h>
#include "sysclock.h"

#define NS 1000000000LL

struct backend {
	int64_t (*now_ns)(void);
	int (*step)(int64_t offset_ns, int poll_exp, int64_t dist_ns);
	int (*slew)(int64_t offset_ns, int poll_exp, int64_t dist_ns);
};

static int64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * NS + ts.tv_nsec;
}

/* --- the kernel ------------------------------------------------------ */

static int kernel_slew(int64_t offset_ns, int poll_exp, int64_t dist_ns)
{
	long dist_us = (long)(dist_ns / 1000);
	struct timex tx = {
		.modes = ADJ_OFFSET | ADJ_STATUS | ADJ_NANO | ADJ_TIMECONST |
			 ADJ_MAXERROR | ADJ_ESTERROR,
		/* the kernel takes at most 0.5 s (MAXPHASE); more is
		 * stepped, never slewed */
		.offset = (long)offset_ns,
		/* the PLL on; STA_UNSYNC, and any leap second, off */
		.status = STA_PLL,
		/* as systemd-timesyncd: the PLL's time constant follows
		 * the poll interval, 2^(poll - 4) */
		.constant = poll_exp > 4 ? poll_exp - 4 : 0,
		.maxerror = dist_us,
		.esterror = dist_us,
	};

	return adjtimex(&tx) < 0 ? -errno : 0;
}

static int kernel_step(int64_t offset_ns, int poll_exp, int64_t dist_ns)
{
	struct timex tx = { .modes = ADJ_SETOFFSET | ADJ_NANO };
	int64_t s = offset_ns / NS, ns = offset_ns % NS;

	if (ns < 0) { /* tv_usec (nanoseconds here) must be 0..10^9-1 */
		s--;
		ns += NS;
	}
	tx.time.tv_sec = (time_t)s;
	tx.time.tv_usec = (long)ns;
	if (adjtimex(&tx) < 0)
		return -errno;
	/* no slew left over from before the step; synchronised */
	return kernel_slew(0, poll_exp, dist_ns);
}

static const struct backend kernel = {
	.now_ns = realtime_ns,
	.step = kernel_step,
	.slew = kernel_slew,
};

/* --- the dry run ----------------------------------------------------- */

static int64_t dry_offset_ns; /* the pretend clock minus the kernel's */

static int64_t dry_now_ns(void)
{
	return realtime_ns() + dry_offset_ns;
}

/* A slew is taken as done at once: the kernel's PLL would get there
 * within minutes, and the next poll measures from the pretend clock. */
static int dry_adjust(int64_t offset_ns, int poll_exp, int64_t dist_ns)
{
	(void)poll_exp;
	(void)dist_ns;
	dry_offset_ns += offset_ns;
	return 0;
}

static const struct backend dry = {
	.now_ns = dry_now_ns,
	.step = dry_adjust,
	.slew = dry_adjust,
};

/* --- the interface --------------------------------------------------- */

static const struct backend *be = &kernel;

void sysclock_dry_run(void)
{
	be = &dry;
}

bool sysclock_is_dry_run(void)
{
	return be == &dry;
}

int64_t sysclock_now_ns(void)
{
	return be->now_ns();
}

int64_t sysclock_from_kernel_ns(int64_t ns)
{
	return be == &dry ? ns + dry_offset_ns : ns;
}

int sysclock_step(int64_t offset_ns, int poll_exp, int64_t dist_ns)
{
	return be->step(offset_ns, poll_exp, dist_ns);
}

int sysclock_slew(int64_t offset_ns, int poll_exp, int64_t dist_ns)
{
	return be->slew(offset_ns, poll_exp, dist_ns);
}
