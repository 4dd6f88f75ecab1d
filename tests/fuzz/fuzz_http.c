// SPDX-License-Identifier: MIT
/*
 * HTTP responses come from whatever answers at the update or registry
 * URL. Input: one byte choosing a feed size, then a response head and a
 * chunked body. The body is fed in pieces of that size; the data handed
 * back must be no more than what went in, and must not depend on how it
 * was cut.
 */
#include "net/http.h"

#include <assert.h>
#include <stdint.h>
#include <string.h>

static char out1[1 << 16], out2[1 << 16];

static size_t unchunk(const uint8_t *in, size_t len, size_t step, char *out,
		      int *result)
{
	struct chunked c = { 0 };
	size_t off = 0, got = 0;
	bool done = false;

	*result = 0;
	while (!done && off < len) {
		size_t n = len - off < step ? len - off : step;
		const char *d;
		size_t dl;
		ssize_t used = chunked_feed(&c, (const char *)in + off, n, &d,
					    &dl, &done);
		if (used < 0) {
			*result = (int)used;
			return got;
		}
		assert((size_t)used <= n && dl <= (size_t)used);
		if (dl) {
			assert(d >= (const char *)in + off &&
			       d + dl <= (const char *)in + off + used);
			memcpy(out + got, d, dl);
			got += dl;
		}
		off += used;
	}
	*result = done ? 1 : 0;
	return got;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_resp r;
	char err[128];
	int r1, r2;

	if (size < 1 || size > sizeof(out1))
		return 0;
	size_t step = data[0] % 16 + 1;
	data++;
	size--;
	const uint8_t *end = memmem(data, size, "\r\n\r\n", 4);
	size_t head = end ? (size_t)(end - data) + 4 : size;
	if (!http_head_parse(&r, (const char *)data, head, err, sizeof(err)))
		assert(r.status >= 0 && r.status <= 999 &&
		       r.content_length >= -1);

	const uint8_t *body = data + head;
	size_t blen = size - head;
	size_t n1 = unchunk(body, blen, step, out1, &r1);
	size_t n2 = unchunk(body, blen, blen ? blen : 1, out2, &r2);
	assert(n1 <= blen);
	if (r1 >= 0 && r2 >= 0) {
		assert(r1 == r2 && n1 == n2 && !memcmp(out1, out2, n1));
	}
	return 0;
}
