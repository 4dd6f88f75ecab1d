// SPDX-License-Identifier: MIT
/* The HTTP client's pure parts: URLs and their origins, response heads,
 * chunked framing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "net/http.h"

static void test_url(void **state)
{
	struct http_url u;
	char err[256];

	(void)state;
	assert_int_equal(http_url_parse(&u, "http://10.0.2.2:8000/b/x.keelb",
					err, sizeof(err)),
			 0);
	assert_string_equal(u.host, "10.0.2.2");
	assert_string_equal(u.port, "8000");
	assert_string_equal(u.path, "/b/x.keelb");
	assert_int_equal(
		http_url_parse(&u, "http://updates.example", err, sizeof(err)),
		0);
	assert_string_equal(u.port, "80");
	assert_string_equal(u.path, "/");
	assert_int_equal(
		http_url_parse(&u, "http://[::1]:81/a?b=c", err, sizeof(err)),
		0);
	assert_string_equal(u.host, "::1");
	assert_string_equal(u.port, "81");
	assert_string_equal(u.path, "/a?b=c");

	assert_false(u.tls);
	assert_int_equal(http_url_parse(&u, "https://h/x", err, sizeof(err)),
			 0);
	assert_true(u.tls);
	assert_string_equal(u.port, "443");
	assert_int_equal(http_url_parse(&u, "https://h:8443", err, sizeof(err)),
			 0);
	assert_string_equal(u.port, "8443");
	static const char *const bad[] = {
		"ftp://h/x",	 "http://",	  "http://:80/x",
		"http://h:/x",	 "http://h:8x/x", "http://h:123456/x",
		"http://[::1/x", "http://h/a b",  "http://h/#frag",
		"/local/file",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		if (!http_url_parse(&u, bad[i], err, sizeof(err)))
			fail_msg("'%s' parsed", bad[i]);
}

static void origin_is(const char *url, const char *want)
{
	struct http_url u;
	char err[256], got[HTTP_ORIGIN_MAX];

	assert_int_equal(http_url_parse(&u, url, err, sizeof(err)), 0);
	assert_int_equal(http_origin(&u, got, sizeof(got)), 0);
	assert_string_equal(got, want);
}

static void test_origin(void **state)
{
	struct http_url u;
	char err[256], got[HTTP_ORIGIN_MAX];

	(void)state;
	/* one origin however it is spelled */
	origin_is("http://127.0.0.1:5000", "http://127.0.0.1:5000");
	origin_is("http://127.0.0.1:5000/v2/a/manifests/1",
		  "http://127.0.0.1:5000");
	origin_is("http://Registry.Example", "http://registry.example:80");
	origin_is("http://registry.example:080/x",
		  "http://registry.example:80");
	origin_is("https://registry.example", "https://registry.example:443");
	origin_is("https://registry.example:443/",
		  "https://registry.example:443");
	origin_is("http://[::1]:5000/v2/", "http://[::1]:5000");
	origin_is("https://[FE80::1]", "https://[fe80::1]:443");
	/* and apart: scheme, host and port each count */
	origin_is("https://registry.example:80", "https://registry.example:80");
	origin_is("http://registry.example:443", "http://registry.example:443");

	assert_int_equal(
		http_url_parse(&u, "https://h:8443/x", err, sizeof(err)), 0);
	assert_int_equal(http_origin(&u, got, 14), -ENAMETOOLONG);
	assert_int_equal(http_origin(&u, got, 15), 0);
	assert_string_equal(got, "https://h:8443");
	/* the longest origin a URL can have fits */
	char url[HTTP_ORIGIN_MAX];
	snprintf(url, sizeof(url), "https://[::%0*d]:65535", HTTP_HOST_MAX - 3,
		 1);
	assert_int_equal(strlen(url), HTTP_ORIGIN_MAX - 1);
	origin_is(url, url);
}

static int head(struct http_resp *r, const char *text)
{
	char err[128];
	return http_head_parse(r, text, strlen(text), err, sizeof(err));
}

static void test_head(void **state)
{
	struct http_resp r;

	(void)state;
	assert_int_equal(head(&r, "HTTP/1.1 200 OK\r\nContent-Length: 42\r\n"
				  "Server: x\r\n\r\n"),
			 0);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.content_length, 42);
	assert_false(r.chunked);
	assert_int_equal(head(&r, "HTTP/1.0 302 Found\nlocation:  /other \n\n"),
			 0);
	assert_int_equal(r.status, 302);
	assert_string_equal(r.location, "/other");
	assert_int_equal(r.content_length, -1);
	assert_int_equal(head(&r, "HTTP/1.1 200 OK\r\nTransfer-Encoding: "
				  "Chunked\r\n\r\n"),
			 0);
	assert_true(r.chunked);
	/* the same length twice is allowed (RFC 9112 section 6.3) */
	assert_int_equal(head(&r, "HTTP/1.1 200\r\nContent-Length: 5\r\n"
				  "Content-Length: 5\r\n\r\n"),
			 0);

	static const char *const bad[] = {
		"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: "
		"6\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 5x\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
		"HTTP/1.1 200 OK\r\nX: a\r\n folded\r\n\r\n",
		"HTTP/1.1 200 OK\r\nno colon\r\n\r\n",
		"HTTP/2 200\r\n\r\n",
		"HTTP/1.1 20 OK\r\n\r\n",
		"HTTP/1.1 200OK\r\n\r\n",
		"HTTP/1.1 200 OK\r\n", /* no end of head */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		if (!head(&r, bad[i]))
			fail_msg("'%s' parsed", bad[i]);
}

/* Feed in pieces of step bytes; collect the data. */
static int unchunk(const char *in, size_t step, char *out, size_t *outlen)
{
	struct chunked c = { 0 };
	size_t len = strlen(in), off = 0;
	bool done = false;

	*outlen = 0;
	while (!done && off < len) {
		size_t n = len - off < step ? len - off : step;
		const char *data;
		size_t dl;
		ssize_t used = chunked_feed(&c, in + off, n, &data, &dl, &done);
		if (used < 0)
			return (int)used;
		if (dl)
			memcpy(out + *outlen, data, dl);
		*outlen += dl;
		off += used;
	}
	return done ? 0 : -EPIPE;
}

static void test_chunked(void **state)
{
	const char *body = "5\r\nhello\r\n1;ext=1\r\n \r\n6\r\nworld!\r\n"
			   "0\r\nTrailer: x\r\n\r\n";
	char out[64];
	size_t n;

	(void)state;
	for (size_t step = 1; step <= strlen(body); step++) {
		assert_int_equal(unchunk(body, step, out, &n), 0);
		assert_int_equal(n, 12);
		assert_memory_equal(out, "hello world!", 12);
	}
	assert_int_equal(unchunk("A\r\n0123456789\r\n0\r\n\r\n", 3, out, &n),
			 0);
	assert_int_equal(n, 10);
	assert_int_equal(unchunk("5\r\nhello\r\n", 4, out, &n), -EPIPE);
	assert_int_equal(unchunk("x\r\n", 4, out, &n), -EBADMSG);
	assert_int_equal(unchunk("5\r\nhelloXX", 4, out, &n), -EBADMSG);
	assert_int_equal(unchunk("1234567890abcdef0\r\n", 4, out, &n),
			 -EBADMSG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_url),
		cmocka_unit_test(test_origin),
		cmocka_unit_test(test_head),
		cmocka_unit_test(test_chunked),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
