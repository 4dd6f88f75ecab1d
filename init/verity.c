// SPDX-License-Identifier: MIT
#include "verity.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/dm-ioctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define BLOCK 4096

int verity_parse(const char *text, struct verity_spec *v, const char **why)
{
	const char *colon = strchr(text, ':');
	char *end;

	if (!colon || colon - text != 64 ||
	    strspn(text, "0123456789abcdef") != 64) {
		*why = "expected <64 lowercase hex digits>:<data blocks>";
		return -EINVAL;
	}
	errno = 0;
	unsigned long long n = strtoull(colon + 1, &end, 10);
	if (errno || end == colon + 1 || *end || n == 0 || n > (1ULL << 40)) {
		*why = "the data block count is not a positive number";
		return -EINVAL;
	}
	memcpy(v->root_hash, text, 64);
	v->root_hash[64] = '\0';
	v->data_blocks = n;
	return 0;
}

/* Documentation/admin-guide/device-mapper/verity.rst, "Construction
 * Parameters": version 1, no salt ("-"), the hash tree starting right
 * after the data, in 4 KiB blocks. */
int verity_table(const struct verity_spec *v, const char *dev, char *buf,
		 size_t len)
{
	int n = snprintf(buf, len,
			 "1 %s %s %d %d %" PRIu64 " %" PRIu64 " sha256 %s -",
			 dev, dev, BLOCK, BLOCK, v->data_blocks, v->data_blocks,
			 v->root_hash);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static void dm_init(struct dm_ioctl *io, size_t size, const char *name)
{
	memset(io, 0, size);
	io->version[0] = DM_VERSION_MAJOR;
	io->version[1] = 0;
	io->version[2] = 0;
	io->data_size = size;
	io->data_start = sizeof(*io);
	snprintf(io->name, sizeof(io->name), "%s", name);
}

int verity_open(const char *name, const struct verity_spec *v, const char *dev,
		char *node, size_t len)
{
	/* header, one target spec, its parameters: 8-byte aligned */
	static union {
		struct dm_ioctl io;
		char buf[16384];
	} u;
	struct dm_ioctl *io = &u.io;
	struct dm_target_spec *t;
	int fd, r;

	fd = open("/dev/mapper/control", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;

	dm_init(io, sizeof(*io), name);
	if (ioctl(fd, DM_DEV_CREATE, io) && errno != EEXIST)
		goto fail;

	dm_init(io, sizeof(u), name);
	io->target_count = 1;
	io->flags = DM_READONLY_FLAG;
	t = (struct dm_target_spec *)(u.buf + sizeof(*io));
	t->sector_start = 0;
	t->length = v->data_blocks * (BLOCK / 512);
	snprintf(t->target_type, sizeof(t->target_type), "verity");
	char *params = (char *)(t + 1);
	r = verity_table(v, dev, params, sizeof(u) - sizeof(*io) - sizeof(*t));
	if (r) {
		close(fd);
		return r;
	}
	size_t used = sizeof(*io) + sizeof(*t) + strlen(params) + 1;
	used = (used + 7) & ~(size_t)7;
	t->next = 0;
	io->data_size = used;
	if (ioctl(fd, DM_TABLE_LOAD, io))
		goto fail;

	/* resume: the table goes live */
	dm_init(io, sizeof(*io), name);
	if (ioctl(fd, DM_DEV_SUSPEND, io))
		goto fail;
	close(fd);
	snprintf(node, len, "/dev/dm-%u", minor(io->dev));
	return 0;
fail:
	r = -errno;
	close(fd);
	return r;
}
