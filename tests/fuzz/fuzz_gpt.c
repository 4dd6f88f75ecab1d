// SPDX-License-Identifier: MIT
/*
 * A GPT header and entry array come off a disk we did not write.
 *
 * Input: a flags byte, 8 bytes (LE) of disk size, a byte picking the
 * entry to grow when none is named "data", then header and entry bytes.
 * Flags bits 0-1: the LBA size, 512 << n. Bit 2 clear: the bytes are the
 * header block and the entry array as they are. Bit 2 set: the bytes are
 * XORed over a valid table (esp, root-a, root-b, data on a 72 MiB disk)
 * whose signature and CRCs are then made right again, and the 8 bytes
 * are added to the disk's size: the fuzzer starts deep inside, without a
 * seed, and mutates fields the CRCs would otherwise guard.
 *
 * Whatever parses must survive growing: the grown headers parse back to
 * themselves, the grown entries check, and growing again does nothing.
 */
#include "gpt.h"
#include "crc32.h"
#include "le.h"

#include <stdint.h>
#include <string.h>

#define XOR_TEMPLATE 4
#define TEMPLATE_MIB 72

/* The table scripts/mkdisk makes, scaled to the LBA size. */
static uint64_t template(uint8_t *hdr, uint8_t *ent, uint32_t lba_size)
{
	static const char *const names[] = { "esp", "root-a", "root-b",
					     "data" };
	static const int mib[] = { 10, 20, 20, 20 };
	uint64_t m = 1024 * 1024 / lba_size, disk = TEMPLATE_MIB * m, at = m;
	struct gpt_header h = {
		.revision = 0x00010000,
		.header_size = 92,
		.my_lba = 1,
		.alternate_lba = disk - 1,
		.entries_lba = 2,
		.num_entries = 128,
		.entry_size = 128,
	};
	uint64_t eb = gpt_entries_blocks(&h, lba_size);

	memset(ent, 0, GPT_ENTRIES_MAX_BYTES);
	for (int i = 0; i < 4; i++) {
		uint8_t *e = ent + 128 * i;

		memset(e, 0x11 * (i + 1), 32); /* type and unique GUIDs */
		put_le64(e + 32, at);
		put_le64(e + 40, at + mib[i] * m - 1);
		for (size_t k = 0; names[i][k]; k++)
			e[56 + 2 * k] = names[i][k];
		at += mib[i] * m;
	}
	h.first_usable_lba = 2 + eb;
	h.last_usable_lba = disk - 2 - eb;
	memset(h.disk_guid, 0x5a, sizeof(h.disk_guid));
	h.entries_crc = gpt_entries_crc(&h, ent);
	gpt_header_write(&h, hdr, lba_size);
	return disk;
}

/* A protective MBR for a disk of disk LBAs, as sgdisk writes it. */
static void template_mbr(uint8_t *mbr, uint64_t disk)
{
	static const uint8_t part[16] = { 0,	0,    2, 0, 0xee, 0xff,
					  0xff, 0xff, 1, 0, 0,	  0 };

	memset(mbr, 0, GPT_MBR_SIZE);
	memcpy(mbr + 446, part, sizeof(part));
	put_le32(mbr + 446 + 12, disk - 1);
	mbr[510] = 0x55;
	mbr[511] = 0xaa;
}

static void fix_crcs(uint8_t *hdr, uint32_t lba_size, const uint8_t *ent)
{
	uint32_t hsize = get_le32(hdr + 12);
	uint64_t bytes = (uint64_t)get_le32(hdr + 80) * get_le32(hdr + 84);

	memcpy(hdr, "EFI PART", 8);
	if (bytes <= GPT_ENTRIES_MAX_BYTES)
		put_le32(hdr + 88, crc32_ieee(0, ent, bytes));
	if (hsize < GPT_HEADER_SIZE_MIN || hsize > lba_size)
		return;
	put_le32(hdr + 16, 0);
	put_le32(hdr + 16, crc32_ieee(0, hdr, hsize));
}

static bool same(const struct gpt_header *a, const struct gpt_header *b)
{
	return a->revision == b->revision && a->header_size == b->header_size &&
	       a->my_lba == b->my_lba && a->alternate_lba == b->alternate_lba &&
	       a->first_usable_lba == b->first_usable_lba &&
	       a->last_usable_lba == b->last_usable_lba &&
	       !memcmp(a->disk_guid, b->disk_guid, sizeof(a->disk_guid)) &&
	       a->entries_lba == b->entries_lba &&
	       a->num_entries == b->num_entries &&
	       a->entry_size == b->entry_size &&
	       a->entries_crc == b->entries_crc;
}

/* A header we made must read back as itself. */
static void reparse(const struct gpt_header *h, uint32_t lba_size,
		    uint64_t disk_lbas)
{
	static uint8_t blk2[GPT_LBA_SIZE_MAX];
	struct gpt_header back;
	char err[160];

	gpt_header_write(h, blk2, lba_size);
	if (gpt_header_parse(blk2, lba_size, h->my_lba, disk_lbas, &back, err,
			     sizeof(err)) ||
	    !same(&back, h))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t hdr[GPT_LBA_SIZE_MAX], ent[GPT_ENTRIES_MAX_BYTES];
	uint8_t mbr[GPT_MBR_SIZE];
	uint64_t disk_lbas = 0;
	struct gpt_header h, sw;
	struct gpt_grown g;
	uint32_t lba_size;
	int flags, pick, idx;
	char err[160];
	size_t i;

	if (size < 10)
		return 0;
	flags = data[0];
	lba_size = 512u << (flags & 3);
	for (i = 0; i < 8; i++)
		disk_lbas |= (uint64_t)data[1 + i] << (8 * i);
	pick = data[9];
	data += 10;
	size -= 10;

	if (flags & XOR_TEMPLATE) {
		template_mbr(mbr, template(hdr, ent, lba_size));
		for (i = 0; i < size && i < sizeof(mbr); i++)
			mbr[i] ^= data[i];
		disk_lbas += template(hdr, ent, lba_size);
		for (i = 0; i < size && i < lba_size; i++)
			hdr[i] ^= data[i];
		for (; i < size && i - lba_size < GPT_ENTRIES_MAX_BYTES; i++)
			ent[i - lba_size] ^= data[i];
	} else {
		memset(hdr, 0, sizeof(hdr));
		memset(ent, 0, sizeof(ent));
		for (i = 0; i < size && i < lba_size; i++)
			hdr[i] = data[i];
		for (; i < size && i - lba_size < GPT_ENTRIES_MAX_BYTES; i++)
			ent[i - lba_size] = data[i];
		memcpy(mbr, hdr, sizeof(mbr));
	}

	/* the protective MBR rule settles in one step */
	if (gpt_pmbr_fit(mbr, disk_lbas) && gpt_pmbr_fit(mbr, disk_lbas))
		__builtin_trap();
	if (flags & XOR_TEMPLATE)
		fix_crcs(hdr, lba_size, ent);

	if (gpt_header_parse(hdr, lba_size, 1, disk_lbas, &h, err, sizeof(err)))
		return 0;
	if ((uint64_t)h.num_entries * h.entry_size > GPT_ENTRIES_MAX_BYTES ||
	    h.entries_lba + gpt_entries_blocks(&h, lba_size) > disk_lbas ||
	    h.last_usable_lba >= disk_lbas)
		__builtin_trap();
	reparse(&h, lba_size, disk_lbas);
	if (gpt_entries_check(&h, ent, sizeof(ent), err, sizeof(err)))
		return 0;

	idx = gpt_find_name(&h, ent, "data");
	if (idx < 0)
		idx = pick % h.num_entries;
	if (gpt_plan_grow(&h, ent, idx, lba_size, disk_lbas, &g, err,
			  sizeof(err)) != 1)
		return 0;
	if (g.new_last_lba <= g.old_last_lba ||
	    g.new_last_lba > g.primary.last_usable_lba)
		__builtin_trap();
	reparse(&g.primary, lba_size, disk_lbas);
	reparse(&g.backup, lba_size, disk_lbas);
	sw = g.primary;
	sw.entries_lba = g.backup.entries_lba; /* grow.c's commit step */
	reparse(&sw, lba_size, disk_lbas);
	if (gpt_entries_check(&g.primary, ent, sizeof(ent), err, sizeof(err)))
		__builtin_trap();
	if (gpt_plan_grow(&g.primary, ent, idx, lba_size, disk_lbas, &g, err,
			  sizeof(err)) != 0)
		__builtin_trap();
	return 0;
}
