// SPDX-License-Identifier: MIT
/* sysctl.conf lines come from the user's ESP config folder. */
#include "hostsetup.h"
#include "text.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char line[512], path[128], name[80], *value;

	if (size >= sizeof(line))
		size = sizeof(line) - 1;
	memcpy(line, data, size);
	line[size] = '\0';
	if (sysctl_parse_line(line, path, sizeof(path), &value) == 1) {
		/* nothing may escape /proc/sys */
		if (strncmp(path, "/proc/sys/", 10) || strstr(path, ".."))
			__builtin_trap();
	}
	size = size < sizeof(name) - 1 ? size : sizeof(name) - 1;
	memcpy(name, data, size);
	name[size] = '\0';
	if (text_hostname_label(name, strlen(name)) && strpbrk(name, "/. \n"))
		__builtin_trap();
	return 0;
}
