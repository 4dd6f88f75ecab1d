/* SPDX-License-Identifier: MIT */
#ifndef KEEL_GROW_H
#define KEEL_GROW_H

#include <stddef.h>
#include <stdint.h>

/*
 * Grow the data partition to the end of its disk on first boot: a disk
 * image flashed onto a bigger disk keeps its small data partition and its
 * backup GPT where the image ended. Call before mounting /var, with the
 * partition's device name ("vda4"). Returns 1 when the partition grew
 * (msg: "grew /dev/vda4 from 64 MiB to 2047 MiB"), 0 when there was
 * nothing to do (msg: "/dev/vda4 already fills the disk (2047 MiB)"),
 * -errno when the disk or its table is not one to touch; msg is then the
 * reason alone ("primary GPT: header CRC mismatch (...)"), for the caller
 * to log after "unable to grow data partition /dev/vda4: ". The partition
 * keeps its size and boot goes on. Growing the filesystem is the
 * caller's job. Safe to call on every boot, and again in the same boot.
 */
int data_grow(const char *part_dev_name, char *msg, size_t msglen);

/* The same with another sysfs and /dev, for tests on a fake tree. */
int data_grow_at(const char *sysfs_block, const char *dev_dir,
		 const char *part_dev_name, char *msg, size_t msglen);

/*
 * Tests stop the write sequence after a step, as a power cut would;
 * grow_table then returns -EINTR.
 */
enum grow_stop {
	GROW_STOP_NONE,
	GROW_STOP_BACKUP, /* new backup array + header at the disk end */
	GROW_STOP_SWITCH, /* primary header points at that array: commit */
	GROW_STOP_ENTRIES, /* new primary array at its home */
	GROW_STOP_PRIMARY, /* primary header final, before the MBR */
};

struct grow_req {
	uint32_t lba_size;
	uint64_t disk_bytes;
	uint32_t partno; /* 1-based, as the kernel numbers partitions */
	uint64_t start; /* the kernel's start LBA, to cross-check; 0: skip */
	const char *name; /* for messages; NULL: "partition N" */
	enum grow_stop stop;
};

struct grow_result {
	uint64_t first_lba;
	uint64_t old_last_lba;
	uint64_t last_lba; /* as the table says now */
};

/*
 * The table side of data_grow on an open disk (or disk image) fd: read
 * and check the GPT, grow partition partno, write the new table in an
 * order that survives a power cut at any point, and finish or repair
 * what an earlier cut left. Same returns as data_grow; a repaired backup
 * table returns 0 and says so in msg.
 */
int grow_table(int fd, const struct grow_req *req, struct grow_result *res,
	       char *msg, size_t msglen);

#endif
