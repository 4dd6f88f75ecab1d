// SPDX-License-Identifier: MIT
/*
 * GPT headers and entry arrays as bytes. Everything read from a disk is
 * checked before it is believed: a field that is out of range is a reason
 * to leave the disk alone, never something to repair by guessing.
 */
#include "gpt.h"
#include "crc32.h"
#include "errmsg.h"
#include "le.h"

#include <errno.h>
#include <string.h>

/* Header field offsets (UEFI 2.x, table 5-5). */
#define H_SIGNATURE 0
#define H_REVISION 8
#define H_SIZE 12
#define H_CRC 16
#define H_RESERVED 20
#define H_MY_LBA 24
#define H_ALTERNATE_LBA 32
#define H_FIRST_USABLE 40
#define H_LAST_USABLE 48
#define H_DISK_GUID 56
#define H_ENTRIES_LBA 72
#define H_NUM_ENTRIES 80
#define H_ENTRY_SIZE 84
#define H_ENTRIES_CRC 88

/* Entry field offsets (table 5-6). */
#define E_TYPE_GUID 0
#define E_FIRST_LBA 32
#define E_LAST_LBA 40
#define E_NAME 56

#define GPT_MIN_ENTRY_SIZE 128
#define MBR_PART(i) (446 + 16 * (i))

static const char gpt_signature[8] = "EFI PART";

static bool lba_size_ok(uint32_t lba_size)
{
	return lba_size >= GPT_LBA_SIZE_MIN && lba_size <= GPT_LBA_SIZE_MAX &&
	       !(lba_size & (lba_size - 1));
}

static uint64_t entries_bytes(const struct gpt_header *h)
{
	return (uint64_t)h->num_entries * h->entry_size;
}

uint64_t gpt_entries_blocks(const struct gpt_header *h, uint32_t lba_size)
{
	return (entries_bytes(h) + lba_size - 1) / lba_size;
}

/* True when [a, a + n) and [b, b + m) share a block; n, m >= 1. */
static bool ranges_meet(uint64_t a, uint64_t n, uint64_t b, uint64_t m)
{
	return a < b + m && b < a + n;
}

/* The header's CRC: over header_size bytes with the CRC field as zero. */
static uint32_t header_crc(const uint8_t *blk, uint32_t size)
{
	static const uint8_t zero[4];
	uint32_t crc = crc32_ieee(0, blk, H_CRC);

	crc = crc32_ieee(crc, zero, sizeof(zero));
	return crc32_ieee(crc, blk + H_RESERVED, size - H_RESERVED);
}

static void header_decode(const uint8_t *blk, struct gpt_header *h)
{
	h->revision = get_le32(blk + H_REVISION);
	h->header_size = get_le32(blk + H_SIZE);
	h->my_lba = get_le64(blk + H_MY_LBA);
	h->alternate_lba = get_le64(blk + H_ALTERNATE_LBA);
	h->first_usable_lba = get_le64(blk + H_FIRST_USABLE);
	h->last_usable_lba = get_le64(blk + H_LAST_USABLE);
	memcpy(h->disk_guid, blk + H_DISK_GUID, sizeof(h->disk_guid));
	h->entries_lba = get_le64(blk + H_ENTRIES_LBA);
	h->num_entries = get_le32(blk + H_NUM_ENTRIES);
	h->entry_size = get_le32(blk + H_ENTRY_SIZE);
	h->entries_crc = get_le32(blk + H_ENTRIES_CRC);
}

/* The LBAs a decoded header names, against the disk and each other. */
static int header_layout_check(const struct gpt_header *h, uint32_t lba_size,
			       uint64_t disk_lbas, char *err, size_t errlen)
{
	uint64_t eb = gpt_entries_blocks(h, lba_size);

	if (h->first_usable_lba < 2 || h->first_usable_lba > h->last_usable_lba)
		return errmsg(err, errlen, -EINVAL,
			      "usable LBAs %llu-%llu make no sense",
			      (unsigned long long)h->first_usable_lba,
			      (unsigned long long)h->last_usable_lba);
	if (h->last_usable_lba >= disk_lbas || h->alternate_lba >= disk_lbas)
		return errmsg(
			err, errlen, -EINVAL,
			"table reaches LBA %llu but the disk has %llu LBAs",
			(unsigned long long)(h->alternate_lba >
							     h->last_usable_lba
						     ? h->alternate_lba
						     : h->last_usable_lba),
			(unsigned long long)disk_lbas);
	if (h->alternate_lba == h->my_lba || h->alternate_lba == 0)
		return errmsg(err, errlen, -EINVAL,
			      "alternate header LBA %llu is not valid",
			      (unsigned long long)h->alternate_lba);
	if (ranges_meet(h->my_lba, 1, h->first_usable_lba,
			h->last_usable_lba - h->first_usable_lba + 1) ||
	    ranges_meet(h->alternate_lba, 1, h->first_usable_lba,
			h->last_usable_lba - h->first_usable_lba + 1))
		return errmsg(err, errlen, -EINVAL,
			      "a header lies in the usable LBAs");
	if (h->entries_lba == 0 || h->entries_lba >= disk_lbas ||
	    eb > disk_lbas - h->entries_lba)
		return errmsg(err, errlen, -EINVAL,
			      "entry array at LBA %llu is off the disk",
			      (unsigned long long)h->entries_lba);
	if (ranges_meet(h->entries_lba, eb, h->first_usable_lba,
			h->last_usable_lba - h->first_usable_lba + 1) ||
	    ranges_meet(h->entries_lba, eb, h->my_lba, 1) ||
	    ranges_meet(h->entries_lba, eb, h->alternate_lba, 1))
		return errmsg(
			err, errlen, -EINVAL,
			"entry array at LBA %llu overlaps a header or the "
			"usable LBAs",
			(unsigned long long)h->entries_lba);
	return 0;
}

int gpt_header_parse(const uint8_t *blk, uint32_t lba_size, uint64_t lba,
		     uint64_t disk_lbas, struct gpt_header *h, char *err,
		     size_t errlen)
{
	uint32_t crc;

	if (!lba_size_ok(lba_size))
		return errmsg(err, errlen, -EOPNOTSUPP,
			      "unsupported LBA size %u", lba_size);
	if (memcmp(blk + H_SIGNATURE, gpt_signature, sizeof(gpt_signature)))
		return errmsg(err, errlen, -EINVAL,
			      "no GPT signature at LBA %llu",
			      (unsigned long long)lba);
	header_decode(blk, h);
	if (h->revision >> 16 != 1)
		return errmsg(err, errlen, -EOPNOTSUPP,
			      "unsupported GPT revision %u.%u",
			      h->revision >> 16, h->revision & 0xffff);
	if (h->header_size < GPT_HEADER_SIZE_MIN || h->header_size > lba_size)
		return errmsg(err, errlen, -EINVAL,
			      "header size %u is not in %u..%u", h->header_size,
			      GPT_HEADER_SIZE_MIN, lba_size);
	crc = header_crc(blk, h->header_size);
	if (crc != get_le32(blk + H_CRC))
		return errmsg(
			err, errlen, -EBADMSG,
			"header CRC mismatch (stored %08x, computed %08x)",
			get_le32(blk + H_CRC), crc);
	if (h->my_lba != lba)
		return errmsg(err, errlen, -EINVAL,
			      "header at LBA %llu says it is at %llu",
			      (unsigned long long)lba,
			      (unsigned long long)h->my_lba);
	if (h->entry_size < GPT_MIN_ENTRY_SIZE ||
	    h->entry_size > GPT_ENTRIES_MAX_BYTES ||
	    h->entry_size & (h->entry_size - 1))
		return errmsg(err, errlen, -EINVAL,
			      "entry size %u is not 128 x 2^n", h->entry_size);
	if (h->num_entries == 0)
		return errmsg(err, errlen, -EINVAL, "the table has no entries");
	if (entries_bytes(h) > GPT_ENTRIES_MAX_BYTES)
		return errmsg(
			err, errlen, -EOPNOTSUPP,
			"%u entries of %u bytes are more than the %u bytes "
			"handled",
			h->num_entries, h->entry_size, GPT_ENTRIES_MAX_BYTES);
	return header_layout_check(h, lba_size, disk_lbas, err, errlen);
}

void gpt_header_write(const struct gpt_header *h, uint8_t *blk,
		      uint32_t lba_size)
{
	memset(blk, 0, lba_size);
	memcpy(blk + H_SIGNATURE, gpt_signature, sizeof(gpt_signature));
	put_le32(blk + H_REVISION, h->revision);
	put_le32(blk + H_SIZE, h->header_size);
	put_le64(blk + H_MY_LBA, h->my_lba);
	put_le64(blk + H_ALTERNATE_LBA, h->alternate_lba);
	put_le64(blk + H_FIRST_USABLE, h->first_usable_lba);
	put_le64(blk + H_LAST_USABLE, h->last_usable_lba);
	memcpy(blk + H_DISK_GUID, h->disk_guid, sizeof(h->disk_guid));
	put_le64(blk + H_ENTRIES_LBA, h->entries_lba);
	put_le32(blk + H_NUM_ENTRIES, h->num_entries);
	put_le32(blk + H_ENTRY_SIZE, h->entry_size);
	put_le32(blk + H_ENTRIES_CRC, h->entries_crc);
	put_le32(blk + H_CRC, header_crc(blk, h->header_size));
}

uint32_t gpt_entries_crc(const struct gpt_header *h, const uint8_t *entries)
{
	return crc32_ieee(0, entries, entries_bytes(h));
}

void gpt_entry_get(const struct gpt_header *h, const uint8_t *entries,
		   uint32_t index, struct gpt_entry *e)
{
	const uint8_t *p = entries + (size_t)index * h->entry_size;

	memcpy(e->type_guid, p + E_TYPE_GUID, sizeof(e->type_guid));
	e->first_lba = get_le64(p + E_FIRST_LBA);
	e->last_lba = get_le64(p + E_LAST_LBA);
}

bool gpt_entry_used(const struct gpt_entry *e)
{
	for (size_t i = 0; i < sizeof(e->type_guid); i++)
		if (e->type_guid[i])
			return true;
	return false;
}

int gpt_entries_check(const struct gpt_header *h, const uint8_t *entries,
		      size_t len, char *err, size_t errlen)
{
	struct gpt_entry a, b;
	uint32_t crc;

	if (len < entries_bytes(h))
		return errmsg(err, errlen, -EINVAL, "entry array cut short");
	crc = gpt_entries_crc(h, entries);
	if (crc != h->entries_crc)
		return errmsg(err, errlen, -EBADMSG,
			      "entry array CRC mismatch (header says %08x, "
			      "computed %08x)",
			      h->entries_crc, crc);
	for (uint32_t i = 0; i < h->num_entries; i++) {
		gpt_entry_get(h, entries, i, &a);
		if (!gpt_entry_used(&a))
			continue;
		if (a.first_lba > a.last_lba ||
		    a.first_lba < h->first_usable_lba ||
		    a.last_lba > h->last_usable_lba)
			return errmsg(
				err, errlen, -EINVAL,
				"partition %u (LBA %llu-%llu) is not within "
				"the usable LBAs %llu-%llu",
				i + 1, (unsigned long long)a.first_lba,
				(unsigned long long)a.last_lba,
				(unsigned long long)h->first_usable_lba,
				(unsigned long long)h->last_usable_lba);
		for (uint32_t j = 0; j < i; j++) {
			gpt_entry_get(h, entries, j, &b);
			if (gpt_entry_used(&b) && a.first_lba <= b.last_lba &&
			    b.first_lba <= a.last_lba)
				return errmsg(err, errlen, -EINVAL,
					      "partitions %u and %u overlap",
					      j + 1, i + 1);
		}
	}
	return 0;
}

static bool name_is(const uint8_t *p, const char *name)
{
	size_t n = strlen(name);

	if (n > GPT_ENTRY_NAME_UNITS)
		return false;
	for (size_t i = 0; i < n; i++)
		if (p[2 * i] != (uint8_t)name[i] || p[2 * i + 1])
			return false;
	return n == GPT_ENTRY_NAME_UNITS || (!p[2 * n] && !p[2 * n + 1]);
}

int gpt_find_name(const struct gpt_header *h, const uint8_t *entries,
		  const char *name)
{
	struct gpt_entry e;
	int found = -ENOENT;

	for (uint32_t i = 0; i < h->num_entries; i++) {
		gpt_entry_get(h, entries, i, &e);
		if (!gpt_entry_used(&e) ||
		    !name_is(entries + (size_t)i * h->entry_size + E_NAME,
			     name))
			continue;
		if (found >= 0)
			return -EEXIST;
		found = i;
	}
	return found;
}

void gpt_header_backup(const struct gpt_header *primary, uint32_t lba_size,
		       uint64_t disk_lbas, struct gpt_header *backup)
{
	uint64_t my = primary->my_lba;
	uint64_t eb = gpt_entries_blocks(primary, lba_size);

	*backup = *primary; /* may be the same struct */
	backup->my_lba = disk_lbas - 1;
	backup->alternate_lba = my;
	backup->entries_lba = disk_lbas - 1 - eb;
}

int gpt_plan_grow(const struct gpt_header *h, uint8_t *entries, uint32_t index,
		  uint32_t lba_size, uint64_t disk_lbas, struct gpt_grown *g,
		  char *err, size_t errlen)
{
	uint64_t align, eb, last_usable, last;
	struct gpt_entry e, o;

	if (!lba_size_ok(lba_size))
		return errmsg(err, errlen, -EOPNOTSUPP,
			      "unsupported LBA size %u", lba_size);
	if (h->my_lba != 1 || h->entries_lba >= h->first_usable_lba)
		return errmsg(err, errlen, -EINVAL, "not a primary header");
	if (index >= h->num_entries)
		return errmsg(err, errlen, -ENOENT,
			      "no partition %u: the table has %u", index + 1,
			      h->num_entries);
	gpt_entry_get(h, entries, index, &e);
	if (!gpt_entry_used(&e) || e.first_lba > e.last_lba)
		return errmsg(err, errlen, -ENOENT,
			      "partition %u is not in use", index + 1);
	for (uint32_t i = 0; i < h->num_entries; i++) {
		gpt_entry_get(h, entries, i, &o);
		if (i != index && gpt_entry_used(&o) &&
		    o.last_lba >= e.first_lba)
			return errmsg(err, errlen, -EINVAL,
				      "partition %u is not the last one: "
				      "partition %u ends after it starts",
				      index + 1, i + 1);
	}

	/* Room for the backup: its entry array, then its header. */
	eb = gpt_entries_blocks(h, lba_size);
	if (disk_lbas <= h->alternate_lba || disk_lbas < eb + 3)
		return errmsg(err, errlen, -EINVAL,
			      "the disk (%llu LBAs) is smaller than "
			      "its partition table",
			      (unsigned long long)disk_lbas);
	last_usable = disk_lbas - 2 - eb;
	align = (1024 * 1024) / lba_size;
	last = (last_usable + 1) / align * align;
	if (last <= e.last_lba || last - e.last_lba <= align)
		return errmsg(err, errlen, 0, "already fills the disk");
	last--;

	g->first_lba = e.first_lba;
	g->old_last_lba = e.last_lba;
	g->new_last_lba = last;
	put_le64(entries + (size_t)index * h->entry_size + E_LAST_LBA, last);
	g->primary = *h;
	g->primary.alternate_lba = disk_lbas - 1;
	g->primary.last_usable_lba = last_usable;
	g->primary.entries_crc = gpt_entries_crc(h, entries);
	gpt_header_backup(&g->primary, lba_size, disk_lbas, &g->backup);
	return 1;
}

static void chs_put(uint8_t *p, uint64_t lba)
{
	uint64_t c = lba / (255 * 63);

	if (c > 1023) {
		p[0] = 0xfe;
		p[1] = 0xff;
		p[2] = 0xff;
		return;
	}
	p[0] = lba / 63 % 255;
	p[1] = (lba % 63 + 1) | (c >> 8) << 6;
	p[2] = c;
}

bool gpt_pmbr_fit(uint8_t *mbr, uint64_t disk_lbas)
{
	uint32_t want, size;
	int ee = -1;

	if (mbr[510] != 0x55 || mbr[511] != 0xaa || disk_lbas < 2)
		return false;
	for (int i = 0; i < 4; i++) {
		const uint8_t *p = mbr + MBR_PART(i);
		bool zero = true;

		for (int k = 0; k < 16; k++)
			zero = zero && !p[k];
		if (zero)
			continue;
		if (p[4] != 0xee || get_le32(p + 8) != 1 || ee >= 0)
			return false; /* hybrid, or not protective at all */
		ee = i;
	}
	if (ee < 0)
		return false;
	want = disk_lbas - 1 > 0xffffffff ? 0xffffffff : disk_lbas - 1;
	size = get_le32(mbr + MBR_PART(ee) + 12);
	if (size == want || size == 0xffffffff)
		return false;
	put_le32(mbr + MBR_PART(ee) + 12, want);
	chs_put(mbr + MBR_PART(ee) + 5, want);
	return true;
}
