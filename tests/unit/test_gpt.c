// SPDX-License-Identifier: MIT
/*
 * gpt.c and grow.c on real GPT images made by sgdisk (and fdisk for 4096
 * byte LBAs), checked afterwards by those tools: a disk image "flashed"
 * onto a bigger disk is a file truncated bigger.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "gpt.h"
#include "crc32.h"
#include "le.h"
#include "grow.h"

#define MiB (1024 * 1024)
/*
 * The image, laid out as scripts/mkdisk does: esp 1-11 MiB, root-a,
 * root-b, data 51-71 MiB, 1 MiB for the backup table.
 */
#define IMG_MIB 72
#define BIG_MIB 300
#define DATA_FIRST 104448
#define DATA_LAST 145407
/* 300 MiB: the backup takes 33 LBAs, the rest rounds down to 299 MiB. */
#define GROWN_LAST (299 * 2048 - 1)

static char dir[PATH_MAX];
static char orig[PATH_MAX + 32]; /* the 100 MiB image */
static char ref[PATH_MAX + 32]; /* orig on 300 MiB, grown in one go */
static char img[PATH_MAX + 32]; /* each test's copy */
static char moved[PATH_MAX + 32]; /* orig on 300 MiB after sgdisk -e */
static char notlast[PATH_MAX + 32]; /* orig's disk, data before root-a */

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

/* A command's output (stdout and stderr), into out. */
static void run_out(char *out, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void run_out(char *out, size_t len, const char *fmt, ...)
{
	char cmd[4096];
	size_t n = 0;
	va_list ap;
	FILE *f;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	strncat(cmd, " 2>&1", sizeof(cmd) - strlen(cmd) - 1);
	out[0] = '\0';
	f = popen(cmd, "r");
	assert_non_null(f);
	while (n < len - 1) {
		size_t k = fread(out + n, 1, len - 1 - n, f);
		if (!k)
			break;
		n += k;
	}
	out[n] = '\0';
	pclose(f);
}

#define SBIN "PATH=$PATH:/sbin:/usr/sbin "

/*
 * The images sgdisk makes, at once: each sgdisk write sleeps a second
 * after it syncs.
 */
static int make_images(void)
{
	return sh("set -e; export PATH=$PATH:/sbin:/usr/sbin; "
		  "command -v sgdisk >/dev/null; "
		  "truncate -s %dM '%s' '%s'; "
		  "(sgdisk -n 1:1M:+10M -t 1:ef00 -c 1:esp "
		  "-n 2:0:+20M -t 2:8304 -c 2:root-a "
		  "-n 3:0:+20M -t 3:8304 -c 3:root-b "
		  "-n 4:0:+20M -t 4:8300 -c 4:data '%s' >/dev/null && "
		  "cp --sparse=always '%s' '%s' && truncate -s %dM '%s' && "
		  "sgdisk -e '%s' >/dev/null) & a=$!; "
		  "sgdisk -n 1:1M:+10M -c 1:esp -n 4:0:+20M -c 4:data "
		  "-n 2:0:+20M -c 2:root-a -n 3:0:+20M -c 3:root-b "
		  "'%s' >/dev/null; wait $a",
		  IMG_MIB, orig, notlast, orig, orig, moved, BIG_MIB, moved,
		  moved, notlast);
}

/* A fresh copy of orig in img, "flashed" onto a disk of mib MiB. */
static void flash(int mib)
{
	assert_int_equal(sh("cp --sparse=always '%s' '%s' && truncate -s %dM "
			    "'%s'",
			    orig, img, mib, img),
			 0);
}

static int grow_file(const char *path, uint32_t lba_size, uint32_t partno,
		     enum grow_stop stop, char *msg, size_t len)
{
	struct grow_req req = { .lba_size = lba_size,
				.partno = partno,
				.stop = stop };
	struct grow_result res;
	struct stat st;
	int r, fd = open(path, O_RDWR | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	req.disk_bytes = st.st_size;
	msg[0] = '\0';
	r = grow_table(fd, &req, &res, msg, len);
	close(fd);
	return r;
}

/* No data in [off, off + len): a hole, or past the end. */
static bool hole(int fd, off_t off, off_t len)
{
	off_t d = lseek(fd, off, SEEK_DATA);

	return (d < 0 && errno == ENXIO) || d >= off + len;
}

/* Byte for byte, but quick over the holes of sparse images. */
static bool same_file(const char *a, const char *b)
{
	static uint8_t ba[MiB], bb[MiB];
	int fa = open(a, O_RDONLY | O_CLOEXEC);
	int fb = open(b, O_RDONLY | O_CLOEXEC);
	struct stat sa, sb;
	bool same = false;

	assert_true(fa >= 0 && fb >= 0);
	if (fstat(fa, &sa) || fstat(fb, &sb) || sa.st_size != sb.st_size)
		goto out;
	for (off_t off = 0; off < sa.st_size; off += MiB) {
		if (hole(fa, off, MiB) && hole(fb, off, MiB))
			continue;
		ssize_t na = pread(fa, ba, MiB, off);
		ssize_t nb = pread(fb, bb, MiB, off);
		if (na < 0 || na != nb || memcmp(ba, bb, na))
			goto out;
	}
	same = true;
out:
	close(fa);
	close(fb);
	return same;
}

static void read_at(const char *path, off_t off, void *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, buf, len, off), (ssize_t)len);
	close(fd);
}

static void write_at(const char *path, off_t off, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, buf, len, off), (ssize_t)len);
	close(fd);
}

static void flip_byte(const char *path, off_t off)
{
	uint8_t b;

	read_at(path, off, &b, 1);
	b ^= 0x40;
	write_at(path, off, &b, 1);
}

/* sgdisk -v found nothing wrong. */
static void assert_sgdisk_clean(const char *path)
{
	char out[4096];

	run_out(out, sizeof(out), SBIN "sgdisk -v '%s'", path);
	if (!strstr(out, "No problems found"))
		fail_msg("sgdisk -v %s:\n%s", path, out);
}

static unsigned long long sgdisk_last(const char *path, int partno)
{
	char out[4096], *p;

	run_out(out, sizeof(out), SBIN "sgdisk -i %d '%s'", partno, path);
	p = strstr(out, "Last sector: ");
	if (!p)
		fail_msg("sgdisk -i %d %s:\n%s", partno, path, out);
	return strtoull(p + 13, NULL, 10);
}

/*
 * What Linux checks before it believes a disk (block/partitions/efi.c):
 * the primary header and its entry array, wherever the header says the
 * array is. Our parser checks more, so passing it is passing the kernel.
 */
static void assert_primary_valid(const char *path, uint32_t lba_size,
				 struct gpt_header *h)
{
	static uint8_t hb[GPT_LBA_SIZE_MAX], eb[GPT_ENTRIES_MAX_BYTES];
	char why[160];
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	read_at(path, lba_size, hb, lba_size);
	if (gpt_header_parse(hb, lba_size, 1, st.st_size / lba_size, h, why,
			     sizeof(why)))
		fail_msg("primary header of %s: %s", path, why);
	read_at(path, h->entries_lba * lba_size, eb,
		gpt_entries_blocks(h, lba_size) * lba_size);
	if (gpt_entries_check(h, eb, sizeof(eb), why, sizeof(why)))
		fail_msg("primary entries of %s: %s", path, why);
}

static int group_setup(void **state)
{
	char msg[256];

	(void)state;
	snprintf(dir, sizeof(dir), "%s/keel-gpt-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(dir))
		return -1;
	snprintf(orig, sizeof(orig), "%s/orig.img", dir);
	snprintf(ref, sizeof(ref), "%s/ref.img", dir);
	snprintf(img, sizeof(img), "%s/disk.img", dir);
	snprintf(moved, sizeof(moved), "%s/moved.img", dir);
	snprintf(notlast, sizeof(notlast), "%s/notlast.img", dir);
	if (make_images())
		return -1;
	if (sh("cp --sparse=always '%s' '%s' && truncate -s %dM '%s'", orig,
	       ref, BIG_MIB, ref))
		return -1;
	return grow_file(ref, 512, 4, GROW_STOP_NONE, msg, sizeof(msg)) == 1
		       ? 0
		       : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	return sh("rm -rf '%s'", dir);
}

static void test_crc32(void **state)
{
	static const char check[] = "123456789";

	(void)state;
	/* the CRC-32 check value */
	assert_int_equal(crc32_ieee(0, check, 9), 0xcbf43926);
	assert_int_equal(crc32_ieee(crc32_ieee(0, check, 4), check + 4, 5),
			 0xcbf43926);
	assert_int_equal(crc32_ieee(0, "", 0), 0);
}

static void test_parse_real(void **state)
{
	uint8_t hb[512], ents_buf[GPT_ENTRIES_MAX_BYTES];
	struct gpt_header h, b;
	struct gpt_entry e;
	char why[160];

	(void)state;
	read_at(orig, 512, hb, sizeof(hb));
	assert_int_equal(gpt_header_parse(hb, 512, 1, IMG_MIB * 2048, &h, why,
					  sizeof(why)),
			 0);
	assert_int_equal(h.revision, 0x00010000);
	assert_int_equal(h.header_size, 92);
	assert_int_equal(h.alternate_lba, IMG_MIB * 2048 - 1);
	assert_int_equal(h.first_usable_lba, 34);
	assert_int_equal(h.last_usable_lba, IMG_MIB * 2048 - 34);
	assert_int_equal(h.entries_lba, 2);
	assert_int_equal(h.num_entries, 128);
	assert_int_equal(h.entry_size, 128);
	assert_int_equal(gpt_entries_blocks(&h, 512), 32);
	assert_int_equal(gpt_entries_blocks(&h, 4096), 4);

	read_at(orig, 1024, ents_buf, sizeof(ents_buf));
	assert_int_equal(gpt_entries_check(&h, ents_buf, sizeof(ents_buf), why,
					   sizeof(why)),
			 0);
	assert_int_equal(gpt_find_name(&h, ents_buf, "data"), 3);
	assert_int_equal(gpt_find_name(&h, ents_buf, "esp"), 0);
	assert_int_equal(gpt_find_name(&h, ents_buf, "root-b"), 2);
	assert_int_equal(gpt_find_name(&h, ents_buf, "dat"), -ENOENT);
	assert_int_equal(gpt_find_name(&h, ents_buf, "datax"), -ENOENT);
	assert_int_equal(gpt_find_name(&h, ents_buf, ""), -ENOENT);
	gpt_entry_get(&h, ents_buf, 3, &e);
	assert_true(gpt_entry_used(&e));
	assert_int_equal(e.first_lba, DATA_FIRST);
	assert_int_equal(e.last_lba, DATA_LAST);
	gpt_entry_get(&h, ents_buf, 4, &e);
	assert_false(gpt_entry_used(&e));

	/* the backup at the end, and what we would write for it */
	read_at(orig, (off_t)(IMG_MIB * 2048 - 1) * 512, hb, sizeof(hb));
	assert_int_equal(gpt_header_parse(hb, 512, IMG_MIB * 2048 - 1,
					  IMG_MIB * 2048, &b, why, sizeof(why)),
			 0);
	gpt_header_backup(&h, 512, IMG_MIB * 2048, &h);
	uint8_t again[512];
	gpt_header_write(&h, again, sizeof(again));
	assert_memory_equal(again, hb, sizeof(hb));
}

/* Re-sign a header block after a field was changed on purpose. */
static void resign(uint8_t *hb, uint32_t size)
{
	memset(hb + 16, 0, 4);
	put_le32(hb + 16, crc32_ieee(0, hb, size));
}

static void test_parse_rejects(void **state)
{
	static const struct {
		size_t off;
		int width; /* bytes; 0: flip one byte, no re-sign */
		uint64_t value;
		int err;
		const char *why;
	} cases[] = {
		{ 0, 0, 0, -EINVAL, "no GPT signature" },
		{ 20, 0, 0, -EBADMSG, "header CRC mismatch" },
		{ 60, 0, 0, -EBADMSG, "header CRC mismatch" },
		{ 8, 4, 0x00020000, -EOPNOTSUPP, "revision 2.0" },
		{ 12, 4, 91, -EINVAL, "header size 91" },
		{ 12, 4, 513, -EINVAL, "header size 513" },
		{ 24, 8, 2, -EINVAL, "says it is at 2" },
		{ 84, 4, 100, -EINVAL, "entry size 100" },
		{ 84, 4, 384, -EINVAL, "entry size 384" },
		{ 84, 4, 0, -EINVAL, "entry size 0" },
		{ 80, 4, 0, -EINVAL, "no entries" },
		{ 80, 4, 129, -EOPNOTSUPP, "129 entries" },
		{ 80, 4, 0xffffffff, -EOPNOTSUPP, "entries of 128 bytes" },
		{ 48, 8, IMG_MIB * 2048, -EINVAL, "the disk has" },
		{ 32, 8, IMG_MIB * 2048, -EINVAL, "the disk has" },
		{ 32, 8, 1, -EINVAL, "alternate header" },
		{ 40, 8, 204800, -EINVAL, "make no sense" },
		{ 40, 8, 1, -EINVAL, "make no sense" },
		{ 72, 8, 100, -EINVAL, "overlaps" },
		{ 72, 8, 0, -EINVAL, "off the disk" },
		{ 72, 8, UINT64_MAX - 3, -EINVAL, "off the disk" },
		{ 32, 8, 1000, -EINVAL, "usable LBAs" },
	};
	uint8_t good[512], hb[512];
	struct gpt_header h;
	char why[160];

	(void)state;
	read_at(orig, 512, good, sizeof(good));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memcpy(hb, good, sizeof(hb));
		if (cases[i].width == 0) {
			hb[cases[i].off] ^= 1;
		} else {
			if (cases[i].width == 4)
				put_le32(hb + cases[i].off, cases[i].value);
			else
				put_le64(hb + cases[i].off, cases[i].value);
			resign(hb, cases[i].off == 12 && cases[i].value <= 512
					   ? (uint32_t)cases[i].value
					   : 92);
		}
		why[0] = '\0';
		int r = gpt_header_parse(hb, 512, 1, IMG_MIB * 2048, &h, why,
					 sizeof(why));
		if (r != cases[i].err || !strstr(why, cases[i].why))
			fail_msg("case %zu: got %d '%s', want %d '%s'", i, r,
				 why, cases[i].err, cases[i].why);
	}
	/* a 4096-byte LBA allows a bigger header, a 1000-byte one is no LBA */
	assert_int_equal(
		gpt_header_parse(good, 1000, 1, 1000, &h, why, sizeof(why)),
		-EOPNOTSUPP);
	/* a larger header counts its zero tail in the CRC */
	memcpy(hb, good, sizeof(hb));
	put_le32(hb + 12, 512);
	resign(hb, 512);
	assert_int_equal(gpt_header_parse(hb, 512, 1, IMG_MIB * 2048, &h, why,
					  sizeof(why)),
			 0);
	assert_int_equal(h.header_size, 512);
	hb[400] = 1;
	assert_int_equal(gpt_header_parse(hb, 512, 1, IMG_MIB * 2048, &h, why,
					  sizeof(why)),
			 -EBADMSG);
}

static void test_entries_rejects(void **state)
{
	static uint8_t e0[GPT_ENTRIES_MAX_BYTES], e[GPT_ENTRIES_MAX_BYTES];
	uint8_t hb[512];
	struct gpt_header h;
	char why[160];

	(void)state;
	read_at(orig, 512, hb, sizeof(hb));
	assert_int_equal(gpt_header_parse(hb, 512, 1, IMG_MIB * 2048, &h, why,
					  sizeof(why)),
			 0);
	read_at(orig, 1024, e0, sizeof(e0));

	memcpy(e, e0, sizeof(e));
	e[3 * 128 + 56] = 'D'; /* "Data" */
	assert_int_equal(gpt_entries_check(&h, e, sizeof(e), why, sizeof(why)),
			 -EBADMSG);
	assert_non_null(strstr(why, "entry array CRC mismatch"));
	assert_int_equal(gpt_entries_check(&h, e0, 100, why, sizeof(why)),
			 -EINVAL);

	/* partition 3 reaching into partition 4 */
	memcpy(e, e0, sizeof(e));
	put_le64(e + 2 * 128 + 40, DATA_FIRST);
	h.entries_crc = gpt_entries_crc(&h, e);
	assert_int_equal(gpt_entries_check(&h, e, sizeof(e), why, sizeof(why)),
			 -EINVAL);
	assert_string_equal(why, "partitions 3 and 4 overlap");

	/* partition 4 beyond the last usable LBA */
	memcpy(e, e0, sizeof(e));
	put_le64(e + 3 * 128 + 40, h.last_usable_lba + 1);
	h.entries_crc = gpt_entries_crc(&h, e);
	assert_int_equal(gpt_entries_check(&h, e, sizeof(e), why, sizeof(why)),
			 -EINVAL);
	assert_non_null(strstr(why, "partition 4 (LBA"));

	/* two partitions named data: growing either would be a guess */
	memcpy(e, e0, sizeof(e));
	memcpy(e + 2 * 128 + 56, e0 + 3 * 128 + 56, 72);
	assert_int_equal(gpt_find_name(&h, e, "data"), -EEXIST);
}

static void test_plan_rejects(void **state)
{
	static uint8_t e[GPT_ENTRIES_MAX_BYTES];
	uint8_t hb[512];
	struct gpt_header h;
	struct gpt_grown g;
	char why[160];

	(void)state;
	read_at(orig, 512, hb, sizeof(hb));
	assert_int_equal(gpt_header_parse(hb, 512, 1, IMG_MIB * 2048, &h, why,
					  sizeof(why)),
			 0);
	read_at(orig, 1024, e, sizeof(e));
	assert_int_equal(gpt_plan_grow(&h, e, 4, 512, BIG_MIB * 2048, &g, why,
				       sizeof(why)),
			 -ENOENT);
	assert_int_equal(gpt_plan_grow(&h, e, 200, 512, BIG_MIB * 2048, &g, why,
				       sizeof(why)),
			 -ENOENT);
	assert_int_equal(gpt_plan_grow(&h, e, 2, 512, BIG_MIB * 2048, &g, why,
				       sizeof(why)),
			 -EINVAL);
	assert_string_equal(why, "partition 3 is not the last one: "
				 "partition 4 ends after it starts");
	/* a disk smaller than the table says */
	assert_int_equal(gpt_plan_grow(&h, e, 3, 512, IMG_MIB * 2048 - 1, &g,
				       why, sizeof(why)),
			 -EINVAL);
	/* a gain of 1 MiB or less is not worth a rewrite */
	assert_int_equal(gpt_plan_grow(&h, e, 3, 512, IMG_MIB * 2048 + 16, &g,
				       why, sizeof(why)),
			 0);
	assert_string_equal(why, "already fills the disk");
	assert_int_equal(gpt_plan_grow(&h, e, 3, 512, (IMG_MIB + 30) * 2048, &g,
				       why, sizeof(why)),
			 1);
	assert_int_equal(g.old_last_lba, DATA_LAST);
	assert_int_equal(g.new_last_lba, (IMG_MIB + 29) * 2048 - 1);
}

static void test_pmbr(void **state)
{
	uint8_t mbr[512], want[512], big[512];

	(void)state;
	/* what sgdisk -e (move the backup to the disk's end) writes */
	read_at(moved, 0, want, sizeof(want));
	read_at(orig, 0, mbr, sizeof(mbr));
	assert_true(gpt_pmbr_fit(mbr, BIG_MIB * 2048));
	assert_memory_equal(mbr, want, sizeof(mbr));
	assert_false(gpt_pmbr_fit(mbr, BIG_MIB * 2048));

	/* beyond CHS, and beyond 32 bits */
	memcpy(big, mbr, sizeof(big));
	assert_true(gpt_pmbr_fit(big, 1ULL << 40));
	assert_int_equal(get_le32(big + 446 + 12), 0xffffffff);
	assert_int_equal(big[446 + 5], 0xfe);
	assert_false(gpt_pmbr_fit(big, 1ULL << 20));

	/* hybrid: a second MBR partition means a board boots from it */
	memcpy(big, mbr, sizeof(big));
	big[446 + 16 + 4] = 0x0c;
	put_le32(big + 446 + 16 + 8, 2048);
	assert_false(gpt_pmbr_fit(big, BIG_MIB * 4096));
	/* no boot signature, no 0xEE at LBA 1 */
	memcpy(big, mbr, sizeof(big));
	big[511] = 0;
	assert_false(gpt_pmbr_fit(big, BIG_MIB * 4096));
	memcpy(big, mbr, sizeof(big));
	put_le32(big + 446 + 8, 2);
	assert_false(gpt_pmbr_fit(big, BIG_MIB * 4096));
}

static void test_grow(void **state)
{
	static uint8_t before[GPT_ENTRIES_MAX_BYTES],
		after[GPT_ENTRIES_MAX_BYTES];
	char msg[256], out[4096];
	struct gpt_header h;

	(void)state;
	flash(BIG_MIB);
	assert_int_equal(
		grow_file(img, 512, 4, GROW_STOP_NONE, msg, sizeof(msg)), 1);
	assert_string_equal(msg, "grew partition 4 from 20 MiB to 248 MiB; "
				 "updated the protective MBR");
	assert_sgdisk_clean(img);
	assert_int_equal(sgdisk_last(img, 4), GROWN_LAST);
	assert_int_equal(sgdisk_last(img, 3), DATA_FIRST - 1);
	run_out(out, sizeof(out), SBIN "sgdisk -p '%s'", img);
	assert_non_null(strstr(out, "last usable sector is 614366"));
	assert_non_null(strstr(out, "248.0 MiB   8300  data"));

	/* only the last LBA of the entry changed: GUIDs, name, flags kept */
	read_at(orig, 1024, before, sizeof(before));
	read_at(img, 1024, after, sizeof(after));
	assert_memory_not_equal(before, after, sizeof(before));
	put_le64(before + 3 * 128 + 40, GROWN_LAST);
	assert_memory_equal(before, after, sizeof(before));
	assert_primary_valid(img, 512, &h);
	assert_int_equal(h.alternate_lba, BIG_MIB * 2048 - 1);
	assert_true(same_file(img, ref));
}

static void test_idempotent(void **state)
{
	char msg[256];

	(void)state;
	assert_int_equal(sh("cp --sparse=always '%s' '%s'", ref, img), 0);
	assert_int_equal(
		grow_file(img, 512, 4, GROW_STOP_NONE, msg, sizeof(msg)), 0);
	assert_string_equal(msg, "partition 4 already fills the disk "
				 "(248 MiB)");
	assert_true(same_file(img, ref));

	/* the image on a disk of its own size: nothing either */
	flash(IMG_MIB);
	assert_int_equal(
		grow_file(img, 512, 4, GROW_STOP_NONE, msg, sizeof(msg)), 0);
	assert_true(same_file(img, orig));
	/* nor when the disk is bigger by less than 1 MiB */
	assert_int_equal(sh("truncate -s %d '%s'", IMG_MIB * MiB + 8192, img),
			 0);
	assert_int_equal(
		grow_file(img, 512, 4, GROW_STOP_NONE, msg, sizeof(msg)), 0);
	assert_string_equal(msg, "partition 4 already fills the disk "
				 "(20 MiB)");
	assert_int_equal(sh("truncate -s %dM '%s'", IMG_MIB, img), 0);
	assert_true(same_file(img, orig));
}

static void test_regrow(void **state)
{
	char msg[256];

	(void)state;
	/* the disk grows again later, say a VM disk resized */
	assert_int_equal(sh("cp --sparse=always '%s' '%s' && truncate -s 500M "
			    "'%s'",
			    ref, img, img),
			 0);
	assert_int_equal(
		grow_file(img, 512, 4, GROW_STOP_NONE, msg, sizeof(msg)), 1);
	assert_string_equal(msg, "grew partition 4 from 248 MiB to 448 MiB; "
				 "updated the protective MBR");
	assert_sgdisk_clean(img);
	assert_int_equal(sgdisk_last(img, 4), 499 * 2048 - 1);
}

static void test_refuses(void **state)
{
	char msg[256];

	(void)state;
	/* primary header CRC bad: refused, even though the backup is good */
	flash(BIG_MIB);
	flip_byte(img, 512 + 60);
	assert_int_equal(
		grow_file(img, 512, 4, GROW_STOP_NONE, msg, sizeof(msg)),
		-EBADMSG);
	assert_non_null(strstr(msg, "primary GPT: header CRC mismatch"));
	/* both bad */
	flip_byte(img, (off_t)(IMG_MIB * MiB - 512 + 60));
	assert_int_equal(
		grow_file(img, 512, 4, GROW_STOP_NONE, msg, sizeof(msg)),
		-EBADMSG);
	flip_byte(img, 512 + 60);
	flip_byte(img, (off_t)(IMG_MIB * MiB - 512 + 60));
	assert_int_equal(sh("truncate -s %dM '%s'", IMG_MIB, img), 0);
	assert_true(same_file(img, orig));

	/* entry array CRC bad */
	flash(BIG_MIB);
	flip_byte(img, 1024 + 3 * 128 + 56);
	assert_int_equal(
		grow_file(img, 512, 4, GROW_STOP_NONE, msg, sizeof(msg)),
		-EBADMSG);
	assert_non_null(strstr(msg, "entry array CRC mismatch"));

	/* not a partition in use, not in the table */
	flash(BIG_MIB);
	assert_int_equal(
		grow_file(img, 512, 5, GROW_STOP_NONE, msg, sizeof(msg)),
		-ENOENT);
	assert_string_equal(msg, "GPT entry 5 is not in use");
	assert_int_equal(
		grow_file(img, 512, 129, GROW_STOP_NONE, msg, sizeof(msg)),
		-ENOENT);
	assert_int_equal(
		grow_file(img, 512, 0, GROW_STOP_NONE, msg, sizeof(msg)),
		-ENOENT);
	/* the disk is smaller than the image */
	assert_int_equal(sh("truncate -s 60M '%s'", img), 0);
	assert_int_equal(
		grow_file(img, 512, 4, GROW_STOP_NONE, msg, sizeof(msg)),
		-EINVAL);
	assert_non_null(strstr(msg, "but the disk has 122880 LBAs"));
	/* the wrong LBA size for the disk finds no table */
	flash(BIG_MIB);
	assert_int_equal(
		grow_file(img, 4096, 4, GROW_STOP_NONE, msg, sizeof(msg)),
		-EINVAL);
	assert_non_null(strstr(msg, "no GPT signature"));
	assert_int_equal(sh("truncate -s %dM '%s'", IMG_MIB, img), 0);
	assert_true(same_file(img, orig));

	/* data is not the last partition */
	assert_int_equal(sh("cp --sparse=always '%s' '%s' && truncate -s %dM "
			    "'%s'",
			    notlast, img, BIG_MIB, img),
			 0);
	assert_int_equal(
		grow_file(img, 512, 4, GROW_STOP_NONE, msg, sizeof(msg)),
		-EINVAL);
	assert_string_equal(msg, "partition 4 is not the last one: partition 2 "
				 "ends after it starts");
	assert_int_equal(sh("truncate -s %dM '%s'", IMG_MIB, img), 0);
	assert_true(same_file(img, notlast));
}

/*
 * A power cut after each step: the disk must be one a reader accepts,
 * and the next run must end where an uninterrupted run ends.
 */
static void test_power_cut(void **state)
{
	static const enum grow_stop stops[] = {
		GROW_STOP_BACKUP,
		GROW_STOP_SWITCH,
		GROW_STOP_ENTRIES,
		GROW_STOP_PRIMARY,
	};
	char msg[256], small[PATH_MAX + 32];
	struct gpt_header h;

	(void)state;
	snprintf(small, sizeof(small), "%s/small.img", dir);
	for (size_t i = 0; i < sizeof(stops) / sizeof(stops[0]); i++) {
		flash(BIG_MIB);
		assert_int_equal(
			grow_file(img, 512, 4, stops[i], msg, sizeof(msg)),
			-EINTR);
		assert_primary_valid(img, 512, &h);
		switch (stops[i]) {
		case GROW_STOP_BACKUP:
			/*
			 * The old table, untouched: sgdisk -v is clean on
			 * the old disk size; on the new one it only says
			 * the backup is not at the end, as before.
			 */
			assert_int_equal(h.alternate_lba, IMG_MIB * 2048 - 1);
			assert_int_equal(sgdisk_last(img, 4), DATA_LAST);
			assert_int_equal(sh("cp --sparse=always '%s' '%s' && "
					    "truncate -s %dM '%s'",
					    img, small, IMG_MIB, small),
					 0);
			assert_true(same_file(small, orig));
			unlink(small);
			break;
		case GROW_STOP_SWITCH:
		case GROW_STOP_ENTRIES:
			/* the new table, its array still at the disk's end */
			assert_int_equal(h.alternate_lba, BIG_MIB * 2048 - 1);
			assert_int_equal(h.entries_lba, BIG_MIB * 2048 - 33);
			assert_int_equal(sgdisk_last(img, 4), GROWN_LAST);
			break;
		default:
			assert_int_equal(h.entries_lba, 2);
			assert_sgdisk_clean(img);
			assert_int_equal(sgdisk_last(img, 4), GROWN_LAST);
			break;
		}
		int r = grow_file(img, 512, 4, GROW_STOP_NONE, msg,
				  sizeof(msg));
		switch (stops[i]) {
		case GROW_STOP_BACKUP:
			assert_int_equal(r, 1);
			assert_string_equal(msg, "grew partition 4 from 20 MiB "
						 "to 248 MiB; updated the "
						 "protective MBR");
			break;
		case GROW_STOP_SWITCH:
		case GROW_STOP_ENTRIES:
			assert_int_equal(r, 1);
			assert_string_equal(msg, "grew partition 4 to 248 MiB "
						 "(finished what a power cut "
						 "interrupted); updated the "
						 "protective MBR");
			break;
		default:
			assert_int_equal(r, 0);
			assert_string_equal(msg, "partition 4 already fills "
						 "the disk (248 MiB); updated "
						 "the protective MBR");
			break;
		}
		if (!same_file(img, ref))
			fail_msg("after a cut at step %d and a rerun, the disk "
				 "differs from an uninterrupted run",
				 (int)stops[i]);
		assert_sgdisk_clean(img);
	}
}

static void test_stale_backup(void **state)
{
	uint8_t zero[512] = { 0 };
	char msg[256];

	(void)state;
	/* backup header gone */
	assert_int_equal(sh("cp --sparse=always '%s' '%s'", ref, img), 0);
	write_at(img, (off_t)BIG_MIB * MiB - 512, zero, sizeof(zero));
	assert_int_equal(
		grow_file(img, 512, 4, GROW_STOP_NONE, msg, sizeof(msg)), 0);
	assert_string_equal(msg, "partition 4 already fills the disk "
				 "(248 MiB); rewrote the backup GPT (no GPT "
				 "signature at LBA 614399)");
	assert_true(same_file(img, ref));

	/* backup entries differ (header and its CRC still as they were) */
	flip_byte(img, (off_t)BIG_MIB * MiB - 33 * 512 + 3 * 128 + 57);
	assert_int_equal(
		grow_file(img, 512, 4, GROW_STOP_NONE, msg, sizeof(msg)), 0);
	assert_non_null(strstr(msg, "rewrote the backup GPT (its entries "
				    "differ from the primary's)"));
	assert_true(same_file(img, ref));

	/* backup header describing another table */
	flip_byte(img, (off_t)BIG_MIB * MiB - 512 + 60);
	assert_int_equal(
		grow_file(img, 512, 4, GROW_STOP_NONE, msg, sizeof(msg)), 0);
	assert_non_null(strstr(msg, "rewrote the backup GPT (header CRC"));
	assert_true(same_file(img, ref));
	assert_sgdisk_clean(img);
}

/* fdisk can make and check a table with 4096-byte LBAs in a file. */
static void test_4k(void **state)
{
	char path[PATH_MAX + 32], msg[256], out[8192];
	struct gpt_header h, b;
	uint8_t hb[4096];
	char why[160];

	(void)state;
	if (sh(SBIN "command -v fdisk >/dev/null"))
		skip();
	snprintf(path, sizeof(path), "%s/4k.img", dir);
	assert_int_equal(
		sh("truncate -s 100M '%s' && printf "
		   "'g\\nn\\n1\\n256\\n+10M\\nn\\n2\\n\\n+20M\\nn\\n3\\n\\n"
		   "+20M\\nn\\n4\\n\\n+20M\\nx\\nn\\n4\\ndata\\nr\\nw\\n' "
		   "| " SBIN "fdisk -b 4096 '%s' >/dev/null 2>&1 && truncate "
		   "-s 300M '%s'",
		   path, path, path),
		0);
	assert_primary_valid(path, 4096, &h);
	assert_int_equal(h.entries_lba, 2);
	assert_int_equal(gpt_entries_blocks(&h, 4096), 4);

	assert_int_equal(
		grow_file(path, 4096, 4, GROW_STOP_SWITCH, msg, sizeof(msg)),
		-EINTR);
	assert_primary_valid(path, 4096, &h);
	assert_int_equal(
		grow_file(path, 4096, 4, GROW_STOP_NONE, msg, sizeof(msg)), 1);
	assert_string_equal(msg, "grew partition 4 to 248 MiB (finished what "
				 "a power cut interrupted); updated the "
				 "protective MBR");
	assert_primary_valid(path, 4096, &h);
	assert_int_equal(h.alternate_lba, 300 * 256 - 1);
	assert_int_equal(h.last_usable_lba, 300 * 256 - 6);
	read_at(path, (off_t)(300 * 256 - 1) * 4096, hb, sizeof(hb));
	assert_int_equal(gpt_header_parse(hb, 4096, 300 * 256 - 1, 300 * 256,
					  &b, why, sizeof(why)),
			 0);
	assert_int_equal(b.entries_lba, 300 * 256 - 5);
	assert_int_equal(b.entries_crc, h.entries_crc);

	run_out(out, sizeof(out),
		"printf 'v\\nq\\n' | " SBIN "fdisk -b 4096 '%s'", path);
	if (!strstr(out, "No errors detected") || strstr(out, "backup") ||
	    strstr(out, "mismatch"))
		fail_msg("fdisk v:\n%s", out);
	run_out(out, sizeof(out),
		SBIN "fdisk -b 4096 -l -o Device,End,Name '%s'", path);
	if (!strstr(out, "76543 data"))
		fail_msg("fdisk -l:\n%s", out);

	assert_int_equal(
		grow_file(path, 4096, 4, GROW_STOP_NONE, msg, sizeof(msg)), 0);
	unlink(path);
}

/* data_grow on a fake sysfs whose disk is an image file. */
static void test_data_grow(void **state)
{
	char sys[PATH_MAX + 32], dev[PATH_MAX + 32], msg[512];
	char want[PATH_MAX + 128];

	(void)state;
	snprintf(sys, sizeof(sys), "%s/sys", dir);
	snprintf(dev, sizeof(dev), "%s/dev", dir);
	assert_int_equal(
		sh("mkdir -p '%s/block/vda/vda4' '%s/class/block' '%s' && "
		   "printf "
		   "'MAJOR=253\\nMINOR=0\\nDEVNAME=vda\\nDEVTYPE=disk\\n' "
		   ">'%s/block/vda/uevent' && echo 4 >'%s/block/vda/vda4/"
		   "partition' && echo %d >'%s/block/vda/vda4/start' && "
		   "echo 40960 >'%s/block/vda/vda4/size' && "
		   "ln -sfn ../../block/vda/vda4 '%s/class/block/vda4' && "
		   "cp --sparse=always '%s' '%s/vda' && truncate -s %dM "
		   "'%s/vda'",
		   sys, sys, dev, sys, sys, DATA_FIRST, sys, sys, sys, orig,
		   dev, BIG_MIB, dev),
		0);
	strcat(sys, "/class/block");
	assert_int_equal(data_grow_at(sys, dev, "vda4", msg, sizeof(msg)), 1);
	snprintf(want, sizeof(want),
		 "grew %s/vda4 from 20 MiB to 248 MiB; updated the protective "
		 "MBR",
		 dev);
	assert_string_equal(msg, want);
	assert_int_equal(data_grow_at(sys, dev, "vda4", msg, sizeof(msg)), 0);
	snprintf(want, sizeof(want), "%s/vda4 already fills the disk (248 MiB)",
		 dev);
	assert_string_equal(msg, want);

	/* sysfs and the table disagree on where the partition starts */
	assert_int_equal(sh("echo 2048 >'%s/../../block/vda/vda4/start'", sys),
			 0);
	assert_int_equal(data_grow_at(sys, dev, "vda4", msg, sizeof(msg)),
			 -EINVAL);
	assert_non_null(strstr(msg, "GPT entry 4 starts at LBA 104448, the "
				    "kernel's partition at LBA 2048"));

	/* not a partition, not a name */
	assert_int_equal(data_grow_at(sys, dev, "vda9", msg, sizeof(msg)),
			 -ENOENT);
	assert_non_null(strstr(msg, "(not a partition?)"));
	assert_int_equal(data_grow_at(sys, dev, "../vda", msg, sizeof(msg)),
			 -EINVAL);
	assert_int_equal(data_grow_at(sys, dev, "", msg, sizeof(msg)), -EINVAL);
	/* the disk sysfs names is missing */
	assert_int_equal(sh("echo 104448 >'%s/../../block/vda/vda4/start' && "
			    "rm '%s/vda'",
			    sys, dev),
			 0);
	assert_int_equal(data_grow_at(sys, dev, "vda4", msg, sizeof(msg)),
			 -ENOENT);
	assert_non_null(strstr(msg, "unable to open"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32),
		cmocka_unit_test(test_parse_real),
		cmocka_unit_test(test_parse_rejects),
		cmocka_unit_test(test_entries_rejects),
		cmocka_unit_test(test_plan_rejects),
		cmocka_unit_test(test_pmbr),
		cmocka_unit_test(test_grow),
		cmocka_unit_test(test_idempotent),
		cmocka_unit_test(test_regrow),
		cmocka_unit_test(test_refuses),
		cmocka_unit_test(test_power_cut),
		cmocka_unit_test(test_stale_backup),
		cmocka_unit_test(test_4k),
		cmocka_unit_test(test_data_grow),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
