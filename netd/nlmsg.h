/* SPDX-License-Identifier: MIT */
#ifndef KEEL_NLMSG_H
#define KEEL_NLMSG_H

#include <net/if.h>
#include <stdint.h>
#include <libmnl/libmnl.h>

/*
 * Every rtnetlink message netd sends is built here, through libmnl's
 * API, into a caller's buffer of NLM_BUF bytes; and every message netd
 * reads is parsed here into plain structs. The builders take no socket,
 * so a test can build each message with libmnl and with netd/mnl.c and
 * compare the bytes.
 */
#define NLM_BUF 8192

/* Addresses are 4 (AF_INET) or 16 (AF_INET6) bytes, network order. */
union nl_ip {
	uint8_t b[16];
	uint32_t v4;
};

/* Link changes; a field left at its "keep" value is not sent. */
struct nlm_link {
	int index;
	int up; /* 1 up, 0 down, -1 keep */
	unsigned mtu; /* 0 keep */
	const char *name; /* rename; NULL keep */
	int master; /* -1 keep, 0 none, else bridge index */
	int netns_fd; /* -1 keep, else move into this namespace */
};

struct nlmsghdr *nlm_link_set(char *buf, uint32_t seq,
			      const struct nlm_link *l);
struct nlmsghdr *nlm_link_del(char *buf, uint32_t seq, int index);
/* A bridge, with no ports, down. */
struct nlmsghdr *nlm_bridge_new(char *buf, uint32_t seq, const char *name);
/* A veth pair; peer_netns_fd -1 keeps the peer here. */
struct nlmsghdr *nlm_veth_new(char *buf, uint32_t seq, const char *name,
			      const char *peer, int peer_netns_fd);

/* Add (NLM_F_REPLACE, so a renewed lease refreshes lifetimes) or delete. */
struct nlm_addr {
	int family;
	int index;
	union nl_ip addr;
	uint8_t plen;
	union nl_ip brd; /* IPv4 broadcast; 0 to leave out */
	uint32_t valid_s; /* 0: forever */
	uint32_t preferred_s;
};
struct nlmsghdr *nlm_addr(char *buf, uint32_t seq, int add,
			  const struct nlm_addr *a);

struct nlm_route {
	int family;
	int index; /* output interface */
	union nl_ip dst;
	uint8_t plen;
	union nl_ip gw; /* all zero: on-link */
	union nl_ip prefsrc; /* all zero: left out */
	uint32_t metric;
	uint8_t protocol; /* RTPROT_DHCP, RTPROT_STATIC, ... */
};
struct nlmsghdr *nlm_route(char *buf, uint32_t seq, int add,
			   const struct nlm_route *r);

/*
 * One nftables batch (NETLINK_NETFILTER) that makes, atomically, the two
 * tables pods need (netd/README.md, "Pod networks" and "Firewall"):
 * - table ip keel: a nat postrouting chain with one rule, masquerade
 *   what comes from net/plen and leaves by any interface but bridge;
 *   and, with host ports, nat prerouting and output chains with one
 *   DNAT rule per port in each;
 * - table inet keel: a filter forward chain, policy drop, that forwards
 *   answers (ct state established,related), what comes from bridge, and
 *   what a host port DNAT'd to it (ct status dnat), nothing else.
 * Each table is created, deleted and created again in the batch, so
 * running it twice leaves one copy of each rule. buf is NLM_NFT_BUF
 * bytes, room for NLM_NFT_MAX_DNAT ports (more are left out). Returns
 * the length of the whole batch.
 */
#define NLM_NFT_MAX_DNAT 64
#define NLM_NFT_BUF (NLM_BUF + NLM_NFT_MAX_DNAT * 1024)

struct nlm_dnat {
	uint8_t proto; /* IPPROTO_TCP or IPPROTO_UDP */
	uint16_t port; /* on the host */
	uint32_t to; /* the pod's address, network order */
	uint16_t to_port;
};

size_t nlm_nft_pods(char *buf, uint32_t seq, uint32_t net, uint8_t plen,
		    const char *bridge, const struct nlm_dnat *dnat,
		    int n_dnat);

/* A dump request: RTM_GETLINK, RTM_GETADDR or RTM_GETROUTE. */
struct nlmsghdr *nlm_dump(char *buf, uint32_t seq, uint16_t type, int family);

/* --- parsing what the kernel says ---------------------------------- */

struct nl_link {
	int index;
	unsigned flags; /* IFF_UP, IFF_LOWER_UP, ... */
	unsigned type; /* ARPHRD_* */
	char name[IF_NAMESIZE];
	uint8_t mac[6];
	uint8_t has_mac;
	unsigned mtu;
	int master;
	char kind[16]; /* IFLA_INFO_KIND: "veth", "bridge"; "" for hardware */
	uint8_t wireless;
};

struct nl_addr {
	int family;
	int index;
	uint8_t plen;
	union nl_ip addr;
	uint32_t valid_s; /* 0xffffffff: forever */
	uint32_t preferred_s;
	unsigned flags; /* IFA_F_* */
};

struct nl_route {
	int family;
	uint8_t plen;
	union nl_ip dst;
	union nl_ip gw;
	uint8_t has_gw;
	int oif;
	uint32_t table;
	uint32_t metric;
	uint8_t protocol;
	uint8_t scope;
	uint8_t type; /* RTN_UNICAST, ... */
};

/*
 * Parse one RTM_NEWLINK/DELLINK, NEWADDR/DELADDR or NEWROUTE/DELROUTE.
 * The message came from the kernel, but is still checked like any
 * input: 0, or -EBADMSG when it is too short or an attribute is
 * malformed.
 */
int nl_parse_link(const struct nlmsghdr *nlh, struct nl_link *l);
int nl_parse_addr(const struct nlmsghdr *nlh, struct nl_addr *a);
int nl_parse_route(const struct nlmsghdr *nlh, struct nl_route *r);

#endif
