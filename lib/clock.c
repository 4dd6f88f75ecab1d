// SPDX-License-Identifier: MIT
#include "clock.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "file.h"

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

int clock_file_read(const char *path, long long *secs)
{
	char buf[32], *end;
	ssize_t n = read_text(path, buf, sizeof(buf));
	long long v;

	if (n < 0)
		return (int)n;
	errno = 0;
	v = strtoll(buf, &end, 10);
	/* digits and the newline, nothing else: a torn or foreign file is
	 * no floor for the clock */
	if (end == buf || errno || v <= 0 || (*end && strcmp(end, "\n")))
		return -EINVAL;
	*secs = v;
	return 0;
}

int clock_file_write(const char *path, long long secs)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%lld\n", secs);

	return write_atomic(path, buf, (size_t)n, 0644);
}

bool clock_synced(void)
{
	return access(KEEL_CLOCK_SYNCED, F_OK) == 0;
}
