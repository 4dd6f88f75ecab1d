// SPDX-License-Identifier: MIT
/*
 * The install's binding to a channel entry (os/expect.c): the signed
 * part's digest and a known size checked once it is read, the whole
 * file's length and digest once the last byte has passed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "file.h"
#include "os/expect.h"

#define FILE_LEN 10000
#define SIGNED_LEN 300 /* "header and manifest" */
#define SIG_LEN 70

static char dir[64], path[128];
static uint8_t data[FILE_LEN];
static struct signed_part sp;

static void sha(const uint8_t *p, size_t n, uint8_t out[32])
{
	struct sha256_ctx c;

	sha256_init(&c);
	sha256_update(&c, n, p);
	sha256_digest(&c, 32, out);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/keel-expect-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/bundle", dir);
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + (i >> 8));
	return write_atomic(path, data, sizeof(data), 0600);
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

/* What the channel would name for the bundle file as it is. */
static void named(struct install_expect *e)
{
	memset(e, 0, sizeof(*e));
	e->size = FILE_LEN;
	sha(data, FILE_LEN, e->sha256);
	sha(data, SIGNED_LEN, e->manifest_sha256);
}

/* The source open and its signed part read, as signed_read leaves it. */
static void open_read(struct source *src)
{
	char err[256];

	assert_int_equal(source_open(src, path, 120, err, sizeof(err)), 0);
	sp.len = SIGNED_LEN;
	sp.sig_len = SIG_LEN;
	assert_int_equal(source_read(src, sp.bytes, SIGNED_LEN + SIG_LEN), 0);
}

/* The payloads streamed: part of the file, then expect_whole. */
static int rest(struct install_expect *e, struct source *src, char *err)
{
	uint8_t buf[3000];

	assert_int_equal(source_read(src, buf, sizeof(buf)), 0);
	return expect_whole(e, src, err, 256);
}

static void test_the_named_bundle(void **state)
{
	struct install_expect e;
	struct source src;
	char err[256];

	(void)state;
	named(&e);
	open_read(&src);
	assert_int_equal(expect_signed(&e, &src, &sp, err, sizeof(err)), 0);
	assert_int_equal(rest(&e, &src, err), 0);
	assert_false(e.mismatch);
	source_close(&src);

	/* the size unknown up front (a server without Content-Length) */
	named(&e);
	open_read(&src);
	src.size = 0;
	assert_int_equal(expect_signed(&e, &src, &sp, err, sizeof(err)), 0);
	assert_int_equal(rest(&e, &src, err), 0);
	source_close(&src);
}

static void test_another_manifest(void **state)
{
	struct install_expect e;
	struct source src;
	char err[256];

	(void)state;
	named(&e);
	e.manifest_sha256[0] ^= 1;
	open_read(&src);
	assert_int_equal(expect_signed(&e, &src, &sp, err, sizeof(err)),
			 -EBADMSG);
	assert_true(e.mismatch);
	assert_non_null(strstr(err, "not the one the channel names: its "
				    "header and manifest has sha256"));
	source_close(&src);
}

static void test_another_size(void **state)
{
	struct install_expect e;
	struct source src;
	char err[256];

	(void)state;
	/* known from the start: refused with the signed part */
	named(&e);
	e.size = FILE_LEN + 1;
	open_read(&src);
	assert_int_equal(expect_signed(&e, &src, &sp, err, sizeof(err)),
			 -EBADMSG);
	assert_true(e.mismatch);
	assert_non_null(strstr(err, "10000 bytes, the channel says 10001"));
	source_close(&src);

	/* known only at the end: shorter, then longer */
	named(&e);
	e.size = FILE_LEN + 1;
	open_read(&src);
	src.size = 0;
	assert_int_equal(expect_signed(&e, &src, &sp, err, sizeof(err)), 0);
	assert_int_equal(rest(&e, &src, err), -EBADMSG);
	assert_non_null(strstr(err, "10000 bytes, the channel says 10001"));
	source_close(&src);

	named(&e);
	e.size = FILE_LEN - 100;
	open_read(&src);
	src.size = 0;
	assert_int_equal(expect_signed(&e, &src, &sp, err, sizeof(err)), 0);
	assert_int_equal(rest(&e, &src, err), -EBADMSG);
	assert_true(e.mismatch);
	assert_non_null(strstr(err, "more than 9900 bytes"));
	source_close(&src);
}

static void test_another_file(void **state)
{
	struct install_expect e;
	struct source src;
	char err[256];

	(void)state;
	named(&e);
	e.sha256[31] ^= 0x80;
	open_read(&src);
	assert_int_equal(expect_signed(&e, &src, &sp, err, sizeof(err)), 0);
	assert_int_equal(rest(&e, &src, err), -EBADMSG);
	assert_true(e.mismatch);
	assert_non_null(strstr(err, "its whole file has sha256"));
	source_close(&src);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_the_named_bundle),
		cmocka_unit_test(test_another_manifest),
		cmocka_unit_test(test_another_size),
		cmocka_unit_test(test_another_file),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
