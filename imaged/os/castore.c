// SPDX-License-Identifier: MIT
#include "os/castore.h"
#include "errmsg.h"
#include "os/bundle.h"

#include <errno.h>
#include <fcntl.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

void chunk_id_hex(const uint8_t id[32], char hex[65])
{
	sha256_hex(id, hex);
}

int castore_open(struct castore *s, const char *base, struct stall *stall,
		 char *err, size_t errlen)
{
	size_t n = strlen(base);

	memset(s, 0, sizeof(*s));
	s->stall = stall;
	s->tally = s;
	if (n + 2 > sizeof(s->base))
		return errmsg(err, errlen, -ENAMETOOLONG, "store URL too long");
	snprintf(s->base, sizeof(s->base), "%s%s", base,
		 n && base[n - 1] == '/' ? "" : "/");
	if (!strstr(base, "://"))
		return 0;
	if (!(s->c = malloc(sizeof(*s->c))))
		return errmsg(err, errlen, -ENOMEM, "out of memory");
	s->c->fd = -1;
	s->c->tls = NULL;
	return 0;
}

int castore_clone(struct castore *dst, struct castore *s, char *err,
		  size_t errlen)
{
	int r = castore_open(dst, s->base, s->stall, err, errlen);

	dst->tally = s->tally;
	return r;
}

void castore_close(struct castore *s)
{
	if (s->c) {
		http_close(s->c);
		free(s->c);
	}
	free(s->z);
	s->c = NULL;
	s->z = NULL;
}

/* Room for a stored chunk of up to max bytes. */
static int room(struct castore *s, size_t max)
{
	if (max <= s->zcap)
		return 0;
	uint8_t *z = realloc(s->z, max);
	if (!z)
		return -ENOMEM;
	s->z = z;
	s->zcap = max;
	return 0;
}

static int get_http(struct castore *s, const char *url, size_t max, size_t *got,
		    char *err, size_t errlen)
{
	struct download d;
	int r = download_open(&d, s->c, url, s->stall, true, err, errlen);

	*got = 0;
	if (r)
		return r;
	for (;;) {
		if (*got == max)
			return errmsg(err, errlen, -EFBIG,
				      "%s: bigger than its chunk can be", url);
		ssize_t n =
			download_read(&d, s->z + *got, max - *got, err, errlen);
		if (n < 0)
			return n;
		if (!n)
			return 0;
		*got += n;
	}
}

static int get_file(struct castore *s, const char *path, size_t max,
		    size_t *got, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	*got = 0;
	if (fd < 0)
		return errmsg_errno(err, errlen, -errno, errno, "%s", path);
	for (;;) {
		ssize_t n = read(fd, s->z + *got, max - *got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || (*got += n) == max) {
			int e = n < 0 ? errno : 0;
			close(fd);
			if (e)
				return errmsg_errno(err, errlen, -e, e, "%s",
						    path);
			return n ? errmsg(err, errlen, -EFBIG,
					  "%s: bigger than its chunk can be",
					  path)
				 : 0;
		}
	}
}

/* Decompressed and hashed: exactly len bytes that hash to id. */
static int unpack(struct castore *s, const uint8_t id[32], const char *hex,
		  size_t zlen, uint8_t *out, size_t len, char *err,
		  size_t errlen)
{
	uint8_t got[SHA256_DIGEST_SIZE];
	char got_hex[65];
	struct sha256_ctx sha;
	size_t n = ZSTD_decompress(out, len, s->z, zlen);

	if (ZSTD_isError(n) || n != len)
		return errmsg(err, errlen, -EBADMSG,
			      "chunk %s from the store is corrupt: %s", hex,
			      ZSTD_isError(n) ? ZSTD_getErrorName(n)
					      : "its length differs");
	sha256_init(&sha);
	sha256_update(&sha, len, out);
	sha256_digest(&sha, sizeof(got), got);
	if (memcmp(got, id, sizeof(got))) {
		chunk_id_hex(got, got_hex);
		return errmsg(err, errlen, -EBADMSG,
			      "chunk %s from the store is corrupt: its bytes "
			      "hash to %.16s...",
			      hex, got_hex);
	}
	return 0;
}

int castore_get(struct castore *s, const uint8_t id[32], uint8_t *out,
		size_t len, char *err, size_t errlen)
{
	char hex[65], where[sizeof(s->base) + 80];
	size_t max = ZSTD_COMPRESSBOUND(len), got;
	int r;

	chunk_id_hex(id, hex);
	snprintf(where, sizeof(where), "%s%.4s/%s.cacnk", s->base, hex, hex);
	if (room(s, max))
		return errmsg(err, errlen, -ENOMEM, "out of memory");
	r = s->c ? get_http(s, where, max, &got, err, errlen)
		 : get_file(s, where, max, &got, err, errlen);
	if (r == -ENOENT)
		return errmsg(err, errlen, -ENOENT,
			      "chunk %s is missing from the store %s", hex,
			      s->base);
	if (r)
		return r;
	/* (progress lines read these from the writer's thread) */
	__atomic_fetch_add(&s->tally->fetched, got, __ATOMIC_RELAXED);
	__atomic_fetch_add(&s->tally->chunks, 1, __ATOMIC_RELAXED);
	return unpack(s, id, hex, got, out, len, err, errlen);
}
