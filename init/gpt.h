/* SPDX-License-Identifier: MIT */
#ifndef KEEL_GPT_H
#define KEEL_GPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * GUID Partition Table logic (UEFI 2.x, section 5.3) for growing the data
 * partition: no I/O here, only bytes in and bytes out, so that all of it
 * runs in unit tests and under the fuzzer. The I/O and the order of the
 * writes live in grow.c.
 *
 * Every LBA is a logical block of lba_size bytes (512 or 4096; any power
 * of two in between is accepted). Functions return 0 or -errno and put a
 * short reason in err.
 */

#define GPT_LBA_SIZE_MIN 512
#define GPT_LBA_SIZE_MAX 4096
#define GPT_HEADER_SIZE_MIN 92
/* The largest entry array we handle: 128 entries of 128 bytes. */
#define GPT_ENTRIES_MAX_BYTES (128 * 128)
#define GPT_ENTRY_NAME_UNITS 36 /* UTF-16 code units in an entry's name */
/* A protective MBR is one 512-byte block, whatever the LBA size. */
#define GPT_MBR_SIZE 512

/* A header's fields, host byte order. */
struct gpt_header {
	uint32_t revision;
	uint32_t header_size;
	uint64_t my_lba;
	uint64_t alternate_lba;
	uint64_t first_usable_lba;
	uint64_t last_usable_lba;
	uint8_t disk_guid[16];
	uint64_t entries_lba;
	uint32_t num_entries;
	uint32_t entry_size;
	uint32_t entries_crc;
};

/* The fields of an entry this code looks at. */
struct gpt_entry {
	uint8_t type_guid[16];
	uint64_t first_lba;
	uint64_t last_lba;
};

/* LBAs the header's entry array takes, rounded up to whole blocks. */
uint64_t gpt_entries_blocks(const struct gpt_header *h, uint32_t lba_size);

/*
 * Check and decode the header in blk (one block) read from LBA lba of a
 * disk of disk_lbas blocks: signature, revision 1.x, size, CRC, MyLBA,
 * entry size and count, and that every LBA it names lies on the disk
 * without overlapping the usable space.
 */
int gpt_header_parse(const uint8_t *blk, uint32_t lba_size, uint64_t lba,
		     uint64_t disk_lbas, struct gpt_header *h, char *err,
		     size_t errlen);

/* Encode h into blk (lba_size bytes, the rest zero) with its CRC. */
void gpt_header_write(const struct gpt_header *h, uint8_t *blk,
		      uint32_t lba_size);

/* CRC of the entry array as h sizes it. */
uint32_t gpt_entries_crc(const struct gpt_header *h, const uint8_t *entries);

/*
 * Check the entry array h describes (len bytes at entries, at least
 * num_entries * entry_size): its CRC, and that every partition in use
 * lies in the usable space and overlaps no other.
 */
int gpt_entries_check(const struct gpt_header *h, const uint8_t *entries,
		      size_t len, char *err, size_t errlen);

void gpt_entry_get(const struct gpt_header *h, const uint8_t *entries,
		   uint32_t index, struct gpt_entry *e);
bool gpt_entry_used(const struct gpt_entry *e);

/*
 * Index of the entry in use whose UTF-16LE name is the ASCII string name.
 * -ENOENT if none, -EEXIST if two (which one to grow would be a guess).
 */
int gpt_find_name(const struct gpt_header *h, const uint8_t *entries,
		  const char *name);

/* The header describing the same table from the other end of the disk. */
void gpt_header_backup(const struct gpt_header *primary, uint32_t lba_size,
		       uint64_t disk_lbas, struct gpt_header *backup);

/* The grown table: what the partition was, what it becomes. */
struct gpt_grown {
	uint64_t first_lba;
	uint64_t old_last_lba;
	uint64_t new_last_lba;
	struct gpt_header primary; /* at LBA 1, entries where they were */
	struct gpt_header backup; /* at the disk's last LBA */
};

/*
 * Grow entry index (0-based) of the table with primary header h to the
 * end of a disk of disk_lbas blocks, 1 MiB aligned, leaving room for the
 * backup entry array and header there. Returns 1 and rewrites the entry
 * in place when the partition gains at least 1 MiB; 0 when it would not
 * (err says why); -errno when the table is not one to touch: the entry is
 * unused, not the last partition, or the disk is smaller than the table.
 */
int gpt_plan_grow(const struct gpt_header *h, uint8_t *entries, uint32_t index,
		  uint32_t lba_size, uint64_t disk_lbas, struct gpt_grown *g,
		  char *err, size_t errlen);

/*
 * Bring a protective MBR's size up to the disk (UEFI: DiskSize - 1, or
 * 0xFFFFFFFF when larger). Only a pure protective MBR is changed: one
 * 0xEE entry starting at LBA 1 and nothing else; a hybrid MBR (some
 * boards boot from one) is left alone. Returns true when mbr changed.
 */
bool gpt_pmbr_fit(uint8_t *mbr, uint64_t disk_lbas);

#endif
