// SPDX-License-Identifier: MIT
/*
 * Layer unpacking: tar archives built here byte by byte (ustar headers,
 * pax records, GNU long names), plain or compressed with zlib and
 * libzstd, unpacked into a fresh directory and checked on the real file
 * system. Hostile archives must be refused or kept inside: the layer
 * directory sits alone in another temporary directory, which must hold
 * nothing else afterwards. Needs root (chown, mknod, trusted.* xattrs).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <dirent.h>
#include <bearssl.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "store/decompress.h"
#include "store/tar.h"
#include "store/unpack.h"

#define assert_err(err, s)                                                 \
	do {                                                               \
		if (!strstr((err), (s)))                                   \
			fail_msg("error \"%s\" lacks \"%s\"", (err), (s)); \
	} while (0)

struct buf {
	uint8_t *p;
	size_t len, cap;
};

static void put(struct buf *b, const void *d, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2 + 4096;
		b->p = realloc(b->p, b->cap);
		assert_non_null(b->p);
	}
	memcpy(b->p + b->len, d, n);
	b->len += n;
}

static void put_zeros(struct buf *b, size_t n)
{
	static const uint8_t z[1024];

	while (n) {
		size_t k = n < sizeof(z) ? n : sizeof(z);

		put(b, z, k);
		n -= k;
	}
}

static void pad(struct buf *b)
{
	put_zeros(b, -b->len % 512);
}

/* One ustar header's worth of an entry; unset numbers are 0. */
struct ent {
	char type;
	const char *name, *prefix, *link;
	const void *data;
	size_t size;
	unsigned mode, uid, gid, maj, min;
	long long mtime;
	unsigned long long hsize; /* size field, when not size */
	int b256; /* uid, size and mtime in base-256 */
	int gnu; /* GNU magic */
};

static void b256(uint8_t *f, size_t n, long long v)
{
	for (size_t i = n; i-- > 0; v >>= 8)
		f[i] = (uint8_t)(v & 0xff);
	f[0] = v < 0 || f[0] & 0x80 ? 0xff : 0x80;
}

static void header(struct buf *b, const struct ent *e)
{
	uint8_t h[512] = { 0 };
	unsigned long long size = e->hsize ? e->hsize : e->size;
	unsigned sum = 0;

	strncpy((char *)h, e->name, 100);
	snprintf((char *)h + 100, 8, "%07o", e->mode);
	snprintf((char *)h + 108, 8, "%07o", e->uid);
	snprintf((char *)h + 116, 8, "%07o", e->gid);
	snprintf((char *)h + 124, 12, "%011llo", size);
	snprintf((char *)h + 136, 12, "%011llo", e->mtime);
	if (e->b256) {
		b256(h + 108, 8, e->uid);
		b256(h + 124, 12, (long long)size);
		b256(h + 136, 12, e->mtime);
	}
	h[156] = (uint8_t)e->type;
	if (e->link)
		strncpy((char *)h + 157, e->link, 100);
	/* magic and version: GNU's, or POSIX's "ustar\0" "00" */
	memcpy(h + 257, e->gnu ? "ustar  " : "ustar\00000", 8);
	snprintf((char *)h + 329, 8, "%07o", e->maj);
	snprintf((char *)h + 337, 8, "%07o", e->min);
	if (e->prefix)
		strncpy((char *)h + 345, e->prefix, 155);
	memset(h + 148, ' ', 8);
	for (int i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	put(b, h, 512);
}

static void add(struct buf *b, const struct ent *e)
{
	header(b, e);
	if (e->size) {
		put(b, e->data, e->size);
		pad(b);
	}
}

#define ADD(b, ...) add((b), &(struct ent){ __VA_ARGS__ })

static void file(struct buf *b, const char *name, const char *data,
		 unsigned mode)
{
	ADD(b, .type = '0', .name = name, .data = data, .size = strlen(data),
	    .mode = mode);
}

/* A pax record: its length counts its own digits. */
static void pax_rec(struct buf *r, const char *key, size_t klen, const void *v,
		    size_t n)
{
	size_t body = klen + n + 3, len = body + 1;
	char num[24];

	while (len != body + (size_t)snprintf(num, sizeof(num), "%zu", len))
		len = body + strlen(num);
	put(r, num, strlen(num));
	put(r, " ", 1);
	put(r, key, klen);
	put(r, "=", 1);
	put(r, v, n);
	put(r, "\n", 1);
}

static void pax_str(struct buf *r, const char *key, const char *v)
{
	pax_rec(r, key, strlen(key), v, strlen(v));
}

static void pax(struct buf *b, struct buf *recs, char type)
{
	ADD(b, .type = type, .name = "PaxHeaders/x", .data = recs->p,
	    .size = recs->len, .mode = 0644);
	free(recs->p);
	*recs = (struct buf){ 0 };
}

static void gnu_long(struct buf *b, char type, const char *name)
{
	ADD(b, .type = type, .name = "././@LongLink", .data = name,
	    .size = strlen(name) + 1, .gnu = 1);
}

static void end(struct buf *b)
{
	put_zeros(b, 1024);
}

static struct buf gzip(const uint8_t *p, size_t n)
{
	struct buf o = { 0 };
	z_stream z = { 0 };

	o.cap = compressBound(n) + 64;
	o.p = malloc(o.cap);
	assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8,
				      Z_DEFAULT_STRATEGY),
			 Z_OK);
	z.next_in = (uint8_t *)p;
	z.avail_in = (uInt)n;
	z.next_out = o.p;
	z.avail_out = (uInt)o.cap;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	o.len = z.total_out;
	deflateEnd(&z);
	return o;
}

static struct buf zstd(const uint8_t *p, size_t n)
{
	struct buf o = { 0 };

	o.cap = ZSTD_compressBound(n);
	o.p = malloc(o.cap);
	o.len = ZSTD_compress(o.p, o.cap, p, n, 3);
	assert_false(ZSTD_isError(o.len));
	return o;
}

/*
 * gzip of mib MiB of zeros without compressing them all: one deflate run
 * over 1 MiB ended by a full flush (so it refers to nothing before it)
 * repeated, then an empty final block and the trailer.
 */
static struct buf gzip_zeros(unsigned mib)
{
	static const uint8_t hdr[10] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3 };
	static uint8_t zero[1 << 20];
	uint8_t blk[1 << 16], tail[8];
	uLong crc1 = crc32(0, zero, sizeof(zero)), crc = crc1;
	struct buf o = { 0 };
	z_stream z = { 0 };

	assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, -MAX_WBITS, 9,
				      Z_DEFAULT_STRATEGY),
			 Z_OK);
	z.next_in = zero;
	z.avail_in = sizeof(zero);
	z.next_out = blk;
	z.avail_out = sizeof(blk);
	assert_int_equal(deflate(&z, Z_FULL_FLUSH), Z_OK);
	assert_int_equal(z.avail_in, 0);
	deflateEnd(&z);
	put(&o, hdr, sizeof(hdr));
	for (unsigned i = 0; i < mib; i++)
		put(&o, blk, sizeof(blk) - z.avail_out);
	for (unsigned i = 1; i < mib; i++)
		crc = crc32_combine(crc, crc1, sizeof(zero));
	put(&o, "\x03\x00", 2); /* final fixed-Huffman block, empty */
	for (int i = 0; i < 4; i++) {
		tail[i] = (uint8_t)(crc >> 8 * i);
		tail[4 + i] = (uint8_t)(((uint64_t)mib << 20) >> 8 * i);
	}
	put(&o, tail, 8);
	return o;
}

/* Fixture: <outer>/layer is the layer directory. */
struct fx {
	char outer[64], inner[80];
	int dirfd;
};

static int rm_one(const char *p, const struct stat *s, int flag,
		  struct FTW *ftw)
{
	(void)s;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static void fresh(struct fx *f)
{
	if (f->dirfd >= 0)
		close(f->dirfd);
	nftw(f->inner, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	assert_int_equal(mkdir(f->inner, 0755), 0);
	f->dirfd = open(f->inner, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(f->dirfd >= 0);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	strcpy(f->outer, "/tmp/keel-unpack-XXXXXX");
	if (!mkdtemp(f->outer))
		return -1;
	snprintf(f->inner, sizeof(f->inner), "%s/layer", f->outer);
	f->dirfd = -1;
	fresh(f);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	close(f->dirfd);
	nftw(f->outer, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

/* Nothing beside the layer directory, and no canary. */
static void assert_contained(struct fx *f)
{
	char p[128];
	struct dirent *de;
	DIR *d = opendir(f->outer);

	assert_non_null(d);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
		    strcmp(de->d_name, "layer"))
			fail_msg("%s/%s appeared", f->outer, de->d_name);
	closedir(d);
	snprintf(p, sizeof(p), "%s/escaped", f->outer);
	assert_int_equal(access(p, F_OK), -1);
	assert_int_equal(access("/escaped", F_OK), -1);
}

static int blob_fd(const void *p, size_t n)
{
	int fd = memfd_create("layer", MFD_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, p, n), (ssize_t)n);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

static const struct unpack_opts dev_opts = { .devices = true };
static struct unpack_stats st;
static char err[1024];

static int unpack_opts(struct fx *f, const struct buf *b, const char *mt,
		       const struct unpack_opts *o)
{
	int fd = blob_fd(b->p, b->len), r;

	err[0] = 0;
	r = layer_unpack(fd, mt, f->dirfd, o, &st, err, sizeof(err));
	close(fd);
	return r;
}

static int unpack(struct fx *f, const struct buf *b)
{
	return unpack_opts(f, b, NULL, &dev_opts);
}

static void assert_ok(int r)
{
	if (r)
		fail_msg("unpack failed: %d %s", r, err);
}

static struct stat lst(struct fx *f, const char *rel)
{
	struct stat s;

	if (fstatat(f->dirfd, rel, &s, AT_SYMLINK_NOFOLLOW))
		fail_msg("%s: %s", rel, strerror(errno));
	return s;
}

static void assert_absent(struct fx *f, const char *rel)
{
	struct stat s;

	if (!fstatat(f->dirfd, rel, &s, AT_SYMLINK_NOFOLLOW))
		fail_msg("%s exists", rel);
}

static void assert_content(struct fx *f, const char *rel, const char *want)
{
	char got[256] = { 0 };
	int fd = openat(f->dirfd, rel, O_RDONLY | O_NOFOLLOW);

	assert_true(fd >= 0);
	assert_int_equal(read(fd, got, sizeof(got) - 1), (ssize_t)strlen(want));
	close(fd);
	assert_string_equal(got, want);
}

static ssize_t xattr(struct fx *f, const char *rel, const char *key, char *val,
		     size_t len)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/%s", f->inner, rel);
	memset(val, 0, len);
	return lgetxattr(p, key, val, len);
}

static void assert_whiteout(struct fx *f, const char *rel)
{
	struct stat s = lst(f, rel);

	assert_true(S_ISCHR(s.st_mode));
	assert_int_equal(s.st_rdev, makedev(0, 0));
}

static void assert_opaque(struct fx *f, const char *rel)
{
	char v[8];

	assert_int_equal(xattr(f, rel, "trusted.overlay.opaque", v, sizeof(v)),
			 1);
	assert_string_equal(v, "y");
}

/* vfs_cap_data v2, effective, cap_net_raw permitted (capability.h) */
static const uint8_t cap_raw[20] = { 0x01, 0, 0, 0x02, 0, 0x20 };

static void test_basic(void **state)
{
	struct fx *f = *state;
	struct buf b = { 0 }, r = { 0 };
	char v[64];
	struct stat s, s2;

	ADD(&b, .type = '5', .name = "etc/", .mode = 0755, .mtime = 1000000);
	ADD(&b, .type = '0', .name = "etc/hosts", .data = "127.0.0.1 lo\n",
	    .size = 13, .mode = 0644, .uid = 1234, .gid = 5678,
	    .mtime = 1500000000);
	file(&b, "./bin/su", "#!/bin/sh\n", 04755);
	ADD(&b, .type = '5', .name = "tmp", .mode = 01777, .mtime = 7);
	ADD(&b, .type = '5', .name = "/opt//sgid/", .mode = 02775, .gid = 50);
	ADD(&b, .type = '2', .name = "etc/localtime",
	    .link = "/usr/share/zoneinfo/UTC", .mtime = 12345, .uid = 7);
	ADD(&b, .type = '1', .name = "etc/hosts.bak", .link = "./etc/hosts");
	pax_str(&r, "SCHILY.xattr.user.note", "hello");
	pax_rec(&r, "SCHILY.xattr.security.capability", 32, cap_raw,
		sizeof(cap_raw));
	pax_str(&r, "SCHILY.xattr.trusted.keel", "1");
	pax_str(&r, "SCHILY.xattr.trusted.overlay.redirect", "/etc");
	pax_str(&r, "mtime", "1600000000.25");
	pax_str(&r, "atime", "1600000001");
	pax_str(&r, "uname", "someone");
	pax(&b, &r, 'x');
	file(&b, "usr/bin/ping", "ping", 0755);
	ADD(&b, .type = '6', .name = "run/fifo", .mode = 0600);
	ADD(&b, .type = '3', .name = "dev/null2", .mode = 0666, .maj = 1,
	    .min = 3);
	ADD(&b, .type = '4', .name = "dev/loop9", .mode = 0660, .maj = 7,
	    .min = 9);
	ADD(&b, .type = '\0', .name = "old", .data = "o", .size = 1,
	    .mode = 0600);
	ADD(&b, .type = '7', .name = "contig", .data = "c", .size = 1,
	    .mode = 0600);
	ADD(&b, .type = '\0', .name = "olddir/", .mode = 0711);
	/* header-only types carry no data whatever their size field says */
	ADD(&b, .type = '2', .name = "sized-link", .link = "x", .hsize = 9999);
	ADD(&b, .type = '5', .name = "./", .mode = 0700);
	end(&b);
	assert_ok(unpack(f, &b));

	assert_content(f, "etc/hosts", "127.0.0.1 lo\n");
	s = lst(f, "etc/hosts");
	assert_int_equal(s.st_mode & 07777, 0644);
	assert_int_equal(s.st_uid, 1234);
	assert_int_equal(s.st_gid, 5678);
	assert_int_equal(s.st_mtim.tv_sec, 1500000000);
	s2 = lst(f, "etc/hosts.bak");
	assert_int_equal(s.st_ino, s2.st_ino);
	assert_int_equal(s2.st_nlink, 2);
	assert_int_equal(lst(f, "bin/su").st_mode & 07777, 04755);
	assert_int_equal(lst(f, "bin").st_mode & 07777, 0755);
	assert_int_equal(lst(f, "tmp").st_mode & 07777, 01777);
	s = lst(f, "opt/sgid");
	assert_true(S_ISDIR(s.st_mode));
	assert_int_equal(s.st_mode & 07777, 02775);
	assert_int_equal(s.st_gid, 50);
	/* set after its contents went in */
	assert_int_equal(lst(f, "etc").st_mtim.tv_sec, 1000000);
	assert_int_equal(lst(f, "tmp").st_mtim.tv_sec, 7);

	s = lst(f, "etc/localtime");
	assert_true(S_ISLNK(s.st_mode));
	assert_int_equal(s.st_uid, 7);
	assert_int_equal(s.st_mtim.tv_sec, 12345);
	assert_int_equal(readlinkat(f->dirfd, "etc/localtime", v, sizeof(v)),
			 23);
	assert_memory_equal(v, "/usr/share/zoneinfo/UTC", 23);

	s = lst(f, "usr/bin/ping");
	assert_int_equal(s.st_mtim.tv_sec, 1600000000);
	assert_int_equal(s.st_mtim.tv_nsec, 250000000);
	assert_int_equal(xattr(f, "usr/bin/ping", "user.note", v, sizeof(v)),
			 5);
	assert_string_equal(v, "hello");
	assert_int_equal(
		xattr(f, "usr/bin/ping", "security.capability", v, sizeof(v)),
		20);
	assert_memory_equal(v, cap_raw, 20);
	assert_int_equal(xattr(f, "usr/bin/ping", "trusted.keel", v, sizeof(v)),
			 1);
	assert_int_equal(xattr(f, "usr/bin/ping", "trusted.overlay.redirect", v,
			       sizeof(v)),
			 -1);
	assert_int_equal(xattr(f, "usr/bin/ping", "user.note", v, sizeof(v)),
			 5);
	/* the next entry has none of the last one's xattrs */
	assert_int_equal(xattr(f, "run", "user.note", v, sizeof(v)), -1);

	assert_true(S_ISFIFO(lst(f, "run/fifo").st_mode));
	s = lst(f, "dev/null2");
	assert_true(S_ISCHR(s.st_mode));
	assert_int_equal(s.st_rdev, makedev(1, 3));
	assert_int_equal(s.st_mode & 07777, 0666);
	assert_true(S_ISBLK(lst(f, "dev/loop9").st_mode));
	assert_true(S_ISREG(lst(f, "old").st_mode));
	assert_true(S_ISREG(lst(f, "contig").st_mode));
	assert_true(S_ISDIR(lst(f, "olddir").st_mode));
	assert_true(S_ISLNK(lst(f, "sized-link").st_mode));
	/* "./" leaves the layer root alone */
	assert_int_equal(lst(f, ".").st_mode & 07777, 0755);

	assert_int_equal(st.files, 5);
	assert_int_equal(st.dirs, 4);
	assert_int_equal(st.symlinks, 2);
	assert_int_equal(st.hardlinks, 1);
	assert_int_equal(st.devices, 3);
	assert_int_equal(st.devices_skipped, 0);
	assert_int_equal(st.bytes, 13 + 10 + 4 + 2);
	assert_int_equal(st.xattrs, 3);
	assert_int_equal(st.xattrs_dropped, 1);
	assert_int_equal(st.xattrs_failed, 0);
	assert_contained(f);
	free(b.p);
}

static void test_numbers(void **state)
{
	struct fx *f = *state;
	struct buf b = { 0 }, r = { 0 };
	struct stat s;

	/* base-256: a uid past octal's 7 digits, a time before 1970 */
	ADD(&b, .type = '0', .name = "big-uid", .data = "x", .size = 1,
	    .mode = 0644, .uid = 3000000, .mtime = -1000, .b256 = 1);
	/* pax numbers override the header's */
	pax_str(&r, "uid", "4000000000");
	pax_str(&r, "gid", "42");
	pax_str(&r, "mtime", "-1.5");
	pax_str(&r, "size", "3");
	pax(&b, &r, 'x');
	ADD(&b, .type = '0', .name = "pax-nums", .data = "abc", .size = 3,
	    .hsize = 01777, .mode = 0600, .uid = 5, .gid = 6, .mtime = 9);
	/* GNU headers keep other things where POSIX has the prefix */
	ADD(&b, .type = '0', .name = "gnu-file", .prefix = "junk", .gnu = 1,
	    .mode = 0644);
	ADD(&b, .type = '0', .name = "file", .prefix = "pre/fix", .mode = 0644);
	end(&b);
	assert_ok(unpack(f, &b));
	s = lst(f, "big-uid");
	assert_int_equal(s.st_uid, 3000000);
	assert_int_equal(s.st_mtim.tv_sec, -1000);
	s = lst(f, "pax-nums");
	assert_int_equal(s.st_uid, 4000000000u);
	assert_int_equal(s.st_gid, 42);
	assert_int_equal(s.st_size, 3);
	assert_int_equal(s.st_mtim.tv_sec, -2);
	assert_int_equal(s.st_mtim.tv_nsec, 500000000);
	assert_true(S_ISREG(lst(f, "gnu-file").st_mode));
	assert_true(S_ISREG(lst(f, "pre/fix/file").st_mode));
	assert_contained(f);
	free(b.p);
}

static void test_signed_checksum(void **state)
{
	struct fx *f = *state;
	struct buf b = { 0 };
	char name[101];
	unsigned sum = 0;
	int ssum = 0;
	uint8_t *h;

	/* high bytes make the signed sum smaller than the unsigned one */
	memset(name, 0, sizeof(name));
	strcpy(name, "s");
	for (int i = 1; i < 4; i++)
		name[i] = (char)0xe9;
	ADD(&b, .type = '0', .name = name, .mode = 0644);
	h = b.p;
	memset(h + 148, ' ', 8);
	for (int i = 0; i < 512; i++) {
		sum += h[i];
		ssum += (int8_t)h[i];
	}
	assert_true(ssum > 0 && (unsigned)ssum != sum);
	snprintf((char *)h + 148, 8, "%06o", (unsigned)ssum);
	end(&b);
	assert_ok(unpack(f, &b));
	assert_true(S_ISREG(lst(f, name).st_mode));
	free(b.p);
}

static void test_long_names(void **state)
{
	struct fx *f = *state;
	struct buf b = { 0 }, r = { 0 };
	char pax_path[260], gnu_path[320], target[400], v[400];

	snprintf(pax_path, sizeof(pax_path), "long/%0200d", 0);
	snprintf(gnu_path, sizeof(gnu_path), "gnu/%0120d/%0170d", 1, 2);
	memset(target, 'z', 300);
	target[300] = 0;

	pax_str(&r, "path", pax_path);
	pax(&b, &r, 'x');
	file(&b, "short-name-for-pax", "pax", 0644);
	gnu_long(&b, 'L', gnu_path);
	file(&b, "short-name-for-gnu", "gnu", 0644);
	gnu_long(&b, 'L', "sym");
	gnu_long(&b, 'K', target);
	ADD(&b, .type = '2', .name = "ignored", .link = "ignored");
	/* pax names the entry over GNU's, in either order */
	gnu_long(&b, 'L', "by-gnu");
	pax_str(&r, "path", "by-pax");
	pax_str(&r, "linkpath", pax_path);
	pax(&b, &r, 'x');
	ADD(&b, .type = '1', .name = "by-header", .link = "nothing");
	/* a global header's records apply to nothing here */
	pax_str(&r, "path", "global");
	pax(&b, &r, 'g');
	file(&b, "after-global", "g", 0644);
	end(&b);
	assert_ok(unpack(f, &b));

	assert_content(f, pax_path, "pax");
	assert_content(f, gnu_path, "gnu");
	assert_int_equal(readlinkat(f->dirfd, "sym", v, sizeof(v)), 300);
	assert_memory_equal(v, target, 300);
	assert_int_equal(lst(f, "by-pax").st_ino, lst(f, pax_path).st_ino);
	assert_absent(f, "by-gnu");
	assert_absent(f, "global");
	assert_content(f, "after-global", "g");
	assert_contained(f);
	free(b.p);
}

static void test_whiteouts(void **state)
{
	struct fx *f = *state;
	struct buf b = { 0 };
	char v[8];

	ADD(&b, .type = '5', .name = "a/", .mode = 0755);
	file(&b, "a/.wh.gone", "", 0644);
	file(&b, "a/.wh..wh..opq", "", 0644);
	file(&b, ".wh.top", "", 0644);
	/* this layer's own files outlive its whiteouts of them */
	file(&b, "b/keep", "kept", 0644);
	file(&b, "b/.wh.keep", "", 0644);
	/* whiteout then directory, or the other way: an opaque directory */
	file(&b, "c/.wh.sub", "", 0644);
	ADD(&b, .type = '5', .name = "c/sub/", .mode = 0755);
	file(&b, "d/sub/x", "x", 0644);
	file(&b, "d/.wh.sub", "", 0644);
	/* AUFS bookkeeping is skipped */
	file(&b, ".wh..wh.plnk/123.456", "", 0644);
	file(&b, "e/.wh..wh.aufs", "", 0644);
	end(&b);
	assert_ok(unpack(f, &b));

	assert_whiteout(f, "a/gone");
	assert_absent(f, "a/.wh.gone");
	assert_opaque(f, "a");
	assert_whiteout(f, "top");
	assert_content(f, "b/keep", "kept");
	assert_true(S_ISDIR(lst(f, "c/sub").st_mode));
	assert_opaque(f, "c/sub");
	assert_content(f, "d/sub/x", "x");
	assert_opaque(f, "d/sub");
	assert_int_equal(xattr(f, "b", "trusted.overlay.opaque", v, sizeof(v)),
			 -1);
	assert_absent(f, ".wh..wh.plnk");
	assert_absent(f, "e/.wh..wh.aufs");
	assert_int_equal(st.whiteouts, 6);
	assert_contained(f);
	free(b.p);
}

static void test_devices_skipped(void **state)
{
	struct fx *f = *state;
	struct buf b = { 0 };
	struct unpack_opts o = { 0 };

	ADD(&b, .type = '3', .name = "dev/tty9", .mode = 0620, .maj = 4,
	    .min = 9);
	ADD(&b, .type = '4', .name = "dev/sda9", .mode = 0660, .maj = 8,
	    .min = 9);
	ADD(&b, .type = '6', .name = "fifo", .mode = 0600);
	file(&b, "dev/.wh.gone", "", 0644);
	end(&b);
	assert_ok(unpack_opts(f, &b, NULL, &o));
	assert_int_equal(st.devices_skipped, 3);
	assert_int_equal(st.devices, 0);
	assert_absent(f, "dev/tty9");
	assert_absent(f, "dev/sda9");
	assert_absent(f, "fifo");
	/* whiteouts are not devices */
	assert_whiteout(f, "dev/gone");
	free(b.p);
}

static void test_replace(void **state)
{
	struct fx *f = *state;
	struct buf b = { 0 };
	char canary[128];

	snprintf(canary, sizeof(canary), "%s/escaped", f->outer);
	file(&b, "x", "one", 0644);
	file(&b, "x", "two", 0600);
	/* a file over a symlink replaces it rather than writing through */
	ADD(&b, .type = '2', .name = "l", .link = canary);
	file(&b, "l", "mine", 0644);
	ADD(&b, .type = '5', .name = "d", .mode = 0755);
	file(&b, "d/f", "f", 0644);
	ADD(&b, .type = '5', .name = "d", .mode = 0700, .uid = 3);
	file(&b, "e", "e", 0644);
	ADD(&b, .type = '5', .name = "e/", .mode = 0755);
	ADD(&b, .type = '5', .name = "g/", .mode = 0755);
	file(&b, "g", "g", 0644);
	file(&b, "s", "s", 0644);
	ADD(&b, .type = '2', .name = "s", .link = "x");
	end(&b);
	assert_ok(unpack(f, &b));
	assert_content(f, "x", "two");
	assert_int_equal(lst(f, "x").st_mode & 07777, 0600);
	assert_content(f, "l", "mine");
	assert_content(f, "d/f", "f");
	assert_int_equal(lst(f, "d").st_mode & 07777, 0700);
	assert_int_equal(lst(f, "d").st_uid, 3);
	assert_true(S_ISDIR(lst(f, "e").st_mode));
	assert_content(f, "g", "g");
	assert_true(S_ISLNK(lst(f, "s").st_mode));
	assert_contained(f);
	free(b.p);

	/* a file over a directory with something in it: refused */
	fresh(f);
	b = (struct buf){ 0 };
	file(&b, "n/f", "f", 0644);
	file(&b, "n", "n", 0644);
	end(&b);
	assert_int_equal(unpack(f, &b), -ENOTEMPTY);
	assert_err(err, "layer entry 'n': would replace a non-empty directory");
	free(b.p);
}

static struct buf small_layer(void)
{
	struct buf b = { 0 };

	ADD(&b, .type = '5', .name = "app/", .mode = 0755);
	file(&b, "app/run", "#!/bin/sh\necho hi\n", 0755);
	ADD(&b, .type = '2', .name = "app/link", .link = "run");
	end(&b);
	put_zeros(&b, 10240 - b.len % 10240); /* record padding, as tar does */
	return b;
}

static void check_small(struct fx *f, int r)
{
	assert_ok(r);
	assert_content(f, "app/run", "#!/bin/sh\necho hi\n");
	assert_true(S_ISLNK(lst(f, "app/link").st_mode));
	assert_contained(f);
	fresh(f);
}

static void test_compressed(void **state)
{
	struct fx *f = *state;
	struct buf t = small_layer(), g = gzip(t.p, t.len);
	struct buf z = zstd(t.p, t.len), g2 = { 0 }, z2 = { 0 }, h;
	size_t half = t.len / 2;

	check_small(f, unpack(f, &t));
	check_small(f,
		    unpack_opts(f, &t, "application/vnd.oci.image.layer.v1.tar",
				&dev_opts));
	check_small(f, unpack(f, &g));
	check_small(f,
		    unpack_opts(f, &g,
				"application/vnd.oci.image.layer.v1.tar+gzip",
				&dev_opts));
	check_small(
		f,
		unpack_opts(f, &g,
			    "application/vnd.docker.image.rootfs.diff.tar.gzip",
			    &dev_opts));
	check_small(f, unpack(f, &z));
	check_small(f,
		    unpack_opts(f, &z,
				"application/vnd.oci.image.layer.v1.tar+zstd",
				&dev_opts));

	/* members and frames one after another */
	h = gzip(t.p, half);
	put(&g2, h.p, h.len);
	free(h.p);
	h = gzip(t.p + half, t.len - half);
	put(&g2, h.p, h.len);
	free(h.p);
	check_small(f, unpack(f, &g2));
	h = zstd(t.p, half);
	put(&z2, h.p, h.len);
	free(h.p);
	h = zstd(t.p + half, t.len - half);
	put(&z2, h.p, h.len);
	free(h.p);
	check_small(f, unpack(f, &z2));

	/* the media type is believed, and checked */
	assert_int_equal(
		unpack_opts(f, &t,
			    "application/vnd.oci.image.layer.v1.tar+gzip",
			    &dev_opts),
		-EINVAL);
	assert_err(err, "layer: layer is not gzip data");
	assert_int_equal(
		unpack_opts(f, &g,
			    "application/vnd.oci.image.layer.v1.tar+zstd",
			    &dev_opts),
		-EINVAL);
	assert_err(err, "not zstd data");
	assert_int_equal(unpack_opts(f, &t, "application/json", &dev_opts),
			 -EINVAL);
	assert_err(err, "media type 'application/json' is not a layer");
	/* rubbish after the last gzip member */
	put(&g, "junk", 4);
	assert_true(unpack(f, &g) < 0);
	assert_err(err, "layer: gzip: ");
	assert_contained(f);
	free(t.p);
	free(g.p);
	free(z.p);
	free(g2.p);
	free(z2.p);
}

static void test_dotdot(void **state)
{
	struct fx *f = *state;
	static const char *const names[] = { "../escaped", "a/../../escaped",
					     "./../escaped", "a/../b" };
	static const char *const why[] = {
		"layer entry '../escaped': path escapes the layer",
		"layer entry 'a/../../escaped': path escapes the layer",
		"layer entry './../escaped': path escapes the layer",
		"layer entry 'a/../b': path has a '..' component",
	};

	for (int i = 0; i < 4; i++) {
		struct buf b = { 0 };

		file(&b, names[i], "x", 0644);
		end(&b);
		assert_int_equal(unpack(f, &b), -EINVAL);
		assert_err(err, why[i]);
		assert_absent(f, "b");
		assert_contained(f);
		free(b.p);
	}
}

static void test_absolute(void **state)
{
	struct fx *f = *state;
	struct buf b = { 0 };
	char abs[128];

	snprintf(abs, sizeof(abs), "%s/escaped", f->outer);
	file(&b, "/abs/path", "x", 0644);
	file(&b, abs, "x", 0644);
	end(&b);
	assert_ok(unpack(f, &b));
	assert_content(f, "abs/path", "x");
	assert_content(f, abs + 1, "x");
	assert_contained(f);
	free(b.p);
}

static void test_symlink_parent(void **state)
{
	struct fx *f = *state;
	const char *targets[] = { "..", f->outer, "/", "." };

	for (int i = 0; i < 4; i++) {
		struct buf b = { 0 };

		ADD(&b, .type = '2', .name = "evil", .link = targets[i]);
		file(&b, "evil/escaped", "pwned", 0644);
		end(&b);
		assert_int_equal(unpack(f, &b), -ELOOP);
		assert_err(err, "layer entry 'evil/escaped': 'evil' is a "
				"symlink");
		assert_contained(f);
		free(b.p);
		fresh(f);
	}

	/* deeper, and by hardlink or directory through the symlink */
	struct buf b = { 0 };
	ADD(&b, .type = '5', .name = "a/b/", .mode = 0755);
	ADD(&b, .type = '2', .name = "a/b/up", .link = "../../..");
	ADD(&b, .type = '5', .name = "a/b/up/escaped/", .mode = 0755);
	end(&b);
	assert_int_equal(unpack(f, &b), -ELOOP);
	assert_err(err, "'a/b/up' is a symlink");
	assert_contained(f);
	free(b.p);

	b = (struct buf){ 0 };
	ADD(&b, .type = '2', .name = "etc", .link = "/etc");
	ADD(&b, .type = '1', .name = "h", .link = "etc/passwd");
	end(&b);
	assert_int_equal(unpack(f, &b), -ENOENT);
	assert_err(err, "hardlink target 'etc/passwd' is not a file in this "
			"layer");
	assert_absent(f, "h");
	assert_contained(f);
	free(b.p);
}

/* An xattr for a symlink lands on the symlink, not what it points to. */
static void test_symlink_xattr(void **state)
{
	struct fx *f = *state;
	struct buf b = { 0 }, r = { 0 };
	char target[128], v[8];

	snprintf(target, sizeof(target), "%s/victim", f->outer);
	assert_int_equal(mknod(target, S_IFREG | 0644, 0), 0);
	pax_str(&r, "SCHILY.xattr.trusted.keel", "1");
	pax_str(&r, "SCHILY.xattr.trusted.overlay.opaque", "y");
	pax(&b, &r, 'x');
	ADD(&b, .type = '2', .name = "s", .link = target);
	file(&b, ".wh.s", "", 0644);
	end(&b);
	assert_ok(unpack(f, &b));
	assert_int_equal(xattr(f, "s", "trusted.keel", v, sizeof(v)), 1);
	assert_int_equal(lgetxattr(target, "trusted.keel", v, sizeof(v)), -1);
	assert_int_equal(
		lgetxattr(target, "trusted.overlay.opaque", v, sizeof(v)), -1);
	assert_true(S_ISLNK(lst(f, "s").st_mode));
	assert_int_equal(unlink(target), 0);
	assert_contained(f);
	free(b.p);
}

static void test_hardlink_escape(void **state)
{
	struct fx *f = *state;
	struct {
		const char *target, *why;
		int r;
	} cases[] = {
		{ "../x", "hardlink target escapes the layer", -EINVAL },
		{ "/etc/passwd", "'etc/passwd' is not a file in this layer",
		  -ENOENT },
		{ "sym", "'sym' is not a file in this layer", -ENOENT },
		{ "dir", "'dir' is not a file in this layer", -ENOENT },
		{ "dev", "'dev' is not a file in this layer", -ENOENT },
		{ "/", "'' is not a file in this layer", -ENOENT },
		{ "h", "hardlink to itself", -EINVAL },
		{ "later", "'later' is not a file in this layer", -ENOENT },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct buf b = { 0 };

		ADD(&b, .type = '2', .name = "sym", .link = "/etc/passwd");
		ADD(&b, .type = '5', .name = "dir", .mode = 0755);
		ADD(&b, .type = '3', .name = "dev", .maj = 1, .min = 3);
		ADD(&b, .type = '1', .name = "h", .link = cases[i].target);
		file(&b, "later", "l", 0644);
		end(&b);
		assert_int_equal(unpack(f, &b), cases[i].r);
		assert_err(err, cases[i].why);
		assert_err(err, "layer entry 'h': ");
		assert_absent(f, "h");
		assert_contained(f);
		free(b.p);
		fresh(f);
	}
}

static void test_whiteout_escape(void **state)
{
	struct fx *f = *state;
	static const char *const names[] = { "x/.wh...", ".wh..", "x/.wh.",
					     ".wh.../x", "a/.wh.b/c" };
	static const char *const why[] = {
		"whiteout of '..' escapes its directory",
		"whiteout of '.' escapes its directory",
		"whiteout of '' escapes its directory",
		"a whiteout as a directory",
		"a whiteout as a directory",
	};

	for (int i = 0; i < 5; i++) {
		struct buf b = { 0 };

		file(&b, names[i], "", 0644);
		end(&b);
		assert_int_equal(unpack(f, &b), -EINVAL);
		assert_err(err, why[i]);
		assert_contained(f);
		free(b.p);
		fresh(f);
	}
}

/* Archives the tar reader refuses, each with why. */
static void expect_bad(struct fx *f, struct buf *b, int r, const char *why)
{
	assert_int_equal(unpack(f, b), r);
	assert_err(err, why);
	assert_contained(f);
	free(b->p);
	*b = (struct buf){ 0 };
	fresh(f);
}

/* The DiffID is the sha256 of the uncompressed tar stream, end blocks too. */
static void test_diff_id(void **state)
{
	struct fx *f = *state;
	struct buf b = { 0 };
	br_sha256_context h;
	uint8_t want[32];

	file(&b, "a", "hello", 0644);
	end(&b);
	br_sha256_init(&h);
	br_sha256_update(&h, b.p, b.len);
	br_sha256_out(&h, want);
	assert_ok(unpack(f, &b));
	assert_memory_equal(st.diff_id, want, 32);
	free(b.p);
}

static void test_bad_archives(void **state)
{
	struct fx *f = *state;
	struct buf b = { 0 }, r = { 0 };
	struct unpack_opts small = { .max_bytes = 64 << 20 };

	/* a pax record claiming more than there is */
	put(&r, "99999999 path=x\n", 16);
	pax(&b, &r, 'x');
	file(&b, "x", "x", 0644);
	end(&b);
	expect_bad(f, &b, -EINVAL, "layer: bad pax record");

	/* a pax header bigger than the limit: refused before reading it */
	ADD(&b, .type = 'x', .name = "PaxHeaders/x", .hsize = 2 << 20);
	end(&b);
	expect_bad(f, &b, -EINVAL, "layer: pax header too large");

	/* a record whose key hides behind a NUL */
	pax_rec(&r, "path\0x", 6, "y", 1);
	pax(&b, &r, 'x');
	file(&b, "x", "x", 0644);
	end(&b);
	expect_bad(f, &b, -EINVAL, "bad pax record");

	/* a NUL inside a pax path */
	pax_rec(&r, "path", 4, "a\0b", 3);
	pax(&b, &r, 'x');
	file(&b, "x", "x", 0644);
	end(&b);
	expect_bad(f, &b, -EINVAL, "bad pax path record");

	/* sparse files would unpack as their map */
	pax_str(&r, "GNU.sparse.major", "1");
	pax(&b, &r, 'x');
	file(&b, "x", "x", 0644);
	end(&b);
	expect_bad(f, &b, -EINVAL, "sparse files are not supported");

	/* more data promised than the archive has */
	ADD(&b, .type = '0', .name = "big", .data = "0123456789", .size = 10,
	    .hsize = 1 << 20, .mode = 0644);
	expect_bad(f, &b, -EIO, "layer entry 'big': archive truncated");

	/* no end-of-archive blocks (umoci writes them so): the end */
	file(&b, "x", "x", 0644);
	assert_ok(unpack(f, &b));
	assert_int_equal(st.files, 1);
	/* nor the last file's padding */
	b.len -= 511;
	fresh(f);
	assert_ok(unpack(f, &b));
	assert_int_equal(st.files, 1);
	/* but part of the padding is a cut archive */
	b.len += 10;
	expect_bad(f, &b, -EIO, "archive truncated at byte");

	/* a zero block, then more entries */
	file(&b, "x", "x", 0644);
	put_zeros(&b, 512);
	file(&b, "y", "y", 0644);
	end(&b);
	expect_bad(f, &b, -EINVAL, "lone zero block at byte 1024");

	/* one flipped bit in a header */
	file(&b, "x", "x", 0644);
	end(&b);
	b.p[1] ^= 1;
	expect_bad(f, &b, -EINVAL, "header checksum mismatch at byte 0");

	/* not a ustar header at all */
	put_zeros(&b, 100);
	put(&b, "hello", 5);
	put_zeros(&b, 2048);
	expect_bad(f, &b, -EINVAL, "no ustar header at byte 0");

	/* types other than the ones a layer has */
	ADD(&b, .type = 'S', .name = "sparse", .mode = 0644);
	end(&b);
	expect_bad(f, &b, -EINVAL, "entry 'sparse': unsupported type 0x53");

	/* a negative size */
	ADD(&b, .type = '0', .name = "neg", .hsize = -2ULL, .b256 = 1);
	expect_bad(f, &b, -EINVAL, "entry 'neg': bad size field");

	/* an extension header and nothing after it */
	gnu_long(&b, 'L', "name");
	end(&b);
	expect_bad(f, &b, -EINVAL, "archive ends after an extension header");

	/* two for one entry: which would win is a matter of opinion */
	gnu_long(&b, 'L', "one");
	gnu_long(&b, 'L', "two");
	file(&b, "x", "x", 0644);
	end(&b);
	expect_bad(f, &b, -EINVAL, "two GNU long-name headers");

	/* bigger than the cap: refused from the header, nothing written */
	ADD(&b, .type = '0', .name = "huge", .hsize = 1ULL << 30, .mode = 0644);
	assert_int_equal(unpack_opts(f, &b, NULL, &small), -EFBIG);
	assert_err(err, "entry 'huge': 1073741824 bytes is past the archive "
			"limit of 67108864");
	assert_absent(f, "huge");
	free(b.p);
	assert_contained(f);
}

static void test_gzip_bomb(void **state)
{
	struct fx *f = *state;
	struct buf g = gzip_zeros(1024);
	struct unpack_opts o = { .max_bytes = 64 << 20 };

	/*
	 * A gigabyte of zeros is a tar archive that ends at once, then a
	 * trailer to read through for the gzip checksum: the cap stops it.
	 */
	assert_true(g.len < (2 << 20));
	assert_int_equal(unpack_opts(f, &g, NULL, &o), -EFBIG);
	assert_err(err, "layer: layer is larger than the limit of 67108864 "
			"bytes uncompressed");
	assert_contained(f);
	free(g.p);
}

struct mem {
	const uint8_t *p;
	size_t len, pos;
};

static ssize_t mem_read(void *ctx, void *buf, size_t len)
{
	struct mem *m = ctx;
	size_t n = m->len - m->pos < len ? m->len - m->pos : len;

	memcpy(buf, m->p + m->pos, n);
	m->pos += n;
	return (ssize_t)n;
}

static void test_decomp(void **state)
{
	struct buf g = gzip_zeros(4);
	struct mem m = { g.p, g.len, 0 };
	struct decomp *d;
	static uint8_t out[1 << 16];
	uint64_t total = 0;
	ssize_t n;
	char e[256];

	(void)state;
	/* the bomb's construction is sound: exactly 4 MiB, checksum good */
	assert_int_equal(decomp_open(&d, DECOMP_AUTO, mem_read, &m, 8 << 20, e,
				     sizeof(e)),
			 0);
	while ((n = decomp_read(d, out, sizeof(out))) > 0) {
		for (ssize_t i = 0; i < n; i++)
			assert_int_equal(out[i], 0);
		total += (uint64_t)n;
	}
	assert_int_equal(n, 0);
	assert_int_equal(total, 4 << 20);
	decomp_close(d);

	/* exactly at the cap is fine; a byte over is not */
	m.pos = 0;
	assert_int_equal(decomp_open(&d, DECOMP_GZIP, mem_read, &m, 4 << 20, e,
				     sizeof(e)),
			 0);
	while ((n = decomp_read(d, out, sizeof(out))) > 0)
		;
	assert_int_equal(n, 0);
	decomp_close(d);
	m.pos = 0;
	assert_int_equal(decomp_open(&d, DECOMP_GZIP, mem_read, &m,
				     (4 << 20) - 1, e, sizeof(e)),
			 0);
	while ((n = decomp_read(d, out, sizeof(out))) > 0)
		;
	assert_int_equal(n, -EFBIG);
	decomp_close(d);

	/* a plain stream passes through; an empty one is just empty */
	m = (struct mem){ (const uint8_t *)"abc", 3, 0 };
	assert_int_equal(
		decomp_open(&d, DECOMP_AUTO, mem_read, &m, 100, e, sizeof(e)),
		0);
	assert_int_equal(decomp_read(d, out, sizeof(out)), 3);
	assert_int_equal(decomp_read(d, out, sizeof(out)), 0);
	decomp_close(d);
	m = (struct mem){ (const uint8_t *)"", 0, 0 };
	assert_int_equal(
		decomp_open(&d, DECOMP_GZIP, mem_read, &m, 100, e, sizeof(e)),
		-EINVAL);
	assert_err(e, "layer is not gzip data");
	free(g.p);
}

static void test_truncated_streams(void **state)
{
	struct fx *f = *state;
	struct buf t = small_layer(), z = zstd(t.p, t.len),
		   g = gzip(t.p, t.len);

	z.len -= 3;
	assert_int_equal(unpack(f, &z), -EIO);
	assert_err(err, "zstd stream truncated");
	assert_contained(f);
	fresh(f);
	z.len = 20;
	assert_true(unpack(f, &z) < 0);
	assert_err(err, "zstd stream truncated");
	fresh(f);
	/* cut in the gzip trailer: the tar part is whole, the blob not */
	g.len -= 4;
	assert_int_equal(unpack(f, &g), -EIO);
	assert_err(err, "layer: gzip stream truncated");
	assert_contained(f);
	fresh(f);
	g.len = 30;
	assert_int_equal(unpack(f, &g), -EIO);
	assert_err(err, "gzip stream truncated");
	assert_contained(f);
	free(t.p);
	free(z.p);
	free(g.p);
}

static void test_end_of_archive(void **state)
{
	struct fx *f = *state;
	struct buf b = { 0 };

	/* EOF after one zero block is accepted */
	file(&b, "x", "x", 0644);
	put_zeros(&b, 512);
	assert_ok(unpack(f, &b));
	assert_content(f, "x", "x");
	free(b.p);
}

#define T(t) cmocka_unit_test_setup_teardown(t, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_basic),
		T(test_numbers),
		T(test_signed_checksum),
		T(test_long_names),
		T(test_whiteouts),
		T(test_devices_skipped),
		T(test_replace),
		T(test_compressed),
		T(test_dotdot),
		T(test_absolute),
		T(test_symlink_parent),
		T(test_symlink_xattr),
		T(test_hardlink_escape),
		T(test_whiteout_escape),
		T(test_bad_archives),
		T(test_gzip_bomb),
		cmocka_unit_test(test_decomp),
		T(test_truncated_streams),
		T(test_diff_id),
		T(test_end_of_archive),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
