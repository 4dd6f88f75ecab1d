// SPDX-License-Identifier: MIT
/*
 * The tar reader (tar.h). Header layout and field meanings: POSIX.1-2017
 * pax, "ustar Interchange Format"; extended records: "pax Extended
 * Header"; 'L'/'K' headers and base-256 numbers: GNU tar manual, "Basic
 * Tar Format".
 */
#include "store/tar.h"

#include "errmsg.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ustar header field offsets */
enum {
	H_NAME = 0,
	H_MODE = 100,
	H_UID = 108,
	H_GID = 116,
	H_SIZE = 124,
	H_MTIME = 136,
	H_CHKSUM = 148,
	H_TYPE = 156,
	H_LINK = 157,
	H_MAGIC = 257,
	H_DEVMAJOR = 329,
	H_DEVMINOR = 337,
	H_PREFIX = 345,
};

/* What extension headers said about the entry that follows them. */
struct ext {
	int path, link; /* set by: 0 the header, 1 GNU 'L'/'K', 2 pax */
	bool pax, gnu_name, gnu_link; /* seen */
	bool has_size, has_uid, has_gid, has_mtime;
	uint64_t size;
	uint32_t uid, gid;
	int64_t mtime;
	long nsec;
};

void tar_init(struct tar *t, tar_read_fn read, void *ctx, uint64_t max_total)
{
	memset(t, 0, sizeof(*t));
	t->read = read;
	t->ctx = ctx;
	t->max_total = max_total;
}

void tar_free(struct tar *t)
{
	free(t->pax);
	t->pax = NULL;
}

void tar_quote(char *out, size_t outlen, const char *s)
{
	size_t n = strlen(s), i;
	bool cut = n >= outlen;

	if (!outlen)
		return;
	if (cut)
		n = outlen > 4 ? outlen - 4 : outlen - 1;
	for (i = 0; i < n; i++)
		out[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	if (cut && outlen > 4) {
		memcpy(out + n, "...", 3);
		n += 3;
	}
	out[n] = 0;
}

static int read_failed(struct tar *t, ssize_t n)
{
	int err = n < -4095 ? -EIO : (int)n;

	return errmsg_errno(t->err, sizeof(t->err), err, -err,
			    "reading the archive");
}

/* len bytes: 1, 0 at a clean end of input when eof_ok, or -errno. */
static int read_exact(struct tar *t, void *buf, size_t len, bool eof_ok)
{
	size_t got = 0;

	if (len > t->max_total - t->offset)
		return errmsg(t->err, sizeof(t->err), -EFBIG,
			      "archive larger than %" PRIu64 " bytes",
			      t->max_total);
	while (got < len) {
		ssize_t n = t->read(t->ctx, (char *)buf + got, len - got);

		if (n < 0)
			return read_failed(t, n);
		if ((size_t)n > len - got)
			return errmsg(t->err, sizeof(t->err), -EIO,
				      "reader returned too much");
		if (n == 0) {
			if (!got && eof_ok)
				return 0;
			return errmsg(t->err, sizeof(t->err), -EIO,
				      "archive truncated at byte %" PRIu64,
				      t->offset + got);
		}
		got += (size_t)n;
	}
	t->offset += len;
	return 1;
}

static int skip(struct tar *t, uint64_t n)
{
	char buf[4096];

	while (n) {
		size_t k = n < sizeof(buf) ? (size_t)n : sizeof(buf);
		int r = read_exact(t, buf, k, false);

		if (r < 0)
			return r;
		n -= k;
	}
	return 0;
}

/*
 * A numeric field: octal text (leading spaces or NULs, ended by a space
 * or NUL; an empty field is 0), or with the first byte's top bit set,
 * base-256: big-endian two's complement in the bits after that marker
 * (GNU tar, "Basic Tar Format"). Only values that fit in an int64:
 * 0, or -EINVAL.
 */
static int parse_num(const uint8_t *f, size_t n, int64_t *v)
{
	uint64_t u = 0;
	size_t i = 0;

	if (f[0] & 0x80) {
		uint8_t sign = f[0] & 0x40 ? 0xff : 0;

		for (; i < n; i++) {
			uint8_t b = i ? f[i] : (f[0] & 0x7f) | (sign & 0x80);

			if (i + 8 < n) {
				if (b != sign)
					return -EINVAL;
				continue;
			}
			u = u << 8 | b;
		}
		if ((u >> 63) != (sign & 1u))
			return -EINVAL;
		*v = (int64_t)u;
		return 0;
	}
	while (i < n && (f[i] == ' ' || !f[i]))
		i++;
	for (; i < n && f[i] >= '0' && f[i] <= '7'; i++) {
		if (u >> 60)
			return -EINVAL;
		u = u << 3 | (uint64_t)(f[i] - '0');
	}
	for (; i < n; i++)
		if (f[i] != ' ' && f[i])
			return -EINVAL;
	*v = (int64_t)u;
	return 0;
}

/*
 * The checksum is the sum of the header's bytes with the checksum field
 * as spaces. POSIX sums unsigned bytes; some old writers summed signed
 * chars, so either is accepted.
 */
static bool checksum_ok(const uint8_t *h)
{
	int64_t want, s = 0;
	uint64_t u = 0;

	if (parse_num(h + H_CHKSUM, 8, &want))
		return false;
	for (int i = 0; i < TAR_BLOCK; i++) {
		uint8_t b = i >= H_CHKSUM && i < H_CHKSUM + 8 ? ' ' : h[i];

		u += b;
		s += (int8_t)b;
	}
	return want == (int64_t)u || want == s;
}

static bool is_zero(const uint8_t *b)
{
	for (int i = 0; i < TAR_BLOCK; i++)
		if (b[i])
			return false;
	return true;
}

/* A text field that may fill its whole width with no NUL. */
static size_t field_len(const uint8_t *f, size_t n)
{
	const uint8_t *z = memchr(f, 0, n);

	return z ? (size_t)(z - f) : n;
}

/*
 * The next header block: 1, or 0 at the end of the archive. POSIX ends
 * an archive with two zero blocks; EOF after one, or where a header would
 * start, is accepted too: umoci writes layers without them, and Go's
 * archive/tar (so containerd and docker) reads EOF there as the end. A
 * download cut there fails the layer's digest check instead; EOF inside
 * a header or data is an error here.
 */
static int read_header(struct tar *t, uint8_t *h)
{
	uint64_t at = t->offset;
	int r = read_exact(t, h, TAR_BLOCK, true);

	if (r == 0) {
		t->state = 1;
		return 0;
	}
	if (r < 0)
		return r;
	if (is_zero(h)) {
		r = read_exact(t, h, TAR_BLOCK, true);
		if (r < 0)
			return r;
		if (r && !is_zero(h))
			return errmsg(t->err, sizeof(t->err), -EINVAL,
				      "lone zero block at byte %" PRIu64, at);
		t->state = 1;
		return 0;
	}
	/* "ustar\0" + "00" (POSIX) or "ustar " + " \0" (GNU) */
	if (memcmp(h + H_MAGIC, "ustar", 5) ||
	    (h[H_MAGIC + 5] && h[H_MAGIC + 5] != ' '))
		return errmsg(t->err, sizeof(t->err), -EINVAL,
			      "no ustar header at byte %" PRIu64, at);
	if (!checksum_ok(h))
		return errmsg(t->err, sizeof(t->err), -EINVAL,
			      "header checksum mismatch at byte %" PRIu64, at);
	return 1;
}

/* An extension header's data: its size checked against max first. */
static int read_ext(struct tar *t, const uint8_t *h, size_t max,
		    const char *what, char **out, size_t *len)
{
	int64_t size;
	int r;

	if (parse_num(h + H_SIZE, 12, &size) || size < 0 ||
	    (uint64_t)size > max)
		return errmsg(t->err, sizeof(t->err), -EINVAL,
			      "%s header too large (at most %zu)", what, max);
	*out = malloc((size_t)size + 1);
	if (!*out)
		return errmsg(t->err, sizeof(t->err), -ENOMEM, "out of memory");
	r = read_exact(t, *out, (size_t)size, false);
	if (r >= 0)
		r = skip(t, -(uint64_t)size % TAR_BLOCK);
	if (r < 0) {
		free(*out);
		*out = NULL;
		return r;
	}
	(*out)[size] = 0;
	*len = (size_t)size;
	return 0;
}

/* GNU 'L' or 'K': the next entry's name or link target as data. */
static int read_long(struct tar *t, const uint8_t *h, bool *seen, int *src,
		     char *dst)
{
	char *buf;
	size_t len;
	int r;

	if (*seen)
		return errmsg(t->err, sizeof(t->err), -EINVAL,
			      "two GNU long-name headers for one entry");
	*seen = true;
	r = read_ext(t, h, TAR_NAME_MAX + 1, "GNU long-name", &buf, &len);
	if (r)
		return r;
	len = strlen(buf);
	if (!len || len > TAR_NAME_MAX) {
		free(buf);
		return errmsg(t->err, sizeof(t->err), -EINVAL,
			      "GNU long name of %zu bytes", len);
	}
	/* a pax record names the entry with more authority */
	if (*src != 2) {
		memcpy(dst, buf, len + 1);
		*src = 1;
	}
	free(buf);
	return 0;
}

static int dec(const char *s, size_t n, uint64_t max, uint64_t *v)
{
	uint64_t u = 0;

	if (!n)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		unsigned d = (unsigned)(s[i] - '0');

		if (d > 9 || u > (max - d) / 10)
			return -EINVAL;
		u = u * 10 + d;
	}
	*v = u;
	return 0;
}

/* pax "mtime": decimal seconds, maybe negative, maybe with a fraction. */
static int pax_time(const char *s, size_t n, int64_t *sec, long *nsec)
{
	bool neg = n && s[0] == '-';
	const char *dot;
	uint64_t u;
	long ns = 0;
	size_t i, k;

	s += neg;
	n -= neg;
	dot = memchr(s, '.', n);
	k = dot ? (size_t)(dot - s) : n;
	if (dec(s, k, INT64_MAX, &u))
		return -EINVAL;
	if (dot) {
		if (k + 1 == n)
			return -EINVAL;
		for (i = k + 1; i < n; i++) {
			if (s[i] < '0' || s[i] > '9')
				return -EINVAL;
			if (i - k <= 9)
				ns = ns * 10 + (s[i] - '0');
		}
		for (i = n - k - 1; i < 9; i++)
			ns *= 10;
	}
	if (neg && ns) {
		*sec = -(int64_t)u - 1;
		*nsec = 1000000000L - ns;
	} else {
		*sec = neg ? -(int64_t)u : (int64_t)u;
		*nsec = ns;
	}
	return 0;
}

static int pax_name(struct tar *t, const char *key, const char *v, size_t n,
		    char *dst)
{
	if (n > TAR_NAME_MAX || memchr(v, 0, n))
		return errmsg(t->err, sizeof(t->err), -EINVAL,
			      "bad pax %s record", key);
	memcpy(dst, v, n);
	dst[n] = 0;
	return 0;
}

static int pax_record(struct tar *t, const char *key, const char *v, size_t n,
		      struct ext *x, struct tar_entry *e)
{
	uint64_t u;

	/*
	 * An empty value deletes the field ("pax Extended Header"); with one
	 * extended header per entry there is nothing earlier to delete, and
	 * the ustar field is what remains.
	 */
	if (!n)
		return 0;
	if (!strcmp(key, "path")) {
		x->path = 2;
		return pax_name(t, key, v, n, e->path);
	}
	if (!strcmp(key, "linkpath")) {
		x->link = 2;
		return pax_name(t, key, v, n, e->link);
	}
	if (!strcmp(key, "size")) {
		x->has_size = true;
		if (dec(v, n, INT64_MAX, &x->size))
			return errmsg(t->err, sizeof(t->err), -EINVAL,
				      "bad pax size record");
		return 0;
	}
	if (!strcmp(key, "uid") || !strcmp(key, "gid")) {
		/* (uid_t)-1 would mean "leave as is" to chown */
		if (dec(v, n, UINT32_MAX - 1, &u))
			return errmsg(t->err, sizeof(t->err), -EINVAL,
				      "bad pax %s record", key);
		if (key[0] == 'u') {
			x->has_uid = true;
			x->uid = (uint32_t)u;
		} else {
			x->has_gid = true;
			x->gid = (uint32_t)u;
		}
		return 0;
	}
	if (!strcmp(key, "mtime")) {
		x->has_mtime = true;
		if (pax_time(v, n, &x->mtime, &x->nsec))
			return errmsg(t->err, sizeof(t->err), -EINVAL,
				      "bad pax mtime record");
		return 0;
	}
	if (!strncmp(key, "SCHILY.xattr.", 13) && key[13]) {
		if (e->nxattr == TAR_XATTR_MAX)
			return errmsg(t->err, sizeof(t->err), -EINVAL,
				      "more than %d xattrs", TAR_XATTR_MAX);
		t->xattrs[e->nxattr++] = (struct tar_xattr){ .name = key + 13,
							     .value = v,
							     .len = n };
		return 0;
	}
	/* a sparse file's data is a map plus fragments, not its contents */
	if (!strncmp(key, "GNU.sparse.", 11))
		return errmsg(t->err, sizeof(t->err), -EINVAL,
			      "sparse files are not supported");
	/* atime, uname, comment, charset and the like: nothing to do */
	return 0;
}

/*
 * Records of "<length> <key>=<value>\n", the length counting the whole
 * record in decimal ("pax Extended Header"). Keys and values are cut in
 * place (the xattr entries point into p). Global records (x NULL) are
 * checked and dropped: a layer's entries carry their own attributes.
 */
static int parse_pax(struct tar *t, char *p, size_t n, struct ext *x,
		     struct tar_entry *e)
{
	while (n) {
		size_t len = 0, i = 0;
		char *key, *eq, *end;

		for (; i < n && i < 8 && p[i] >= '0' && p[i] <= '9'; i++)
			len = len * 10 + (size_t)(p[i] - '0');
		if (!i || i == n || p[i] != ' ' || len < i + 4 || len > n ||
		    p[len - 1] != '\n')
			return errmsg(t->err, sizeof(t->err), -EINVAL,
				      "bad pax record");
		key = p + i + 1;
		end = p + len - 1;
		eq = memchr(key, '=', (size_t)(end - key));
		if (!eq || eq == key || memchr(key, 0, (size_t)(eq - key)))
			return errmsg(t->err, sizeof(t->err), -EINVAL,
				      "bad pax record");
		*eq = 0;
		*end = 0;
		if (x) {
			int r = pax_record(t, key, eq + 1,
					   (size_t)(end - eq - 1), x, e);
			if (r)
				return r;
		}
		p += len;
		n -= len;
	}
	return 0;
}

static int read_pax(struct tar *t, const uint8_t *h, struct ext *x,
		    struct tar_entry *e)
{
	char *p;
	size_t n;
	int r;

	if (x && x->pax)
		return errmsg(t->err, sizeof(t->err), -EINVAL,
			      "two pax headers for one entry");
	r = read_ext(t, h, TAR_PAX_MAX, "pax", &p, &n);
	if (r)
		return r;
	r = parse_pax(t, p, n, x, e);
	if (x && !r) {
		x->pax = true;
		t->pax = p;
	} else {
		free(p);
	}
	return r;
}

/* A header number in [0, max], unless an extension header gave it. */
static int field(struct tar *t, const struct tar_entry *e, const uint8_t *h,
		 int off, size_t n, int64_t max, const char *what, bool has,
		 int64_t given, int64_t *v)
{
	char q[80];

	*v = given;
	if (has || (!parse_num(h + off, n, v) && *v >= 0 && *v <= max))
		return 0;
	tar_quote(q, sizeof(q), e->path);
	return errmsg(t->err, sizeof(t->err), -EINVAL,
		      "entry '%s': bad %s field", q, what);
}

static int entry_type(struct tar *t, struct tar_entry *e, uint8_t type)
{
	static const char types[] = "0123456";
	const char *c = memchr(types, type, sizeof(types) - 1);
	char q[80];

	if (c && type) {
		e->type = (enum tar_type)(c - types);
		return 0;
	}
	if (type == '7') { /* contiguous: a regular file elsewhere */
		e->type = TAR_REG;
		return 0;
	}
	if (!type) { /* pre-POSIX: a trailing slash meant a directory */
		size_t n = strlen(e->path);

		e->type = e->path[n - 1] == '/' ? TAR_DIR : TAR_REG;
		return 0;
	}
	tar_quote(q, sizeof(q), e->path);
	return errmsg(t->err, sizeof(t->err), -EINVAL,
		      "entry '%s': unsupported type 0x%02x", q, type);
}

static int entry_from_header(struct tar *t, const uint8_t *h,
			     const struct ext *x, struct tar_entry *e)
{
	int64_t mode, uid, gid, size;
	char q[80];
	int r;

	if (!x->path) {
		/* the prefix field is POSIX's; GNU keeps other data there */
		size_t pl = h[H_MAGIC + 5] ? 0 : field_len(h + H_PREFIX, 155);
		size_t nl = field_len(h + H_NAME, 100);

		memcpy(e->path, h + H_PREFIX, pl);
		if (pl)
			e->path[pl++] = '/';
		memcpy(e->path + pl, h + H_NAME, nl);
		e->path[pl + nl] = 0;
	}
	if (!x->link) {
		size_t ll = field_len(h + H_LINK, 100);

		memcpy(e->link, h + H_LINK, ll);
		e->link[ll] = 0;
	}
	if (!e->path[0])
		return errmsg(t->err, sizeof(t->err), -EINVAL,
			      "entry with no name at byte %" PRIu64,
			      t->offset - TAR_BLOCK);
	r = entry_type(t, e, h[H_TYPE]);
	if (r)
		return r;
	tar_quote(q, sizeof(q), e->path);
	if ((e->type == TAR_HARDLINK || e->type == TAR_SYMLINK) && !e->link[0])
		return errmsg(t->err, sizeof(t->err), -EINVAL,
			      "entry '%s': link with no target", q);

	if ((r = field(t, e, h, H_MODE, 8, INT64_MAX, "mode", false, 0,
		       &mode)) ||
	    (r = field(t, e, h, H_UID, 8, UINT32_MAX - 1, "uid", x->has_uid,
		       x->uid, &uid)) ||
	    (r = field(t, e, h, H_GID, 8, UINT32_MAX - 1, "gid", x->has_gid,
		       x->gid, &gid)) ||
	    (r = field(t, e, h, H_SIZE, 12, INT64_MAX, "size", x->has_size,
		       (int64_t)x->size, &size)))
		return r;
	e->mode = (uint32_t)mode & 07777;
	e->uid = (uint32_t)uid;
	e->gid = (uint32_t)gid;
	e->mtime = x->mtime;
	e->mtime_nsec = x->nsec;
	if (!x->has_mtime) {
		if (parse_num(h + H_MTIME, 12, &e->mtime))
			return errmsg(t->err, sizeof(t->err), -EINVAL,
				      "entry '%s': bad mtime field", q);
		e->mtime_nsec = 0;
	}
	e->devmajor = e->devminor = 0;
	if (e->type == TAR_CHR || e->type == TAR_BLK) {
		int64_t maj, min;

		if ((r = field(t, e, h, H_DEVMAJOR, 8, UINT32_MAX, "devmajor",
			       false, 0, &maj)) ||
		    (r = field(t, e, h, H_DEVMINOR, 8, UINT32_MAX, "devminor",
			       false, 0, &min)))
			return r;
		e->devmajor = (uint32_t)maj;
		e->devminor = (uint32_t)min;
	}
	/*
	 * Only regular files have data: POSIX stores none for the other
	 * types whatever their size field says.
	 */
	e->size = e->type == TAR_REG ? (uint64_t)size : 0;
	if (e->size > t->max_total - t->offset)
		return errmsg(t->err, sizeof(t->err), -EFBIG,
			      "entry '%s': %" PRIu64
			      " bytes is past the archive "
			      "limit of %" PRIu64,
			      q, e->size, t->max_total);
	t->remain = e->size;
	t->pad = (uint32_t)(-e->size % TAR_BLOCK);
	return 1;
}

static int next_entry(struct tar *t, struct tar_entry *e)
{
	struct ext x = { 0 };
	uint8_t h[TAR_BLOCK];
	int r;

	r = skip(t, t->remain);
	if (r)
		return r;
	/*
	 * EOF where the last entry's padding would start is the end too:
	 * umoci writes layers that stop there, and Go's archive/tar reads
	 * them so. EOF inside the padding is still a truncation.
	 */
	if (t->pad) {
		r = read_exact(t, h, t->pad, true);
		if (r < 0)
			return r;
		if (!r) {
			t->remain = t->pad = 0;
			t->state = 1;
			return 0;
		}
	}
	t->remain = t->pad = 0;
	tar_free(t);
	e->nxattr = 0;
	e->xattr = t->xattrs;
	e->path[0] = e->link[0] = 0;
	for (;;) {
		r = read_header(t, h);
		if (r == 0 && (x.pax || x.gnu_name || x.gnu_link))
			return errmsg(t->err, sizeof(t->err), -EINVAL,
				      "archive ends after an extension header");
		if (r <= 0)
			return r;
		switch (h[H_TYPE]) {
		case 'x':
			r = read_pax(t, h, &x, e);
			break;
		case 'g':
			r = read_pax(t, h, NULL, e);
			break;
		case 'L':
			r = read_long(t, h, &x.gnu_name, &x.path, e->path);
			break;
		case 'K':
			r = read_long(t, h, &x.gnu_link, &x.link, e->link);
			break;
		default:
			return entry_from_header(t, h, &x, e);
		}
		if (r)
			return r;
	}
}

/* An error sticks: every later call fails the same way. */
static ssize_t stuck(struct tar *t, ssize_t r)
{
	if (r < 0)
		t->state = (int)r;
	return r;
}

int tar_next(struct tar *t, struct tar_entry *e)
{
	if (t->state)
		return t->state > 0 ? 0 : t->state;
	return (int)stuck(t, next_entry(t, e));
}

static ssize_t read_data(struct tar *t, void *buf, size_t len)
{
	ssize_t n;

	if (len > t->remain)
		len = (size_t)t->remain;
	if (!len)
		return 0;
	n = t->read(t->ctx, buf, len);
	if (n < 0)
		return read_failed(t, n);
	if (n == 0)
		return errmsg(t->err, sizeof(t->err), -EIO,
			      "archive truncated at byte %" PRIu64, t->offset);
	if ((size_t)n > len)
		return errmsg(t->err, sizeof(t->err), -EIO,
			      "reader returned too much");
	t->remain -= (uint64_t)n;
	t->offset += (uint64_t)n;
	return n;
}

ssize_t tar_read(struct tar *t, void *buf, size_t len)
{
	if (t->state < 0)
		return t->state;
	return stuck(t, read_data(t, buf, len));
}
