// SPDX-License-Identifier: MIT
#include "os/vtree.h"
#include "errmsg.h"
#include "os/bundle.h"

#include <errno.h>
#include <inttypes.h>
#include <nettle/sha2.h>
#include <stdlib.h>
#include <string.h>

static void block_hash(const void *block, uint8_t out[VT_HASH])
{
	struct sha256_ctx sha;

	sha256_init(&sha);
	sha256_update(&sha, VT_BLOCK, block);
	sha256_digest(&sha, VT_HASH, out);
}

int vtree_init(struct vtree *t, uint64_t data_blocks,
	       const uint8_t root[VT_HASH])
{
	uint64_t at = 0;
	int levels = 0;

	memset(t, 0, sizeof(*t));
	if (!data_blocks || data_blocks > (1ULL << 52))
		return -EINVAL;
	/*
	 * verity_ctr: as many levels as it takes for one top block, 7 bits
	 * (128 hashes) per level.
	 */
	while ((data_blocks - 1) >> (7 * levels))
		levels++;
	t->data_blocks = data_blocks;
	t->levels = levels;
	for (int i = levels - 1; i >= 0; i--) {
		uint64_t per = 1ULL << (7 * (i + 1));
		t->level_blocks[i] = (data_blocks + per - 1) >> (7 * (i + 1));
		t->level_at[i] = at;
		at += t->level_blocks[i];
	}
	t->blocks = at;
	memcpy(t->root, root, VT_HASH);
	return 0;
}

/* Entry j of level i (the hash of block j one level down). */
static const uint8_t *entry(const struct vtree *t, const uint8_t *tree, int i,
			    uint64_t j)
{
	return tree + (t->level_at[i] + j / VT_PER_BLOCK) * VT_BLOCK +
	       (j % VT_PER_BLOCK) * VT_HASH;
}

int vtree_check(struct vtree *t, const uint8_t *tree, size_t len, char *err,
		size_t errlen)
{
	uint8_t got[VT_HASH];

	t->bytes = NULL;
	if (len != t->blocks * VT_BLOCK)
		return errmsg(err, errlen, -EINVAL,
			      "verity tree is %zu bytes; %" PRIu64
			      " data blocks need %" PRIu64,
			      len, t->data_blocks, t->blocks * VT_BLOCK);
	if (!t->levels) {
		t->bytes = tree;
		return 0;
	}
	block_hash(tree + t->level_at[t->levels - 1] * VT_BLOCK, got);
	if (memcmp(got, t->root, VT_HASH))
		return errmsg(err, errlen, -EBADMSG,
			      "verity tree does not match the signed root "
			      "hash (its top block hashes differently)");
	/* each level's blocks against the entries one level up */
	for (int i = t->levels - 1; i > 0; i--) {
		for (uint64_t j = 0; j < t->level_blocks[i - 1]; j++) {
			block_hash(tree + (t->level_at[i - 1] + j) * VT_BLOCK,
				   got);
			if (memcmp(got, entry(t, tree, i, j), VT_HASH))
				return errmsg(err, errlen, -EBADMSG,
					      "verity tree does not match the "
					      "signed root hash (level %d "
					      "block %" PRIu64 ")",
					      i - 1, j);
		}
	}
	t->bytes = tree;
	return 0;
}

const uint8_t *vtree_leaf(const struct vtree *t, uint64_t i)
{
	if (!t->bytes || i >= t->data_blocks)
		return NULL;
	return t->levels ? entry(t, t->bytes, 0, i) : t->root;
}

bool vtree_block_ok(const struct vtree *t, uint64_t i, const void *block)
{
	const uint8_t *want = vtree_leaf(t, i);
	uint8_t got[VT_HASH];

	if (!want)
		return false;
	block_hash(block, got);
	return !memcmp(got, want, VT_HASH);
}

int vtree_parse_spec(const char *spec, uint8_t root[VT_HASH],
		     uint64_t *data_blocks)
{
	char hex[2 * VT_HASH + 1], *end;
	const char *colon = strchr(spec, ':');

	if (!colon || colon - spec != 2 * VT_HASH)
		return -EINVAL;
	memcpy(hex, spec, 2 * VT_HASH);
	hex[2 * VT_HASH] = '\0';
	if (hex_decode(hex, root, VT_HASH))
		return -EINVAL;
	errno = 0;
	unsigned long long n = strtoull(colon + 1, &end, 10);
	if (errno || end == colon + 1 || *end || !n)
		return -EINVAL;
	*data_blocks = n;
	return 0;
}
