// SPDX-License-Identifier: MIT
/* sysfs uevent text and the first bytes of the data partition. */
#include "data.h"
#include "partition.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char text[2048], name[64];

	data_probe(data, size);
	if (size >= sizeof(text))
		size = sizeof(text) - 1;
	memcpy(text, data, size);
	text[size] = '\0';
	if (uevent_value(text, "PARTNAME", name, sizeof(name)) == 0 &&
	    strlen(name) >= sizeof(name))
		__builtin_trap();
	return 0;
}
