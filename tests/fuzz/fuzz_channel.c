// SPDX-License-Identifier: MIT
/*
 * The channel document is parsed only after its signature checks out;
 * the fuzzer parses it regardless, formats 1 and 2. What parses must be
 * usable as is: a version and a URL without spaces, a rollout 0..100;
 * in format 2 an expires that reads back to the same second, a bundle
 * bound by a size, a URL of a scheme the host fetches, a kept workloads
 * entry of the same kind; and the checks a host makes of it must hold
 * whatever the clock and the serial seen.
 */
#include "os/channel.h"

#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

static bool url_ok(const char *u)
{
	return !strncmp(u, "http://", 7) || !strncmp(u, "https://", 8) ||
	       !strncmp(u, "file:///", 8);
}

static void check_v2(const struct channel *ch)
{
	char again[RFC3339_MAX];
	long long t;

	assert(ch->expires[0] && !rfc3339_parse(ch->expires, &t));
	assert(t == ch->expires_at && t >= 0);
	rfc3339_format(ch->expires_at, again);
	assert(!rfc3339_parse(again, &t) && t == ch->expires_at);
	assert(!strchr(ch->min_version, ' '));
	if (ch->os)
		assert(ch->bound && ch->size > 0 && url_ok(ch->url));
	if (ch->workloads.given)
		assert(ch->workloads.revision >= 1 &&
		       ch->workloads.rollout >= 0 &&
		       ch->workloads.rollout <= 100 &&
		       url_ok(ch->workloads.url));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct channel ch;
	char err[256];

	if (channel_parse(&ch, (const char *)data, size, "qemu-x86_64", err,
			  sizeof(err))) {
		assert(err[0] && ch.format == 0 && !ch.os);
		return 0;
	}
	assert(ch.format == 1 || ch.format == 2);
	assert(ch.serial >= 0);
	if (ch.os) {
		assert(ch.version[0] && !strchr(ch.version, ' '));
		assert(ch.url[0] && !strchr(ch.url, ' '));
		assert(ch.rollout >= 0 && ch.rollout <= 100);
	}
	if (ch.format == 2)
		check_v2(&ch);
	else
		assert(!ch.bound && !ch.expires[0] && !ch.workloads.given);
	/* believed or not, never by accident */
	int r = channel_check(&ch, false, ch.serial, 0, err, sizeof(err));
	assert(r == 0 || (r == -EKEYEXPIRED && ch.format == 2));
	assert(channel_check(&ch, false, ch.serial + 1, 0, err, sizeof(err)) ==
		       -ESTALE ||
	       ch.format == 2);
	r = channel_check(&ch, true, 0, 0, err, sizeof(err));
	assert(ch.format == 1 ? r == 0 : r == -EKEYREJECTED);
	return 0;
}
