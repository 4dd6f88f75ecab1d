/* SPDX-License-Identifier: MIT */
#ifndef KEEL_VERITY_H
#define KEEL_VERITY_H

#include <stddef.h>
#include <stdint.h>

/*
 * The root image carries its dm-verity hash tree right after its data
 * (veritysetup format --no-superblock --salt=- --hash-offset=<data size>,
 * 4 KiB blocks, sha256). The kernel command line names it:
 *   keel.verity=<64 hex root hash>:<data blocks>
 */
struct verity_spec {
	char root_hash[65];
	uint64_t data_blocks;
};

/* Parse the keel.verity= value. 0, or -EINVAL with the reason in why. */
int verity_parse(const char *text, struct verity_spec *v, const char **why);

/* The dm "verity" target line for a device ("/dev/vda2"). */
int verity_table(const struct verity_spec *v, const char *dev, char *buf,
		 size_t len);

/*
 * Create the read-only device-mapper device `name` over dev and return
 * its node ("/dev/dm-0") in node. Uses the dm ioctls directly.
 */
int verity_open(const char *name, const struct verity_spec *v, const char *dev,
		char *node, size_t len);

#endif
