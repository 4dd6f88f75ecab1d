// SPDX-License-Identifier: MIT
/*
 * NTP replies come from whoever answers on UDP. The input is taken as
 * a reply: whatever parses is checked against the request it would
 * answer and turned into a sample, which must keep section 8's
 * promises (no negative delay, a distance of at least MINDISP / 2).
 * Then the input is cut into samples for the selection: the
 * truechimers it marks are the count it returns, fewer than all only
 * when some are left out, and the combined offset lies among theirs.
 * Last, it is read as a server name as network.conf would have it.
 */
#include "ntp.h"

#include <assert.h>
#include <errno.h>
#include <string.h>

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static void reply(const uint8_t *data, size_t size)
{
	struct ntp_packet p;
	struct ntp_sample s;
	char why[100] = "";
	int r = ntp_reply_parse(data, size, &p, why, sizeof(why));

	if (r) {
		assert(r == -EBADMSG && why[0]);
		return;
	}
	assert(size >= NTP_PACKET_LEN && p.mode == 4);
	assert(p.version >= 1 && p.version <= 4 && p.leap <= 3);
	r = ntp_reply_check(&p, p.org, why, sizeof(why));
	assert(r == 0 || r == -EBADMSG || r == -EAGAIN || r == -EACCES);
	assert(r == 0 || why[0]);
	/* not our origin: refused before anything else, kisses too */
	if (p.org != ~p.org)
		assert(ntp_reply_check(&p, ~p.org, why, sizeof(why)) ==
		       -EBADMSG);
	/* t1 and t4 from the reply itself: any pair of timestamps */
	ntp_sample_make(&p, p.ref, p.rec ^ p.xmt, &s);
	assert(s.delay_ns >= 0);
	assert(s.dist_ns >= NTP_MINDISP_NS / 2);
}

static void selection(const uint8_t *data, size_t size)
{
	struct ntp_sample s[NTP_SELECT_MAX];
	bool good[NTP_SELECT_MAX];
	int n = 0, count, best, marked = 0;
	int64_t lo = INT64_MAX, hi = INT64_MIN, c;

	/* 8 bytes of offset, 4 of distance: within what real samples
	 * hold (2^31 s of offset, 16 s of distance) */
	for (; n < NTP_SELECT_MAX && size >= 12; n++, data += 12, size -= 12) {
		s[n].offset_ns = (int64_t)(get64(data) >> 2) - (1LL << 61);
		s[n].dist_ns = (int64_t)(get64(data + 4) & 0x3ffffffffULL) + 1;
		s[n].delay_ns = 0;
	}
	if (!n)
		return;
	count = ntp_select(s, n, good);
	for (int i = 0; i < n; i++) {
		marked += good[i];
		if (good[i]) {
			lo = s[i].offset_ns < lo ? s[i].offset_ns : lo;
			hi = s[i].offset_ns > hi ? s[i].offset_ns : hi;
		}
	}
	assert(marked == count && count <= n);
	/* a majority or nothing: n - f intervals meet, at most f < n / 2
	 * midpoints lie outside */
	assert(count == 0 || 2 * count > n);
	c = ntp_combine(s, n, good, &best);
	if (!count) {
		assert(best == -1);
		return;
	}
	assert(best >= 0 && best < n && good[best]);
	assert(c >= lo - 1 && c <= hi + 1);
}

static void host(const uint8_t *data, size_t size)
{
	char in[NTP_HOST_MAX + 8], name[NTP_HOST_MAX];
	struct sockaddr_storage sa;
	socklen_t len;
	uint16_t port = 0;

	if (size >= sizeof(in))
		return;
	memcpy(in, data, size);
	in[size] = 0;
	if (ntp_host_parse(in, name, sizeof(name), &port))
		return;
	assert(strlen(name) > 0 && strlen(name) < sizeof(name));
	assert(port >= 1);
	if (ntp_host_addr(name, port, &sa, &len) == 0)
		assert(len <= sizeof(sa));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	reply(data, size);
	selection(data, size);
	host(data, size);
	return 0;
}
