/* SPDX-License-Identifier: MIT */
#ifndef KEEL_HTTP_H
#define KEEL_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * A small HTTP/1.1 client (RFC 9112) for GETs that stream a body: bundles
 * and channels now, registry blobs later. https:// through tls.c.
 */

#define HTTP_HOST_MAX 256
#define HTTP_PATH_MAX 2048
#define HTTP_HEAD_MAX 16384

struct http_url {
	char host[HTTP_HOST_MAX];
	char port[8];
	char path[HTTP_PATH_MAX]; /* from the first '/', query included */
	bool tls; /* https */
};

int http_url_parse(struct http_url *u, const char *url, char *err,
		   size_t errlen);

struct http_resp {
	int status;
	int64_t content_length; /* -1: not given */
	bool chunked;
	char location[HTTP_PATH_MAX + HTTP_HOST_MAX];
};

/*
 * The status line and header fields, up to and including the empty line
 * (len bytes). Pure, for the fuzzer. Rejects what RFC 9112 says a client
 * must not guess at: two different Content-Lengths, a Transfer-Encoding
 * other than chunked, a malformed status line.
 */
int http_head_parse(struct http_resp *r, const char *buf, size_t len, char *err,
		    size_t errlen);

/*
 * The chunked body's framing (RFC 9112 section 7.1) as a state machine
 * fed by the connection: chunk sizes, extensions and trailers are
 * consumed here; the data bytes are handed back.
 */
struct chunked {
	int state;
	int digits; /* of the chunk size so far */
	uint64_t left; /* data bytes left in this chunk */
};

/*
 * Consume framing from in[0..len). Returns how many bytes were used and
 * points data/datalen at the body bytes among them (possibly none);
 * -EBADMSG on bad framing. done is set once the last chunk and the
 * trailers are through.
 */
ssize_t chunked_feed(struct chunked *c, const char *in, size_t len,
		     const char **data, size_t *datalen, bool *done);

struct http_conn {
	int fd;
	struct tls *tls; /* NULL for http:// */
	struct http_resp resp;
	struct chunked ch;
	bool done;
	uint64_t left; /* Content-Length bytes still to come */
	size_t off, len;
	char buf[65536];
};

/*
 * GET url, following up to 5 redirects, until a 200 whose body is ready
 * to read with http_read. Anything else is an error naming the status.
 */
int http_get(struct http_conn *c, const char *url, char *err, size_t errlen);

/* Body bytes; 0 at its end, -errno on error (-EPIPE: cut short). */
ssize_t http_read(struct http_conn *c, void *buf, size_t len);

void http_close(struct http_conn *c);

#endif
