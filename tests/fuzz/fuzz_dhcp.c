// SPDX-License-Identifier: MIT
/*
 * DHCP replies come from whoever answers on the link. The input is
 * taken both as a frame off the packet socket (IPv4 + UDP + message)
 * and as a bare message. Whatever parses must be within the struct's
 * bounds and hold to the rules the parser promises: printable strings,
 * masked routes, names of label characters. What we build from it must
 * parse back, and any payload must survive being framed and unframed.
 * Random bytes seldom carry a right IP header checksum, so each input is
 * also tried with it made right and the UDP one cleared: the length
 * checks behind them get their share.
 */
#include "dhcp_msg.h"

#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

static void check_string(const char *s, size_t size)
{
	const char *end = memchr(s, '\0', size);

	assert(end);
	for (; s < end; s++)
		assert(*s >= 0x20 && *s <= 0x7e);
}

static int label_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* Space separated names, no empty name or label. */
static void check_search(const char *s, size_t size)
{
	const char *end = memchr(s, '\0', size);

	assert(end);
	size_t len = (size_t)(end - s);
	for (size_t i = 0; i < len; i++) {
		if (s[i] == ' ' || s[i] == '.')
			assert(i > 0 && i + 1 < len && label_char(s[i - 1]) &&
			       label_char(s[i + 1]));
		else
			assert(label_char(s[i]));
	}
}

static void check_msg(const struct dhcp_msg *m)
{
	assert(m->op == 2);
	assert(m->n_routers <= DHCP_MAX_ADDRS && m->n_dns <= DHCP_MAX_ADDRS &&
	       m->n_ntp <= DHCP_MAX_ADDRS);
	assert(m->n_routes <= DHCP_MAX_ROUTES);
	assert(m->has_classless == (m->n_routes > 0));
	for (int i = 0; i < m->n_routes; i++) {
		const struct dhcp_route *r = &m->routes[i];
		uint32_t dst = (uint32_t)((const uint8_t *)&r->dst)[0] << 24 |
			       (uint32_t)((const uint8_t *)&r->dst)[1] << 16 |
			       (uint32_t)((const uint8_t *)&r->dst)[2] << 8 |
			       ((const uint8_t *)&r->dst)[3];

		assert(r->plen <= 32);
		if (r->plen < 32)
			assert((dst & (0xffffffffu >> r->plen)) == 0);
	}
	assert(m->mtu == 0 || m->mtu >= 68);
	assert(m->has_netmask <= 1 && m->has_broadcast <= 1);
	check_string(m->hostname, sizeof(m->hostname));
	check_string(m->domain, sizeof(m->domain));
	check_string(m->message, sizeof(m->message));
	check_search(m->search, sizeof(m->search));
}

/* A request made from what the server said, read back as a reply. */
static void check_build(const struct dhcp_msg *m)
{
	static uint8_t buf[DHCP_MSG_MAX];
	struct dhcp_request r = {
		.type = DHCPREQUEST,
		.xid = m->xid,
		.requested_ip = m->yiaddr,
		.server_id = m->server_id,
		.hostname = m->hostname,
	};
	struct dhcp_msg back;
	char why[80];

	memcpy(r.mac, m->chaddr, sizeof(r.mac));
	size_t n = dhcp_msg_build(buf, &r);
	assert(n >= 300 && n <= DHCP_MSG_MAX);
	buf[0] = 2;
	assert(dhcp_msg_parse(buf, n, &back, why, sizeof(why)) == 0);
	assert(back.xid == m->xid && back.type == DHCPREQUEST);
	assert(back.server_id == m->server_id);
	assert(!strcmp(back.hostname, m->hostname));
	assert(!memcmp(back.chaddr, m->chaddr, 6));
}

static void parse_msg(const uint8_t *data, size_t size)
{
	struct dhcp_msg m;
	char why[80] = "";
	int r = dhcp_msg_parse(data, size, &m, why, sizeof(why));

	if (r) {
		assert(r == -EBADMSG && why[0]);
		return;
	}
	check_msg(&m);
	check_build(&m);
}

/* Framed as we send it, then as if the server had sent it back. */
static void check_frame(const uint8_t *data, size_t size)
{
	static uint8_t f[DHCP_MSG_MAX + 28];
	const uint8_t *pl;
	size_t pl_len;
	uint32_t src;
	char why[80];
	uint8_t t[4];

	if (size > DHCP_MSG_MAX)
		return;
	size_t n = dhcp_frame_build(f, 0x0100000a, 0x0200000a, data, size);
	assert(n == size + 28);
	memcpy(t, f + 12, 4);
	memcpy(f + 12, f + 16, 4);
	memcpy(f + 16, t, 4);
	f[21] = 67;
	f[23] = 68;
	assert(dhcp_frame_parse(f, n, &pl, &pl_len, &src, why, sizeof(why)) ==
	       0);
	assert(pl == f + 28 && pl_len == size && src == 0x0200000a);
	assert(!memcmp(pl, data, size));
}

static void parse_frame(const uint8_t *data, size_t size)
{
	const uint8_t *pl;
	size_t pl_len;
	uint32_t src;
	char why[80] = "";
	int r = dhcp_frame_parse(data, size, &pl, &pl_len, &src, why,
				 sizeof(why));

	if (r == 0) {
		assert(pl >= data + 28 && pl_len <= size - 28);
		assert((size_t)(pl - data) + pl_len <= size);
		parse_msg(pl, pl_len);
	} else {
		assert(r == -EBADMSG && why[0]);
	}
}

static void fix_checksums(uint8_t *f, size_t size)
{
	size_t ihl = (size_t)(f[0] & 0x0f) * 4;
	uint32_t sum = 0;

	if (ihl < 20 || ihl > size)
		return;
	f[10] = f[11] = 0;
	for (size_t i = 0; i < ihl; i += 2)
		sum += (uint32_t)f[i] << 8 | f[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	f[10] = (uint8_t)(~sum >> 8);
	f[11] = (uint8_t)~sum;
	if (ihl + 8 <= size)
		f[ihl + 6] = f[ihl + 7] = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t copy[1 << 16];

	parse_frame(data, size);
	if (size <= sizeof(copy)) {
		memcpy(copy, data, size);
		fix_checksums(copy, size);
		parse_frame(copy, size);
	}
	parse_msg(data, size);
	check_frame(data, size);
	return 0;
}
