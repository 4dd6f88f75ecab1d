// SPDX-License-Identifier: MIT
/*
 * A casync chunk index comes inside an update bundle; its bytes are
 * checked against the signed manifest before they are parsed, but parsed
 * strictly all the same (a leaked key must not buy a crash).
 *
 * What parses must hold together: chunks that tile the file from 0 to its
 * size, each 1..max bytes. The same bytes also go through the chunker
 * with the index's parameters when they are sane: every cut it reports
 * lies within the bytes fed, and every chunk it makes is at most max.
 */
#include "os/caindex.h"
#include "os/cachunker.h"

#include <assert.h>
#include <stdint.h>
#include <string.h>

static void chunk(const uint8_t *data, size_t size, size_t min, size_t avg,
		  size_t max)
{
	struct cachunker c;
	size_t at = 0;

	if (cachunker_init(&c, min, avg, max))
		return;
	while (at < size) {
		size_t used = cachunker_scan(&c, data + at, size - at);
		if (used == CA_CUT_NONE)
			break;
		assert(used >= 1 && used <= size - at);
		at += used;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct caindex ix;
	char err[256];
	uint64_t end = 0;

	/* small chunks, so the fuzzer's short inputs get cut */
	chunk(data, size, 48, 64 + (size & 0xff), 64 + (size & 0xff) * 4);
	if (caindex_parse(&ix, data, size, err, sizeof(err)))
		return 0;
	assert(ix.min >= CA_WINDOW && ix.min <= ix.avg && ix.avg <= ix.max);
	for (uint64_t i = 0; i < ix.chunks; i++) {
		uint64_t start, len;
		const uint8_t *id;
		caindex_chunk(&ix, i, &start, &len, &id);
		assert(start == end && len >= 1 && len <= ix.max);
		assert(id >= data && id + CA_ID <= data + size);
		end = start + len;
	}
	assert(end == ix.size);
	return 0;
}
