/* SPDX-License-Identifier: MIT */
#ifndef KEEL_HTTP_H
#define KEEL_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * A small HTTP/1.1 client (RFC 9112) for GETs that stream a body: bundles
 * and channels now, registry blobs later; and POSTs of a small body (the
 * status reports). https:// through tls.c.
 */

#define HTTP_HOST_MAX 256
/* signed blob-store URLs (S3 with a session token) run to several KiB */
#define HTTP_PATH_MAX 8192
#define HTTP_HEAD_MAX 16384

struct http_url {
	char host[HTTP_HOST_MAX];
	char port[8];
	char path[HTTP_PATH_MAX]; /* from the first '/', query included */
	bool tls; /* https */
};

int http_url_parse(struct http_url *u, const char *url, char *err,
		   size_t errlen);

/* "https://[" host "]:65535", NUL */
#define HTTP_ORIGIN_MAX (HTTP_HOST_MAX + 16)

/*
 * u's origin (RFC 6454 section 4): "scheme://host:port", the host in
 * lower case (in brackets when IPv6), the port always written and without
 * leading zeros, so that two spellings of one origin give the same
 * string. 0, or -ENAMETOOLONG.
 */
int http_origin(const struct http_url *u, char *out, size_t outlen);

struct http_resp {
	int status;
	int64_t content_length; /* -1: not given */
	bool chunked;
	bool close; /* Connection: close: the connection ends with the body */
	int64_t range_start; /* a 206's Content-Range first byte, or -1 */
	long retry_after; /* Retry-After in seconds (the number form), or -1 */
	char location[HTTP_PATH_MAX + HTTP_HOST_MAX];
	char content_type[256];
	char digest[80]; /* Docker-Content-Digest */
	char www_authenticate[8192];
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
	/* where fd goes, and whether another request may use it */
	char host[HTTP_HOST_MAX], port[8];
	bool on_tls, reusable;
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

/*
 * One request on c, no redirects followed, any status: the head is in
 * c->resp and the body ready for http_read. c's connection is reused
 * when it goes to the same place and the last response was read to its
 * end (RFC 9112 section 9.3, persistence); a reused connection the server
 * has closed meanwhile is replaced once. extra holds header lines, each
 * ending in CRLF, or is NULL. Set c->fd = -1 before the first call.
 * 0, or -errno with err saying why (no response at all).
 */
int http_request(struct http_conn *c, const char *method,
		 const struct http_url *u, const char *extra, char *err,
		 size_t errlen);

/*
 * POST body (len bytes) to url, no redirects followed, the connection
 * closed after: c->resp.status says how it was taken (the answer's body
 * read and dropped). extra holds header lines (Content-Type,
 * Authorization), each ending in CRLF, or is NULL; it is never put into
 * err. 0, or -errno with err saying why (no response at all).
 */
int http_post(struct http_conn *c, const char *url, const char *extra,
	      const void *body, size_t len, char *err, size_t errlen);

/*
 * Read and drop the rest of a body of at most max bytes, so the
 * connection can carry the next request; a longer body closes it.
 */
void http_drain(struct http_conn *c, size_t max);

/*
 * A redirect's Location against the URL it answered: an absolute URL as
 * it is, a path on the same scheme, host and port. 0 or -ENAMETOOLONG.
 */
int http_resolve(const struct http_url *base, const char *location, char *out,
		 size_t outlen);

/* Body bytes; 0 at its end, -errno on error (-EPIPE: cut short). */
ssize_t http_read(struct http_conn *c, void *buf, size_t len);

/* The connection closed, to be used again by http_request. */
void http_close(struct http_conn *c);

/* A connection not yet open, for http_request; NULL without memory. */
struct http_conn *http_conn_new(void);
/* Closes and frees c (NULL is fine). */
void http_conn_free(struct http_conn *c);

#endif
