// SPDX-License-Identifier: MIT
/*
 * The pieces of a delta install on the build host: what a seed holds of
 * an index (seed.c), chunks from a folder store (castore.c), the
 * pipeline's stages and failures (pipeline.c), and where a delta's store
 * and full bundle are (source_resolve).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "errmsg.h"
#include "le.h"
#include "os/cachunker.h"
#include "os/caindex.h"
#include "os/castore.h"
#include "os/fetchahead.h"
#include "os/pipeline.h"
#include "os/seed.h"
#include "os/source.h"

#define LEN (1u << 20)

static void fill(uint8_t *d, size_t len, uint64_t x)
{
	for (size_t i = 0; i < len; i++) {
		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		d[i] = (x * 2685821657736338717ULL) >> 56;
	}
}

/* d cut as casync cuts it, written as casync writes an index. */
static uint8_t *make_index(const uint8_t *d, size_t len, size_t *out)
{
	uint8_t *ix = calloc(1, 64 + (len / 4096 + 2) * 40);
	struct cachunker c;
	size_t at = 0, n = 0, start = 0;

	cachunker_init(&c, 4096, 16384, 65536);
	put_le64(ix, 48);
	put_le64(ix + 8, CA_FORMAT_INDEX);
	put_le64(ix + 24, 4096);
	put_le64(ix + 32, 16384);
	put_le64(ix + 40, 65536);
	put_le64(ix + 48, UINT64_MAX);
	put_le64(ix + 56, CA_FORMAT_TABLE);
	while (start < len) {
		size_t used = cachunker_scan(&c, d + at, len - at);
		size_t end = used == CA_CUT_NONE ? len : at + used;
		uint8_t *it = ix + 64 + n++ * 40;
		struct sha256_ctx s;
		put_le64(it, end);
		sha256_init(&s);
		sha256_update(&s, end - start, d + start);
		sha256_digest(&s, 32, it + 8);
		at = start = end;
	}
	uint8_t *t = ix + 64 + n * 40;
	put_le64(t + 16, 48);
	put_le64(t + 24, 16 + (n + 1) * 40);
	put_le64(t + 32, CA_FORMAT_TABLE_TAIL_MARKER);
	*out = 64 + (n + 1) * 40;
	return ix;
}

static int temp_file(const uint8_t *d, size_t len)
{
	char path[] = "/tmp/keel-seed-XXXXXX";
	int fd = mkstemp(path);

	unlink(path);
	assert_int_equal(write(fd, d, len), (ssize_t)len);
	return fd;
}

static void test_seed_finds_moved_chunks(void **state)
{
	uint8_t *old = malloc(LEN), *new = malloc(LEN + 100);
	struct caindex ix;
	struct seed s;
	char err[160];
	size_t n;

	(void)state;
	fill(old, LEN, 42);
	/* the new file: 100 bytes inserted near the front, one changed */
	memcpy(new, old, 1000);
	fill(new + 1000, 100, 7);
	memcpy(new + 1100, old + 1000, LEN - 1000);
	new[LEN / 2] ^= 1;
	uint8_t *index = make_index(new, LEN + 100, &n);
	assert_int_equal(caindex_parse(&ix, index, n, err, sizeof(err)), 0);
	int fd = temp_file(old, LEN);
	assert_int_equal(seed_init(&s, &ix), 0);
	assert_int_equal(seed_scan(&s, fd, LEN, err, sizeof(err)), 0);
	/* all but the two chunks around the changes are here */
	assert_true(s.found >= ix.chunks - 3 && s.found < ix.chunks);
	uint8_t chunk[65536];
	for (uint64_t i = 0; i < ix.chunks; i++) {
		uint64_t start, len, at = seed_find(&s, i);
		const uint8_t *id;
		caindex_chunk(&ix, i, &start, &len, &id);
		if (at == UINT64_MAX)
			continue;
		assert_int_equal(pread(fd, chunk, len, at), (ssize_t)len);
		assert_memory_equal(chunk, new + start, len);
	}
	/* a seed that cannot be read: its error, what was read counts */
	seed_free(&s);
	assert_int_equal(seed_init(&s, &ix), 0);
	assert_int_equal(seed_scan(&s, fd, 2 * LEN, err, sizeof(err)), -EIO);
	assert_non_null(strstr(err, "reading at byte"));
	assert_true(s.found >= ix.chunks - 4); /* not the one cut short */
	seed_free(&s);
	close(fd);
	free(index);
	free(old);
	free(new);
}

static void put_chunk(const char *dir, const uint8_t *d, size_t len,
		      const uint8_t id[32], bool corrupt)
{
	char hex[65], path[256];
	size_t cap = ZSTD_compressBound(len);
	uint8_t *z = malloc(cap);
	size_t zn = ZSTD_compress(z, cap, d, len, 3);

	chunk_id_hex(id, hex);
	snprintf(path, sizeof(path), "%s/%.4s", dir, hex);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%.4s/%s.cacnk", dir, hex, hex);
	if (corrupt) /* one byte of the chunk, before compression */
		((uint8_t *)d)[len / 2] ^= 1,
			zn = ZSTD_compress(z, cap, d, len, 3),
			((uint8_t *)d)[len / 2] ^= 1;
	FILE *f = fopen(path, "w");
	fwrite(z, 1, zn, f);
	fclose(f);
	free(z);
}

static void test_store_folder(void **state)
{
	char dir[] = "/tmp/keel-store-XXXXXX", err[300];
	uint8_t *d = malloc(LEN), out[65536];
	struct caindex ix;
	struct castore st;
	struct stall stall;
	size_t n;

	(void)state;
	assert_non_null(mkdtemp(dir));
	fill(d, LEN, 3);
	uint8_t *index = make_index(d, LEN, &n);
	assert_int_equal(caindex_parse(&ix, index, n, err, sizeof(err)), 0);
	for (uint64_t i = 0; i < ix.chunks; i++) {
		uint64_t start, len;
		const uint8_t *id;
		caindex_chunk(&ix, i, &start, &len, &id);
		if (i != 2)
			put_chunk(dir, d + start, len, id, i == 1);
	}
	stall_start(&stall, 10);
	assert_int_equal(castore_open(&st, dir, &stall, err, sizeof(err)), 0);
	for (uint64_t i = 0; i < ix.chunks; i++) {
		uint64_t start, len;
		const uint8_t *id;
		char hex[65];
		caindex_chunk(&ix, i, &start, &len, &id);
		chunk_id_hex(id, hex);
		int r = castore_get(&st, id, out, len, err, sizeof(err));
		if (i == 1) {
			assert_int_equal(r, -EBADMSG);
			assert_non_null(strstr(err, hex));
			assert_non_null(strstr(err, "is corrupt"));
		} else if (i == 2) {
			assert_int_equal(r, -ENOENT);
			assert_non_null(
				strstr(err, "is missing from the store"));
		} else {
			assert_int_equal(r, 0);
			assert_memory_equal(out, d + start, len);
		}
	}
	assert_int_equal(st.chunks, ix.chunks - 1);

	/* fetched ahead, in order, up to the first that fails */
	struct fetch_want want[64];
	struct fetchahead fa;
	size_t n_want = 0;
	for (uint64_t i = 0; i < ix.chunks && n_want < 64; i++) {
		uint64_t start, len;
		const uint8_t *id;
		caindex_chunk(&ix, i, &start, &len, &id);
		if (i != 1)
			want[n_want++] = (struct fetch_want){ id, len };
	}
	assert_int_equal(fetchahead_start(&fa, &st, want, n_want, 65536, err,
					  sizeof(err)),
			 0);
	for (uint64_t i = 0; i < ix.chunks; i++) {
		uint64_t start, len;
		const uint8_t *id;
		caindex_chunk(&ix, i, &start, &len, &id);
		if (i == 1)
			continue;
		int r = fetchahead_take(&fa, out, err, sizeof(err));
		if (i == 2) {
			assert_int_equal(r, -ENOENT);
			assert_non_null(
				strstr(err, "is missing from the store"));
			break;
		}
		assert_int_equal(r, 0);
		assert_memory_equal(out, d + start, len);
	}
	fetchahead_stop(&fa);
	castore_close(&st);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	free(index);
	free(d);
}

/* The pipeline: 40 buffers counted through its three stages. */
struct count {
	int bufs, fail_at, fail_stage;
	uint64_t sum_checked, sum_written;
};

static int produce(void *ctx, struct pipeline *pl, char *err, size_t errlen)
{
	struct count *c = ctx;

	for (int i = 0; i < c->bufs; i++) {
		if (c->fail_stage == 0 && i == c->fail_at) {
			snprintf(err, errlen, "produce failed at %d", i);
			return -EIO;
		}
		struct pipe_buf *b = pipe_take(pl);
		if (!b)
			return -ECANCELED;
		b->len = 1000;
		b->off = i;
		memset(b->data, i, b->len);
		pipe_send(pl, b);
	}
	return 0;
}

static int check(void *ctx, const struct pipe_buf *b, char *err, size_t errlen)
{
	struct count *c = ctx;

	if (c->fail_stage == 1 && (int)b->off == c->fail_at) {
		snprintf(err, errlen, "check failed at %d", c->fail_at);
		return -EBADMSG;
	}
	c->sum_checked += b->data[999] + b->off * 1000;
	return 0;
}

static int consume(void *ctx, const struct pipe_buf *b, char *err,
		   size_t errlen)
{
	struct count *c = ctx;

	if (c->fail_stage == 2 && (int)b->off == c->fail_at) {
		snprintf(err, errlen, "write failed at %d", c->fail_at);
		return -ENOSPC;
	}
	c->sum_written += b->data[0] + b->off * 1000;
	return 0;
}

static void test_pipeline(void **state)
{
	static const struct pipe_ops ops = { .produce = produce,
					     .check = check,
					     .consume = consume };
	static const char *const why[] = { "produce failed at 17",
					   "check failed at 17",
					   "write failed at 17" };
	static const int code[] = { -EIO, -EBADMSG, -ENOSPC };
	char err[160];

	(void)state;
	struct count c = { .bufs = 40, .fail_stage = -1 };
	assert_int_equal(pipeline_run(&ops, &c, 4096, err, sizeof(err)), 0);
	uint64_t want = 0;
	for (int i = 0; i < 40; i++)
		want += i + i * 1000;
	assert_int_equal(c.sum_checked, want);
	assert_int_equal(c.sum_written, want);
	/* the first stage that fails stops the others; its error is it */
	for (int s = 0; s < 3; s++) {
		c = (struct count){ .bufs = 40,
				    .fail_stage = s,
				    .fail_at = 17 };
		assert_int_equal(pipeline_run(&ops, &c, 4096, err, sizeof(err)),
				 code[s]);
		assert_string_equal(err, why[s]);
		assert_true(c.sum_written < want);
	}
}

/*
 * Halves: buffers of 8 blocks, block b of buffer i holding i * 8 + b; a
 * check counts the blocks it sees and fails at the first bad one.
 */
struct blocks {
	int bad[2]; /* the bad blocks, -1: none */
	uint64_t seen, sum; /* blocks checked, and their numbers' sum */
	int split; /* checks of less than a buffer */
	int sent; /* buffers the producer sent */
};

static int produce_blocks(void *ctx, struct pipeline *pl, char *err,
			  size_t errlen)
{
	struct blocks *c = ctx;

	(void)err;
	(void)errlen;
	for (int i = 0; i < 10; i++) {
		struct pipe_buf *b = pipe_take(pl);
		if (!b)
			return -ECANCELED;
		b->len = 8 * PIPE_ALIGN;
		b->off = (uint64_t)i * b->len;
		for (int k = 0; k < 8; k++)
			memset(b->data + k * PIPE_ALIGN, i * 8 + k, PIPE_ALIGN);
		pipe_send(pl, b);
		__atomic_add_fetch(&c->sent, 1, __ATOMIC_RELAXED);
	}
	return 0;
}

static int check_blocks(void *ctx, const struct pipe_buf *b, char *err,
			size_t errlen)
{
	struct blocks *c = ctx;

	/* the first buffer waits for all the others the pipeline holds, so
	 * the checker is behind from the second on: those are split */
	while (!b->off &&
	       __atomic_load_n(&c->sent, __ATOMIC_RELAXED) < PIPE_BUFS)
		usleep(1000);
	if (b->len < 8 * PIPE_ALIGN)
		__atomic_fetch_add(&c->split, 1, __ATOMIC_RELAXED);
	for (size_t at = 0; at < b->len; at += PIPE_ALIGN) {
		int block = b->data[at];
		/* (no cmocka assert here: this may be the helper's thread) */
		if ((uint64_t)block != (b->off + at) / PIPE_ALIGN)
			return errmsg(err, errlen, -EINVAL, "block %d at %llu",
				      block, (unsigned long long)(b->off + at));
		if (block == c->bad[0] || block == c->bad[1])
			return errmsg(err, errlen, -EBADMSG, "block %d is bad",
				      block);
		__atomic_fetch_add(&c->seen, 1, __ATOMIC_RELAXED);
		__atomic_fetch_add(&c->sum, block, __ATOMIC_RELAXED);
	}
	return 0;
}

static int consume_none(void *ctx, const struct pipe_buf *b, char *err,
			size_t errlen)
{
	(void)ctx;
	(void)b;
	(void)err;
	(void)errlen;
	return 0;
}

static bool halves(void *ctx, const struct pipe_buf *b)
{
	(void)ctx;
	(void)b;
	return true;
}

static void test_pipeline_halves(void **state)
{
	static const struct pipe_ops ops = { .produce = produce_blocks,
					     .check = check_blocks,
					     .consume = consume_none,
					     .halves = halves };
	struct blocks c = { .bad = { -1, -1 } };
	char err[160];

	(void)state;
	assert_int_equal(
		pipeline_run(&ops, &c, 8 * PIPE_ALIGN, err, sizeof(err)), 0);
	/* every block checked once, in halves where there are two cores */
	assert_int_equal(c.seen, 80);
	assert_int_equal(c.sum, 79 * 80 / 2);
	if (sysconf(_SC_NPROCESSORS_ONLN) > 1)
		assert_true(c.split >= 8);
	/* bad blocks in both halves: the first half's is the verdict */
	c = (struct blocks){ .bad = { 22, 18 } };
	assert_int_equal(
		pipeline_run(&ops, &c, 8 * PIPE_ALIGN, err, sizeof(err)),
		-EBADMSG);
	assert_string_equal(err, "block 18 is bad");
	c = (struct blocks){ .bad = { 23, -1 } };
	assert_int_equal(
		pipeline_run(&ops, &c, 8 * PIPE_ALIGN, err, sizeof(err)),
		-EBADMSG);
	assert_string_equal(err, "block 23 is bad");
}

static void test_resolve(void **state)
{
	static const struct {
		const char *spec, *ref, *want;
	} cases[] = {
		{ "http://h:8000/dl/keel-2-delta.keelb", "keel-2.castr",
		  "http://h:8000/dl/keel-2.castr" },
		{ "http://h/dl/x.keelb?sig=1", "s.castr",
		  "http://h/dl/s.castr" },
		{ "http://h", "s.castr", "http://h/s.castr" },
		{ "https://h/a/b.keelb", "/store/", "https://h/store/" },
		{ "https://h/a/b.keelb", "http://cdn/s", "http://cdn/s" },
		{ "/mnt/usb/keel-delta.keelb", "keel.castr",
		  "/mnt/usb/keel.castr" },
		{ "keel-delta.keelb", "keel.keelb", "keel.keelb" },
		{ "/mnt/usb/d.keelb", "/srv/full.keelb", "/srv/full.keelb" },
	};
	char out[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		assert_int_equal(source_resolve(cases[i].spec, cases[i].ref,
						out, sizeof(out)),
				 0);
		assert_string_equal(out, cases[i].want);
	}
	assert_int_equal(source_resolve("/a/b", "c", out, 4), -ENAMETOOLONG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seed_finds_moved_chunks),
		cmocka_unit_test(test_store_folder),
		cmocka_unit_test(test_pipeline),
		cmocka_unit_test(test_pipeline_halves),
		cmocka_unit_test(test_resolve),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
