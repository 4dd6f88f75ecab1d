// SPDX-License-Identifier: MIT
#include "dhcp_msg.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "errmsg.h"

/* The fixed BOOTP header, RFC 2131 section 2 (figure 1). */
#define OFF_OP 0
#define OFF_HTYPE 1
#define OFF_HLEN 2
#define OFF_XID 4
#define OFF_SECS 8
#define OFF_CIADDR 12
#define OFF_YIADDR 16
#define OFF_SIADDR 20
#define OFF_CHADDR 28
#define OFF_SNAME 44
#define SNAME_LEN 64
#define OFF_FILE 108
#define FILE_LEN 128
#define OFF_COOKIE 236
#define OFF_OPTIONS 240

#define BOOTREQUEST 1
#define BOOTREPLY 2
#define HTYPE_ETHER 1
#define ETHER_ALEN 6
/* RFC 951's 64-byte vend field: older relays drop anything shorter */
#define BOOTP_MIN_LEN 300

#define IP_HDR_LEN 20
#define UDP_HDR_LEN 8
#define IPPROTO_UDP_NUM 17
#define IP_MF 0x2000
#define IP_OFFMASK 0x1fff

enum {
	OPT_PAD = 0,
	OPT_NETMASK = 1,
	OPT_ROUTER = 3,
	OPT_DNS = 6,
	OPT_HOSTNAME = 12,
	OPT_DOMAIN = 15,
	OPT_MTU = 26,
	OPT_BROADCAST = 28,
	OPT_NTP = 42,
	OPT_REQUESTED_IP = 50,
	OPT_LEASE = 51,
	OPT_OVERLOAD = 52,
	OPT_TYPE = 53,
	OPT_SERVER_ID = 54,
	OPT_PARAMS = 55,
	OPT_MESSAGE = 56,
	OPT_MAX_SIZE = 57,
	OPT_T1 = 58,
	OPT_T2 = 59,
	OPT_CLIENT_ID = 61,
	OPT_SEARCH = 119,
	OPT_CLASSLESS = 121,
	OPT_END = 255,
};

/* RFC 2132 section 9.3 */
#define OVERLOAD_FILE 1
#define OVERLOAD_SNAME 2

/* RFC 2131 section 3 */
static const uint8_t magic_cookie[4] = { 99, 130, 83, 99 };

static const uint8_t param_request[] = {
	OPT_NETMASK, OPT_ROUTER,    OPT_DNS,	OPT_HOSTNAME,  OPT_DOMAIN,
	OPT_MTU,     OPT_BROADCAST, OPT_NTP,	OPT_LEASE,     OPT_SERVER_ID,
	OPT_T1,	     OPT_T2,	    OPT_SEARCH, OPT_CLASSLESS,
};

static uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

/*
 * Every option instance in the order of RFC 3396 section 5's aggregate
 * option buffer. Each instance takes at least two bytes of a message no
 * longer than DHCP_MSG_MAX, which bounds the table.
 */
#define MAX_INSTANCES (DHCP_MSG_MAX / 2)

struct opt_list {
	uint16_t off[MAX_INSTANCES]; /* of the value, within the message */
	uint8_t code[MAX_INSTANCES];
	uint8_t len[MAX_INSTANCES];
	size_t n;
};

static int walk_area(const uint8_t *buf, size_t start, size_t end,
		     struct opt_list *l, char *why, size_t whylen)
{
	size_t i = start;

	while (i < end) {
		uint8_t code = buf[i];

		/* RFC 2132 sections 3.1 and 3.2: no length byte */
		if (code == OPT_PAD) {
			i++;
			continue;
		}
		if (code == OPT_END)
			return 0;
		if (end - i < 2 || end - i - 2 < buf[i + 1])
			return errmsg(why, whylen, -EBADMSG,
				      "option %u truncated", code);
		if (l->n == MAX_INSTANCES)
			return errmsg(why, whylen, -EBADMSG,
				      "too many options");
		l->off[l->n] = (uint16_t)(i + 2);
		l->code[l->n] = code;
		l->len[l->n] = buf[i + 1];
		l->n++;
		i += 2 + (size_t)buf[i + 1];
	}
	/* an area may end without an end option: the field ends anyway */
	return 0;
}

/*
 * RFC 3396 section 7: all instances of a code are one option, their
 * values concatenated. Returns whether the code appeared at all (a
 * zero-length instance counts, so it can be rejected as malformed).
 */
static bool gather(const uint8_t *buf, const struct opt_list *l, uint8_t code,
		   uint8_t *out, size_t out_size, size_t *len)
{
	bool present = false;

	*len = 0;
	for (size_t k = 0; k < l->n; k++) {
		if (l->code[k] != code)
			continue;
		present = true;
		/* cannot happen for a message within DHCP_MSG_MAX */
		if (l->len[k] > out_size - *len)
			break;
		memcpy(out + *len, buf + l->off[k], l->len[k]);
		*len += l->len[k];
	}
	return present;
}

static int want_len(uint8_t code, size_t n, size_t want, char *why,
		    size_t whylen)
{
	if (n != want)
		return errmsg(why, whylen, -EBADMSG,
			      "option %u has length %zu, expected %zu", code, n,
			      want);
	return 0;
}

static int take_addrs(uint8_t code, const uint8_t *v, size_t n, uint32_t *out,
		      uint8_t *count, char *why, size_t whylen)
{
	if (n == 0 || n % 4)
		return errmsg(
			why, whylen, -EBADMSG,
			"option %u has length %zu, expected a multiple of 4",
			code, n);
	*count = 0;
	for (size_t i = 0; i < n && *count < DHCP_MAX_ADDRS; i += 4)
		memcpy(&out[(*count)++], v + i, 4);
	return 0;
}

/*
 * Strings end up in files and logs. Anything beyond printable ASCII is
 * dropped as a whole rather than cleaned up, but does not cost the
 * lease. Some servers count a C string's NUL into the length, against
 * RFC 2132 section 2.
 */
static void take_string(char *dst, size_t size, const uint8_t *v, size_t n)
{
	dst[0] = '\0';
	while (n && v[n - 1] == '\0')
		n--;
	for (size_t i = 0; i < n; i++)
		if (v[i] < 0x20 || v[i] > 0x7e)
			return;
	if (n > size - 1)
		n = size - 1;
	memcpy(dst, v, n);
	dst[n] = '\0';
}

static bool label_char(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/*
 * One name of option 119 at d[*pos], as text into name (254 bytes);
 * *pos moves past its encoding.
 */
static int read_name(const uint8_t *d, size_t n, size_t *pos, char *name,
		     size_t *name_len, char *why, size_t whylen)
{
	size_t p = *pos, seg = *pos, len = 0;
	int jumped = 0;

	for (;;) {
		if (p >= n)
			return errmsg(why, whylen, -EBADMSG,
				      "option 119 truncated");
		uint8_t c = d[p];
		if ((c & 0xc0) == 0xc0) {
			/*
			 * RFC 1035 section 4.1.4 pointer; RFC 3397 section 2
			 * makes it an offset into the option data. A
			 * compressor only refers to names it has already
			 * written, so every jump lands before the start of
			 * the run it leaves: jumps strictly decrease and
			 * cannot loop.
			 */
			if (n - p < 2)
				return errmsg(why, whylen, -EBADMSG,
					      "option 119 truncated");
			size_t to = (size_t)(c & 0x3f) << 8 | d[p + 1];
			if (to >= seg)
				return errmsg(why, whylen, -EBADMSG,
					      "option 119 has a bad pointer");
			if (!jumped)
				*pos = p + 2;
			jumped = 1;
			p = seg = to;
			continue;
		}
		/* RFC 1035 section 4.1.4: 01 and 10 are reserved */
		if (c & 0xc0)
			return errmsg(why, whylen, -EBADMSG,
				      "option 119 has a bad label");
		if (c == 0) {
			if (!jumped)
				*pos = p + 1;
			break;
		}
		if (n - p - 1 < c)
			return errmsg(why, whylen, -EBADMSG,
				      "option 119 truncated");
		/* RFC 1035 section 2.3.4: 255 octets of wire format */
		if (len + (len ? 1 : 0) + c > 253)
			return errmsg(why, whylen, -EBADMSG,
				      "option 119 has a name too long");
		if (len)
			name[len++] = '.';
		for (size_t i = 0; i < c; i++) {
			if (!label_char(d[p + 1 + i]))
				return errmsg(why, whylen, -EBADMSG,
					      "option 119 has a bad label");
			name[len++] = (char)d[p + 1 + i];
		}
		p += 1 + (size_t)c;
	}
	name[len] = '\0';
	*name_len = len;
	return 0;
}

static int take_search(const uint8_t *d, size_t n, char *out, size_t size,
		       char *why, size_t whylen)
{
	size_t pos = 0, used = 0;
	int full = 0;
	char name[254];

	out[0] = '\0';
	/* every name is checked even once out is full */
	while (pos < n) {
		size_t nl = 0;

		if (read_name(d, n, &pos, name, &nl, why, whylen))
			return -EBADMSG;
		/* the root name would search nothing */
		if (!nl || full)
			continue;
		size_t need = (used ? 1 : 0) + nl;
		if (need > size - 1 - used) {
			full = 1;
			continue;
		}
		if (used)
			out[used++] = ' ';
		memcpy(out + used, name, nl);
		used += nl;
		out[used] = '\0';
	}
	return 0;
}

static int take_classless(const uint8_t *d, size_t n, struct dhcp_msg *m,
			  char *why, size_t whylen)
{
	size_t i = 0;

	/*
	 * RFC 3442 section 3 sets the least length at 5. An empty option
	 * would still make the client ignore option 3 (RFC 3442, "DHCP
	 * Client Behavior") and leave it without a default route.
	 */
	if (n < 5)
		return errmsg(why, whylen, -EBADMSG,
			      "option 121 has length %zu, expected at least 5",
			      n);
	m->n_routes = 0;
	while (i < n) {
		uint8_t width = d[i];
		uint32_t dst = 0;

		if (width > 32)
			return errmsg(why, whylen, -EBADMSG,
				      "option 121 has prefix length %u", width);
		size_t sig = ((size_t)width + 7) / 8;
		if (n - i < 1 + sig + 4)
			return errmsg(why, whylen, -EBADMSG,
				      "option 121 truncated");
		for (size_t k = 0; k < sig; k++)
			dst |= (uint32_t)d[i + 1 + k] << (24 - 8 * k);
		/* 172.31.0.0/12 is 172.16.0.0/12 */
		dst &= width ? 0xffffffffu << (32 - width) : 0;
		if (m->n_routes < DHCP_MAX_ROUTES) {
			struct dhcp_route *r = &m->routes[m->n_routes++];
			r->dst = htonl(dst);
			r->plen = width;
			memcpy(&r->gw, d + i + 1 + sig, 4);
		}
		i += 1 + sig + 4;
	}
	m->has_classless = 1;
	return 0;
}

static int decode(const uint8_t *buf, const struct opt_list *l,
		  struct dhcp_msg *m, char *why, size_t whylen)
{
	uint8_t v[DHCP_MSG_MAX];
	size_t n;

	if (gather(buf, l, OPT_TYPE, v, sizeof(v), &n)) {
		if (want_len(OPT_TYPE, n, 1, why, whylen))
			return -EBADMSG;
		m->type = v[0];
	}
	if (gather(buf, l, OPT_SERVER_ID, v, sizeof(v), &n)) {
		if (want_len(OPT_SERVER_ID, n, 4, why, whylen))
			return -EBADMSG;
		memcpy(&m->server_id, v, 4);
	}
	if (gather(buf, l, OPT_NETMASK, v, sizeof(v), &n)) {
		if (want_len(OPT_NETMASK, n, 4, why, whylen))
			return -EBADMSG;
		memcpy(&m->netmask, v, 4);
		m->has_netmask = 1;
	}
	if (gather(buf, l, OPT_ROUTER, v, sizeof(v), &n) &&
	    take_addrs(OPT_ROUTER, v, n, m->routers, &m->n_routers, why,
		       whylen))
		return -EBADMSG;
	if (gather(buf, l, OPT_DNS, v, sizeof(v), &n) &&
	    take_addrs(OPT_DNS, v, n, m->dns, &m->n_dns, why, whylen))
		return -EBADMSG;
	if (gather(buf, l, OPT_NTP, v, sizeof(v), &n) &&
	    take_addrs(OPT_NTP, v, n, m->ntp, &m->n_ntp, why, whylen))
		return -EBADMSG;
	if (gather(buf, l, OPT_HOSTNAME, v, sizeof(v), &n))
		take_string(m->hostname, sizeof(m->hostname), v, n);
	if (gather(buf, l, OPT_DOMAIN, v, sizeof(v), &n))
		take_string(m->domain, sizeof(m->domain), v, n);
	if (gather(buf, l, OPT_MESSAGE, v, sizeof(v), &n))
		take_string(m->message, sizeof(m->message), v, n);
	if (gather(buf, l, OPT_MTU, v, sizeof(v), &n)) {
		if (want_len(OPT_MTU, n, 2, why, whylen))
			return -EBADMSG;
		/* RFC 2132 section 5.1: 68 is the least legal value */
		m->mtu = get_be16(v) >= 68 ? get_be16(v) : 0;
	}
	if (gather(buf, l, OPT_BROADCAST, v, sizeof(v), &n)) {
		if (want_len(OPT_BROADCAST, n, 4, why, whylen))
			return -EBADMSG;
		memcpy(&m->broadcast, v, 4);
		m->has_broadcast = 1;
	}
	if (gather(buf, l, OPT_LEASE, v, sizeof(v), &n)) {
		if (want_len(OPT_LEASE, n, 4, why, whylen))
			return -EBADMSG;
		m->lease_s = get_be32(v);
	}
	if (gather(buf, l, OPT_T1, v, sizeof(v), &n)) {
		if (want_len(OPT_T1, n, 4, why, whylen))
			return -EBADMSG;
		m->t1_s = get_be32(v);
	}
	if (gather(buf, l, OPT_T2, v, sizeof(v), &n)) {
		if (want_len(OPT_T2, n, 4, why, whylen))
			return -EBADMSG;
		m->t2_s = get_be32(v);
	}
	if (gather(buf, l, OPT_SEARCH, v, sizeof(v), &n) &&
	    take_search(v, n, m->search, sizeof(m->search), why, whylen))
		return -EBADMSG;
	if (gather(buf, l, OPT_CLASSLESS, v, sizeof(v), &n) &&
	    take_classless(v, n, m, why, whylen))
		return -EBADMSG;
	return 0;
}

int dhcp_msg_parse(const uint8_t *buf, size_t len, struct dhcp_msg *m,
		   char *why, size_t whylen)
{
	struct opt_list l;
	uint8_t v[DHCP_MSG_MAX];
	size_t n;
	unsigned overload = 0;

	/* gcc for aarch64 cannot see that gather() fills what it counts */
	v[0] = 0;
	memset(m, 0, sizeof(*m));
	if (len < OFF_OPTIONS)
		return errmsg(why, whylen, -EBADMSG, "too short");
	if (len > DHCP_MSG_MAX)
		return errmsg(why, whylen, -EBADMSG, "too long");
	if (buf[OFF_OP] != BOOTREPLY)
		return errmsg(why, whylen, -EBADMSG, "not a BOOTREPLY");
	if (buf[OFF_HTYPE] != HTYPE_ETHER || buf[OFF_HLEN] != ETHER_ALEN)
		return errmsg(why, whylen, -EBADMSG, "not an Ethernet address");
	if (memcmp(buf + OFF_COOKIE, magic_cookie, sizeof(magic_cookie)))
		return errmsg(why, whylen, -EBADMSG, "bad magic cookie");
	m->op = buf[OFF_OP];
	m->xid = get_be32(buf + OFF_XID);
	memcpy(&m->yiaddr, buf + OFF_YIADDR, 4);
	memcpy(&m->siaddr, buf + OFF_SIADDR, 4);
	memcpy(m->chaddr, buf + OFF_CHADDR, sizeof(m->chaddr));

	l.n = 0;
	if (walk_area(buf, OFF_OPTIONS, len, &l, why, whylen))
		return -EBADMSG;
	/*
	 * RFC 2132 section 9.3: only the options field says whether file
	 * and sname hold options, so it is read before they are; a 52 in
	 * either of them is just an option nobody looks at.
	 */
	if (gather(buf, &l, OPT_OVERLOAD, v, sizeof(v), &n)) {
		if (want_len(OPT_OVERLOAD, n, 1, why, whylen))
			return -EBADMSG;
		overload = v[0];
		if (overload < 1 || overload > 3)
			return errmsg(why, whylen, -EBADMSG,
				      "option 52 has value %u", overload);
	}
	/* RFC 3396 section 5: file before sname, as in RFC 2131 section 4.1 */
	if ((overload & OVERLOAD_FILE) &&
	    walk_area(buf, OFF_FILE, OFF_FILE + FILE_LEN, &l, why, whylen))
		return -EBADMSG;
	if ((overload & OVERLOAD_SNAME) &&
	    walk_area(buf, OFF_SNAME, OFF_SNAME + SNAME_LEN, &l, why, whylen))
		return -EBADMSG;
	return decode(buf, &l, m, why, whylen);
}

static size_t put_opt(uint8_t *buf, size_t n, uint8_t code, const void *v,
		      size_t len)
{
	if (len > 255)
		len = 255;
	buf[n] = code;
	buf[n + 1] = (uint8_t)len;
	memcpy(buf + n + 2, v, len);
	return n + 2 + len;
}

size_t dhcp_msg_build(uint8_t *buf, const struct dhcp_request *r)
{
	uint8_t v[4];
	size_t n = OFF_OPTIONS;

	memset(buf, 0, OFF_OPTIONS);
	buf[OFF_OP] = BOOTREQUEST;
	buf[OFF_HTYPE] = HTYPE_ETHER;
	buf[OFF_HLEN] = ETHER_ALEN;
	put_be32(buf + OFF_XID, r->xid);
	put_be16(buf + OFF_SECS, r->secs);
	memcpy(buf + OFF_CIADDR, &r->ciaddr, 4);
	memcpy(buf + OFF_CHADDR, r->mac, ETHER_ALEN);
	memcpy(buf + OFF_COOKIE, magic_cookie, sizeof(magic_cookie));

	n = put_opt(buf, n, OPT_TYPE, &r->type, 1);
	if (r->client_id) {
		n = put_opt(buf, n, OPT_CLIENT_ID, r->client_id,
			    r->client_id_len);
	} else {
		/* RFC 2132 section 9.14: type 1 is an Ethernet address */
		uint8_t id[1 + ETHER_ALEN] = { HTYPE_ETHER };

		memcpy(id + 1, r->mac, ETHER_ALEN);
		n = put_opt(buf, n, OPT_CLIENT_ID, id, sizeof(id));
	}
	if (r->requested_ip)
		n = put_opt(buf, n, OPT_REQUESTED_IP, &r->requested_ip, 4);
	if (r->server_id)
		n = put_opt(buf, n, OPT_SERVER_ID, &r->server_id, 4);
	if (r->hostname && r->hostname[0])
		n = put_opt(buf, n, OPT_HOSTNAME, r->hostname,
			    strnlen(r->hostname, 255));
	put_be16(v, DHCP_MSG_MAX);
	n = put_opt(buf, n, OPT_MAX_SIZE, v, 2);
	n = put_opt(buf, n, OPT_PARAMS, param_request, sizeof(param_request));
	buf[n++] = OPT_END;
	if (n < BOOTP_MIN_LEN) {
		memset(buf + n, 0, BOOTP_MIN_LEN - n);
		n = BOOTP_MIN_LEN;
	}
	return n;
}

/* RFC 1071: the sum in one's complement, folded to 16 bits by the caller */
static uint32_t sum16(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += get_be16(p + i);
	if (i < len)
		sum += (uint32_t)p[i] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* RFC 768: the pseudo-header of source, destination, protocol, length */
static uint32_t udp_pseudo(const uint8_t *src, const uint8_t *dst,
			   uint16_t udp_len)
{
	uint32_t sum = sum16(0, src, 4);

	sum = sum16(sum, dst, 4);
	return sum + IPPROTO_UDP_NUM + udp_len;
}

int dhcp_frame_parse(const uint8_t *buf, size_t len, const uint8_t **payload,
		     size_t *payload_len, uint32_t *src, char *why,
		     size_t whylen)
{
	if (len < IP_HDR_LEN + UDP_HDR_LEN)
		return errmsg(why, whylen, -EBADMSG, "too short");
	if (buf[0] >> 4 != 4)
		return errmsg(why, whylen, -EBADMSG, "not IPv4");
	size_t ihl = (size_t)(buf[0] & 0x0f) * 4;
	if (ihl < IP_HDR_LEN || ihl > len)
		return errmsg(why, whylen, -EBADMSG, "bad IP header length");
	/* RFC 791 section 3.1: the header sums to all ones */
	if (fold(sum16(0, buf, ihl)) != 0xffff)
		return errmsg(why, whylen, -EBADMSG, "bad IP header checksum");
	/* the link may pad a short frame: trust the IP length, not len */
	size_t total = get_be16(buf + 2);
	if (total < ihl + UDP_HDR_LEN || total > len)
		return errmsg(why, whylen, -EBADMSG, "bad IP total length");
	if (buf[9] != IPPROTO_UDP_NUM)
		return errmsg(why, whylen, -EBADMSG, "not UDP");
	if (get_be16(buf + 6) & (IP_MF | IP_OFFMASK))
		return errmsg(why, whylen, -EBADMSG, "fragmented");
	const uint8_t *udp = buf + ihl;
	if (get_be16(udp + 2) != DHCP_CLIENT_PORT)
		return errmsg(why, whylen, -EBADMSG,
			      "not to the DHCP client port");
	size_t ulen = get_be16(udp + 4);
	if (ulen < UDP_HDR_LEN || ulen > total - ihl)
		return errmsg(why, whylen, -EBADMSG, "bad UDP length");
	/* RFC 768: zero means the sender computed no checksum */
	if (get_be16(udp + 6) &&
	    fold(sum16(udp_pseudo(buf + 12, buf + 16, (uint16_t)ulen), udp,
		       ulen)) != 0xffff)
		return errmsg(why, whylen, -EBADMSG, "bad UDP checksum");
	memcpy(src, buf + 12, 4);
	*payload = udp + UDP_HDR_LEN;
	*payload_len = ulen - UDP_HDR_LEN;
	return 0;
}

size_t dhcp_frame_build(uint8_t *out, uint32_t src, uint32_t dst,
			const uint8_t *payload, size_t payload_len)
{
	uint8_t *udp = out + IP_HDR_LEN;
	size_t ulen = UDP_HDR_LEN + payload_len;

	/* the lengths are 16-bit fields */
	if (payload_len > 0xffff - IP_HDR_LEN - UDP_HDR_LEN)
		return 0;
	memset(out, 0, IP_HDR_LEN + UDP_HDR_LEN);
	out[0] = 0x45; /* version 4, no options */
	put_be16(out + 2, (uint16_t)(IP_HDR_LEN + ulen));
	out[8] = 64;
	out[9] = IPPROTO_UDP_NUM;
	memcpy(out + 12, &src, 4);
	memcpy(out + 16, &dst, 4);
	put_be16(out + 10, (uint16_t)~fold(sum16(0, out, IP_HDR_LEN)));

	put_be16(udp, DHCP_CLIENT_PORT);
	put_be16(udp + 2, DHCP_SERVER_PORT);
	put_be16(udp + 4, (uint16_t)ulen);
	memmove(udp + UDP_HDR_LEN, payload, payload_len);
	uint16_t sum = (uint16_t)~fold(sum16(
		udp_pseudo(out + 12, out + 16, (uint16_t)ulen), udp, ulen));
	/* RFC 768: a computed zero is sent as all ones */
	put_be16(udp + 6, sum ? sum : 0xffff);
	return IP_HDR_LEN + ulen;
}
