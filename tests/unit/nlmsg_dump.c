// SPDX-License-Identifier: MIT
/*
 * Builds every message netd sends and prints each in hex, one per line.
 * tests/tests.mk builds this twice, against the distribution's libmnl and
 * against netd/mnl.c, and compares the two outputs byte for byte. The
 * buffer is filled with 0xa5 first, so padding either one forgets to
 * clear shows up as a difference.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <linux/rtnetlink.h>
#include "nlmsg.h"

static char buf[NLM_BUF], nft[NLM_NFT_BUF];

static char *fresh(void)
{
	memset(buf, 0xa5, sizeof(buf));
	return buf;
}

static char *fresh_nft(void)
{
	memset(nft, 0xa5, sizeof(nft));
	return nft;
}

/* A whole nftables batch: several messages, n bytes. */
static void dump_batch(const char *what, size_t n)
{
	printf("%s ", what);
	for (size_t i = 0; i < n; i++)
		printf("%02x", (unsigned char)nft[i]);
	printf("\n");
}

static void dump(const char *what, const struct nlmsghdr *nlh)
{
	const unsigned char *p = (const unsigned char *)nlh;

	printf("%s ", what);
	for (unsigned i = 0; i < nlh->nlmsg_len; i++)
		printf("%02x", p[i]);
	printf("\n");
}

static union nl_ip v4(const char *s)
{
	union nl_ip ip = { 0 };

	inet_pton(AF_INET, s, ip.b);
	return ip;
}

static union nl_ip v6(const char *s)
{
	union nl_ip ip = { 0 };

	inet_pton(AF_INET6, s, ip.b);
	return ip;
}

int main(void)
{
	struct nlm_link up = {
		.index = 2, .up = 1, .master = -1, .netns_fd = -1
	};
	struct nlm_link mtu = {
		.index = 3, .up = -1, .mtu = 9000, .master = -1, .netns_fd = -1
	};
	struct nlm_link mv = { .index = 7,
			       .up = -1,
			       .name = "eth0",
			       .master = -1,
			       .netns_fd = 5 };
	struct nlm_link port = {
		.index = 8, .up = 1, .master = 4, .netns_fd = -1
	};
	struct nlm_addr a4 = { .family = AF_INET,
			       .index = 2,
			       .addr = v4("10.99.0.50"),
			       .plen = 24,
			       .brd = v4("10.99.0.255"),
			       .valid_s = 600,
			       .preferred_s = 600 };
	struct nlm_addr a6 = { .family = AF_INET6,
			       .index = 2,
			       .addr = v6("2001:db8::5"),
			       .plen = 64 };
	struct nlm_route def = { .family = AF_INET,
				 .index = 2,
				 .gw = v4("10.99.0.1"),
				 .metric = 1024,
				 .protocol = RTPROT_DHCP };
	struct nlm_route net = { .family = AF_INET,
				 .index = 2,
				 .dst = v4("192.168.7.0"),
				 .plen = 23,
				 .prefsrc = v4("10.99.0.50"),
				 .protocol = RTPROT_STATIC };
	struct nlm_route r6 = { .family = AF_INET6,
				.index = 2,
				.dst = v6("2001:db8:1::"),
				.plen = 48,
				.gw = v6("fe80::1"),
				.protocol = RTPROT_STATIC };
	struct nlm_dnat dnat[] = {
		{ .proto = IPPROTO_TCP,
		  .port = 8080,
		  .to = v4("10.88.0.2").v4,
		  .to_port = 80 },
		{ .proto = IPPROTO_UDP,
		  .port = 5353,
		  .to = v4("10.88.0.3").v4,
		  .to_port = 53 },
	};
	static struct nlm_dnat many[NLM_NFT_MAX_DNAT];

	dump("link-up", nlm_link_set(fresh(), 1, &up));
	dump("link-mtu", nlm_link_set(fresh(), 2, &mtu));
	dump("link-netns-rename", nlm_link_set(fresh(), 3, &mv));
	dump("link-master", nlm_link_set(fresh(), 4, &port));
	dump("link-del", nlm_link_del(fresh(), 5, 9));
	dump("bridge-new", nlm_bridge_new(fresh(), 6, "keel0"));
	dump("veth-new", nlm_veth_new(fresh(), 7, "vk1a2b3c", "eth0", -1));
	dump("veth-new-netns", nlm_veth_new(fresh(), 8, "vk1a2b3d", "eth0", 6));
	dump("addr-add-v4", nlm_addr(fresh(), 9, 1, &a4));
	dump("addr-del-v4", nlm_addr(fresh(), 10, 0, &a4));
	dump("addr-add-v6", nlm_addr(fresh(), 11, 1, &a6));
	dump("route-add-default", nlm_route(fresh(), 12, 1, &def));
	dump("route-del-default", nlm_route(fresh(), 13, 0, &def));
	dump("route-add-net", nlm_route(fresh(), 14, 1, &net));
	dump("route-add-v6", nlm_route(fresh(), 15, 1, &r6));
	dump("dump-link", nlm_dump(fresh(), 16, RTM_GETLINK, AF_UNSPEC));
	dump("dump-addr", nlm_dump(fresh(), 17, RTM_GETADDR, AF_UNSPEC));
	dump("dump-route", nlm_dump(fresh(), 18, RTM_GETROUTE, AF_INET));
	dump_batch("nft-pods", nlm_nft_pods(fresh_nft(), 19, v4("10.88.0.0").v4,
					    16, "keel0", NULL, 0));
	dump_batch("nft-pods-hostports",
		   nlm_nft_pods(fresh_nft(), 30, v4("10.88.0.0").v4, 16,
				"keel0", dnat, 2));
	for (int i = 0; i < NLM_NFT_MAX_DNAT; i++)
		many[i] = (struct nlm_dnat){ .proto = IPPROTO_UDP,
					     .port = (uint16_t)(20000 + i),
					     .to = v4("10.88.1.2").v4,
					     .to_port = (uint16_t)(1 + i) };
	dump_batch("nft-pods-hostports-max",
		   nlm_nft_pods(fresh_nft(), 40, v4("10.88.0.0").v4, 20,
				"keel0", many, NLM_NFT_MAX_DNAT));
	/* the longest interface name: its 15 bytes and the NUL in every
	 * iifname/oifname comparison, the forward chain's included */
	dump_batch("nft-pods-ifname15",
		   nlm_nft_pods(fresh_nft(), 50, v4("172.30.0.0").v4, 24,
				"pods-bridge-xyz", dnat, 1));
	return 0;
}
