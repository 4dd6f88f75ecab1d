// SPDX-License-Identifier: MIT
#include "os/seed.h"
#include "errmsg.h"
#include "le.h"
#include "os/cachunker.h"

#include <errno.h>
#include <fcntl.h>
#include <nettle/sha2.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define READ (1u << 20)

static const uint8_t *id_of(const struct seed *s, uint64_t chunk)
{
	uint64_t start, len;
	const uint8_t *id;

	caindex_chunk(s->ix, chunk, &start, &len, &id);
	return id;
}

/* The slot for id: its entry, or the empty one where it would go. */
static struct seed_entry *slot_for(const struct seed *s, const uint8_t *id)
{
	/* ids are SHA-256 digests: their first bytes are hash enough */
	for (uint64_t h = get_le64(id) & s->mask;; h = (h + 1) & s->mask) {
		struct seed_entry *e = &s->table[h];
		if (!e->chunk || !memcmp(id_of(s, e->chunk - 1), id, CA_ID))
			return e;
	}
}

int seed_init(struct seed *s, const struct caindex *ix)
{
	uint64_t size = 16;

	memset(s, 0, sizeof(*s));
	s->ix = ix;
	while (size < 2 * ix->chunks)
		size *= 2;
	if (!(s->table = calloc(size, sizeof(*s->table))))
		return -ENOMEM;
	s->mask = size - 1;
	for (uint64_t i = 0; i < ix->chunks; i++) {
		struct seed_entry *e = slot_for(s, id_of(s, i));
		if (!e->chunk) {
			e->chunk = i + 1;
			e->at = UINT64_MAX;
		}
	}
	return 0;
}

/* A chunk of the seed ended: note it if the index wants it. */
static void seen(struct seed *s, struct sha256_ctx *sha, uint64_t at,
		 uint64_t len)
{
	uint8_t id[SHA256_DIGEST_SIZE];

	sha256_digest(sha, sizeof(id), id);
	struct seed_entry *e = slot_for(s, id);
	if (e->chunk && e->at == UINT64_MAX) {
		uint64_t start, want;
		const uint8_t *wid;
		caindex_chunk(s->ix, e->chunk - 1, &start, &want, &wid);
		if (want == len) {
			e->at = at;
			s->found++;
			s->found_bytes += len;
		}
	}
}

int seed_scan(struct seed *s, int fd, uint64_t size, char *err, size_t errlen)
{
	struct cachunker c;
	struct sha256_ctx sha;
	uint8_t *buf = malloc(READ);
	uint64_t at = 0, start = 0;
	int r = 0;

	if (!buf)
		return errmsg(err, errlen, -ENOMEM, "out of memory");
	if (cachunker_init(&c, s->ix->min, s->ix->avg, s->ix->max)) {
		free(buf);
		return errmsg(err, errlen, -EINVAL, "chunk sizes unusable");
	}
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	sha256_init(&sha);
	while (at < size) {
		size_t want = size - at < READ ? size - at : READ;
		ssize_t n = pread(fd, buf, want, at);
		if (n <= 0) {
			r = errmsg_errno(err, errlen, n ? -errno : -EIO,
					 n ? errno : 0, "reading at byte %llu",
					 (unsigned long long)at);
			break;
		}
		for (size_t i = 0; i < (size_t)n;) {
			size_t used = cachunker_scan(&c, buf + i, n - i);
			size_t k = used == CA_CUT_NONE ? n - i : used;
			sha256_update(&sha, k, buf + i);
			i += k;
			if (used == CA_CUT_NONE)
				continue;
			seen(s, &sha, start, at + i - start);
			start = at + i;
			sha256_init(&sha);
		}
		at += n;
	}
	if (!r && at > start)
		seen(s, &sha, start, at - start); /* the end ends a chunk */
	free(buf);
	return r;
}

uint64_t seed_find(const struct seed *s, uint64_t i)
{
	struct seed_entry *e = slot_for(s, id_of(s, i));

	return e->chunk ? e->at : UINT64_MAX;
}

void seed_free(struct seed *s)
{
	free(s->table);
	s->table = NULL;
}
