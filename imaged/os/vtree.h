/* SPDX-License-Identifier: MIT */
#ifndef KEEL_VTREE_H
#define KEEL_VTREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A root image's dm-verity hash tree as keel's build makes it
 * (`veritysetup format --no-superblock --salt=-`, 4 KiB data and hash
 * blocks, sha256, format version 1) and init opens it: the hash area
 * right after the data. Pure: bytes in, verdicts out, for the unit tests
 * and the fuzzer.
 *
 * The layout (the kernel's Documentation/admin-guide/device-mapper/
 * verity.rst, "Hash tree", and drivers/md/dm-verity-target.c,
 * verity_ctr): level 0 holds one 32-byte hash per data block, 128 to a
 * hash block; level i + 1 one hash per block of level i; the top level is
 * one block, whose hash is the root hash. On disk the top level comes
 * first and level 0 last. A hash is sha256(salt || block) in format 1;
 * keel's salt is empty. One data block needs no tree: its own hash is the
 * root hash.
 */
#define VT_BLOCK 4096
#define VT_HASH 32
#define VT_PER_BLOCK (VT_BLOCK / VT_HASH)
#define VT_LEVELS_MAX 10 /* 128^9 blocks of 4 KiB: more than 2^64 bytes */

struct vtree {
	uint64_t data_blocks;
	int levels;
	uint64_t level_at
		[VT_LEVELS_MAX]; /* first block, from the tree's start */
	uint64_t level_blocks[VT_LEVELS_MAX];
	uint64_t blocks; /* of the whole tree */
	const uint8_t *bytes; /* the tree, once vtree_check passed */
	uint8_t root[VT_HASH];
};

/* The geometry for data_blocks (1..2^52) blocks of data. */
int vtree_init(struct vtree *t, uint64_t data_blocks,
	       const uint8_t root[VT_HASH]);

/*
 * The tree (len bytes, exactly t->blocks blocks) checked from the root
 * hash down, every block of it: then t->bytes points at it (the caller
 * keeps it) and vtree_leaf may be believed. An error names the level and
 * block that does not match.
 */
int vtree_check(struct vtree *t, const uint8_t *tree, size_t len, char *err,
		size_t errlen);

/* The hash data block i must have, from a checked tree. */
const uint8_t *vtree_leaf(const struct vtree *t, uint64_t i);

/* Data block i (VT_BLOCK bytes) matches its leaf. */
bool vtree_block_ok(const struct vtree *t, uint64_t i, const void *block);

/* A manifest's verity value, "<root hash hex>:<data blocks>", split. */
int vtree_parse_spec(const char *spec, uint8_t root[VT_HASH],
		     uint64_t *data_blocks);

#endif
