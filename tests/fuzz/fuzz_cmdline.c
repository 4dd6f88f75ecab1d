// SPDX-License-Identifier: MIT
/* The kernel command line comes from the bootloader, which a user edits. */
#include "cmdline.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char text[4096], line[512], *argv[33];
	struct cmdline c;

	if (size >= sizeof(text))
		size = sizeof(text) - 1;
	memcpy(text, data, size);
	text[size] = '\0';
	cmdline_parse(text, &c);

	size_t n = size < sizeof(line) - 1 ? size : sizeof(line) - 1;
	memcpy(line, data, n);
	line[n] = '\0';
	int argc = split_args(line, argv, 32);
	if (argc >= 0 && argv[argc] != NULL)
		__builtin_trap();
	return 0;
}
