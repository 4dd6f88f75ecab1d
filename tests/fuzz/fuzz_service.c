// SPDX-License-Identifier: MIT
/* Service files arrive from the image and, later, from the user's ESP. */
#include "service.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct service svc;
	char text[4096], err[160];

	if (size >= sizeof(text))
		size = sizeof(text) - 1;
	memcpy(text, data, size);
	text[size] = '\0';
	if (service_parse(&svc, "fuzz", text, err, sizeof(err)) == 0) {
		/* a parsed service always has an absolute program */
		if (!svc.argv[0] || svc.argv[0][0] != '/')
			__builtin_trap();
	} else if (!memchr(err, '\0', sizeof(err))) {
		__builtin_trap();
	}
	return 0;
}
