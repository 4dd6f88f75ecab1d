/* SPDX-License-Identifier: MIT */
#ifndef KEEL_DATA_H
#define KEEL_DATA_H

#include <stdbool.h>
#include <stddef.h>

/*
 * The data partition ships blank so that every flashed disk gets its own
 * filesystem (and UUID) on first boot. A partition that is neither blank
 * nor ext4 is never formatted: it may be someone's data.
 */
enum data_kind {
	DATA_BLANK, /* all zero where a superblock would be: first boot */
	DATA_EXT4, /* ext2/3/4 superblock magic present */
	DATA_UNKNOWN, /* anything else */
};

/* Bytes of the partition's start that data_probe looks at. */
#define DATA_PROBE_LEN 65536

enum data_kind data_probe(const unsigned char *buf, size_t len);

/* Size in bytes of the ext4 filesystem whose start is buf, or -1. */
long long ext4_fs_bytes(const unsigned char *buf, size_t len);

enum fsck_verdict {
	FSCK_CLEAN, /* exit 0 */
	FSCK_FIXED, /* 1, or 2: repaired; /var is not the root, go on */
	FSCK_FAILED, /* 4 and up: not repaired, do not mount */
};

/* What e2fsck -p's exit code means for mounting; why gets a short text. */
enum fsck_verdict fsck_judge(int exit_code, const char **why);

#endif
