// SPDX-License-Identifier: MIT
/*
 * modules.alias and modules.dep come from the image, modaliases and
 * uevents and kernel log records from the kernel: neither is an
 * attacker's, but PID 1 parses them, so each gets a cheap run. The input
 * is split at the first NUL: alias (or dep) text, then a modalias.
 */
#include "firmware.h"
#include "modalias.h"

#include <stdint.h>
#include <string.h>

static int count(const char *module, void *ctx)
{
	if (!*module || strlen(module) >= MODULE_NAME_MAX)
		__builtin_trap();
	++*(int *)ctx;
	return 0;
}

static int step(const char *path, void *ctx)
{
	if (strlen(path) >= MODULE_PATH_MAX)
		__builtin_trap();
	++*(int *)ctx;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char text[65536], alias[512], file[128], dev[96];
	int n = 0;

	if (size >= sizeof(text))
		size = sizeof(text) - 1;
	memcpy(text, data, size);
	text[size] = '\0';
	size_t first = strlen(text);
	size_t rest = first < size ? size - first - 1 : 0;
	if (rest >= sizeof(alias))
		rest = sizeof(alias) - 1;
	memcpy(alias, text + first + (first < size), rest);
	alias[rest] = '\0';

	if (modalias_valid(alias) && modalias_match(text, alias, count, &n) < 0)
		__builtin_trap();
	if (moddep_load_order(text, alias, step, &n) > 0)
		__builtin_trap();
	const char *m = uevent_modalias((const char *)data, size);
	if (m && (m < (const char *)data || m >= (const char *)data + size ||
		  !modalias_valid(m)))
		__builtin_trap();
	firmware_missing((const char *)data, size, file, sizeof(file), dev,
			 sizeof(dev));
	return 0;
}
