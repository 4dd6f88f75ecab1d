// SPDX-License-Identifier: MIT
/*
 * DHCPv4 messages and their IPv4 + UDP frames: server replies built here
 * byte by byte, every option we decode, overload and RFC 3396 splits,
 * the encodings of 119 and 121, and what a hostile server could send
 * instead.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <errno.h>
#include <string.h>

#include "dhcp_msg.h"

#define SNAME 44
#define FILE_FIELD 108

static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

struct pkt {
	uint8_t b[DHCP_MSG_MAX + 64];
	size_t n;
};

static uint32_t ip(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	uint8_t v[4] = { a, b, c, d };
	uint32_t r;

	memcpy(&r, v, 4);
	return r;
}

/* A BOOTREPLY header with the cookie and no options yet. */
static void reply(struct pkt *p, uint32_t xid)
{
	memset(p, 0, sizeof(*p));
	p->b[0] = 2;
	p->b[1] = 1;
	p->b[2] = 6;
	p->b[4] = xid >> 24;
	p->b[5] = xid >> 16;
	p->b[6] = xid >> 8;
	p->b[7] = xid;
	p->b[16] = 10; /* yiaddr 10.0.2.15 */
	p->b[17] = 0;
	p->b[18] = 2;
	p->b[19] = 15;
	p->b[20] = 10; /* siaddr 10.0.2.2 */
	p->b[21] = 0;
	p->b[22] = 2;
	p->b[23] = 2;
	memcpy(p->b + 28, mac, 6);
	p->b[236] = 99;
	p->b[237] = 130;
	p->b[238] = 83;
	p->b[239] = 99;
	p->n = 240;
}

static void add(struct pkt *p, uint8_t code, const void *v, size_t len)
{
	assert_true(len <= 255 && p->n + 2 + len <= sizeof(p->b));
	p->b[p->n++] = code;
	p->b[p->n++] = (uint8_t)len;
	memcpy(p->b + p->n, v, len);
	p->n += len;
}

static void add_byte(struct pkt *p, uint8_t code, uint8_t v)
{
	add(p, code, &v, 1);
}

static void add_be32(struct pkt *p, uint8_t code, uint32_t v)
{
	uint8_t b[4] = { v >> 24, v >> 16, v >> 8, v };

	add(p, code, b, 4);
}

static void raw(struct pkt *p, uint8_t byte)
{
	p->b[p->n++] = byte;
}

/* An option inside sname or file, at *at within that field. */
static void add_field(struct pkt *p, size_t field, size_t *at, uint8_t code,
		      const void *v, size_t len)
{
	p->b[field + *at] = code;
	p->b[field + *at + 1] = (uint8_t)len;
	memcpy(p->b + field + *at + 2, v, len);
	*at += 2 + len;
}

/* A name in DNS wire format, uncompressed, with its root label. */
static size_t dn(uint8_t *out, const char *name)
{
	size_t n = 0;

	while (*name) {
		const char *dot = strchr(name, '.');
		size_t l = dot ? (size_t)(dot - name) : strlen(name);
		out[n++] = (uint8_t)l;
		memcpy(out + n, name, l);
		n += l;
		name += l + (dot ? 1 : 0);
	}
	out[n++] = 0;
	return n;
}

#define WHY_LEN 80

static int parse(const struct pkt *p, struct dhcp_msg *m, char *why)
{
	why[0] = '\0';
	return dhcp_msg_parse(p->b, p->n, m, why, WHY_LEN);
}

/* Parsing fails with a reason containing want. */
static void reject(const struct pkt *p, const char *want)
{
	struct dhcp_msg m;
	char why[WHY_LEN];

	if (parse(p, &m, why) != -EBADMSG)
		fail_msg("accepted, wanted '%s'", want);
	if (!strstr(why, want))
		fail_msg("'%s', wanted '%s'", why, want);
}

static void test_full_ack(void **state)
{
	struct pkt p;
	struct dhcp_msg m;
	char why[WHY_LEN];
	uint8_t v[64], s[128];
	size_t n;

	(void)state;
	reply(&p, 0xdeadbeef);
	raw(&p, 0); /* pad */
	add_byte(&p, 53, DHCPACK);
	add_be32(&p, 54, 0x0a000202);
	add_be32(&p, 1, 0xffffff00);
	add(&p, 3, "\x0a\x00\x02\x02\x0a\x00\x02\x03", 8);
	/* five servers: the first four are kept */
	for (int i = 0; i < 5; i++) {
		v[i * 4] = 10;
		v[i * 4 + 1] = 0;
		v[i * 4 + 2] = 3;
		v[i * 4 + 3] = (uint8_t)(i + 1);
	}
	add(&p, 6, v, 20);
	add(&p, 12, "node-1", 6);
	add(&p, 15, "example.com\0\0", 13); /* NULs stripped */
	v[0] = 0x05;
	v[1] = 0xdc;
	add(&p, 26, v, 2);
	add_be32(&p, 28, 0x0a0002ff);
	add_be32(&p, 42, 0x0a000204);
	add_be32(&p, 51, 86400);
	add_be32(&p, 58, 43200);
	add_be32(&p, 59, 75600);
	raw(&p, 0);
	raw(&p, 0);
	add(&p, 43, "\x01\x02vendor", 8); /* not ours: ignored */
	add(&p, 56, "welcome", 7);
	/* example.com, then corp. pointing back at it */
	n = dn(s, "example.com");
	s[n++] = 4;
	memcpy(s + n, "corp", 4);
	n += 4;
	s[n++] = 0xc0;
	s[n++] = 0;
	add(&p, 119, s, n);
	{
		uint8_t r[] = { 8,  10,	 192, 168, 1, 254, /* 10/8 */
				0,  192, 168, 1,   1, /* default */
				32, 10,	 9,   8,   7, 0,   0, 0, 0 };
		add(&p, 121, r, sizeof(r));
	}
	raw(&p, 255);
	raw(&p, 0);
	raw(&p, 0);

	assert_int_equal(parse(&p, &m, why), 0);
	assert_int_equal(m.op, 2);
	assert_int_equal(m.xid, 0xdeadbeef);
	assert_int_equal(m.yiaddr, ip(10, 0, 2, 15));
	assert_int_equal(m.siaddr, ip(10, 0, 2, 2));
	assert_memory_equal(m.chaddr, mac, 6);
	assert_int_equal(m.chaddr[6], 0);
	assert_int_equal(m.type, DHCPACK);
	assert_int_equal(m.server_id, ip(10, 0, 2, 2));
	assert_int_equal(m.has_netmask, 1);
	assert_int_equal(m.netmask, ip(255, 255, 255, 0));
	assert_int_equal(m.n_routers, 2);
	assert_int_equal(m.routers[0], ip(10, 0, 2, 2));
	assert_int_equal(m.routers[1], ip(10, 0, 2, 3));
	assert_int_equal(m.n_dns, DHCP_MAX_ADDRS);
	assert_int_equal(m.dns[0], ip(10, 0, 3, 1));
	assert_int_equal(m.dns[3], ip(10, 0, 3, 4));
	assert_string_equal(m.hostname, "node-1");
	assert_string_equal(m.domain, "example.com");
	assert_int_equal(m.mtu, 1500);
	assert_int_equal(m.has_broadcast, 1);
	assert_int_equal(m.broadcast, ip(10, 0, 2, 255));
	assert_int_equal(m.n_ntp, 1);
	assert_int_equal(m.ntp[0], ip(10, 0, 2, 4));
	assert_int_equal(m.lease_s, 86400);
	assert_int_equal(m.t1_s, 43200);
	assert_int_equal(m.t2_s, 75600);
	assert_string_equal(m.message, "welcome");
	assert_string_equal(m.search, "example.com corp.example.com");
	assert_int_equal(m.has_classless, 1);
	assert_int_equal(m.n_routes, 3);
	assert_int_equal(m.routes[0].dst, ip(10, 0, 0, 0));
	assert_int_equal(m.routes[0].plen, 8);
	assert_int_equal(m.routes[0].gw, ip(192, 168, 1, 254));
	assert_int_equal(m.routes[1].dst, 0);
	assert_int_equal(m.routes[1].plen, 0);
	assert_int_equal(m.routes[1].gw, ip(192, 168, 1, 1));
	assert_int_equal(m.routes[2].dst, ip(10, 9, 8, 7));
	assert_int_equal(m.routes[2].plen, 32);
	assert_int_equal(m.routes[2].gw, 0);
}

static void test_absent(void **state)
{
	struct pkt p;
	struct dhcp_msg m;
	char why[WHY_LEN];

	(void)state;
	/* no options, no end option: a bare BOOTP reply */
	reply(&p, 7);
	assert_int_equal(parse(&p, &m, why), 0);
	assert_int_equal(m.xid, 7);
	assert_int_equal(m.type, DHCP_NONE);
	assert_int_equal(m.server_id, 0);
	assert_int_equal(m.has_netmask, 0);
	assert_int_equal(m.n_routers + m.n_dns + m.n_ntp + m.n_routes, 0);
	assert_int_equal(m.has_classless, 0);
	assert_int_equal(m.lease_s, 0);
	assert_int_equal(m.mtu, 0);
	assert_string_equal(m.hostname, "");
	assert_string_equal(m.search, "");

	/* everything after the end option is not looked at */
	add_byte(&p, 53, DHCPOFFER);
	raw(&p, 255);
	raw(&p, 51);
	raw(&p, 200);
	assert_int_equal(parse(&p, &m, why), 0);
	assert_int_equal(m.type, DHCPOFFER);
	assert_int_equal(m.lease_s, 0);
}

static void test_strings_and_mtu(void **state)
{
	struct pkt p;
	struct dhcp_msg m;
	char why[WHY_LEN];
	char long_name[100];

	(void)state;
	memset(long_name, 'h', sizeof(long_name));
	reply(&p, 1);
	add_byte(&p, 53, DHCPACK);
	add(&p, 12, long_name, sizeof(long_name));
	add(&p, 15, "evil\ncom", 8); /* control character */
	add(&p, 56, "caf\xc3\xa9", 5); /* not ASCII */
	add(&p, 26, "\x00\x43", 2); /* 67: below the minimum */
	raw(&p, 255);
	assert_int_equal(parse(&p, &m, why), 0);
	assert_int_equal(strlen(m.hostname), sizeof(m.hostname) - 1);
	assert_int_equal(m.hostname[0], 'h');
	assert_string_equal(m.domain, "");
	assert_string_equal(m.message, "");
	assert_int_equal(m.mtu, 0);

	reply(&p, 1);
	add(&p, 12, "a\0b", 3); /* a NUL inside is not trailing */
	add(&p, 15, "\0\0", 2);
	add(&p, 26, "\x00\x44", 2); /* 68: the least legal value */
	assert_int_equal(parse(&p, &m, why), 0);
	assert_string_equal(m.hostname, "");
	assert_string_equal(m.domain, "");
	assert_int_equal(m.mtu, 68);
}

static void test_overload(void **state)
{
	struct pkt p;
	struct dhcp_msg m;
	char why[WHY_LEN];
	size_t f = 0, s = 0;
	uint8_t v[4];

	(void)state;
	reply(&p, 2);
	add_byte(&p, 53, DHCPACK);
	add_byte(&p, 52, 3);
	raw(&p, 255);
	v[0] = 0;
	v[1] = 0;
	v[2] = 0x0e;
	v[3] = 0x10;
	add_field(&p, FILE_FIELD, &f, 51, v, 4);
	add_field(&p, FILE_FIELD, &f, 3, "\x0a\x00\x02\x01", 4);
	/* only the options field may overload; this one is ignored */
	add_field(&p, FILE_FIELD, &f, 52, "\x07", 1);
	p.b[FILE_FIELD + f] = 255;
	add_field(&p, SNAME, &s, 54, "\x0a\x00\x02\x02", 4);
	add_field(&p, SNAME, &s, 1, "\xff\xff\x00\x00", 4);
	/* no end option: the field ends at 64 bytes */
	assert_int_equal(parse(&p, &m, why), 0);
	assert_int_equal(m.type, DHCPACK);
	assert_int_equal(m.lease_s, 3600);
	assert_int_equal(m.n_routers, 1);
	assert_int_equal(m.routers[0], ip(10, 0, 2, 1));
	assert_int_equal(m.server_id, ip(10, 0, 2, 2));
	assert_int_equal(m.has_netmask, 1);
	assert_int_equal(m.netmask, ip(255, 255, 0, 0));

	/* overload 1: sname is a name, not options */
	p.b[240 + 3 + 2] = 1;
	assert_int_equal(parse(&p, &m, why), 0);
	assert_int_equal(m.lease_s, 3600);
	assert_int_equal(m.server_id, 0);
	assert_int_equal(m.has_netmask, 0);
	/* overload 2: file is a name, not options */
	p.b[240 + 3 + 2] = 2;
	assert_int_equal(parse(&p, &m, why), 0);
	assert_int_equal(m.lease_s, 0);
	assert_int_equal(m.server_id, ip(10, 0, 2, 2));
	/* none: neither */
	p.b[240 + 3 + 2] = 0;
	reject(&p, "option 52 has value 0");
	p.b[240 + 3 + 2] = 4;
	reject(&p, "option 52 has value 4");

	/* an option running off the end of sname */
	p.b[240 + 3 + 2] = 2;
	p.b[SNAME + 60] = 6;
	p.b[SNAME + 61] = 4;
	reject(&p, "option 6 truncated");
	/* that does not matter when sname is not overloaded */
	p.b[240 + 3 + 2] = 1;
	assert_int_equal(parse(&p, &m, why), 0);
	assert_int_equal(m.n_dns, 0);

	/* RFC 3396: options, then file, then sname, whatever the layout */
	reply(&p, 3);
	add_byte(&p, 52, 3);
	add(&p, 121, "\x18\xc0\xa8", 3);
	raw(&p, 255);
	f = s = 0;
	add_field(&p, SNAME, &s, 121, "\x01", 1);
	add_field(&p, FILE_FIELD, &f, 121, "\x02\x0a\x00\x00", 4);
	assert_int_equal(parse(&p, &m, why), 0);
	assert_int_equal(m.n_routes, 1);
	assert_int_equal(m.routes[0].dst, ip(192, 168, 2, 0));
	assert_int_equal(m.routes[0].plen, 24);
	assert_int_equal(m.routes[0].gw, ip(10, 0, 0, 1));
}

static void test_rfc3396_split(void **state)
{
	struct pkt p;
	struct dhcp_msg m;
	char why[WHY_LEN];
	uint8_t s[64];
	size_t n;

	(void)state;
	/* a route cut mid-destination, with other options in between */
	reply(&p, 4);
	add(&p, 121, "\x10\xac", 2);
	add_byte(&p, 53, DHCPACK);
	add(&p, 121, "", 0);
	add(&p, 121, "\x10\xc0\xa8\x00\x01", 5);
	add(&p, 121, "\x00\xc0\xa8\x00\x01", 5);
	raw(&p, 255);
	assert_int_equal(parse(&p, &m, why), 0);
	assert_int_equal(m.type, DHCPACK);
	assert_int_equal(m.n_routes, 2);
	assert_int_equal(m.routes[0].dst, ip(172, 16, 0, 0));
	assert_int_equal(m.routes[0].plen, 16);
	assert_int_equal(m.routes[0].gw, ip(192, 168, 0, 1));
	assert_int_equal(m.routes[1].plen, 0);
	assert_int_equal(m.routes[1].gw, ip(192, 168, 0, 1));

	/* 119 cut mid-label; the pointer counts in the joined data */
	n = dn(s, "cluster.local");
	s[n++] = 3;
	memcpy(s + n, "svc", 3);
	n += 3;
	s[n++] = 0xc0;
	s[n++] = 0;
	reply(&p, 5);
	add(&p, 119, s, 5);
	add_byte(&p, 53, DHCPACK);
	add(&p, 119, s + 5, n - 5);
	raw(&p, 255);
	assert_int_equal(parse(&p, &m, why), 0);
	assert_string_equal(m.search, "cluster.local svc.cluster.local");

	/* a second 53 makes it two bytes long */
	add_byte(&p, 53, DHCPACK);
	p.b[p.n - 4] = 0; /* the old end option: now pad */
	raw(&p, 255);
	reject(&p, "option 53 has length 2, expected 1");
}

/* Three labels of 63 and one of last, as one name. */
static size_t long_name(uint8_t *s, uint8_t last)
{
	size_t n = 0;

	for (int k = 0; k < 4; k++) {
		uint8_t l = k < 3 ? 63 : last;
		s[n++] = l;
		memset(s + n, 'a' + k, l);
		n += l;
	}
	s[n++] = 0;
	return n;
}

static void test_search(void **state)
{
	struct pkt p;
	struct dhcp_msg m;
	char why[WHY_LEN];
	uint8_t s[600];
	size_t n, a;

	(void)state;
	/* a pointer to a pointer, and to a suffix */
	n = dn(s, "a.example.org"); /* 0 */
	a = n;
	s[n++] = 1; /* b -> example.org */
	s[n++] = 'b';
	s[n++] = 0xc0;
	s[n++] = 2;
	s[n++] = 0xc0; /* -> b.example.org */
	s[n++] = (uint8_t)a;
	s[n++] = 2;
	memcpy(s + n, "x_", 2);
	n += 2;
	s[n++] = 0xc0;
	s[n++] = (uint8_t)a;
	reply(&p, 6);
	add(&p, 119, s, n);
	assert_int_equal(parse(&p, &m, why), 0);
	assert_string_equal(m.search, "a.example.org b.example.org "
				      "b.example.org x_.b.example.org");

	/* forward pointer */
	n = 0;
	s[n++] = 1;
	s[n++] = 'a';
	s[n++] = 0xc0;
	s[n++] = 5;
	s[n++] = 0;
	s[n++] = 1;
	s[n++] = 'b';
	s[n++] = 0;
	reply(&p, 6);
	add(&p, 119, s, n);
	reject(&p, "option 119 has a bad pointer");

	/* a pointer to itself */
	reply(&p, 6);
	add(&p, 119, "\x01x\xc0\x02", 4);
	reject(&p, "option 119 has a bad pointer");
	/* back to the start of its own name: loops through its label */
	reply(&p, 6);
	add(&p, 119, "\x01x\xc0\x00", 4);
	reject(&p, "option 119 has a bad pointer");
	/* two names pointing at each other */
	reply(&p, 6);
	add(&p, 119, "\x01x\xc0\x04\x01y\xc0\x00", 8);
	reject(&p, "option 119 has a bad pointer");
	/* out of range, and cut in half */
	reply(&p, 6);
	add(&p, 119, "\x00\xff\xff", 3);
	reject(&p, "option 119 has a bad pointer");
	reply(&p, 6);
	add(&p, 119, "\x00\xc0", 2);
	reject(&p, "option 119 truncated");
	/* a name without its root label, and a label past the end */
	reply(&p, 6);
	add(&p, 119,
	    "\x03"
	    "com",
	    4);
	reject(&p, "option 119 truncated");
	reply(&p, 6);
	add(&p, 119,
	    "\x05"
	    "com\x00",
	    5);
	reject(&p, "option 119 truncated");
	/* characters a resolver file must not see, reserved label types */
	reply(&p, 6);
	add(&p, 119,
	    "\x03"
	    "a b\x00",
	    5);
	reject(&p, "option 119 has a bad label");
	reply(&p, 6);
	add(&p, 119,
	    "\x03"
	    "a.b\x00",
	    5);
	reject(&p, "option 119 has a bad label");
	reply(&p, 6);
	add(&p, 119,
	    "\x41"
	    "a\x00",
	    3);
	reject(&p, "option 119 has a bad label");

	/* 254 characters (three labels of 63, one of 62): too long */
	n = long_name(s, 62);
	assert_int_equal(n, 256);
	reply(&p, 6);
	add(&p, 119, s, 200);
	add(&p, 119, s + 200, n - 200);
	reject(&p, "option 119 has a name too long");
	/* 253 is the limit */
	n = long_name(s, 61);
	reply(&p, 6);
	add(&p, 119, s, 200);
	add(&p, 119, s + 200, n - 200);
	assert_int_equal(parse(&p, &m, why), 0);
	assert_int_equal(strlen(m.search), 253);
	assert_int_equal(m.search[63], '.');
	assert_int_equal(m.search[252], 'd');

	/* more than fits: up to the last whole name, the rest checked */
	n = 0;
	for (int k = 0; k < 6; k++) {
		s[n++] = 60;
		memset(s + n, 'a' + k, 60);
		n += 60;
		s[n++] = 0;
	}
	reply(&p, 6);
	add(&p, 119, s, 186);
	add(&p, 119, s + 186, n - 186);
	assert_int_equal(parse(&p, &m, why), 0);
	assert_int_equal(strlen(m.search), 4 * 60 + 3);
	assert_int_equal(m.search[4 * 61 - 2], 'd');
	s[n - 2] = '!';
	reply(&p, 6);
	add(&p, 119, s, 186);
	add(&p, 119, s + 186, n - 186);
	reject(&p, "option 119 has a bad label");
}

static void test_classless(void **state)
{
	struct pkt p;
	struct dhcp_msg m;
	char why[WHY_LEN];
	uint8_t r[255];
	size_t n = 0;

	(void)state;
	/* widths 0, 8, 24, 32, and 12 with bits set past the prefix */
	static const uint8_t routes[] = {
		0,  1,	 2,   3,  4, /* default via 1.2.3.4 */
		8,  10,	 5,   5,  5, 5, /* 10/8 */
		24, 192, 168, 7,  0, 0,	  0,   0, /* on-link */
		32, 8,	 8,   4,  4, 192, 168, 0, 1, /* host */
		12, 172, 31,  10, 0, 0,	  1, /* 172.16/12 */
	};
	reply(&p, 8);
	add(&p, 121, routes, sizeof(routes));
	assert_int_equal(parse(&p, &m, why), 0);
	assert_int_equal(m.has_classless, 1);
	assert_int_equal(m.n_routes, 5);
	assert_int_equal(m.routes[0].plen, 0);
	assert_int_equal(m.routes[0].dst, 0);
	assert_int_equal(m.routes[0].gw, ip(1, 2, 3, 4));
	assert_int_equal(m.routes[1].plen, 8);
	assert_int_equal(m.routes[1].dst, ip(10, 0, 0, 0));
	assert_int_equal(m.routes[1].gw, ip(5, 5, 5, 5));
	assert_int_equal(m.routes[2].plen, 24);
	assert_int_equal(m.routes[2].dst, ip(192, 168, 7, 0));
	assert_int_equal(m.routes[2].gw, 0);
	assert_int_equal(m.routes[3].plen, 32);
	assert_int_equal(m.routes[3].dst, ip(8, 8, 4, 4));
	assert_int_equal(m.routes[3].gw, ip(192, 168, 0, 1));
	assert_int_equal(m.routes[4].plen, 12);
	assert_int_equal(m.routes[4].dst, ip(172, 16, 0, 0));
	assert_int_equal(m.routes[4].gw, ip(10, 0, 0, 1));

	reply(&p, 8);
	add(&p, 121, "\x21\x01\x02\x03\x04\x05\x06\x07\x08", 9);
	reject(&p, "option 121 has prefix length 33");
	reply(&p, 8);
	add(&p, 121, "\x18\x0a\x00\x00\x0a\x00\x00", 7);
	reject(&p, "option 121 truncated");
	reply(&p, 8);
	add(&p, 121, "\x00\x01\x02\x03", 4);
	reject(&p, "option 121 has length 4, expected at least 5");
	reply(&p, 8);
	add(&p, 121, "", 0);
	reject(&p, "option 121 has length 0");

	/* 20 routes: 16 kept, all checked */
	for (int k = 0; k < 20; k++) {
		r[n++] = 8;
		r[n++] = (uint8_t)k;
		memcpy(r + n, "\x0a\x00\x00\x01", 4);
		n += 4;
	}
	reply(&p, 8);
	add(&p, 121, r, n);
	assert_int_equal(parse(&p, &m, why), 0);
	assert_int_equal(m.n_routes, DHCP_MAX_ROUTES);
	assert_int_equal(m.routes[15].dst, ip(15, 0, 0, 0));
	r[n - 6] = 40;
	reply(&p, 8);
	add(&p, 121, r, n);
	reject(&p, "option 121 has prefix length 40");
}

static void test_truncated(void **state)
{
	struct pkt p;

	(void)state;
	reply(&p, 9);
	add_byte(&p, 53, DHCPACK);
	add_be32(&p, 51, 600);
	p.n -= 1; /* value runs past the end */
	reject(&p, "option 51 truncated");

	reply(&p, 9);
	add_byte(&p, 53, DHCPACK);
	raw(&p, 3); /* no length byte */
	reject(&p, "option 3 truncated");

	reply(&p, 9);
	raw(&p, 12);
	raw(&p, 255);
	raw(&p, 'x');
	reject(&p, "option 12 truncated");
}

static void test_fixed_lengths(void **state)
{
	static const struct {
		uint8_t code, len;
		char why[WHY_LEN];
	} cases[] = {
		{ 51, 3, "option 51 has length 3, expected 4" },
		{ 51, 0, "option 51 has length 0, expected 4" },
		{ 1, 5, "option 1 has length 5, expected 4" },
		{ 26, 4, "option 26 has length 4, expected 2" },
		{ 53, 2, "option 53 has length 2, expected 1" },
		{ 54, 8, "option 54 has length 8, expected 4" },
		{ 28, 2, "option 28 has length 2, expected 4" },
		{ 58, 1, "option 58 has length 1, expected 4" },
		{ 59, 6, "option 59 has length 6, expected 4" },
		{ 52, 2, "option 52 has length 2, expected 1" },
		{ 3, 6, "option 3 has length 6, expected a multiple of 4" },
		{ 6, 0, "option 6 has length 0, expected a multiple of 4" },
		{ 42, 3, "option 42 has length 3, expected a multiple of 4" },
	};
	static const uint8_t v[8] = { 1, 1, 1, 1, 1, 1, 1, 1 };
	struct pkt p;
	struct dhcp_msg m;
	char why[WHY_LEN];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		reply(&p, 10);
		add(&p, cases[i].code, v, cases[i].len);
		raw(&p, 255);
		if (parse(&p, &m, why) != -EBADMSG || strcmp(why, cases[i].why))
			fail_msg("option %u length %u: %s", cases[i].code,
				 cases[i].len, why[0] ? why : "accepted");
	}
}

static void test_header_checks(void **state)
{
	struct pkt p;
	struct dhcp_msg m;
	char why[WHY_LEN];

	(void)state;
	reply(&p, 11);
	p.n = 239;
	reject(&p, "too short");
	assert_int_equal(dhcp_msg_parse(p.b, 0, &m, why, sizeof(why)),
			 -EBADMSG);
	reply(&p, 11);
	memset(p.b + 240, 0, DHCP_MSG_MAX + 1 - 240);
	p.n = DHCP_MSG_MAX + 1;
	reject(&p, "too long");
	p.n = DHCP_MSG_MAX; /* all pad */
	assert_int_equal(parse(&p, &m, why), 0);

	reply(&p, 11);
	p.b[239] = 98;
	reject(&p, "bad magic cookie");
	reply(&p, 11);
	p.b[0] = 1;
	reject(&p, "not a BOOTREPLY");
	reply(&p, 11);
	p.b[1] = 6;
	reject(&p, "not an Ethernet address");
	reply(&p, 11);
	p.b[2] = 16;
	reject(&p, "not an Ethernet address");
}

static void test_build(void **state)
{
	static const uint8_t params[] = { 1,  3,  6,  12, 15, 26,  28,
					  42, 51, 54, 58, 59, 119, 121 };
	struct dhcp_request r = {
		.type = DHCPREQUEST,
		.xid = 0x01020304,
		.secs = 0x0506,
		.requested_ip = ip(10, 0, 2, 15),
		.server_id = ip(10, 0, 2, 2),
		.hostname = "node-1",
	};
	uint8_t b[DHCP_MSG_MAX];
	struct dhcp_msg m;
	char why[WHY_LEN];
	size_t n, o = 240;

	(void)state;
	memcpy(r.mac, mac, 6);
	memset(b, 0xaa, sizeof(b));
	n = dhcp_msg_build(b, &r);
	assert_int_equal(n, 300);
	assert_memory_equal(
		b, "\x01\x01\x06\x00\x01\x02\x03\x04\x05\x06\x00\x00", 12);
	for (int i = 12; i < 28; i++)
		assert_int_equal(b[i], 0); /* ciaddr .. giaddr */
	assert_memory_equal(b + 28, mac, 6);
	for (int i = 34; i < 236; i++)
		assert_int_equal(b[i], 0); /* chaddr rest, sname, file */
	assert_memory_equal(b + 236, "\x63\x82\x53\x63", 4);
	assert_memory_equal(b + o, "\x35\x01\x03", 3);
	o += 3;
	assert_memory_equal(b + o, "\x3d\x07\x01", 3);
	assert_memory_equal(b + o + 3, mac, 6);
	o += 9;
	assert_memory_equal(b + o, "\x32\x04\x0a\x00\x02\x0f", 6);
	o += 6;
	assert_memory_equal(b + o, "\x36\x04\x0a\x00\x02\x02", 6);
	o += 6;
	assert_memory_equal(b + o, "\x0c\x06node-1", 8);
	o += 8;
	assert_memory_equal(b + o, "\x39\x02\x05\xdc", 4);
	o += 4;
	assert_int_equal(b[o], 55);
	assert_int_equal(b[o + 1], sizeof(params));
	assert_memory_equal(b + o + 2, params, sizeof(params));
	o += 2 + sizeof(params);
	assert_int_equal(b[o++], 255);
	for (; o < n; o++)
		assert_int_equal(b[o], 0);

	/* as if a server echoed it */
	b[0] = 2;
	assert_int_equal(dhcp_msg_parse(b, n, &m, why, sizeof(why)), 0);
	assert_int_equal(m.xid, r.xid);
	assert_int_equal(m.type, DHCPREQUEST);
	assert_int_equal(m.server_id, r.server_id);
	assert_string_equal(m.hostname, "node-1");
	assert_memory_equal(m.chaddr, mac, 6);

	/* a renewal: ciaddr, a given client id, nothing else */
	struct dhcp_request r2 = {
		.type = DHCPDISCOVER,
		.xid = 9,
		.ciaddr = ip(10, 0, 2, 15),
		.hostname = "",
		.client_id = (const uint8_t *)"\x00keel",
		.client_id_len = 5,
	};
	memcpy(r2.mac, mac, 6);
	n = dhcp_msg_build(b, &r2);
	assert_int_equal(n, 300);
	assert_memory_equal(b + 12, "\x0a\x00\x02\x0f", 4);
	assert_memory_equal(b + 240, "\x35\x01\x01\x3d\x05\x00keel\x39\x02",
			    12);
	assert_int_equal(b[254], 55);

	/* a long hostname takes the message past 300 bytes */
	char host[201];
	memset(host, 'n', 200);
	host[200] = '\0';
	r.hostname = host;
	n = dhcp_msg_build(b, &r);
	assert_int_equal(n, 240 + 3 + 9 + 6 + 6 + 202 + 4 + 16 + 1);
	assert_int_equal(b[n - 1], 255);
	b[0] = 2;
	assert_int_equal(dhcp_msg_parse(b, n, &m, why, sizeof(why)), 0);
	assert_int_equal(strlen(m.hostname), sizeof(m.hostname) - 1);
}

/* The checksum over len bytes, as it would be stored. */
static uint16_t csum(uint32_t sum, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		sum += i % 2 ? p[i] : (uint32_t)p[i] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void fix_ip_csum(uint8_t *f)
{
	f[10] = f[11] = 0;
	uint16_t c = csum(0, f, (f[0] & 15) * 4);
	f[10] = c >> 8;
	f[11] = c;
}

/* The frame as a server's answer: addresses and ports swapped. */
static void as_reply(uint8_t *f)
{
	uint8_t t[4];

	memcpy(t, f + 12, 4);
	memcpy(f + 12, f + 16, 4);
	memcpy(f + 16, t, 4);
	/* one's complement sums do not care about the order */
	f[20 + 1] = 67;
	f[20 + 3] = 68;
}

static void frame_reject(const uint8_t *f, size_t len, const char *want)
{
	const uint8_t *pl;
	size_t pl_len;
	uint32_t src;
	char why[WHY_LEN] = "";

	if (dhcp_frame_parse(f, len, &pl, &pl_len, &src, why, sizeof(why)) !=
	    -EBADMSG)
		fail_msg("frame accepted, wanted '%s'", want);
	if (strcmp(why, want))
		fail_msg("'%s', wanted '%s'", why, want);
}

static void test_frame(void **state)
{
	uint8_t f[DHCP_MSG_MAX + 64], pl[300];
	struct dhcp_request r = { .type = DHCPDISCOVER, .xid = 77 };
	const uint8_t *got;
	size_t got_len, n, len;
	uint32_t src;
	char why[WHY_LEN];

	(void)state;
	memcpy(r.mac, mac, 6);
	n = dhcp_msg_build(pl, &r);
	len = dhcp_frame_build(f, 0, 0xffffffff, pl, n);
	assert_int_equal(len, 328);
	assert_memory_equal(f, "\x45\x00\x01\x48\x00\x00\x00\x00\x40\x11", 10);
	assert_memory_equal(f + 12, "\x00\x00\x00\x00\xff\xff\xff\xff", 8);
	assert_int_equal(csum(0, f, 20), 0);
	assert_memory_equal(f + 20, "\x00\x44\x00\x43\x01\x34", 6);
	/* pseudo-header: addresses, protocol, UDP length */
	assert_int_equal(csum(0xffff + 0xffff + 17 + 308, f + 20, 308), 0);
	assert_memory_equal(f + 28, pl, n);
	/* we only take what comes to port 68 */
	frame_reject(f, len, "not to the DHCP client port");

	as_reply(f);
	src = 0;
	assert_int_equal(dhcp_frame_parse(f, len, &got, &got_len, &src, why,
					  sizeof(why)),
			 0);
	assert_ptr_equal(got, f + 28);
	assert_int_equal(got_len, n);
	assert_int_equal(src, 0xffffffff);
	/* Ethernet padding past the IP total length */
	memset(f + len, 0xee, 20);
	assert_int_equal(dhcp_frame_parse(f, len + 20, &got, &got_len, &src,
					  why, sizeof(why)),
			 0);
	assert_int_equal(got_len, n);
	/* no checksum at all */
	f[26] = f[27] = 0;
	assert_int_equal(dhcp_frame_parse(f, len, &got, &got_len, &src, why,
					  sizeof(why)),
			 0);

	/* a payload that makes the checksum come out zero: sent as ffff */
	uint8_t two[2] = { 0, 0 };
	len = dhcp_frame_build(f, ip(10, 0, 2, 15), ip(10, 0, 2, 2), two, 2);
	assert_int_equal(len, 30);
	two[0] = f[26];
	two[1] = f[27];
	len = dhcp_frame_build(f, ip(10, 0, 2, 15), ip(10, 0, 2, 2), two, 2);
	assert_int_equal(f[26], 0xff);
	assert_int_equal(f[27], 0xff);
	as_reply(f);
	assert_int_equal(dhcp_frame_parse(f, len, &got, &got_len, &src, why,
					  sizeof(why)),
			 0);
	assert_int_equal(src, ip(10, 0, 2, 2));
	assert_int_equal(got_len, 2);
	assert_memory_equal(got, two, 2);

	/* payload built in place, as netd does */
	memcpy(f + 28, pl, n);
	len = dhcp_frame_build(f, 0, 0xffffffff, f + 28, n);
	assert_memory_equal(f + 28, pl, n);
	assert_int_equal(csum(0xffff + 0xffff + 17 + 308, f + 20, 308), 0);
}

static void test_frame_bad(void **state)
{
	uint8_t good[400], f[400], pl[300];
	struct dhcp_request r = { .type = DHCPDISCOVER, .xid = 78 };
	const uint8_t *got;
	size_t got_len, n, len;
	uint32_t src;
	char why[WHY_LEN];

	(void)state;
	memcpy(r.mac, mac, 6);
	n = dhcp_msg_build(pl, &r);
	len = dhcp_frame_build(good, ip(10, 0, 2, 15), ip(10, 0, 2, 2), pl, n);
	as_reply(good);

	memcpy(f, good, len);
	f[100] ^= 1;
	frame_reject(f, len, "bad UDP checksum");
	memcpy(f, good, len);
	f[10] ^= 1;
	frame_reject(f, len, "bad IP header checksum");

	memcpy(f, good, len);
	f[6] = 0x20; /* more fragments */
	fix_ip_csum(f);
	frame_reject(f, len, "fragmented");
	f[6] = 0x00;
	f[7] = 0x01; /* offset 8 */
	fix_ip_csum(f);
	frame_reject(f, len, "fragmented");
	f[6] = 0x40; /* don't fragment: fine */
	f[7] = 0;
	fix_ip_csum(f);
	assert_int_equal(dhcp_frame_parse(f, len, &got, &got_len, &src, why,
					  sizeof(why)),
			 0);

	memcpy(f, good, len);
	f[23] = 69;
	frame_reject(f, len, "not to the DHCP client port");
	memcpy(f, good, len);
	f[9] = 6;
	fix_ip_csum(f);
	frame_reject(f, len, "not UDP");
	memcpy(f, good, len);
	f[0] = 0x65;
	frame_reject(f, len, "not IPv4");

	/* header lengths that lie */
	memcpy(f, good, len);
	f[0] = 0x44;
	frame_reject(f, len, "bad IP header length");
	f[0] = 0x4f; /* 60 bytes, more than there are */
	frame_reject(f, 40, "bad IP header length");
	memcpy(f, good, len);
	frame_reject(f, len - 1, "bad IP total length");
	f[2] = 0;
	f[3] = 27; /* no room for the UDP header */
	fix_ip_csum(f);
	frame_reject(f, len, "bad IP total length");
	memcpy(f, good, len);
	f[24] = 0x02; /* UDP length past the IP datagram */
	f[26] = f[27] = 0;
	frame_reject(f, len, "bad UDP length");
	f[24] = 0;
	f[25] = 7;
	frame_reject(f, len, "bad UDP length");
	frame_reject(f, 27, "too short");
	frame_reject(f, 0, "too short");

	/* a shorter UDP length than the IP one: the payload follows UDP */
	memcpy(f, good, len);
	f[24] = 0;
	f[25] = 8 + 240;
	f[26] = f[27] = 0;
	assert_int_equal(dhcp_frame_parse(f, len, &got, &got_len, &src, why,
					  sizeof(why)),
			 0);
	assert_int_equal(got_len, 240);

	/* IP options are skipped: 24-byte header, checksums redone */
	f[0] = 0x46;
	f[2] = (len + 4) >> 8;
	f[3] = (uint8_t)(len + 4);
	memcpy(f + 20, "\x01\x01\x01\x00", 4);
	memcpy(f + 24, good + 20, len - 20);
	fix_ip_csum(f);
	assert_int_equal(dhcp_frame_parse(f, len + 4, &got, &got_len, &src, why,
					  sizeof(why)),
			 0);
	assert_ptr_equal(got, f + 32);
	assert_int_equal(got_len, n);
	assert_int_equal(src, ip(10, 0, 2, 2));
	f[100] ^= 1;
	frame_reject(f, len + 4, "bad UDP checksum");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_ack),
		cmocka_unit_test(test_absent),
		cmocka_unit_test(test_strings_and_mtu),
		cmocka_unit_test(test_overload),
		cmocka_unit_test(test_rfc3396_split),
		cmocka_unit_test(test_search),
		cmocka_unit_test(test_classless),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_fixed_lengths),
		cmocka_unit_test(test_header_checks),
		cmocka_unit_test(test_build),
		cmocka_unit_test(test_frame),
		cmocka_unit_test(test_frame_bad),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
