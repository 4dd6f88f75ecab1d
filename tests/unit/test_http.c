// SPDX-License-Identifier: MIT
/* The HTTP client's pure parts: URLs and their origins, response heads,
 * chunked framing; and a body read from a local server. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

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

/* One answer on 127.0.0.1: a head and sent of its body's len bytes. */
struct answer {
	int listen_fd;
	size_t len, sent;
};

static uint8_t body_byte(size_t i)
{
	return (uint8_t)(i * 7 + i / 251);
}

static void *serve(void *arg)
{
	struct answer *a = arg;
	char req[4096], *out = malloc(a->sent + 128);
	size_t got = 0;
	int fd = accept(a->listen_fd, NULL, NULL);

	while (fd >= 0 && got < sizeof(req) - 1) {
		ssize_t n = read(fd, req + got, sizeof(req) - 1 - got);
		if (n <= 0)
			break;
		req[got += n] = '\0';
		if (strstr(req, "\r\n\r\n"))
			break;
	}
	/* the head and the body's first bytes in one write: one recv */
	int head = snprintf(out, 128,
			    "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n",
			    a->len);
	for (size_t i = 0; i < a->sent; i++)
		out[head + i] = body_byte(i);
	for (size_t at = 0; fd >= 0 && at < head + a->sent;) {
		ssize_t n = write(fd, out + at, head + a->sent - at);
		if (n <= 0)
			break;
		at += n;
	}
	if (fd >= 0)
		close(fd);
	free(out);
	return NULL;
}

/* Read a body of len bytes of which the server sends sent, in reads of
 * 100 bytes then 100000 (past the connection's buffer): what came. */
static size_t read_body(size_t len, size_t sent, ssize_t *last)
{
	struct answer a = { .len = len, .sent = sent };
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sin);
	struct http_conn *c = http_conn_new();
	static uint8_t buf[100000];
	struct http_url u;
	char url[64], err[256];
	pthread_t t;
	size_t got = 0;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.listen_fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(a.listen_fd >= 0);
	assert_int_equal(bind(a.listen_fd, (struct sockaddr *)&sin, sl), 0);
	assert_int_equal(listen(a.listen_fd, 1), 0);
	assert_int_equal(getsockname(a.listen_fd, (struct sockaddr *)&sin, &sl),
			 0);
	assert_int_equal(pthread_create(&t, NULL, serve, &a), 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/x",
		 ntohs(sin.sin_port));
	assert_int_equal(http_url_parse(&u, url, err, sizeof(err)), 0);
	assert_int_equal(http_request(c, "GET", &u, NULL, err, sizeof(err)), 0);
	for (;;) {
		size_t want = got < 100 ? 100 - got : sizeof(buf);
		*last = http_read(c, buf, want);
		if (*last <= 0)
			break;
		for (ssize_t i = 0; i < *last; i++)
			assert_int_equal(buf[i], body_byte(got + i));
		got += *last;
	}
	pthread_join(t, NULL);
	close(a.listen_fd);
	http_conn_free(c);
	return got;
}

static void test_body(void **state)
{
	ssize_t last;

	(void)state;
	/* whole, in order: what the head's recv brought, then the rest */
	assert_int_equal(read_body(300000, 300000, &last), 300000);
	assert_int_equal(last, 0);
	/* cut short: what came, then -EPIPE (a download resumes there) */
	assert_int_equal(read_body(300000, 200000, &last), 200000);
	assert_int_equal(last, -EPIPE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_url),  cmocka_unit_test(test_origin),
		cmocka_unit_test(test_head), cmocka_unit_test(test_chunked),
		cmocka_unit_test(test_body),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
