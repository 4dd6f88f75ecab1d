// SPDX-License-Identifier: MIT
/*
 * The dm-verity hash tree an update is checked against, block by block.
 * The expected root hashes are veritysetup's (cryptsetup 2.6, Debian 12)
 * for the same data:
 *
 *   veritysetup format --no-superblock --salt=- --hash-offset=<data size>
 *
 * over 300 blocks of pattern() (a 2-level tree of 4 blocks), over 200 MiB
 * of zeros (3 levels, 405 blocks) and over one block (no tree at all).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <nettle/sha2.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "os/bundle.h"
#include "os/vtree.h"

static void pattern(uint64_t block, uint8_t *out)
{
	for (uint64_t j = 0; j < VT_BLOCK; j++) {
		uint64_t x = block * VT_BLOCK + j;
		out[j] = (x * 31 + (x >> 12)) & 0xff;
	}
}

static void zeros(uint64_t block, uint8_t *out)
{
	(void)block;
	memset(out, 0, VT_BLOCK);
}

static void hash(const uint8_t *block, uint8_t *out)
{
	struct sha256_ctx s;

	sha256_init(&s);
	sha256_update(&s, VT_BLOCK, block);
	sha256_digest(&s, 32, out);
}

/* The tree as veritysetup lays it out, built the plain way. */
static uint8_t *build(const struct vtree *t, void (*data)(uint64_t, uint8_t *),
		      uint8_t root[32])
{
	uint8_t *tree = calloc(t->blocks ? t->blocks : 1, VT_BLOCK);
	uint8_t block[VT_BLOCK];

	for (uint64_t i = 0; i < t->data_blocks; i++) {
		data(i, block);
		if (!t->levels) {
			hash(block, root);
			return tree;
		}
		hash(block, tree + t->level_at[0] * VT_BLOCK + i * 32);
	}
	for (int l = 1; l < t->levels; l++)
		for (uint64_t j = 0; j < t->level_blocks[l - 1]; j++)
			hash(tree + (t->level_at[l - 1] + j) * VT_BLOCK,
			     tree + t->level_at[l] * VT_BLOCK + j * 32);
	hash(tree + t->level_at[t->levels - 1] * VT_BLOCK, root);
	return tree;
}

static void want_root(const uint8_t root[32], const char *hex)
{
	char got[65];

	sha256_hex(root, got);
	assert_string_equal(got, hex);
}

static void test_geometry(void **state)
{
	static const uint8_t none[32];
	struct vtree t;

	(void)state;
	assert_int_equal(vtree_init(&t, 1, none), 0);
	assert_int_equal(t.levels, 0);
	assert_int_equal(t.blocks, 0);
	assert_int_equal(vtree_init(&t, 128, none), 0);
	assert_int_equal(t.levels, 1);
	assert_int_equal(t.blocks, 1);
	assert_int_equal(vtree_init(&t, 129, none), 0);
	assert_int_equal(t.levels, 2);
	assert_int_equal(t.blocks, 3);
	/* veritysetup: 51200 data blocks, 405 hash blocks */
	assert_int_equal(vtree_init(&t, 51200, none), 0);
	assert_int_equal(t.levels, 3);
	assert_int_equal(t.blocks, 405);
	assert_int_equal(t.level_at[2], 0); /* top first, leaves last */
	assert_int_equal(t.level_at[1], 1);
	assert_int_equal(t.level_at[0], 5);
	assert_int_equal(vtree_init(&t, 0, none), -EINVAL);
	assert_int_equal(vtree_init(&t, (1ULL << 52) + 1, none), -EINVAL);
	assert_int_equal(vtree_init(&t, 1ULL << 52, none), 0);
}

static void test_pattern_tree(void **state)
{
	uint8_t root[32] = { 0 }, block[VT_BLOCK];
	struct vtree t;
	char err[160];

	(void)state;
	vtree_init(&t, 300, root);
	uint8_t *tree = build(&t, pattern, root);
	want_root(root, "96cb04359ed9c6d47b56a06ee45cbe1d"
			"258bbacca073786fd2cdceecbce524ec");
	vtree_init(&t, 300, root);
	assert_null(vtree_leaf(&t, 0)); /* nothing believed unchecked */
	assert_int_equal(vtree_check(&t, tree, 4 * VT_BLOCK, err, sizeof(err)),
			 0);
	for (uint64_t i = 0; i < 300; i += 37) {
		pattern(i, block);
		assert_true(vtree_block_ok(&t, i, block));
		block[4095] ^= 1;
		assert_false(vtree_block_ok(&t, i, block));
	}
	pattern(299, block);
	assert_false(vtree_block_ok(&t, 300, block)); /* past the end */

	/* a leaf changed: its level 0 block (the third) no longer matches */
	tree[VT_BLOCK + 2 * VT_BLOCK + 5] ^= 0x80;
	assert_int_equal(vtree_check(&t, tree, 4 * VT_BLOCK, err, sizeof(err)),
			 -EBADMSG);
	assert_string_equal(err, "verity tree does not match the signed root "
				 "hash (level 0 block 2)");
	tree[VT_BLOCK + 2 * VT_BLOCK + 5] ^= 0x80;
	tree[7] ^= 1; /* the top block */
	assert_int_equal(vtree_check(&t, tree, 4 * VT_BLOCK, err, sizeof(err)),
			 -EBADMSG);
	assert_non_null(strstr(err, "its top block"));
	tree[7] ^= 1;
	assert_int_equal(vtree_check(&t, tree, 3 * VT_BLOCK, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "300 data blocks need 16384"));
	free(tree);
}

static void test_zero_tree(void **state)
{
	uint8_t root[32] = { 0 }, block[VT_BLOCK] = { 0 };
	struct vtree t;
	char err[160];

	(void)state;
	vtree_init(&t, 51200, root);
	uint8_t *tree = build(&t, zeros, root);
	want_root(root, "55728d6d15f81c19261a68be4998c9f0"
			"912786fadbcd01d1ff066b03cf06887e");
	vtree_init(&t, 51200, root);
	assert_int_equal(
		vtree_check(&t, tree, 405 * VT_BLOCK, err, sizeof(err)), 0);
	assert_true(vtree_block_ok(&t, 51199, block));
	free(tree);

	/* one block: no tree, its hash is the root hash */
	vtree_init(&t, 1, root);
	tree = build(&t, pattern, root);
	want_root(root, "695fb69684bbdf7f0df73d0cbcf84b46"
			"104edfe6504fd3a1dcbd340f628f8d8a");
	vtree_init(&t, 1, root);
	assert_int_equal(vtree_check(&t, tree, 0, err, sizeof(err)), 0);
	pattern(0, block);
	assert_true(vtree_block_ok(&t, 0, block));
	free(tree);
}

static void test_spec(void **state)
{
	uint8_t root[32];
	uint64_t n;

	(void)state;
	assert_int_equal(
		vtree_parse_spec("96cb04359ed9c6d47b56a06ee45cbe1d"
				 "258bbacca073786fd2cdceecbce524ec:300",
				 root, &n),
		0);
	assert_int_equal(n, 300);
	want_root(root, "96cb04359ed9c6d47b56a06ee45cbe1d"
			"258bbacca073786fd2cdceecbce524ec");
	assert_int_equal(vtree_parse_spec("96cb:300", root, &n), -EINVAL);
	assert_int_equal(vtree_parse_spec("96cb04359ed9c6d47b56a06ee45cbe1d"
					  "258bbacca073786fd2cdceecbce524ec:",
					  root, &n),
			 -EINVAL);
	assert_int_equal(vtree_parse_spec("96cb04359ed9c6d47b56a06ee45cbe1d"
					  "258bbacca073786fd2cdceecbce524ec:0",
					  root, &n),
			 -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_geometry),
		cmocka_unit_test(test_pattern_tree),
		cmocka_unit_test(test_zero_tree),
		cmocka_unit_test(test_spec),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
