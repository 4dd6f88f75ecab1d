// SPDX-License-Identifier: MIT
#include "clock.h"

#include <time.h>

static long long clock_ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

long monotonic_ms(void)
{
	return (long)clock_ms(CLOCK_MONOTONIC);
}

long long boottime_ms(void)
{
	return clock_ms(CLOCK_BOOTTIME);
}
