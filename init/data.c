// SPDX-License-Identifier: MIT
#include "data.h"
#include "le.h"

/* ext2/3/4 superblock: 1024 bytes in, magic 0xEF53 at offset 56 (LE). */
#define EXT_SB_OFFSET 1024
#define EXT_MAGIC_OFFSET (EXT_SB_OFFSET + 56)

enum data_kind data_probe(const unsigned char *buf, size_t len)
{
	if (len >= EXT_MAGIC_OFFSET + 2 && buf[EXT_MAGIC_OFFSET] == 0x53 &&
	    buf[EXT_MAGIC_OFFSET + 1] == 0xEF)
		return DATA_EXT4;
	for (size_t i = 0; i < len; i++)
		if (buf[i])
			return DATA_UNKNOWN;
	return len ? DATA_BLANK : DATA_UNKNOWN;
}

/* ext4 superblock fields: Documentation/filesystems/ext4/super.rst */
long long ext4_fs_bytes(const unsigned char *buf, size_t len)
{
	const unsigned char *sb = buf + EXT_SB_OFFSET;
	unsigned long long blocks;
	unsigned log;

	if (len < EXT_SB_OFFSET + 0x154 || data_probe(buf, len) != DATA_EXT4)
		return -1;
	log = get_le32(sb + 0x18);
	if (log > 6) /* 64 KiB blocks at most */
		return -1;
	blocks = get_le32(sb + 0x4);
	if (get_le32(sb + 0x60) & 0x80) /* INCOMPAT_64BIT */
		blocks |= (unsigned long long)get_le32(sb + 0x150) << 32;
	if (blocks > (1ULL << 48))
		return -1;
	return (long long)(blocks << (10 + log));
}

/* e2fsck(8), EXIT CODE: bits 1, 2, 4, 8, 16, 32, 128. */
enum fsck_verdict fsck_judge(int code, const char **why)
{
	if (code == 0) {
		*why = "clean";
		return FSCK_CLEAN;
	}
	if (code < 0) {
		*why = "e2fsck did not run";
		return FSCK_FAILED;
	}
	if (code & 128) {
		*why = "e2fsck: shared library error";
		return FSCK_FAILED;
	}
	if (code & 32) {
		*why = "e2fsck canceled";
		return FSCK_FAILED;
	}
	if (code & 16) {
		*why = "e2fsck usage error";
		return FSCK_FAILED;
	}
	if (code & 8) {
		*why = "e2fsck operational error (no usable filesystem?)";
		return FSCK_FAILED;
	}
	if (code & 4) {
		*why = "errors left uncorrected";
		return FSCK_FAILED;
	}
	*why = (code & 2) ? "errors corrected, reboot advised"
			  : "errors corrected";
	return FSCK_FIXED;
}
