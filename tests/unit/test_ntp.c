// SPDX-License-Identifier: MIT
/* NTP's pieces with no state (netd/ntp.c): the request, the reply's
 * parser and sanity checks, timestamps, RFC 5905 section 8's offset and
 * delay, falseticker rejection (section 11.2.1), combining (11.2.3),
 * and servers as network.conf writes them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "ntp.h"

#define MS 1000000LL

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

/* A server's reply, as the wire has it. */
static void wire(uint8_t *b, const struct ntp_packet *p)
{
	memset(b, 0, NTP_PACKET_LEN);
	b[0] = (uint8_t)(p->leap << 6 | p->version << 3 | p->mode);
	b[1] = p->stratum;
	b[2] = (uint8_t)p->poll;
	b[3] = (uint8_t)p->precision;
	put32(b + 4, p->root_delay);
	put32(b + 8, p->root_disp);
	memcpy(b + 12, &p->refid, 4);
	put64(b + 16, p->ref);
	put64(b + 24, p->org);
	put64(b + 32, p->rec);
	put64(b + 40, p->xmt);
}

static struct ntp_packet good_reply(uint64_t nonce)
{
	struct ntp_packet p = {
		.version = 4,
		.mode = 4,
		.stratum = 2,
		.poll = 6,
		.precision = -20,
		.root_delay = 0x1000, /* 62.5 ms */
		.root_disp = 0x800, /* 31.25 ms */
		.ref = 0xe0000000ull << 32,
		.org = nonce,
		.rec = 0xe0000001ull << 32,
		.xmt = 0xe0000001ull << 32 | 0x1000,
	};

	memcpy(&p.refid, "\x7f\x7f\x01\x01", 4);
	return p;
}

static void test_request(void **state)
{
	uint8_t b[NTP_PACKET_LEN];

	(void)state;
	memset(b, 0xaa, sizeof(b));
	ntp_request_build(b, 0x0102030405060708ull);
	/* LI 0, VN 4, mode 3; everything else zero but the transmit
	 * timestamp, which carries the nonce */
	assert_int_equal(b[0], 0x23);
	for (int i = 1; i < 40; i++)
		assert_int_equal(b[i], 0);
	for (int i = 0; i < 8; i++)
		assert_int_equal(b[40 + i], i + 1);
}

static void test_parse(void **state)
{
	struct ntp_packet in = good_reply(42), out;
	uint8_t b[NTP_PACKET_LEN + 20];
	char why[100];

	(void)state;
	wire(b, &in);
	assert_int_equal(
		ntp_reply_parse(b, NTP_PACKET_LEN, &out, why, sizeof(why)), 0);
	assert_int_equal(out.version, 4);
	assert_int_equal(out.mode, 4);
	assert_int_equal(out.stratum, 2);
	assert_int_equal(out.precision, -20);
	assert_int_equal(out.root_delay, 0x1000);
	assert_int_equal(out.root_disp, 0x800);
	assert_memory_equal(&out.refid, "\x7f\x7f\x01\x01", 4);
	assert_true(out.org == 42 && out.rec == in.rec && out.xmt == in.xmt &&
		    out.ref == in.ref);
	/* extension fields or a MAC after the header are left alone */
	assert_int_equal(ntp_reply_parse(b, sizeof(b), &out, why, sizeof(why)),
			 0);
	assert_int_equal(ntp_reply_parse(b, 47, &out, why, sizeof(why)),
			 -EBADMSG);
	assert_string_equal(why, "47 bytes, shorter than an NTP header");
	in.mode = 3; /* our own request, reflected */
	wire(b, &in);
	assert_int_equal(ntp_reply_parse(b, 48, &out, why, sizeof(why)),
			 -EBADMSG);
	assert_string_equal(why, "mode 3, not a server's reply");
	in.mode = 4;
	in.version = 0;
	wire(b, &in);
	assert_int_equal(ntp_reply_parse(b, 48, &out, why, sizeof(why)),
			 -EBADMSG);
	in.version = 5;
	wire(b, &in);
	assert_int_equal(ntp_reply_parse(b, 48, &out, why, sizeof(why)),
			 -EBADMSG);
}

static int check(struct ntp_packet p, uint64_t nonce, char *why)
{
	return ntp_reply_check(&p, nonce, why, 100);
}

static void test_sanity(void **state)
{
	struct ntp_packet p = good_reply(7);
	char why[100];

	(void)state;
	assert_int_equal(check(p, 7, why), 0);
	/* section 8: not the origin we sent */
	assert_int_equal(check(p, 8, why), -EBADMSG);
	assert_string_equal(why, "its origin timestamp is not our request's");
	/* section 7.4: kiss-o'-death */
	p.stratum = 0;
	memcpy(&p.refid, "RATE", 4);
	assert_int_equal(check(p, 7, why), -EAGAIN);
	memcpy(&p.refid, "DENY", 4);
	assert_int_equal(check(p, 7, why), -EACCES);
	assert_string_equal(why, "kiss-o'-death DENY: no longer asking it");
	memcpy(&p.refid, "RSTR", 4);
	assert_int_equal(check(p, 7, why), -EACCES);
	memcpy(&p.refid, "INIT", 4);
	assert_int_equal(check(p, 7, why), -EBADMSG);
	assert_string_equal(why, "kiss-o'-death INIT");
	memcpy(&p.refid, "\x01x\xffZ", 4);
	assert_int_equal(check(p, 7, why), -EBADMSG);
	assert_string_equal(why, "kiss-o'-death ???Z");
	/* a forged DENY (not our origin) silences no one */
	memcpy(&p.refid, "DENY", 4);
	assert_int_equal(check(p, 9, why), -EBADMSG);
	p = good_reply(7);
	p.leap = 3;
	assert_int_equal(check(p, 7, why), -EBADMSG);
	assert_string_equal(why, "it is not synchronised (leap indicator 3)");
	p.leap = 1; /* a leap second announced: still a good answer */
	assert_int_equal(check(p, 7, why), 0);
	p = good_reply(7);
	p.stratum = 16;
	assert_int_equal(check(p, 7, why), -EBADMSG);
	assert_string_equal(why, "it is not synchronised (stratum 16)");
	p.stratum = 200;
	assert_int_equal(check(p, 7, why), -EBADMSG);
	p = good_reply(7);
	p.xmt = 0;
	assert_int_equal(check(p, 7, why), -EBADMSG);
	assert_string_equal(why, "a zero transmit timestamp");
	p = good_reply(7);
	p.rec = 0;
	assert_int_equal(check(p, 7, why), -EBADMSG);
	assert_string_equal(why, "a zero receive timestamp");
	p = good_reply(7);
	p.root_disp = 0x00011000; /* 1.06 s */
	assert_int_equal(check(p, 7, why), -EBADMSG);
	assert_string_equal(why, "its root distance is 1093 ms, over 1 s");
}

static void test_timestamps(void **state)
{
	(void)state;
	assert_true(ntp_from_unix_ns(0) == (uint64_t)NTP_UNIX_EPOCH << 32);
	assert_true(ntp_from_unix_ns(1500 * MS) ==
		    ((uint64_t)(NTP_UNIX_EPOCH + 1) << 32 | 0x80000000u));
	/* before 1970: the fraction still counts up from a whole second */
	assert_true(ntp_from_unix_ns(-250 * MS) ==
		    ((uint64_t)(NTP_UNIX_EPOCH - 1) << 32 | 0xc0000000u));
	assert_int_equal(ntp_short_ns(0x00018000), 1500 * MS);
	assert_int_equal(
		ntp_diff_ns(ntp_from_unix_ns(1500 * MS), ntp_from_unix_ns(0)),
		1500 * MS);
	assert_int_equal(
		ntp_diff_ns(ntp_from_unix_ns(0), ntp_from_unix_ns(1500 * MS)),
		-1500 * MS);
	/* era 1 begins in February 2036 (section 6): the seconds wrap to
	 * zero, a difference across it is still right */
	int64_t era = (4294967296LL - NTP_UNIX_EPOCH) * NTP_NS;

	assert_true(ntp_from_unix_ns(era) >> 32 == 0);
	assert_int_equal(ntp_diff_ns(ntp_from_unix_ns(era + 2 * NTP_NS),
				     ntp_from_unix_ns(era - 3 * NTP_NS)),
			 5 * NTP_NS);
	/* a board with no clock at 1970 and a server in 2026: 56 years,
	 * within the 68 the arithmetic allows */
	int64_t y2026 = 1796600115LL * NTP_NS;

	assert_int_equal(
		ntp_diff_ns(ntp_from_unix_ns(y2026), ntp_from_unix_ns(0)) /
			NTP_NS,
		1796600115LL);
}

/* An exchange: the server's clock is ahead of ours by ahead_ns, each
 * way takes out_ns and back_ns, the server keeps it turn_ns. */
static struct ntp_sample exchange(int64_t ahead_ns, int64_t out_ns,
				  int64_t turn_ns, int64_t back_ns)
{
	int64_t t1 = 1796600115LL * NTP_NS;
	struct ntp_packet p = good_reply(1);
	struct ntp_sample s;

	p.rec = ntp_from_unix_ns(t1 + out_ns + ahead_ns);
	p.xmt = ntp_from_unix_ns(t1 + out_ns + turn_ns + ahead_ns);
	ntp_sample_make(&p, ntp_from_unix_ns(t1),
			ntp_from_unix_ns(t1 + out_ns + turn_ns + back_ns), &s);
	return s;
}

static void near(int64_t got, int64_t want)
{
	/* timestamps carry 2^-32 s: a nanosecond or two either way */
	assert_in_range(got, want - 2, want + 2);
}

static void test_offset_delay(void **state)
{
	struct ntp_sample s;

	(void)state;
	/* section 8: offset ((T2 - T1) + (T3 - T4)) / 2, delay (T4 - T1)
	 * - (T3 - T2); a symmetric path gives the exact offset */
	s = exchange(10 * NTP_NS, 100 * MS, 5 * MS, 100 * MS);
	near(s.offset_ns, 10 * NTP_NS);
	near(s.delay_ns, 200 * MS);
	/* root distance: (62.5 ms root delay + 200 ms) / 2 + 31.25 ms
	 * root dispersion + 2^-20 s precision + 15 ppm of 205 ms */
	near(s.dist_ns, 131250000 + 31250000 + 953 + 3075);
	s = exchange(-3 * NTP_NS, 20 * MS, 0, 20 * MS);
	near(s.offset_ns, -3 * NTP_NS);
	near(s.delay_ns, 40 * MS);
	/* an asymmetric path is off by half the difference: the
	 * correctness interval still holds the truth */
	s = exchange(0, 30 * MS, 0, 10 * MS);
	near(s.offset_ns, 10 * MS);
	assert_true(s.dist_ns >= 10 * MS);
	/* a server that claims more time than the round trip: delay 0,
	 * and the distance never below MINDISP / 2 + root dispersion */
	struct ntp_packet p = good_reply(1);

	p.rec = ntp_from_unix_ns(100 * MS);
	p.xmt = ntp_from_unix_ns(200 * MS);
	ntp_sample_make(&p, ntp_from_unix_ns(0), ntp_from_unix_ns(50 * MS), &s);
	assert_int_equal(s.delay_ns, 0);
	assert_true(s.dist_ns >= 31250000 + (62500000 / 2));
	p.root_delay = 0;
	ntp_sample_make(&p, ntp_from_unix_ns(0), ntp_from_unix_ns(50 * MS), &s);
	assert_true(s.dist_ns >= NTP_MINDISP_NS / 2 + 31250000);
	/* days away: the server a week ahead of a clock at its floor */
	s = exchange(7 * 86400 * NTP_NS + 123456789, 3 * MS, 1 * MS, 3 * MS);
	near(s.offset_ns, 7 * 86400 * NTP_NS + 123456789);
	near(s.delay_ns, 6 * MS);
}

static struct ntp_sample smp(int64_t offset_ms, int64_t dist_ms)
{
	return (struct ntp_sample){ offset_ms * MS, 0, dist_ms * MS };
}

static void test_select(void **state)
{
	struct ntp_sample s[8];
	bool good[8];

	(void)state;
	/* one server: believed (SNTP) */
	s[0] = smp(259200000, 20);
	assert_int_equal(ntp_select(s, 1, good), 1);
	assert_true(good[0]);
	/* three agree, one is days away: a falseticker */
	s[0] = smp(2, 10);
	s[1] = smp(-3, 10);
	s[2] = smp(259200000, 10);
	s[3] = smp(0, 15);
	assert_int_equal(ntp_select(s, 4, good), 3);
	assert_true(good[0] && good[1] && !good[2] && good[3]);
	/* two that disagree: no majority, nothing believed */
	s[0] = smp(0, 10);
	s[1] = smp(5000, 10);
	assert_int_equal(ntp_select(s, 2, good), 0);
	assert_false(good[0] || good[1]);
	/* two that agree */
	s[1] = smp(8, 10);
	assert_int_equal(ntp_select(s, 2, good), 2);
	/* two of three agree */
	s[2] = smp(-90000, 10);
	assert_int_equal(ntp_select(s, 3, good), 2);
	assert_true(good[0] && good[1] && !good[2]);
	/* two against two: no majority */
	s[0] = smp(0, 10);
	s[1] = smp(1, 10);
	s[2] = smp(600000, 10);
	s[3] = smp(600001, 10);
	assert_int_equal(ntp_select(s, 4, good), 0);
	/* three against two falsetickers that agree with each other */
	s[4] = smp(-2, 10);
	assert_int_equal(ntp_select(s, 5, good), 3);
	assert_true(good[0] && good[1] && !good[2] && !good[3] && good[4]);
	/* overlapping intervals whose midpoints lie in the intersection */
	s[0] = smp(0, 10);
	s[1] = smp(8, 10);
	s[2] = smp(4, 10);
	assert_int_equal(ntp_select(s, 3, good), 3);
	/* a wide interval takes in a narrow one's midpoint: a server that
	 * is not sure of itself does not outvote one that is */
	s[0] = smp(0, 5);
	s[1] = smp(3, 5);
	s[2] = smp(900, 1000);
	assert_int_equal(ntp_select(s, 3, good), 2);
	assert_true(good[0] && good[1] && !good[2]);
}

static void test_combine(void **state)
{
	struct ntp_sample s[3] = { smp(0, 10), smp(30, 30), smp(5000, 5) };
	bool good[3] = { true, true, false };
	int best;

	(void)state;
	/* weights 1/10 and 1/30: (0 * 3 + 30 * 1) / 4 = 7.5 ms */
	near(ntp_combine(s, 3, good, &best), 7500 * 1000);
	assert_int_equal(best, 0);
	/* days of offset keep their nanoseconds */
	s[0].offset_ns = 259200 * NTP_NS + 1;
	s[1].offset_ns = 259200 * NTP_NS + 1;
	assert_true(ntp_combine(s, 3, good, &best) == 259200 * NTP_NS + 1);
	good[0] = good[1] = false;
	assert_int_equal(ntp_combine(s, 3, good, &best), 0);
	assert_int_equal(best, -1);
}

static void test_hosts(void **state)
{
	struct sockaddr_storage sa;
	struct sockaddr_in *v4 = (struct sockaddr_in *)&sa;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&sa;
	char name[NTP_HOST_MAX];
	socklen_t len;
	uint16_t port;

	(void)state;
	assert_int_equal(
		ntp_host_parse("pool.ntp.org", name, sizeof(name), &port), 0);
	assert_string_equal(name, "pool.ntp.org");
	assert_int_equal(port, 123);
	assert_int_equal(
		ntp_host_parse("10.0.2.2:1123", name, sizeof(name), &port), 0);
	assert_string_equal(name, "10.0.2.2");
	assert_int_equal(port, 1123);
	assert_int_equal(
		ntp_host_parse("[2001:db8::1]:1123", name, sizeof(name), &port),
		0);
	assert_string_equal(name, "2001:db8::1");
	assert_int_equal(port, 1123);
	assert_int_equal(
		ntp_host_parse("2001:db8::1", name, sizeof(name), &port), 0);
	assert_int_equal(port, 123);
	assert_int_equal(ntp_host_parse("[fe80::1]", name, sizeof(name), &port),
			 0);
	static const char *const bad[] = {
		"",	    "host:", "host:0", "host:65536",
		"host:12x", "[::1",  "[]:123", "[host]:12",
		"[::1]x",   "-host", ".host",  "ho st",
		"h/st",	    "::zz",  "x:y",    "[::1]:-1",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(
			ntp_host_parse(bad[i], name, sizeof(name), &port),
			-EINVAL);
	/* too long for the caller's buffer */
	assert_int_equal(ntp_host_parse("a.very.long.name", name, 8, &port),
			 -EINVAL);
	assert_int_equal(ntp_host_addr("10.0.2.2", 123, &sa, &len), 0);
	assert_int_equal(v4->sin_family, AF_INET);
	assert_int_equal(ntohs(v4->sin_port), 123);
	assert_int_equal(len, sizeof(*v4));
	assert_int_equal(ntp_host_addr("2001:db8::1", 1123, &sa, &len), 0);
	assert_int_equal(v6->sin6_family, AF_INET6);
	assert_int_equal(ntohs(v6->sin6_port), 1123);
	assert_int_equal(ntp_host_addr("pool.ntp.org", 123, &sa, &len),
			 -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_sanity),
		cmocka_unit_test(test_timestamps),
		cmocka_unit_test(test_offset_delay),
		cmocka_unit_test(test_select),
		cmocka_unit_test(test_combine),
		cmocka_unit_test(test_hosts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
