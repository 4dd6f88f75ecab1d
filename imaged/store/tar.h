/* SPDX-License-Identifier: MIT */
#ifndef KEEL_TAR_H
#define KEEL_TAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * A streaming tar reader for OCI layers: ustar headers (POSIX.1-2017, pax,
 * "ustar Interchange Format"), pax extended headers ("pax Interchange
 * Format") and the GNU extensions Go's archive/tar and GNU tar write
 * (long names 'L'/'K', base-256 numbers). No file system access: bytes
 * come from a read callback and entries go to the caller, so it runs
 * under the fuzzer.
 *
 * Everything the archive says is untrusted: every length is checked
 * against the limits below and against max_total before anything is
 * allocated or read, and an archive that ends early is an error.
 */

#define TAR_BLOCK 512
#define TAR_NAME_MAX 4096 /* a path or link target, bytes */
#define TAR_PAX_MAX (1 << 20) /* one extended header's records */
#define TAR_XATTR_MAX 256 /* SCHILY.xattr records for one entry */

/*
 * Reads up to len bytes: the count (0 only at the end of input), or
 * -errno.
 */
typedef ssize_t (*tar_read_fn)(void *ctx, void *buf, size_t len);

enum tar_type {
	TAR_REG,
	TAR_HARDLINK,
	TAR_SYMLINK,
	TAR_CHR,
	TAR_BLK,
	TAR_DIR,
	TAR_FIFO,
};

struct tar_xattr {
	const char *name; /* "security.capability": the SCHILY.xattr. suffix */
	const void *value;
	size_t len;
};

struct tar_entry {
	enum tar_type type;
	char path[TAR_NAME_MAX + 1]; /* as the archive has it */
	char link[TAR_NAME_MAX + 1]; /* hardlink or symlink target, or "" */
	uint64_t size; /* bytes of data to tar_read; 0 unless TAR_REG */
	uint32_t mode; /* permissions with setuid, setgid, sticky */
	uint32_t uid, gid;
	int64_t mtime;
	long mtime_nsec;
	uint32_t devmajor, devminor;
	size_t nxattr;
	const struct tar_xattr *xattr; /* valid until the next tar_next */
};

struct tar {
	tar_read_fn read;
	void *ctx;
	uint64_t max_total; /* archive bytes read, at most */
	uint64_t offset; /* archive bytes read so far */
	uint64_t remain; /* data bytes of the current entry still unread */
	uint32_t pad; /* bytes after them to the next block */
	int state; /* 0 reading, 1 at the end, -errno after an error */
	char *pax; /* the current entry's pax records (xattrs point in) */
	struct tar_xattr xattrs[TAR_XATTR_MAX];
	char err[320];
};

void tar_init(struct tar *t, tar_read_fn read, void *ctx, uint64_t max_total);
void tar_free(struct tar *t);

/*
 * The next entry into *e, skipping what is left of the current one's
 * data. 1 with an entry, 0 at the end of the archive, or -errno with
 * t->err saying why (then every later call fails the same way).
 */
int tar_next(struct tar *t, struct tar_entry *e);

/*
 * Up to len bytes of the current entry's data: the count, 0 when it is
 * all read, or -errno (a short archive is -EIO).
 */
ssize_t tar_read(struct tar *t, void *buf, size_t len);

/*
 * s made safe to put in a message or a log line: bytes other than
 * printable ASCII become '?', and a long s is cut short with "...".
 */
void tar_quote(char *out, size_t outlen, const char *s);

#endif
