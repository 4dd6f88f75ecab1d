// SPDX-License-Identifier: MIT
/*
 * An update's dm-verity hash tree comes from the bundle before anything
 * is written, and is believed only once it hashes up to the signed root
 * hash. Here the first bytes pick the data block count and the root hash
 * (as if the manifest were forged too), the rest is the tree.
 *
 * A tree that checks out must give a leaf for every data block and none
 * past the end; one that does not must leave nothing to believe.
 */
#include "os/vtree.h"

#include <assert.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vtree t;
	char err[256];
	uint64_t blocks = 0;

	if (size < 2 + VT_HASH)
		return 0;
	blocks = 1 + (data[0] | data[1] << 8);
	if (vtree_init(&t, blocks, data + 2))
		return 0;
	assert(t.levels >= 0 && t.levels < VT_LEVELS_MAX);
	assert(!t.levels || t.level_blocks[t.levels - 1] == 1);
	const uint8_t *tree = data + 2 + VT_HASH;
	size_t len = size - 2 - VT_HASH;
	if (vtree_check(&t, tree, len, err, sizeof(err))) {
		assert(!vtree_leaf(&t, 0));
		return 0;
	}
	assert(len == t.blocks * VT_BLOCK);
	assert(vtree_leaf(&t, blocks - 1) && !vtree_leaf(&t, blocks));
	return 0;
}
