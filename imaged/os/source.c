// SPDX-License-Identifier: MIT
#include "os/source.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

int source_open(struct source *s, const char *spec, char *err, size_t errlen)
{
	struct stat st;
	int r;

	memset(s, 0, sizeof(*s));
	s->fd = -1;
	if (strstr(spec, "://")) {
		s->http = malloc(sizeof(*s->http));
		if (!s->http) {
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
		if ((r = http_get(s->http, spec, err, errlen))) {
			free(s->http);
			s->http = NULL;
			return r;
		}
		if (s->http->resp.content_length > 0)
			s->size = s->http->resp.content_length;
		return 0;
	}
	s->fd = open(spec, O_RDONLY | O_CLOEXEC);
	if (s->fd < 0 || fstat(s->fd, &st)) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", spec, strerror(errno));
		source_close(s);
		return r;
	}
	if (S_ISREG(st.st_mode))
		s->size = st.st_size;
	else if (S_ISBLK(st.st_mode) && ioctl(s->fd, BLKGETSIZE64, &s->size))
		s->size = 0;
	posix_fadvise(s->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	return 0;
}

int source_read(struct source *s, void *buf, size_t len)
{
	char *p = buf;

	while (len) {
		ssize_t n = s->http ? http_read(s->http, p, len)
				    : read(s->fd, p, len);
		if (n < 0 && errno == EINTR && !s->http)
			continue;
		if (n < 0)
			return s->http ? (int)n : -errno;
		if (!n)
			return -EPIPE;
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
	s->fd = -1;
}
