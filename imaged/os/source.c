// SPDX-License-Identifier: MIT
#include "os/source.h"
#include "errmsg.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

static int open_url(struct source *s, char *err, size_t errlen)
{
	int r;

	if (!(s->http = malloc(sizeof(*s->http))))
		return errmsg(err, errlen, -ENOMEM, "out of memory");
	s->http->fd = -1;
	s->http->tls = NULL;
	if ((r = download_open(&s->dl, s->http, s->spec, &s->stall, false, err,
			       errlen))) {
		free(s->http);
		s->http = NULL;
		return r;
	}
	if (s->dl.size > 0)
		s->size = s->dl.size;
	return 0;
}

int source_open(struct source *s, const char *spec, int stall_s, char *err,
		size_t errlen)
{
	struct stat st;
	int r;

	memset(s, 0, sizeof(*s));
	s->fd = s->direct = -1;
	if (snprintf(s->spec, sizeof(s->spec), "%s", spec) >=
	    (int)sizeof(s->spec))
		return errmsg(err, errlen, -ENAMETOOLONG, "%.60s...: too long",
			      spec);
	stall_start(&s->stall, stall_s);
	if (strstr(spec, "://"))
		return open_url(s, err, errlen);
	s->fd = open(spec, O_RDONLY | O_CLOEXEC);
	if (s->fd < 0 || fstat(s->fd, &st)) {
		r = errmsg_errno(err, errlen, -errno, errno, "%s", spec);
		source_close(s);
		return r;
	}
	if (S_ISREG(st.st_mode))
		s->size = st.st_size;
	else if (S_ISBLK(st.st_mode) && ioctl(s->fd, BLKGETSIZE64, &s->size))
		s->size = 0;
	posix_fadvise(s->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	/* where the file system cannot, reads just stay buffered */
	s->direct = open(spec, O_RDONLY | O_DIRECT | O_CLOEXEC);
	return 0;
}

#define ALIGN 4096

/* Page-aligned reads at an aligned place: a whole piece, or -1. */
static ssize_t read_direct(struct source *s, void *buf, size_t len, size_t cap)
{
	size_t want = (len + ALIGN - 1) / ALIGN * ALIGN;

	if (s->direct < 0 || s->pos % ALIGN || (uintptr_t)buf % ALIGN ||
	    want > cap)
		return -1;
	ssize_t n = pread(s->direct, buf, want, s->pos);
	return n >= (ssize_t)len ? (ssize_t)len : -1;
}

int source_read_into(struct source *s, void *buf, size_t len, size_t cap)
{
	ssize_t n = s->http ? -1 : read_direct(s, buf, len, cap);

	if (n < 0)
		return source_read(s, buf, len);
	if (s->whole)
		sha256_update(s->whole, n, buf);
	s->pos += n;
	return 0;
}

int source_read(struct source *s, void *buf, size_t len)
{
	char *p = buf;

	while (len) {
		/* (a file is read at pos: O_DIRECT reads may come between) */
		ssize_t n = s->http ? download_read(&s->dl, p, len, s->err,
						    sizeof(s->err))
				    : pread(s->fd, p, len, s->pos);
		if (n < 0 && !s->http && errno == EINTR)
			continue;
		if (n < 0 && !s->http)
			return errmsg_errno(s->err, sizeof(s->err), -errno,
					    errno, "%s", s->spec);
		if (n < 0)
			return n;
		if (!n)
			return errmsg(s->err, sizeof(s->err), -EPIPE,
				      "the bundle is cut short");
		if (s->whole)
			sha256_update(s->whole, n, (const uint8_t *)p);
		p += n;
		len -= n;
		s->pos += n;
	}
	return 0;
}

int source_skip(struct source *s, uint64_t n)
{
	char buf[4096];

	while (n) {
		size_t k = n < sizeof(buf) ? n : sizeof(buf);
		int r = source_read(s, buf, k);
		if (r)
			return r;
		n -= k;
	}
	return 0;
}

void source_close(struct source *s)
{
	if (s->http) {
		http_close(s->http);
		free(s->http);
		s->http = NULL;
	}
	if (s->fd >= 0)
		close(s->fd);
	if (s->direct >= 0)
		close(s->direct);
	s->fd = s->direct = -1;
}

int source_resolve(const char *spec, const char *ref, char *out, size_t outlen)
{
	const char *end = spec + strlen(spec);
	const char *path = strstr(spec, "://");

	if (strstr(ref, "://") || ref[0] == '/') {
		if (ref[0] == '/' && path) {
			/* the same scheme, host and port */
			const char *slash = strchr(path + 3, '/');
			end = slash ? slash : end;
			return snprintf(out, outlen, "%.*s%s",
					(int)(end - spec), spec,
					ref) >= (int)outlen
				       ? -ENAMETOOLONG
				       : 0;
		}
		return snprintf(out, outlen, "%s", ref) >= (int)outlen
			       ? -ENAMETOOLONG
			       : 0;
	}
	/* a relative reference: beside the bundle (RFC 3986 section 5.2) */
	const char *q = path ? strpbrk(path + 3, "?#") : NULL;
	if (q)
		end = q;
	while (end > spec && end[-1] != '/')
		end--;
	if (path && end <= path + 3)
		return snprintf(out, outlen, "%s/%s", spec, ref) >= (int)outlen
			       ? -ENAMETOOLONG
			       : 0;
	return snprintf(out, outlen, "%.*s%s", (int)(end - spec), spec, ref) >=
			       (int)outlen
		       ? -ENAMETOOLONG
		       : 0;
}
