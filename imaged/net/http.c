// SPDX-License-Identifier: MIT
#include "net/http.h"
#include "errmsg.h"
#include "file.h"
#include "net/tls.h"

#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

int http_url_parse(struct http_url *u, const char *url, char *err,
		   size_t errlen)
{
	const char *p, *host, *hend, *path;

	memset(u, 0, sizeof(*u));
	u->tls = !strncmp(url, "https://", 8);
	if (!u->tls && strncmp(url, "http://", 7))
		return errmsg(err, errlen, -EINVAL,
			      "%.200s: not an http:// or https:// URL", url);
	host = url + (u->tls ? 8 : 7);
	path = host + strcspn(host, "/?#");
	if (*host == '[') { /* an IPv6 literal, RFC 3986 section 3.2.2 */
		hend = strchr(host, ']');
		if (!hend || hend > path)
			goto bad;
		host++;
		p = hend + 1;
	} else {
		hend = host + strcspn(host, ":/?#");
		p = hend;
	}
	if (hend == host || (size_t)(hend - host) >= sizeof(u->host))
		goto bad;
	memcpy(u->host, host, hend - host);
	if (*p == ':') {
		size_t n = path - p - 1;
		if (!n || n >= sizeof(u->port) ||
		    strspn(p + 1, "0123456789") < n)
			goto bad;
		memcpy(u->port, p + 1, n);
		if (atoi(u->port) < 1 || atoi(u->port) > 65535)
			goto bad;
	} else if (p != path) {
		goto bad;
	} else {
		strcpy(u->port, u->tls ? "443" : "80");
	}
	if (strchr(path, '#') || strpbrk(path, " \r\n\t"))
		goto bad;
	if (snprintf(u->path, sizeof(u->path), "%s%s", *path == '/' ? "" : "/",
		     path) >= (int)sizeof(u->path))
		goto bad;
	return 0;
bad:
	return errmsg(err, errlen, -EINVAL, "%.200s: malformed URL", url);
}

int http_origin(const struct http_url *u, char *out, size_t outlen)
{
	bool v6 = strchr(u->host, ':');
	int n = snprintf(out, outlen, "%s://%s%s%s:%d",
			 u->tls ? "https" : "http", v6 ? "[" : "", u->host,
			 v6 ? "]" : "", atoi(u->port));

	if (n < 0 || (size_t)n >= outlen)
		return -ENAMETOOLONG;
	for (char *p = out; *p; p++)
		*p = tolower((unsigned char)*p);
	return 0;
}

static int copy_value(char *dst, size_t size, const char *v, size_t vl)
{
	if (vl >= size)
		return -EPROTO;
	memcpy(dst, v, vl);
	dst[vl] = '\0';
	return 0;
}

/* A header field's value, if this line is that field. */
static const char *field(const char *line, size_t len, const char *name,
			 size_t *vlen)
{
	size_t n = strlen(name);

	if (len <= n || line[n] != ':' || strncasecmp(line, name, n))
		return NULL;
	const char *v = line + n + 1, *end = line + len;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	*vlen = end - v;
	return v;
}

/* status-line = HTTP-version SP status-code SP [reason]: 0 or -EPROTO */
static int status_line(struct http_resp *r, const char *p, size_t l)
{
	if (l < 12 || strncmp(p, "HTTP/1.", 7) ||
	    !isdigit((unsigned char)p[7]) || p[8] != ' ' ||
	    !isdigit((unsigned char)p[9]) || !isdigit((unsigned char)p[10]) ||
	    !isdigit((unsigned char)p[11]) || (l > 12 && p[12] != ' '))
		return -EPROTO;
	r->status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + p[11] - '0';
	return 0;
}

/* One decimal Content-Length; a second that differs is refused. */
static int content_length(struct http_resp *r, const char *v, size_t vl)
{
	char num[24];

	if (!vl || vl >= sizeof(num) || strspn(v, "0123456789") < vl)
		return -EPROTO;
	memcpy(num, v, vl);
	num[vl] = '\0';
	long long n = strtoll(num, NULL, 10);
	if (n < 0 || (r->content_length >= 0 && r->content_length != n))
		return -EPROTO;
	r->content_length = n;
	return 0;
}

/* The fields kept whole: a value too long for its place is refused. */
static int kept_field(struct http_resp *r, const char *p, size_t l,
		      bool *matched)
{
	const struct {
		const char *name;
		char *dst;
		size_t size;
	} kept[] = {
		{ "Location", r->location, sizeof(r->location) },
		{ "Content-Type", r->content_type, sizeof(r->content_type) },
		{ "Docker-Content-Digest", r->digest, sizeof(r->digest) },
		{ "WWW-Authenticate", r->www_authenticate,
		  sizeof(r->www_authenticate) },
	};
	const char *v;
	size_t vl;

	for (size_t i = 0; i < sizeof(kept) / sizeof(*kept); i++) {
		if (!(v = field(p, l, kept[i].name, &vl)))
			continue;
		*matched = true;
		/* several challenges may come in one field: the first is kept */
		if (kept[i].dst == r->www_authenticate &&
		    r->www_authenticate[0])
			return 0;
		return copy_value(kept[i].dst, kept[i].size, v, vl);
	}
	*matched = false;
	return 0;
}

/*
 * One header field line (no CRLF) into r: 0, -EPROTO when it is
 * malformed, or -ENOTSUP with err naming a transfer coding we cannot
 * read.
 */
static int header_line(struct http_resp *r, const char *p, size_t l, char *err,
		       size_t errlen)
{
	const char *v;
	size_t vl;
	bool matched;
	int e;

	if ((v = field(p, l, "Content-Length", &vl)))
		return content_length(r, v, vl);
	if ((v = field(p, l, "Transfer-Encoding", &vl))) {
		if (vl != 7 || strncasecmp(v, "chunked", 7))
			return errmsg(err, errlen, -ENOTSUP,
				      "unsupported Transfer-Encoding '%.*s'",
				      (int)(vl > 40 ? 40 : vl), v);
		r->chunked = true;
		return 0;
	}
	if ((e = kept_field(r, p, l, &matched)) || matched)
		return e;
	if ((v = field(p, l, "Connection", &vl))) {
		if (vl == 5 && !strncasecmp(v, "close", 5))
			r->close = true;
	} else if ((v = field(p, l, "Content-Range", &vl))) {
		/*
		 * RFC 9110 section 14.4: bytes FIRST-LAST/LEN, or
		 * bytes * /LEN on a 416
		 */
		if (vl < 7 || strncasecmp(v, "bytes ", 6))
			return -EPROTO;
		if (isdigit((unsigned char)v[6]))
			r->range_start = strtoll(v + 6, NULL, 10);
	} else if ((v = field(p, l, "Retry-After", &vl))) {
		if (vl && vl < 8 && strspn(v, "0123456789") >= vl)
			r->retry_after = strtol(v, NULL, 10);
	} else if (!memchr(p, ':', l) || *p == ' ' || *p == '\t') {
		return -EPROTO; /* no obsolete line folding either */
	}
	return 0;
}

int http_head_parse(struct http_resp *r, const char *buf, size_t len, char *err,
		    size_t errlen)
{
	const char *p = buf, *end = buf + len;
	bool first = true;
	int e;

	memset(r, 0, sizeof(*r));
	r->content_length = -1;
	r->range_start = -1;
	r->retry_after = -1;
	while (p < end) {
		const char *nl = memchr(p, '\n', end - p);
		if (!nl)
			break;
		size_t l = nl - p;
		if (l && p[l - 1] == '\r')
			l--;
		if (memchr(p, '\0', l))
			break;
		if (!first && !l)
			return 0;
		e = first ? status_line(r, p, l)
			  : header_line(r, p, l, err, errlen);
		if (e == -ENOTSUP)
			return -EPROTO; /* err says which coding */
		if (e)
			break;
		first = false;
		p = nl + 1;
	}
	return errmsg(err, errlen, -EPROTO, "malformed HTTP response header");
}

enum {
	CH_SIZE,
	CH_EXT,
	CH_SIZE_LF,
	CH_DATA,
	CH_DATA_CR,
	CH_DATA_LF,
	CH_TRAILER_START,
	CH_TRAILER_LINE,
	CH_TRAILER_END_LF,
	CH_DONE,
};

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static void chunk_sized(struct chunked *c)
{
	c->state = c->left ? CH_DATA : CH_TRAILER_START;
}

ssize_t chunked_feed(struct chunked *c, const char *in, size_t len,
		     const char **data, size_t *datalen, bool *done)
{
	size_t i = 0;

	*data = NULL;
	*datalen = 0;
	*done = c->state == CH_DONE;
	while (i < len && !*done) {
		char ch = in[i];
		int v;
		switch (c->state) {
		case CH_SIZE:
			if ((v = hexval(ch)) >= 0) {
				if (++c->digits >
				    15) /* 2^60: no file is bigger */
					return -EBADMSG;
				c->left = c->left * 16 + v;
			} else if (!c->digits) {
				return -EBADMSG;
			} else if (ch == ';' || ch == ' ' || ch == '\t') {
				c->state = CH_EXT;
			} else if (ch == '\r') {
				c->state = CH_SIZE_LF;
			} else if (ch == '\n') {
				chunk_sized(c);
			} else {
				return -EBADMSG;
			}
			i++;
			break;
		case CH_EXT:
			if (ch == '\n')
				chunk_sized(c);
			i++;
			break;
		case CH_SIZE_LF:
			if (ch != '\n')
				return -EBADMSG;
			chunk_sized(c);
			i++;
			break;
		case CH_DATA: {
			size_t n = len - i;
			if (n > c->left)
				n = c->left;
			*data = in + i;
			*datalen = n;
			c->left -= n;
			if (!c->left)
				c->state = CH_DATA_CR;
			return i + n;
		}
		case CH_DATA_CR:
			if (ch == '\r')
				c->state = CH_DATA_LF;
			else if (ch == '\n')
				c->state = CH_SIZE, c->digits = 0;
			else
				return -EBADMSG;
			i++;
			break;
		case CH_DATA_LF:
			if (ch != '\n')
				return -EBADMSG;
			c->state = CH_SIZE;
			c->digits = 0;
			i++;
			break;
		case CH_TRAILER_START:
			if (ch == '\r')
				c->state = CH_TRAILER_END_LF;
			else if (ch == '\n')
				c->state = CH_DONE;
			else
				c->state = CH_TRAILER_LINE;
			i++;
			break;
		case CH_TRAILER_LINE:
			if (ch == '\n')
				c->state = CH_TRAILER_START;
			i++;
			break;
		case CH_TRAILER_END_LF:
			if (ch != '\n')
				return -EBADMSG;
			c->state = CH_DONE;
			i++;
			break;
		}
		*done = c->state == CH_DONE;
	}
	return i;
}

static int http_connect(const struct http_url *u, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	struct timeval tv = { .tv_sec = 30 };
	int fd = -1, r = getaddrinfo(u->host, u->port, &hints, &res);

	if (r)
		return errmsg(err, errlen, -EHOSTUNREACH, "%s: %s", u->host,
			      gai_strerror(r));
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
			    ai->ai_protocol);
		if (fd < 0) {
			r = errno;
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		if (!connect(fd, ai->ai_addr, ai->ai_addrlen))
			break;
		r = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return errmsg_errno(err, errlen, -r, r,
				    "connecting to %s port %s", u->host,
				    u->port);
	return fd;
}

static int send_all(struct http_conn *c, const void *buf, size_t len, char *err,
		    size_t errlen)
{
	int r;

	if (c->tls)
		return tls_write_all(c->tls, buf, len, err, errlen);
	if ((r = write_full(c->fd, buf, len)))
		return errmsg_errno(err, errlen, r, -r, "sending to %s",
				    c->host);
	return 0;
}

/*
 * Read the response head into buf; the body's first bytes follow it.
 * Interim 1xx responses (RFC 9110 section 15.2) are read past.
 */
static int read_head(struct http_conn *c, char *err, size_t errlen)
{
	int r;

	c->len = c->off = 0;
	for (;;) {
		/* whichever blank line comes first ends the head */
		char *end = c->len >= 4 ? memmem(c->buf, c->len, "\r\n\r\n", 4)
					: NULL;
		char *lf =
			c->len >= 2 ? memmem(c->buf, c->len, "\n\n", 2) : NULL;
		if (lf && (!end || lf < end))
			end = lf;
		if (end) {
			size_t head = end - c->buf + (end[0] == '\r' ? 4 : 2);
			if ((r = http_head_parse(&c->resp, c->buf, head, err,
						 errlen)))
				return r;
			if (c->resp.status / 100 == 1 &&
			    c->resp.status != 101) {
				memmove(c->buf, c->buf + head, c->len - head);
				c->len -= head;
				continue;
			}
			c->off = head;
			return 0;
		}
		if (c->len >= HTTP_HEAD_MAX)
			return errmsg(err, errlen, -EPROTO,
				      "%s: response header too long", c->host);
		size_t room = HTTP_HEAD_MAX - c->len;
		ssize_t n = c->tls ? tls_read(c->tls, c->buf + c->len, room)
				   : recv(c->fd, c->buf + c->len, room, 0);
		if (n < 0 && errno == EINTR && !c->tls)
			continue;
		if (n <= 0) {
			const char *why = c->tls ? tls_error(c->tls)
					  : n	 ? strerror(errno)
						 : "connection closed";
			/* -EPIPE: nothing came; a kept connection may retry */
			return errmsg(
				err, errlen, n < 0 || c->len ? -EPROTO : -EPIPE,
				"%s: %s before the response", c->host, why);
		}
		c->len += n;
	}
}

/* http_request, with a body after the head (len bytes, or none) */
static int exchange(struct http_conn *c, const char *method,
		    const struct http_url *u, const char *extra,
		    const void *body, size_t len, char *err, size_t errlen)
{
	char req[HTTP_PATH_MAX + HTTP_HOST_MAX + 12288];
	bool v6 = strchr(u->host, ':');
	const char *dflt = u->tls ? "443" : "80";
	int r;

	if (snprintf(req, sizeof(req),
		     "%s %s HTTP/1.1\r\nHost: %s%s%s%s%s\r\n"
		     "User-Agent: keel-imaged\r\n%s\r\n",
		     method, u->path, v6 ? "[" : "", u->host, v6 ? "]" : "",
		     strcmp(u->port, dflt) ? ":" : "",
		     strcmp(u->port, dflt) ? u->port : "",
		     extra ? extra : "") >= (int)sizeof(req))
		return errmsg(err, errlen, -ENAMETOOLONG,
			      "request header too long");
	bool waited = false;
	bool reuse = c->fd >= 0 && c->reusable && c->done &&
		     c->on_tls == u->tls && !strcmp(c->host, u->host) &&
		     !strcmp(c->port, u->port);
	for (int tries = 0;; tries++) {
		if (!reuse) {
			http_close(c);
			c->fd = http_connect(u, err, errlen);
			if (c->fd < 0)
				return c->fd;
			snprintf(c->host, sizeof(c->host), "%s", u->host);
			snprintf(c->port, sizeof(c->port), "%s", u->port);
			c->on_tls = u->tls;
			if (u->tls &&
			    !(c->tls = tls_open(c->fd, u->host, err, errlen))) {
				http_close(c);
				return -EKEYREJECTED;
			}
		}
		c->reusable = false;
		r = send_all(c, req, strlen(req), err, errlen);
		if (!r && len)
			r = send_all(c, body, len, err, errlen);
		if (!r)
			r = read_head(c, err, errlen);
		/* a kept connection the server closed while idle: once more */
		if (r && reuse && !tries) {
			reuse = false;
			continue;
		}
		/* a certificate refused for its dates before the first time
		 * sync: once more after it (DESIGN.md, "Boot and update
		 * flow" 6) */
		if (r == -EKEYREJECTED && c->tls && !waited &&
		    tls_refused_dates(c->tls)) {
			waited = true;
			if (tls_wait_for_sync(u->host)) {
				reuse = false;
				continue;
			}
		}
		if (r) {
			http_close(c);
			return r;
		}
		break;
	}
	memset(&c->ch, 0, sizeof(c->ch));
	int s = c->resp.status;
	bool nobody =
		!strcmp(method, "HEAD") || s == 204 || s == 304 || s == 101;
	c->left = c->resp.content_length >= 0 && !c->resp.chunked
			  ? (uint64_t)c->resp.content_length
			  : UINT64_MAX;
	c->done = nobody || (!c->resp.chunked && !c->left);
	/* only a framed body leaves the connection usable afterwards */
	c->reusable =
		!c->resp.close && s != 101 &&
		(nobody || c->resp.chunked || c->resp.content_length >= 0);
	return 0;
}

int http_request(struct http_conn *c, const char *method,
		 const struct http_url *u, const char *extra, char *err,
		 size_t errlen)
{
	return exchange(c, method, u, extra, NULL, 0, err, errlen);
}

int http_post(struct http_conn *c, const char *url, const char *extra,
	      const void *body, size_t len, char *err, size_t errlen)
{
	char head[HTTP_HEAD_MAX];
	struct http_url u;
	int r;

	c->fd = -1;
	c->tls = NULL;
	c->reusable = false;
	if ((r = http_url_parse(&u, url, err, errlen)))
		return r;
	if (snprintf(head, sizeof(head),
		     "Content-Length: %zu\r\nConnection: close\r\n%s", len,
		     extra ? extra : "") >= (int)sizeof(head))
		return errmsg(err, errlen, -ENAMETOOLONG,
			      "request header too long");
	if ((r = exchange(c, "POST", &u, head, body, len, err, errlen)))
		return r;
	http_drain(c, 65536);
	http_close(c);
	return 0;
}

void http_drain(struct http_conn *c, size_t max)
{
	char buf[4096];
	size_t got = 0;
	ssize_t n;

	while (!c->done && got <= max &&
	       (n = http_read(c, buf, sizeof(buf))) > 0)
		got += n;
	if (!c->done)
		c->reusable = false;
}

int http_get(struct http_conn *c, const char *url, char *err, size_t errlen)
{
	char cur[sizeof(c->resp.location)];
	struct http_url u;
	int r;

	snprintf(cur, sizeof(cur), "%s", url);
	c->fd = -1;
	c->tls = NULL;
	c->reusable = false;
	for (int hops = 0;; hops++) {
		if ((r = http_url_parse(&u, cur, err, errlen)))
			return r;
		if ((r = http_request(c, "GET", &u,
				      "Accept: */*\r\nConnection: close\r\n",
				      err, errlen)))
			return r;
		int s = c->resp.status;
		if (s == 200)
			return 0;
		http_close(c);
		if ((s == 301 || s == 302 || s == 303 || s == 307 ||
		     s == 308) &&
		    c->resp.location[0] && hops < 5) {
			if ((r = http_resolve(&u, c->resp.location, cur,
					      sizeof(cur))))
				return errmsg(err, errlen, r,
					      "redirect target too long");
			continue;
		}
		return errmsg(err, errlen, -ENOENT, "%.300s: HTTP status %d",
			      cur, s);
	}
}

int http_resolve(const struct http_url *base, const char *location, char *out,
		 size_t outlen)
{
	/* RFC 9110 section 15.4: a relative target keeps the host */
	if (location[0] != '/') {
		if (snprintf(out, outlen, "%s", location) >= (int)outlen)
			return -ENAMETOOLONG;
		return 0;
	}
	if (snprintf(out, outlen, "%s://%s%s%s%s%s",
		     base->tls ? "https" : "http",
		     strchr(base->host, ':') ? "[" : "", base->host,
		     strchr(base->host, ':') ? "]:" : ":", base->port,
		     location) >= (int)outlen)
		return -ENAMETOOLONG;
	return 0;
}

static int fill(struct http_conn *c)
{
	for (;;) {
		ssize_t n = c->tls ? tls_read(c->tls, c->buf, sizeof(c->buf))
				   : recv(c->fd, c->buf, sizeof(c->buf), 0);
		if (n < 0 && errno == EINTR && !c->tls)
			continue;
		if (n <= 0)
			c->reusable = false;
		if (n < 0)
			return c->tls ? (int)n : -errno;
		c->off = 0;
		c->len = n;
		return n;
	}
}

/*
 * A Content-Length body over plain TCP, once the head's leftovers are
 * handed out, goes from the socket straight into the caller's buffer (a
 * bundle's into the install's pipeline): each byte is copied once, by
 * the kernel, not a second time out of c->buf. Under emulation a copy of
 * a 200 MiB stream is a sizeable part of what the reader costs.
 */
static ssize_t read_direct(struct http_conn *c, void *buf, size_t len)
{
	if (len > c->left)
		len = c->left;
	for (;;) {
		ssize_t n = recv(c->fd, buf, len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			c->reusable = false;
		if (n < 0)
			return -errno;
		if (!n)
			return -EPIPE; /* framed: the end came early */
		c->left -= n;
		if (!c->left)
			c->done = true;
		return n;
	}
}

ssize_t http_read(struct http_conn *c, void *buf, size_t len)
{
	if (!c->done && c->off == c->len && !c->tls && !c->resp.chunked &&
	    c->resp.content_length >= 0 && len >= sizeof(c->buf))
		return read_direct(c, buf, len);
	while (!c->done) {
		if (c->off == c->len) {
			int n = fill(c);
			if (n < 0)
				return n;
			if (!n) {
				/* only a body without framing ends at close */
				if (c->resp.chunked ||
				    c->resp.content_length >= 0)
					return -EPIPE;
				c->done = true;
				return 0;
			}
		}
		const char *in = c->buf + c->off;
		size_t avail = c->len - c->off;
		if (c->resp.chunked) {
			const char *data;
			size_t dl;
			ssize_t used = chunked_feed(&c->ch, in, avail, &data,
						    &dl, &c->done);
			if (used < 0)
				return -EBADMSG;
			if (dl > len) {
				/* hand back what does not fit: still chunk data */
				used -= dl - len;
				c->ch.left += dl - len;
				c->ch.state = CH_DATA;
				dl = len;
			}
			c->off += used;
			if (dl) {
				memcpy(buf, data, dl);
				return dl;
			}
		} else {
			size_t n = avail < len ? avail : len;
			if (n > c->left)
				n = c->left;
			memcpy(buf, in, n);
			c->off += n;
			c->left -= n;
			if (!c->left)
				c->done = true;
			return n;
		}
	}
	return 0;
}

struct http_conn *http_conn_new(void)
{
	struct http_conn *c = malloc(sizeof(*c));

	if (c) {
		c->fd = -1;
		c->tls = NULL;
		c->reusable = false;
	}
	return c;
}

void http_conn_free(struct http_conn *c)
{
	if (!c)
		return;
	http_close(c);
	free(c);
}

void http_close(struct http_conn *c)
{
	c->reusable = false;
	if (c->tls)
		tls_close(c->tls);
	c->tls = NULL;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}
