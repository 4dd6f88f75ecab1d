// SPDX-License-Identifier: MIT
/*
 * RFC 5905's client side, the parts with no state: packets, one
 * exchange's arithmetic, the choice among servers. netd/ntp.h says what
 * each promises; sntp.c is the client that uses them.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "errmsg.h"
#include "ntp.h"

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

void ntp_request_build(uint8_t *buf, uint64_t nonce)
{
	memset(buf, 0, NTP_PACKET_LEN);
	buf[0] = 0 << 6 | 4 << 3 | 3; /* LI 0, VN 4, mode 3 (client) */
	put64(buf + 40, nonce);
}

int ntp_reply_parse(const uint8_t *buf, size_t len, struct ntp_packet *p,
		    char *why, size_t whylen)
{
	if (len < NTP_PACKET_LEN)
		return errmsg(why, whylen, -EBADMSG,
			      "%zu bytes, shorter than an NTP header", len);
	p->leap = buf[0] >> 6;
	p->version = (buf[0] >> 3) & 7;
	p->mode = buf[0] & 7;
	p->stratum = buf[1];
	p->poll = (int8_t)buf[2];
	p->precision = (int8_t)buf[3];
	p->root_delay = get32(buf + 4);
	p->root_disp = get32(buf + 8);
	memcpy(&p->refid, buf + 12, 4);
	p->ref = get64(buf + 16);
	p->org = get64(buf + 24);
	p->rec = get64(buf + 32);
	p->xmt = get64(buf + 40);
	if (p->mode != 4)
		return errmsg(why, whylen, -EBADMSG,
			      "mode %u, not a server's reply", p->mode);
	if (p->version < 1 || p->version > 4)
		return errmsg(why, whylen, -EBADMSG, "NTP version %u",
			      p->version);
	return 0;
}

int64_t ntp_short_ns(uint32_t v)
{
	return (int64_t)(v >> 16) * NTP_NS +
	       (int64_t)(((uint64_t)(v & 0xffff) * NTP_NS) >> 16);
}

/* The kiss code: four ASCII letters, or '?' for what is not. */
static void kiss_code(uint32_t refid, char code[5])
{
	memcpy(code, &refid, 4);
	for (int i = 0; i < 4; i++)
		if (code[i] < 'A' || code[i] > 'Z')
			code[i] = '?';
	code[4] = 0;
}

int ntp_reply_check(const struct ntp_packet *p, uint64_t nonce, char *why,
		    size_t whylen)
{
	int64_t root_dist;
	char code[5];

	/* section 8: a reply whose origin is not our transmit timestamp
	 * answers someone else, or no one (bogus); checked before the
	 * kiss codes so that a forged kiss cannot silence a server */
	if (p->org != nonce)
		return errmsg(why, whylen, -EBADMSG,
			      "its origin timestamp is not our request's");
	if (p->stratum == 0) {
		/* section 7.4: the reply is discarded whatever the code */
		kiss_code(p->refid, code);
		if (!strcmp(code, "RATE"))
			return errmsg(why, whylen, -EAGAIN,
				      "kiss-o'-death RATE: asking less often");
		if (!strcmp(code, "DENY") || !strcmp(code, "RSTR"))
			return errmsg(why, whylen, -EACCES,
				      "kiss-o'-death %s: no longer asking it",
				      code);
		return errmsg(why, whylen, -EBADMSG, "kiss-o'-death %s", code);
	}
	if (p->leap == 3)
		return errmsg(why, whylen, -EBADMSG,
			      "it is not synchronised (leap indicator 3)");
	if (p->stratum >= 16)
		return errmsg(why, whylen, -EBADMSG,
			      "it is not synchronised (stratum %u)",
			      p->stratum);
	if (!p->xmt || !p->rec)
		return errmsg(why, whylen, -EBADMSG, "a zero %s timestamp",
			      !p->xmt ? "transmit" : "receive");
	root_dist =
		ntp_short_ns(p->root_delay) / 2 + ntp_short_ns(p->root_disp);
	if (root_dist > NTP_MAXDIST_NS)
		return errmsg(why, whylen, -EBADMSG,
			      "its root distance is %lld ms, over 1 s",
			      (long long)(root_dist / 1000000));
	return 0;
}

uint64_t ntp_from_unix_ns(int64_t ns)
{
	int64_t s = ns / NTP_NS, frac = ns % NTP_NS;

	if (frac < 0) { /* before 1970: floor, not truncation */
		s--;
		frac += NTP_NS;
	}
	/* modulo 2^32 seconds: the era is not carried (section 6) */
	return (uint64_t)(uint32_t)(s + NTP_UNIX_EPOCH) << 32 |
	       ((uint64_t)frac << 32) / NTP_NS; /* frac < 2^30: no overflow */
}

int64_t ntp_diff_ns(uint64_t a, uint64_t b)
{
	int64_t d = (int64_t)(a - b); /* section 6: differences modulo 2^64 */
	int64_t s = d / 4294967296LL, rem = d % 4294967296LL;

	/* rem is within +-2^32: times 10^9 fits in 64 bits */
	return s * NTP_NS + rem * NTP_NS / 4294967296LL;
}

/* 2^precision seconds, in nanoseconds. */
static int64_t precision_ns(int8_t precision)
{
	if (precision >= 0)
		return NTP_NS << (precision > 4 ? 4 : precision);
	return precision < -30 ? 0 : NTP_NS >> -precision;
}

void ntp_sample_make(const struct ntp_packet *p, uint64_t t1, uint64_t t4,
		     struct ntp_sample *s)
{
	int64_t out = ntp_diff_ns(p->rec, t1); /* T2 - T1 */
	int64_t back = ntp_diff_ns(p->xmt, t4); /* T3 - T4 */
	int64_t rtt = ntp_diff_ns(t4, t1); /* T4 - T1 */
	int64_t turn = ntp_diff_ns(p->xmt, p->rec); /* T3 - T2 */
	int64_t total, disp;

	/* each within +-2^31 s, so the sum fits in 64-bit nanoseconds */
	s->offset_ns = (out + back) / 2;
	s->delay_ns = rtt - turn;
	/* a server that says it took longer than the whole round trip,
	 * or our clock stepped meanwhile: the round trip is no less than
	 * nothing (section 8 bounds it by the precision) */
	if (s->delay_ns < 0)
		s->delay_ns = 0;
	if (rtt < 0)
		rtt = 0;
	total = ntp_short_ns(p->root_delay) + s->delay_ns;
	if (total < NTP_MINDISP_NS)
		total = NTP_MINDISP_NS;
	disp = precision_ns(p->precision) + rtt / 1000 * NTP_PHI_PPM / 1000;
	s->dist_ns = total / 2 + ntp_short_ns(p->root_disp) + disp;
}

/* --- section 11.2: selection and combining -------------------------- */

struct edge {
	int64_t at;
	int type; /* -1 lower end, 0 midpoint, +1 upper end */
};

/* By position; at one position lower ends first, upper ends last, so
 * intervals that touch intersect. */
static int edge_cmp(const void *a, const void *b)
{
	const struct edge *x = a, *y = b;

	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	return x->type - y->type;
}

/*
 * With f falsetickers allowed: the intersection of at least n - f
 * correctness intervals, [*low, *high], and how many midpoints lie
 * outside it. False when no n - f intervals meet.
 */
static bool intersect(const struct edge *e, int n, int f, int64_t *low,
		      int64_t *high, int *outside)
{
	int open = 0, i;

	*outside = 0;
	for (i = 0; i < 3 * n; i++) {
		if (e[i].type == -1 && ++open >= n - f)
			break;
		if (e[i].type == 1)
			open--;
		if (e[i].type == 0)
			(*outside)++;
	}
	if (i == 3 * n)
		return false;
	*low = e[i].at;
	open = 0;
	for (i = 3 * n - 1; i >= 0; i--) {
		if (e[i].type == 1 && ++open >= n - f)
			break;
		if (e[i].type == -1)
			open--;
		if (e[i].type == 0)
			(*outside)++;
	}
	if (i < 0)
		return false;
	*high = e[i].at;
	return *low <= *high;
}

int ntp_select(const struct ntp_sample *s, int n, bool *good)
{
	struct edge e[3 * NTP_SELECT_MAX];
	int64_t low = 0, high = 0;
	int f, outside, count = 0;

	if (n > NTP_SELECT_MAX)
		n = NTP_SELECT_MAX;
	for (int i = 0; i < n; i++) {
		good[i] = false;
		e[3 * i] = (struct edge){ s[i].offset_ns - s[i].dist_ns, -1 };
		e[3 * i + 1] = (struct edge){ s[i].offset_ns, 0 };
		e[3 * i + 2] =
			(struct edge){ s[i].offset_ns + s[i].dist_ns, 1 };
	}
	qsort(e, (size_t)(3 * n), sizeof(e[0]), edge_cmp);
	/* the fewest falsetickers that leave an intersection holding all
	 * the other midpoints; a majority must remain (2f < n) */
	for (f = 0; 2 * f < n; f++)
		if (intersect(e, n, f, &low, &high, &outside) && outside <= f)
			break;
	if (2 * f >= n)
		return 0;
	for (int i = 0; i < n; i++) {
		good[i] = s[i].offset_ns >= low && s[i].offset_ns <= high;
		count += good[i];
	}
	return count;
}

int64_t ntp_combine(const struct ntp_sample *s, int n, const bool *good,
		    int *best)
{
	double sum_w = 0, sum = 0;
	int b = -1;

	for (int i = 0; i < n; i++)
		if (good[i] && (b < 0 || s[i].dist_ns < s[b].dist_ns))
			b = i;
	*best = b;
	if (b < 0)
		return 0;
	/* around the best one's offset, so that the doubles only carry
	 * small differences: days of offset keep their nanoseconds */
	for (int i = 0; i < n; i++) {
		double w;

		if (!good[i])
			continue;
		w = 1.0 / (double)(s[i].dist_ns > 0 ? s[i].dist_ns : 1);
		sum_w += w;
		sum += w * (double)(s[i].offset_ns - s[b].offset_ns);
	}
	return s[b].offset_ns + (int64_t)(sum / sum_w);
}

/* --- servers as written ---------------------------------------------- */

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
}

static int parse_port(const char *s, uint16_t *port)
{
	char *end;
	long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	v = strtol(s, &end, 10);
	if (*end || v < 1 || v > 65535)
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

int ntp_host_parse(const char *s, char *name, size_t namelen, uint16_t *port)
{
	const char *colon = strchr(s, ':'), *end;
	struct in6_addr a6;
	size_t n;

	*port = NTP_PORT;
	if (s[0] == '[') { /* [v6] or [v6]:port */
		end = strchr(s, ']');
		if (!end ||
		    (end[1] && (end[1] != ':' || parse_port(end + 2, port))))
			return -EINVAL;
		n = (size_t)(end - s - 1);
		if (n == 0 || n >= namelen)
			return -EINVAL;
		memcpy(name, s + 1, n);
		name[n] = 0;
		return inet_pton(AF_INET6, name, &a6) == 1 ? 0 : -EINVAL;
	}
	if (colon && strchr(colon + 1, ':')) { /* v6, no port */
		if (strlen(s) >= namelen || inet_pton(AF_INET6, s, &a6) != 1)
			return -EINVAL;
		strcpy(name, s);
		return 0;
	}
	n = colon ? (size_t)(colon - s) : strlen(s);
	if (n == 0 || n >= namelen || n > 253 ||
	    (colon && parse_port(colon + 1, port)))
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!name_char(s[i]))
			return -EINVAL;
	if (s[0] == '.' || s[0] == '-')
		return -EINVAL;
	memcpy(name, s, n);
	name[n] = 0;
	return 0;
}

int ntp_host_addr(const char *name, uint16_t port, struct sockaddr_storage *sa,
		  socklen_t *salen)
{
	struct sockaddr_in *v4 = (struct sockaddr_in *)sa;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)sa;

	memset(sa, 0, sizeof(*sa));
	if (inet_pton(AF_INET, name, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons(port);
		*salen = sizeof(*v4);
		return 0;
	}
	if (inet_pton(AF_INET6, name, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons(port);
		*salen = sizeof(*v6);
		return 0;
	}
	return -EINVAL;
}
