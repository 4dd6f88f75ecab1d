// SPDX-License-Identifier: MIT
#include "os/release.h"
#include "file.h"
#include "imaged.h"

#include <errno.h>
#include <string.h>

int os_release_get(const char *key, char *val, size_t len)
{
	char text[4096];
	size_t klen = strlen(key);
	long n = read_text(OS_RELEASE, text, sizeof(text));

	if (n < 0)
		return n;
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		if (strncmp(line, key, klen) || line[klen] != '=')
			continue;
		char *v = line + klen + 1;
		size_t vl = strlen(v);
		if (vl >= 2 && (*v == '"' || *v == '\'') && v[vl - 1] == *v) {
			v++;
			vl -= 2;
		}
		if (vl >= len)
			return -ENAMETOOLONG;
		memcpy(val, v, vl);
		val[vl] = '\0';
		return 0;
	}
	return -ENOENT;
}
