/* SPDX-License-Identifier: MIT */
#ifndef KEEL_DHCP_MSG_H
#define KEEL_DHCP_MSG_H

#include <stddef.h>
#include <stdint.h>

/*
 * DHCPv4 messages (RFC 2131, options RFC 2132) and the IPv4 + UDP frame
 * around them on the raw packet socket. Everything that reaches these
 * parsers comes off the wire from whoever answers on the link: they
 * check every length and never read past the buffer. Addresses are in
 * network byte order throughout.
 */

#define DHCP_CLIENT_PORT 68
#define DHCP_SERVER_PORT 67
#define DHCP_MSG_MAX 1500 /* largest message we build or accept */

/* Option 53 values (RFC 2132 section 9.6). */
enum dhcp_type {
	DHCP_NONE = 0,
	DHCPDISCOVER = 1,
	DHCPOFFER = 2,
	DHCPREQUEST = 3,
	DHCPDECLINE = 4,
	DHCPACK = 5,
	DHCPNAK = 6,
	DHCPRELEASE = 7,
	DHCPINFORM = 8,
};

#define DHCP_MAX_ADDRS 4
#define DHCP_MAX_ROUTES 16

struct dhcp_route {
	uint32_t dst; /* network */
	uint8_t plen; /* prefix length 0..32 */
	uint32_t gw; /* 0: on-link */
};

/* A parsed server message: the BOOTP header and the options we use. */
struct dhcp_msg {
	uint8_t op; /* 2 = BOOTREPLY */
	uint32_t xid;
	uint32_t yiaddr;
	uint32_t siaddr;
	uint8_t chaddr[16];
	uint8_t type; /* option 53, DHCP_NONE when absent */

	uint32_t server_id; /* 54; 0 when absent */
	uint32_t netmask; /* 1 */
	uint8_t has_netmask;
	uint32_t routers[DHCP_MAX_ADDRS]; /* 3 */
	uint8_t n_routers;
	uint32_t dns[DHCP_MAX_ADDRS]; /* 6 */
	uint8_t n_dns;
	char hostname[64]; /* 12, printable ASCII only, else empty */
	char domain[256]; /* 15, same rule */
	uint16_t mtu; /* 26; 0 when absent or below 68 */
	uint32_t broadcast; /* 28 */
	uint8_t has_broadcast;
	uint32_t ntp[DHCP_MAX_ADDRS]; /* 42 */
	uint8_t n_ntp;
	uint32_t lease_s; /* 51; 0 when absent */
	uint32_t t1_s; /* 58; 0 when absent */
	uint32_t t2_s; /* 59; 0 when absent */
	/* 119 (RFC 3397): decoded names, space separated */
	char search[256];
	/* 121 (RFC 3442): classless static routes */
	struct dhcp_route routes[DHCP_MAX_ROUTES];
	uint8_t n_routes;
	uint8_t has_classless;
	char message[128]; /* 56, printable ASCII only */
};

/*
 * Parse a BOOTP/DHCP message (the UDP payload). Honours option overload
 * (52: options continued in `file` and/or `sname`) and RFC 3396
 * concatenation of repeated long options (119 and 121 may span several
 * instances). A malformed option (its length runs past the end, a fixed
 * size option of the wrong size, a bad 121 or 119 encoding) makes the
 * whole message invalid. Returns 0, or -EBADMSG with the reason in why
 * ("too short", "bad magic cookie", "option 121 truncated", ...).
 */
int dhcp_msg_parse(const uint8_t *buf, size_t len, struct dhcp_msg *m,
		   char *why, size_t whylen);

/* What the client sends. Zero fields are left out. */
struct dhcp_request {
	uint8_t type; /* DHCPDISCOVER, DHCPREQUEST, DHCPDECLINE, DHCPRELEASE */
	uint32_t xid;
	uint16_t secs;
	uint32_t ciaddr; /* RENEWING/REBINDING/RELEASE: our address */
	uint8_t mac[6];
	uint32_t requested_ip; /* option 50 */
	uint32_t server_id; /* option 54 */
	const char *hostname; /* option 12; NULL or "" to leave out */
	const uint8_t *client_id; /* option 61; NULL: 0x01 + mac */
	size_t client_id_len;
};

/*
 * Build a BOOTREQUEST into buf (at least DHCP_MSG_MAX bytes): the 236
 * byte header, the magic cookie, option 53, 61, 50, 54, 12, 57 (max
 * message size 1500), 55 (parameter request list: 1, 3, 6, 12, 15, 26,
 * 28, 42, 51, 54, 58, 59, 119, 121) and the end option, padded to the
 * BOOTP minimum of 300 bytes. Returns the length.
 */
size_t dhcp_msg_build(uint8_t *buf, const struct dhcp_request *r);

/*
 * The IPv4 + UDP frame as seen on an AF_PACKET/SOCK_DGRAM socket (the
 * frame starts at the IP header). Accepts only an unfragmented IPv4 UDP
 * datagram to port 68 whose header lengths agree with len and whose UDP
 * checksum, when not zero, is right. On success points *payload into
 * buf, sets *payload_len and *src (source address). Returns 0, or
 * -EBADMSG with the reason in why.
 */
int dhcp_frame_parse(const uint8_t *buf, size_t len, const uint8_t **payload,
		     size_t *payload_len, uint32_t *src, char *why,
		     size_t whylen);

/*
 * Wrap payload in an IPv4 header (TTL 64, DF clear) and a UDP header
 * from port 68 to 67 with both checksums. out needs payload_len + 28
 * bytes. Returns the frame length.
 */
size_t dhcp_frame_build(uint8_t *out, uint32_t src, uint32_t dst,
			const uint8_t *payload, size_t payload_len);

#endif
