// SPDX-License-Identifier: MIT
/*
 * A layer blob comes from a registry: whoever controls the registry (or
 * the image) controls every byte the tar reader and the decompressors
 * see. The first input byte picks the path: 0 the tar reader straight
 * over the rest, 1-3 through the decompressor told plain, gzip or zstd,
 * anything else through it recognising the format itself. Reads come in
 * uneven pieces, so no code can count on whole blocks.
 *
 * Whatever is read must hold together: names within limits, data only
 * for regular files and exactly as long as promised, every failure with
 * a reason, and nothing past the caps.
 */
#include "store/decompress.h"
#include "store/tar.h"

#include <assert.h>
#include <stdint.h>
#include <string.h>

#define CAP (4 << 20)

struct mem {
	const uint8_t *p;
	size_t len, pos;
};

static ssize_t mem_read(void *ctx, void *buf, size_t len)
{
	struct mem *m = ctx;
	size_t n = m->len - m->pos;

	if (n > len)
		n = len;
	if (n > 1 + m->pos % 613)
		n = 1 + m->pos % 613;
	memcpy(buf, m->p + m->pos, n);
	m->pos += n;
	return (ssize_t)n;
}

static ssize_t decomp_src(void *ctx, void *buf, size_t len)
{
	return decomp_read(ctx, buf, len);
}

static void read_tar(tar_read_fn read, void *ctx)
{
	static struct tar t;
	static struct tar_entry e;
	static uint8_t buf[1500];
	int r, n = 0;

	tar_init(&t, read, ctx, CAP);
	while ((r = tar_next(&t, &e)) > 0) {
		uint64_t got = 0;
		ssize_t k;

		assert(e.path[0] && strlen(e.path) <= TAR_NAME_MAX);
		assert(strlen(e.link) <= TAR_NAME_MAX);
		assert(e.type == TAR_REG || !e.size);
		assert(e.type != TAR_HARDLINK || e.link[0]);
		assert(e.type != TAR_SYMLINK || e.link[0]);
		assert(e.mode <= 07777 && e.uid != UINT32_MAX &&
		       e.gid != UINT32_MAX);
		assert(e.mtime_nsec >= 0 && e.mtime_nsec < 1000000000L);
		assert(e.nxattr <= TAR_XATTR_MAX);
		for (size_t i = 0; i < e.nxattr; i++)
			assert(e.xattr[i].name[0]);
		/* read some entries' data, skip others */
		if (n++ % 3 == 2)
			continue;
		while ((k = tar_read(&t, buf, 1 + (got % sizeof(buf)))) > 0)
			got += (uint64_t)k;
		assert(k < 0 || got == e.size);
		if (k < 0)
			break;
	}
	assert(t.offset <= CAP);
	if (r < 0 || t.state < 0)
		assert(t.err[0]);
	else
		assert(tar_next(&t, &e) == 0);
	tar_free(&t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mem m = { data + 1, size ? size - 1 : 0, 0 };
	static const enum decomp_kind kinds[] = { DECOMP_PLAIN, DECOMP_GZIP,
						  DECOMP_ZSTD };
	static uint8_t buf[4096];
	struct decomp *d;
	char err[256];
	ssize_t n;

	if (!size)
		return 0;
	if (!data[0]) {
		read_tar(mem_read, &m);
		return 0;
	}
	if (decomp_open(&d, data[0] <= 3 ? kinds[data[0] - 1] : DECOMP_AUTO,
			mem_read, &m, CAP, err, sizeof(err))) {
		assert(err[0]);
		return 0;
	}
	read_tar(decomp_src, d);
	/* on to the end, through gzip trailers and zstd frame ends */
	while ((n = decomp_read(d, buf, sizeof(buf))) > 0)
		;
	assert(n == 0 || decomp_error(d)[0]);
	decomp_close(d);
	return 0;
}
