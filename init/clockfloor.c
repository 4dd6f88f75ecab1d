// SPDX-License-Identifier: MIT
#include "clockfloor.h"
#include "clock.h"
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define SAVE_EVERY_MS (3600 * 1000L)

static long next_save = -1; /* monotonic ms; -1: no /var yet */

static const char *utc(long long secs, char *buf, size_t len)
{
	struct tm tm;
	time_t t = (time_t)secs;

	if (!gmtime_r(&t, &tm) ||
	    !strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm))
		snprintf(buf, len, "%lld", secs);
	return buf;
}

static void raise_to(long long floor, const char *what)
{
	struct timespec now, to = { .tv_sec = (time_t)floor };
	char was[32], set[32];

	clock_gettime(CLOCK_REALTIME, &now);
	if (!clock_floor_raises(now.tv_sec, floor))
		return;
	if (clock_settime(CLOCK_REALTIME, &to)) {
		log_err("unable to set the clock to %s: %s",
			utc(floor, set, sizeof(set)), strerror(errno));
		return;
	}
	log_keel("clock set to %s, %s (it said %s)",
		 utc(floor, set, sizeof(set)), what,
		 utc(now.tv_sec, was, sizeof(was)));
}

static int floor_from(const char *path, long long *secs)
{
	int r = clock_read_file(path, secs);

	if (r == -EINVAL)
		log_warn("ignoring %s: not a time in seconds since 1970", path);
	else if (r && r != -ENOENT)
		log_warn("unable to read %s: %s", path, strerror(-r));
	return r;
}

void clock_floor_build(void)
{
	long long t;

	if (floor_from(KEEL_BUILD_TIME_FILE, &t) == 0)
		raise_to(t, "the image's build time");
}

void clock_floor_saved(void)
{
	long long t;

	if (floor_from(KEEL_CLOCK_FILE, &t) == 0)
		raise_to(t, "the last time this host knew");
	next_save = monotonic_ms() + SAVE_EVERY_MS;
}

void clock_save_now(void)
{
	if (next_save < 0)
		return;
	int r = clock_save(KEEL_CLOCK_FILE);
	if (r)
		log_err("unable to save the time to %s: %s", KEEL_CLOCK_FILE,
			strerror(-r));
}

int clock_save_tick(void)
{
	long now = monotonic_ms();

	if (next_save < 0)
		return -1;
	if (now >= next_save) {
		clock_save_now();
		next_save = now + SAVE_EVERY_MS;
	}
	return (int)(next_save - now);
}
