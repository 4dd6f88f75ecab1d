// SPDX-License-Identifier: MIT
/*
 * The channel document is parsed only after its signature checks out;
 * the fuzzer parses it regardless. What parses must be usable as is: a
 * version and a URL without spaces, a rollout 0..100.
 */
#include "os/channel.h"

#include <assert.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct channel ch;
	char err[160];

	if (channel_parse(&ch, (const char *)data, size, "qemu-x86_64", err,
			  sizeof(err)))
		return 0;
	assert(ch.version[0] && !strchr(ch.version, ' '));
	assert(ch.url[0] && !strchr(ch.url, ' '));
	assert(ch.rollout >= 0 && ch.rollout <= 100);
	return 0;
}
