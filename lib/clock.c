// SPDX-License-Identifier: MIT
#include "clock.h"
#include "file.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* 2106-02-07: the end of unsigned 32-bit time */
#define CLOCK_MAX 4294967295LL

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

int clock_parse(const char *text, long long *secs)
{
	long long v = 0;
	size_t n = strspn(text, "0123456789");

	if (n == 0 || n > 10 || (text[n] && strcmp(text + n, "\n")))
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (text[i] - '0');
	if (v == 0 || v > CLOCK_MAX)
		return -EINVAL;
	*secs = v;
	return 0;
}

int clock_read_file(const char *path, long long *secs)
{
	char text[32];
	ssize_t n = read_text(path, text, sizeof(text));

	if (n < 0)
		return (int)n;
	return clock_parse(text, secs);
}

int clock_write_file(const char *path, long long secs)
{
	char text[32];
	int n = snprintf(text, sizeof(text), "%lld\n", secs);

	return write_atomic(path, text, (size_t)n, 0644);
}

int clock_save(const char *path)
{
	return clock_write_file(path, (long long)time(NULL));
}

bool clock_floor_raises(long long now, long long floor)
{
	return floor > now;
}

bool clock_synced(void)
{
	return access(KEEL_CLOCK_SYNCED, F_OK) == 0;
}
