// SPDX-License-Identifier: MIT
#include "os/caindex.h"
#include "errmsg.h"
#include "le.h"
#include "os/cachunker.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

static int check_header(struct caindex *ix, const uint8_t *b, char *err,
			size_t errlen)
{
	if (get_le64(b) != CA_INDEX_HEADER ||
	    get_le64(b + 8) != CA_FORMAT_INDEX)
		return errmsg(err, errlen, -EINVAL,
			      "chunk index: not a casync index (no INDEX "
			      "header)");
	ix->flags = get_le64(b + 16);
	ix->min = get_le64(b + 24);
	ix->avg = get_le64(b + 32);
	ix->max = get_le64(b + 40);
	if (ix->flags & CA_FORMAT_SHA512_256)
		return errmsg(err, errlen, -EINVAL,
			      "chunk index: ids are SHA-512/256; keel reads "
			      "SHA-256 ones (casync make --digest=sha256)");
	if (ix->min < CA_WINDOW || ix->min > ix->avg || ix->avg > ix->max ||
	    ix->max > CA_INDEX_CHUNK_MAX)
		return errmsg(err, errlen, -EINVAL,
			      "chunk index: chunk sizes %" PRIu64 "/%" PRIu64
			      "/%" PRIu64 " are not 48 <= min <= avg <= max <= "
			      "%u",
			      ix->min, ix->avg, ix->max, CA_INDEX_CHUNK_MAX);
	if (get_le64(b + 48) != UINT64_MAX ||
	    get_le64(b + 56) != CA_FORMAT_TABLE)
		return errmsg(err, errlen, -EINVAL,
			      "chunk index: no TABLE after the INDEX header");
	return 0;
}

static int check_tail(const struct caindex *ix, const uint8_t *t, char *err,
		      size_t errlen)
{
	uint64_t table = CA_TABLE_HEADER + (ix->chunks + 1) * CA_ITEM;

	if (get_le64(t) || get_le64(t + 8) ||
	    get_le64(t + 16) != CA_INDEX_HEADER || get_le64(t + 24) != table ||
	    get_le64(t + 32) != CA_FORMAT_TABLE_TAIL_MARKER)
		return errmsg(err, errlen, -EINVAL,
			      "chunk index: its table does not end in a "
			      "matching tail");
	return 0;
}

int caindex_parse(struct caindex *ix, const uint8_t *buf, size_t len, char *err,
		  size_t errlen)
{
	size_t head = CA_INDEX_HEADER + CA_TABLE_HEADER;
	uint64_t end = 0;
	int r;

	memset(ix, 0, sizeof(*ix));
	if (len < head + CA_ITEM || (len - head) % CA_ITEM)
		return errmsg(err, errlen, -EINVAL,
			      "chunk index: %zu bytes is not a whole index",
			      len);
	if ((r = check_header(ix, buf, err, errlen)))
		return r;
	ix->chunks = (len - head) / CA_ITEM - 1;
	ix->items = buf + head;
	if ((r = check_tail(ix, ix->items + ix->chunks * CA_ITEM, err, errlen)))
		return r;
	for (uint64_t i = 0; i < ix->chunks; i++) {
		uint64_t at = get_le64(ix->items + i * CA_ITEM);
		if (at <= end || at - end > ix->max)
			return errmsg(err, errlen, -EINVAL,
				      "chunk index: chunk %" PRIu64
				      " ends at %" PRIu64 ", after %" PRIu64
				      " (chunks are 1..%" PRIu64 " bytes)",
				      i, at, end, ix->max);
		end = at;
	}
	ix->size = end;
	return 0;
}

void caindex_chunk(const struct caindex *ix, uint64_t i, uint64_t *start,
		   uint64_t *len, const uint8_t **id)
{
	const uint8_t *it = ix->items + i * CA_ITEM;
	uint64_t prev = i ? get_le64(it - CA_ITEM) : 0;

	*start = prev;
	*len = get_le64(it) - prev;
	*id = it + 8;
}
