// SPDX-License-Identifier: MIT
#include "run/userns.h"
#include "file.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int userns_recorded(const char *dir, const char *pod, uint32_t *base)
{
	char path[512], text[32], *end;

	snprintf(path, sizeof(path), "%s/%s/" USERNS_FILE, dir, pod);
	ssize_t n = read_text(path, text, sizeof(text));
	if (n < 0)
		return (int)n;
	unsigned long v = strtoul(text, &end, 10);
	/* only what userns_pick writes: anything else is not trusted */
	if (end == text || (*end && *end != '\n') || !v || v % USERNS_SIZE ||
	    v / USERNS_SIZE > USERNS_RANGES)
		return -EINVAL;
	*base = (uint32_t)v;
	return 0;
}

/* Whether another pod under dir has base recorded. */
static bool taken(const char *dir, const char *pod, uint32_t base)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	uint32_t other;
	bool found = false;

	while (d && !found && (e = readdir(d)))
		found = e->d_name[0] != '.' && strcmp(e->d_name, pod) &&
			!userns_recorded(dir, e->d_name, &other) &&
			other == base;
	if (d)
		closedir(d);
	return found;
}

int userns_pick(const char *dir, const char *pod, uint32_t *base)
{
	char path[512], text[32];
	int r;

	if (!userns_recorded(dir, pod, base))
		return 0;
	for (uint32_t k = 1; k <= USERNS_RANGES; k++) {
		if (taken(dir, pod, k * USERNS_SIZE))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, pod);
		if ((r = mkdir_parents(path, 0700)))
			return r;
		snprintf(path, sizeof(path), "%s/%s/" USERNS_FILE, dir, pod);
		int n = snprintf(text, sizeof(text), "%u\n", k * USERNS_SIZE);
		if ((r = write_atomic(path, text, (size_t)n, 0600)))
			return r;
		*base = k * USERNS_SIZE;
		return 0;
	}
	return -ENOSPC;
}

void userns_map(uint32_t base, char *out, unsigned len)
{
	snprintf(out, len, "0 %u %u\n", base, USERNS_SIZE);
}
