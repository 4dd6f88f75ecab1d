// SPDX-License-Identifier: MIT
#include "os/download.h"
#include "clock.h"
#include "errmsg.h"
#include "log.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define PAUSE_MAX_MS 30000

void stall_start(struct stall *s, int timeout_s)
{
	s->timeout_s = timeout_s;
	s->since_ms = monotonic_ms();
	s->at = s->moved = 0;
}

/*
 * A delta's chunks come over several connections at once, each moving
 * the one deadline (fetchahead.h): atomics, so that progress on any of
 * them is progress.
 */
void stall_moved(struct stall *s, uint64_t n)
{
	uint64_t moved = __atomic_add_fetch(&s->moved, n, __ATOMIC_RELAXED);

	if (moved - __atomic_load_n(&s->at, __ATOMIC_RELAXED) >= STALL_BYTES) {
		__atomic_store_n(&s->at, moved, __ATOMIC_RELAXED);
		__atomic_store_n(&s->since_ms, monotonic_ms(),
				 __ATOMIC_RELAXED);
	}
}

static long stall_since(const struct stall *s)
{
	return __atomic_load_n(&s->since_ms, __ATOMIC_RELAXED);
}

int stall_check(const struct stall *s, char *err, size_t errlen)
{
	if (monotonic_ms() - stall_since(s) < s->timeout_s * 1000L)
		return 0;
	return errmsg(err, errlen, -ETIMEDOUT,
		      "no progress for %d s (update_stall_timeout)",
		      s->timeout_s);
}

/* Past the deadline: err says so, after what went wrong last. */
static bool stalled(const struct download *d, char *err, size_t errlen)
{
	char why[512], last[512];

	if (!stall_check(d->stall, why, sizeof(why)))
		return false;
	snprintf(last, sizeof(last), "%s", err);
	errmsg(err, errlen, -ETIMEDOUT, "%s%s%s", last, last[0] ? "; " : "",
	       why);
	return true;
}

/* Wait before try n (1 s doubling to 30 s), never past the deadline. */
static void pause_before(const struct download *d)
{
	long ms = 1000L << (d->retries < 5 ? d->retries : 5);
	long left = stall_since(d->stall) + d->stall->timeout_s * 1000L -
		    monotonic_ms();

	if (ms > PAUSE_MAX_MS)
		ms = PAUSE_MAX_MS;
	if (ms > left)
		ms = left > 0 ? left : 0;
	struct timespec ts = { ms / 1000, ms % 1000 * 1000000 };
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* One GET from d->pos, redirects followed: 0, -EAGAIN (retry) or fatal. */
static int request(struct download *d, char *err, size_t errlen)
{
	char extra[160], cur[sizeof(d->url)];
	struct http_url u;
	int r;

	snprintf(cur, sizeof(cur), "%s", d->url);
	snprintf(extra, sizeof(extra), "Accept: */*\r\n%s%s",
		 d->keep_alive ? "" : "Connection: close\r\n",
		 d->pos ? "Range: bytes=" : "");
	if (d->pos)
		snprintf(extra + strlen(extra), sizeof(extra) - strlen(extra),
			 "%" PRIu64 "-\r\n", d->pos);
	for (int hops = 0; hops <= 5; hops++) {
		if ((r = http_url_parse(&u, cur, err, errlen)))
			return r;
		if ((r = http_request(d->c, "GET", &u, extra, err, errlen)))
			return r == -EKEYREJECTED ? r : -EAGAIN;
		int s = d->c->resp.status;
		if (s == 200 || s == 206) {
			snprintf(d->url, sizeof(d->url), "%s", cur);
			return 0;
		}
		http_drain(d->c, 65536);
		if (s >= 300 && s < 400 && s != 304 && d->c->resp.location[0]) {
			if (http_resolve(&u, d->c->resp.location, cur,
					 sizeof(cur)))
				return errmsg(err, errlen, -ENAMETOOLONG,
					      "redirect target too long");
			continue;
		}
		errmsg(err, errlen, -EIO, "%.300s: HTTP status %d", cur, s);
		if (s >= 500 || s == 429 || s == 408)
			return -EAGAIN;
		return s == 404 || s == 410 ? -ENOENT : -EIO;
	}
	return errmsg(err, errlen, -ELOOP, "%.300s: more than 5 redirects",
		      d->url);
}

/* The answer starts where asked; a 200 to a Range starts over. */
static int position(struct download *d, char *err, size_t errlen)
{
	const struct http_resp *h = &d->c->resp;
	char drop[4096];

	if (h->status == 200) {
		if (h->content_length >= 0)
			d->size = h->content_length;
		if (!d->pos)
			return 0;
		log_warn("%.200s: the server ignored Range; reading %" PRIu64
			 " bytes again",
			 d->url, d->pos);
		for (uint64_t left = d->pos; left;) {
			ssize_t n = http_read(
				d->c, drop,
				left < sizeof(drop) ? left : sizeof(drop));
			if (n <= 0)
				return -EAGAIN;
			left -= n;
		}
		return 0;
	}
	if (h->range_start != (int64_t)d->pos)
		return errmsg(err, errlen, -EPROTO,
			      "%.200s: asked for bytes %" PRIu64
			      "-, got %" PRId64 "-",
			      d->url, d->pos, h->range_start);
	if (h->content_length >= 0)
		d->size = d->pos + h->content_length;
	return 0;
}

/* (Re)connect at d->pos until it works, fails for good, or stalls. */
static int connect_at(struct download *d, char *err, size_t errlen)
{
	for (;;) {
		int r = request(d, err, errlen);
		if (!r)
			r = position(d, err, errlen);
		if (r != -EAGAIN)
			return r;
		http_close(d->c);
		if (stalled(d, err, errlen))
			return -ETIMEDOUT;
		log_warn("%.200s: %s; trying again at byte %" PRIu64, d->url,
			 err, d->pos);
		pause_before(d);
		d->retries++;
	}
}

int download_open(struct download *d, struct http_conn *c, const char *url,
		  struct stall *stall, bool keep_alive, char *err,
		  size_t errlen)
{
	err[0] = '\0';
	d->c = c;
	d->pos = 0;
	d->size = -1;
	d->stall = stall;
	d->keep_alive = keep_alive;
	d->retries = 0;
	if (snprintf(d->url, sizeof(d->url), "%s", url) >= (int)sizeof(d->url))
		return errmsg(err, errlen, -ENAMETOOLONG, "URL too long");
	return connect_at(d, err, errlen);
}

ssize_t download_read(struct download *d, void *buf, size_t len, char *err,
		      size_t errlen)
{
	for (;;) {
		ssize_t n = http_read(d->c, buf, len);
		if (n > 0) {
			d->pos += n;
			d->retries = 0;
			stall_moved(d->stall, n);
			/* a trickle is no progress either */
			return stall_check(d->stall, err, errlen) ? -ETIMEDOUT
								  : n;
		}
		err[0] = '\0';
		if (stalled(d, err, errlen))
			return -ETIMEDOUT;
		if (!n && (d->size < 0 || d->pos >= (uint64_t)d->size))
			return 0;
		/* cut off (or ended early): the rest from where it stopped */
		errmsg(err, errlen, n ? (int)n : -EPIPE, "%.200s: %s", d->url,
		       n ? strerror(-n) : "the body ended early");
		http_close(d->c);
		log_warn("%s; resuming at byte %" PRIu64, err, d->pos);
		pause_before(d);
		d->retries++;
		int r = connect_at(d, err, errlen);
		if (r)
			return r;
	}
}
