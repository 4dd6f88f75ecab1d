// SPDX-License-Identifier: MIT
/* libc's netinet/in.h before the kernel's linux/in.h (via netfilter.h) */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include "nlmsg.h"

static struct nlmsghdr *header(char *buf, uint16_t type, uint16_t flags,
			       uint32_t seq)
{
	struct nlmsghdr *nlh;

	/* libmnl 1.0.4 leaves attribute padding as it found it: start from
	 * zeros so no stale bytes reach the kernel, whichever libmnl built
	 * the message */
	memset(buf, 0, NLM_BUF);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = seq;
	return nlh;
}

static size_t ip_len(int family)
{
	return family == AF_INET6 ? 16 : 4;
}

static bool ip_zero(const union nl_ip *ip)
{
	static const union nl_ip zero;

	return !memcmp(ip, &zero, sizeof(zero));
}

struct nlmsghdr *nlm_link_set(char *buf, uint32_t seq, const struct nlm_link *l)
{
	struct nlmsghdr *nlh = header(buf, RTM_NEWLINK, NLM_F_ACK, seq);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = l->index;
	if (l->up >= 0) {
		ifi->ifi_change = IFF_UP;
		ifi->ifi_flags = l->up ? IFF_UP : 0;
	}
	if (l->mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, l->mtu);
	if (l->name)
		mnl_attr_put_strz(nlh, IFLA_IFNAME, l->name);
	if (l->master >= 0)
		mnl_attr_put_u32(nlh, IFLA_MASTER, (uint32_t)l->master);
	if (l->netns_fd >= 0)
		mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)l->netns_fd);
	return nlh;
}

struct nlmsghdr *nlm_link_del(char *buf, uint32_t seq, int index)
{
	struct nlmsghdr *nlh = header(buf, RTM_DELLINK, NLM_F_ACK, seq);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

	ifi->ifi_index = index;
	return nlh;
}

static struct nlmsghdr *link_new(char *buf, uint32_t seq, const char *name)
{
	struct nlmsghdr *nlh = header(
		buf, RTM_NEWLINK, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, seq);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	return nlh;
}

struct nlmsghdr *nlm_bridge_new(char *buf, uint32_t seq, const char *name)
{
	struct nlmsghdr *nlh = link_new(buf, seq, name);
	struct nlattr *info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);

	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "bridge");
	mnl_attr_nest_end(nlh, info);
	return nlh;
}

struct nlmsghdr *nlm_veth_new(char *buf, uint32_t seq, const char *name,
			      const char *peer, int peer_netns_fd)
{
	struct nlmsghdr *nlh = link_new(buf, seq, name);
	struct nlattr *info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	struct nlattr *data, *peer_attr;
	struct ifinfomsg *pifi;

	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	/* VETH_INFO_PEER carries a whole ifinfomsg, then the peer's own
	 * attributes (linux/veth.h) */
	peer_attr = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	pifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*pifi));
	pifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, peer);
	if (peer_netns_fd >= 0)
		mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)peer_netns_fd);
	mnl_attr_nest_end(nlh, peer_attr);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	return nlh;
}

struct nlmsghdr *nlm_addr(char *buf, uint32_t seq, int add,
			  const struct nlm_addr *a)
{
	struct nlmsghdr *nlh = header(
		buf, add ? RTM_NEWADDR : RTM_DELADDR,
		NLM_F_ACK | (add ? NLM_F_CREATE | NLM_F_REPLACE : 0), seq);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));

	ifa->ifa_family = (uint8_t)a->family;
	ifa->ifa_prefixlen = a->plen;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (uint32_t)a->index;
	mnl_attr_put(nlh, IFA_LOCAL, ip_len(a->family), a->addr.b);
	mnl_attr_put(nlh, IFA_ADDRESS, ip_len(a->family), a->addr.b);
	if (add && a->family == AF_INET && a->brd.v4)
		mnl_attr_put(nlh, IFA_BROADCAST, 4, a->brd.b);
	if (add && a->valid_s) {
		struct ifa_cacheinfo ci = {
			.ifa_valid = a->valid_s,
			.ifa_prefered = a->preferred_s,
		};

		mnl_attr_put(nlh, IFA_CACHEINFO, sizeof(ci), &ci);
	}
	return nlh;
}

struct nlmsghdr *nlm_route(char *buf, uint32_t seq, int add,
			   const struct nlm_route *r)
{
	struct nlmsghdr *nlh = header(
		buf, add ? RTM_NEWROUTE : RTM_DELROUTE,
		NLM_F_ACK | (add ? NLM_F_CREATE | NLM_F_REPLACE : 0), seq);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	bool gw = !ip_zero(&r->gw);

	rtm->rtm_family = (uint8_t)r->family;
	rtm->rtm_dst_len = r->plen;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = r->protocol;
	rtm->rtm_scope = gw ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
	rtm->rtm_type = RTN_UNICAST;
	if (r->plen)
		mnl_attr_put(nlh, RTA_DST, ip_len(r->family), r->dst.b);
	if (gw)
		mnl_attr_put(nlh, RTA_GATEWAY, ip_len(r->family), r->gw.b);
	if (!ip_zero(&r->prefsrc))
		mnl_attr_put(nlh, RTA_PREFSRC, ip_len(r->family), r->prefsrc.b);
	mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)r->index);
	if (r->metric)
		mnl_attr_put_u32(nlh, RTA_PRIORITY, r->metric);
	return nlh;
}

/* --- nftables ------------------------------------------------------ */

/* A batch being built: each message goes after the one before it in buf,
 * with the next sequence number. */
struct batch {
	char *buf;
	size_t off; /* where last starts */
	struct nlmsghdr *last;
	uint32_t seq;
};

static struct nlmsghdr *nft_msg(struct batch *b, uint16_t type, uint16_t flags,
				uint8_t family, uint16_t res_id)
{
	struct nlmsghdr *nlh;
	struct nfgenmsg *nfg;

	if (b->last)
		b->off += MNL_ALIGN(b->last->nlmsg_len);
	nlh = b->last = mnl_nlmsg_put_header(b->buf + b->off);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = b->seq++;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = family;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = htons(res_id);
	return nlh;
}

static uint16_t nft_type(int msg)
{
	return (uint16_t)(NFNL_SUBSYS_NFTABLES << 8 | msg);
}

/* nftables numbers are big-endian on the wire */
static void put_be32(struct nlmsghdr *nlh, uint16_t type, uint32_t v)
{
	mnl_attr_put_u32(nlh, type, htonl(v));
}

static void put_data(struct nlmsghdr *nlh, uint16_t type, const void *data,
		     size_t len)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, type);

	mnl_attr_put(nlh, NFTA_DATA_VALUE, len, data);
	mnl_attr_nest_end(nlh, nest);
}

static struct nlattr *expr_start(struct nlmsghdr *nlh, const char *name,
				 struct nlattr **data)
{
	struct nlattr *elem = mnl_attr_nest_start(nlh, NFTA_LIST_ELEM);

	mnl_attr_put_strz(nlh, NFTA_EXPR_NAME, name);
	*data = mnl_attr_nest_start(nlh, NFTA_EXPR_DATA);
	return elem;
}

static void expr_end(struct nlmsghdr *nlh, struct nlattr *elem,
		     struct nlattr *data)
{
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, elem);
}

static void nft_cmp(struct nlmsghdr *nlh, uint32_t op, const void *v,
		    size_t len)
{
	struct nlattr *data, *e = expr_start(nlh, "cmp", &data);

	put_be32(nlh, NFTA_CMP_SREG, NFT_REG_1);
	put_be32(nlh, NFTA_CMP_OP, op);
	put_data(nlh, NFTA_CMP_DATA, v, len);
	expr_end(nlh, e, data);
}

static void nft_meta(struct nlmsghdr *nlh, uint32_t key)
{
	struct nlattr *data, *e = expr_start(nlh, "meta", &data);

	put_be32(nlh, NFTA_META_KEY, key);
	put_be32(nlh, NFTA_META_DREG, NFT_REG_1);
	expr_end(nlh, e, data);
}

static void nft_payload(struct nlmsghdr *nlh, uint32_t base, uint32_t offset,
			uint32_t len)
{
	struct nlattr *data, *e = expr_start(nlh, "payload", &data);

	put_be32(nlh, NFTA_PAYLOAD_DREG, NFT_REG_1);
	put_be32(nlh, NFTA_PAYLOAD_BASE, base);
	put_be32(nlh, NFTA_PAYLOAD_OFFSET, offset);
	put_be32(nlh, NFTA_PAYLOAD_LEN, len);
	expr_end(nlh, e, data);
}

/* register 1 &= mask, 4 bytes */
static void nft_and(struct nlmsghdr *nlh, const void *mask)
{
	static const uint32_t zero;
	struct nlattr *data, *e = expr_start(nlh, "bitwise", &data);

	put_be32(nlh, NFTA_BITWISE_SREG, NFT_REG_1);
	put_be32(nlh, NFTA_BITWISE_DREG, NFT_REG_1);
	put_be32(nlh, NFTA_BITWISE_LEN, 4);
	put_data(nlh, NFTA_BITWISE_MASK, mask, 4);
	put_data(nlh, NFTA_BITWISE_XOR, &zero, 4);
	expr_end(nlh, e, data);
}

/* ct KEY: a 4-byte conntrack field into register 1 */
static void nft_ct(struct nlmsghdr *nlh, uint32_t key)
{
	struct nlattr *data, *e = expr_start(nlh, "ct", &data);

	put_be32(nlh, NFTA_CT_KEY, key);
	put_be32(nlh, NFTA_CT_DREG, NFT_REG_1);
	expr_end(nlh, e, data);
}

/* ct KEY & bits != 0, the form nft gives `ct state established,related`
 * and `ct status dnat`: the kernel keeps both as host-order bit sets */
static void nft_ct_any(struct nlmsghdr *nlh, uint32_t key, uint32_t bits)
{
	static const uint32_t zero;

	nft_ct(nlh, key);
	nft_and(nlh, &bits);
	nft_cmp(nlh, NFT_CMP_NEQ, &zero, 4);
}

static void nft_immediate(struct nlmsghdr *nlh, uint32_t reg, const void *v,
			  size_t len)
{
	struct nlattr *data, *e = expr_start(nlh, "immediate", &data);

	put_be32(nlh, NFTA_IMMEDIATE_DREG, reg);
	put_data(nlh, NFTA_IMMEDIATE_DATA, v, len);
	expr_end(nlh, e, data);
}

/* accept, closing the rule: a verdict is data of its own kind
 * (NFTA_DATA_VERDICT), written to the verdict register */
static void nft_accept(struct nlmsghdr *nlh, struct nlattr *exprs)
{
	struct nlattr *data, *e = expr_start(nlh, "immediate", &data);
	struct nlattr *imm, *verdict;

	put_be32(nlh, NFTA_IMMEDIATE_DREG, NFT_REG_VERDICT);
	imm = mnl_attr_nest_start(nlh, NFTA_IMMEDIATE_DATA);
	verdict = mnl_attr_nest_start(nlh, NFTA_DATA_VERDICT);
	put_be32(nlh, NFTA_VERDICT_CODE, NF_ACCEPT);
	mnl_attr_nest_end(nlh, verdict);
	mnl_attr_nest_end(nlh, imm);
	expr_end(nlh, e, data);
	mnl_attr_nest_end(nlh, exprs);
}

/* fib daddr type local: the destination is one of this host's addresses */
static void nft_daddr_local(struct nlmsghdr *nlh)
{
	/* the address type lands in the register as a host-order u32 */
	uint32_t local = RTN_LOCAL;
	struct nlattr *data, *e = expr_start(nlh, "fib", &data);

	put_be32(nlh, NFTA_FIB_DREG, NFT_REG_1);
	put_be32(nlh, NFTA_FIB_RESULT, NFT_FIB_RESULT_ADDRTYPE);
	put_be32(nlh, NFTA_FIB_FLAGS, NFTA_FIB_F_DADDR);
	expr_end(nlh, e, data);
	nft_cmp(nlh, NFT_CMP_EQ, &local, sizeof(local));
}

/* table FAMILY keel, added, deleted and added again: the batch starts
 * from an empty table whether or not an earlier netd made one */
static void nft_table(struct batch *b, uint8_t family)
{
	for (int i = 0; i < 3; i++) {
		struct nlmsghdr *nlh = nft_msg(
			b,
			nft_type(i == 1 ? NFT_MSG_DELTABLE : NFT_MSG_NEWTABLE),
			i == 1 ? 0 : NLM_F_CREATE, family, 0);

		mnl_attr_put_strz(nlh, NFTA_TABLE_NAME, "keel");
	}
}

/* A base chain: type (nat, filter) on a hook, with a policy. */
static void nft_chain(struct batch *b, uint8_t family, const char *name,
		      const char *type, uint32_t hook, int32_t priority,
		      uint32_t policy)
{
	struct nlmsghdr *nlh =
		nft_msg(b, nft_type(NFT_MSG_NEWCHAIN), NLM_F_CREATE, family, 0);
	struct nlattr *nest;

	mnl_attr_put_strz(nlh, NFTA_CHAIN_TABLE, "keel");
	mnl_attr_put_strz(nlh, NFTA_CHAIN_NAME, name);
	nest = mnl_attr_nest_start(nlh, NFTA_CHAIN_HOOK);
	put_be32(nlh, NFTA_HOOK_HOOKNUM, hook);
	put_be32(nlh, NFTA_HOOK_PRIORITY, (uint32_t)priority);
	mnl_attr_nest_end(nlh, nest);
	put_be32(nlh, NFTA_CHAIN_POLICY, policy);
	mnl_attr_put_strz(nlh, NFTA_CHAIN_TYPE, type);
}

static struct nlmsghdr *nft_rule(struct batch *b, uint8_t family,
				 const char *chain, struct nlattr **exprs)
{
	struct nlmsghdr *nlh = nft_msg(b, nft_type(NFT_MSG_NEWRULE),
				       NLM_F_CREATE | NLM_F_APPEND, family, 0);

	mnl_attr_put_strz(nlh, NFTA_RULE_TABLE, "keel");
	mnl_attr_put_strz(nlh, NFTA_RULE_CHAIN, chain);
	*exprs = mnl_attr_nest_start(nlh, NFTA_RULE_EXPRESSIONS);
	return nlh;
}

/* meta l4proto P th dport N dnat ip to ADDR:PORT, closing the rule */
static void nft_dnat(struct nlmsghdr *nlh, struct nlattr *exprs,
		     const struct nlm_dnat *d)
{
	uint16_t port = htons(d->port), to_port = htons(d->to_port);
	struct nlattr *data, *e;

	nft_meta(nlh, NFT_META_L4PROTO);
	nft_cmp(nlh, NFT_CMP_EQ, &d->proto, 1);
	/* TCP's and UDP's destination port, both at offset 2 */
	nft_payload(nlh, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2);
	nft_cmp(nlh, NFT_CMP_EQ, &port, 2);
	nft_immediate(nlh, NFT_REG_1, &d->to, 4);
	nft_immediate(nlh, NFT_REG_2, &to_port, 2);
	e = expr_start(nlh, "nat", &data);
	put_be32(nlh, NFTA_NAT_TYPE, NFT_NAT_DNAT);
	put_be32(nlh, NFTA_NAT_FAMILY, NFPROTO_IPV4);
	put_be32(nlh, NFTA_NAT_REG_ADDR_MIN, NFT_REG_1);
	put_be32(nlh, NFTA_NAT_REG_PROTO_MIN, NFT_REG_2);
	expr_end(nlh, e, data);
	mnl_attr_nest_end(nlh, exprs);
}

/* table ip keel: the masquerade and the host ports' DNAT */
static void nft_nat(struct batch *b, uint32_t net, uint8_t plen,
		    const char *ifname, const struct nlm_dnat *dnat, int n_dnat)
{
	uint32_t mask = htonl(plen ? 0xffffffffu << (32 - plen) : 0);
	uint8_t loopback = 127;
	struct nlattr *exprs, *e, *data;
	struct nlmsghdr *nlh;

	nft_table(b, NFPROTO_IPV4);
	nft_chain(b, NFPROTO_IPV4, "postrouting", "nat", NF_INET_POST_ROUTING,
		  100 /* srcnat */, NF_ACCEPT);

	/* ip saddr & mask == net, oifname != bridge: masquerade */
	nlh = nft_rule(b, NFPROTO_IPV4, "postrouting", &exprs);
	nft_payload(nlh, NFT_PAYLOAD_NETWORK_HEADER, 12, 4); /* saddr */
	nft_and(nlh, &mask);
	nft_cmp(nlh, NFT_CMP_EQ, &net, 4);
	nft_meta(nlh, NFT_META_OIFNAME);
	nft_cmp(nlh, NFT_CMP_NEQ, ifname, IFNAMSIZ);
	e = expr_start(nlh, "masq", &data);
	expr_end(nlh, e, data);
	mnl_attr_nest_end(nlh, exprs);

	if (!n_dnat)
		return;
	/* host ports: what comes in from outside (not from the pods,
	 * through the bridge) for one of our addresses */
	nft_chain(b, NFPROTO_IPV4, "prerouting", "nat", NF_INET_PRE_ROUTING,
		  -100 /* dstnat */, NF_ACCEPT);
	for (int i = 0; i < n_dnat; i++) {
		nlh = nft_rule(b, NFPROTO_IPV4, "prerouting", &exprs);
		nft_meta(nlh, NFT_META_IIFNAME);
		nft_cmp(nlh, NFT_CMP_NEQ, ifname, IFNAMSIZ);
		nft_daddr_local(nlh);
		nft_dnat(nlh, exprs, &dnat[i]);
	}
	/* and what the host itself sends to one of its addresses, but
	 * 127.0.0.0/8: a packet from 127.0.0.1 cannot be routed to a pod,
	 * the kernel would drop it */
	nft_chain(b, NFPROTO_IPV4, "output", "nat", NF_INET_LOCAL_OUT, -100,
		  NF_ACCEPT);
	for (int i = 0; i < n_dnat; i++) {
		nlh = nft_rule(b, NFPROTO_IPV4, "output", &exprs);
		nft_daddr_local(nlh);
		/* the first byte of the destination address */
		nft_payload(nlh, NFT_PAYLOAD_NETWORK_HEADER, 16, 1);
		nft_cmp(nlh, NFT_CMP_NEQ, &loopback, 1);
		nft_dnat(nlh, exprs, &dnat[i]);
	}
}

/*
 * table inet keel: what the host forwards (netd/README.md, "Firewall").
 * Forwarding is turned on for the pods, and a host that forwards is a
 * router for anyone who sends it a packet: with policy drop it forwards
 * answers, what the pods send, and what a host port DNAT'd to a pod;
 * not a LAN peer's packet for a pod's own address (any port, published
 * or not) nor one between the host's other networks.
 *
 * Family inet, not ip: the one chain sees IPv4 and IPv6 alike, so a
 * user who turns IPv6 forwarding on (netd does not: pods have no IPv6)
 * gets the same rules rather than an open IPv6 router, and no rule
 * here names an address, so none needs writing twice. The NAT stays in
 * table ip keel: it is IPv4 only, as the pods are, and NAT chains in
 * an inet table need Linux 5.2.
 */
static void nft_filter(struct batch *b, const char *ifname)
{
	struct nlattr *exprs;
	struct nlmsghdr *nlh;

	nft_table(b, NFPROTO_INET);
	/* priority 0: filter, after prerouting's DNAT (-100) */
	nft_chain(b, NFPROTO_INET, "forward", "filter", NF_INET_FORWARD, 0,
		  NF_DROP);

	/* ct state established,related accept: the answers to what was let
	 * through, and the ICMP errors about it */
	nlh = nft_rule(b, NFPROTO_INET, "forward", &exprs);
	nft_ct_any(nlh, NFT_CT_STATE,
		   NF_CT_STATE_BIT(IP_CT_ESTABLISHED) |
			   NF_CT_STATE_BIT(IP_CT_RELATED));
	nft_accept(nlh, exprs);

	/* iifname keel0 accept: what the pods send, to the world and to
	 * each other (bridged traffic meets this hook too when
	 * br_netfilter is loaded, with the bridge as its interface) */
	nlh = nft_rule(b, NFPROTO_INET, "forward", &exprs);
	nft_meta(nlh, NFT_META_IIFNAME);
	nft_cmp(nlh, NFT_CMP_EQ, ifname, IFNAMSIZ);
	nft_accept(nlh, exprs);

	/* oifname keel0 ct status dnat accept: a host port's connection,
	 * its destination rewritten to a pod in prerouting. A packet sent
	 * to a pod's address as it is gets a null binding, without
	 * IPS_DST_NAT, and the policy */
	nlh = nft_rule(b, NFPROTO_INET, "forward", &exprs);
	nft_meta(nlh, NFT_META_OIFNAME);
	nft_cmp(nlh, NFT_CMP_EQ, ifname, IFNAMSIZ);
	nft_ct_any(nlh, NFT_CT_STATUS, IPS_DST_NAT);
	nft_accept(nlh, exprs);
}

size_t nlm_nft_pods(char *buf, uint32_t seq, uint32_t net, uint8_t plen,
		    const char *bridge, const struct nlm_dnat *dnat, int n_dnat)
{
	struct batch b = { .buf = buf, .seq = seq };
	char ifname[IFNAMSIZ] = { 0 };

	memset(buf, 0, NLM_NFT_BUF);
	strncpy(ifname, bridge, sizeof(ifname) - 1);
	if (n_dnat > NLM_NFT_MAX_DNAT)
		n_dnat = NLM_NFT_MAX_DNAT;
	nft_msg(&b, NFNL_MSG_BATCH_BEGIN, 0, AF_UNSPEC, NFNL_SUBSYS_NFTABLES);
	nft_nat(&b, net, plen, ifname, dnat, n_dnat);
	nft_filter(&b, ifname);
	/* the ack is asked of the last real message: kernels before 6.x
	 * do not ack a batch end; an error in any message comes back
	 * anyway, before it */
	b.last->nlmsg_flags |= NLM_F_ACK;
	nft_msg(&b, NFNL_MSG_BATCH_END, 0, AF_UNSPEC, NFNL_SUBSYS_NFTABLES);
	return b.off + MNL_ALIGN(b.last->nlmsg_len);
}

struct nlmsghdr *nlm_dump(char *buf, uint32_t seq, uint16_t type, int family)
{
	struct nlmsghdr *nlh = header(buf, type, NLM_F_DUMP, seq);
	/* every dump request starts with a family byte; the link dump
	 * wants a whole ifinfomsg, the others their own header */
	size_t extra = type == RTM_GETLINK   ? sizeof(struct ifinfomsg)
		       : type == RTM_GETADDR ? sizeof(struct ifaddrmsg)
					     : sizeof(struct rtmsg);
	uint8_t *fam = mnl_nlmsg_put_extra_header(nlh, extra);

	*fam = (uint8_t)family;
	return nlh;
}

/* --- parsing ------------------------------------------------------- */

#define MAX_ATTR 64

struct attrs {
	const struct nlattr *tb[MAX_ATTR];
};

static int keep_attr(const struct nlattr *attr, void *data)
{
	struct attrs *a = data;
	uint16_t type = mnl_attr_get_type(attr);

	if (type < MAX_ATTR)
		a->tb[type] = attr;
	return MNL_CB_OK;
}

/* The message holds a fixed header of hdr bytes, then attributes. */
static int parse(const struct nlmsghdr *nlh, size_t hdr, struct attrs *a)
{
	memset(a, 0, sizeof(*a));
	if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + MNL_ALIGN(hdr))
		return -EBADMSG;
	return mnl_attr_parse(nlh, hdr, keep_attr, a) < 0 ? -EBADMSG : 0;
}

static size_t plen_of(const struct nlattr *attr)
{
	return attr ? mnl_attr_get_payload_len(attr) : 0;
}

/* Copy an attribute of exactly n bytes; -EBADMSG when its size is
 * wrong. */
static int get_exact(const struct nlattr *attr, void *out, size_t n)
{
	if (!attr)
		return 0;
	if (plen_of(attr) != n)
		return -EBADMSG;
	memcpy(out, mnl_attr_get_payload(attr), n);
	return 0;
}

/* A string attribute, cut at its first NUL or its end, whichever first. */
static void get_str(const struct nlattr *attr, char *out, size_t outlen)
{
	size_t n = 0, len;
	const char *p;

	out[0] = 0;
	if (!attr)
		return;
	p = mnl_attr_get_payload(attr);
	len = plen_of(attr);
	while (n < len && n + 1 < outlen && p[n]) {
		out[n] = p[n];
		n++;
	}
	out[n] = 0;
}

static int link_kind(const struct nlattr *attr, void *data)
{
	char *kind = data;

	if (mnl_attr_get_type(attr) == IFLA_INFO_KIND)
		get_str(attr, kind, 16);
	return MNL_CB_OK;
}

int nl_parse_link(const struct nlmsghdr *nlh, struct nl_link *l)
{
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	struct attrs a;
	uint32_t master = 0;

	memset(l, 0, sizeof(*l));
	if (parse(nlh, sizeof(*ifi), &a))
		return -EBADMSG;
	l->index = ifi->ifi_index;
	l->flags = ifi->ifi_flags;
	l->type = ifi->ifi_type;
	get_str(a.tb[IFLA_IFNAME], l->name, sizeof(l->name));
	if (a.tb[IFLA_ADDRESS] && plen_of(a.tb[IFLA_ADDRESS]) == 6) {
		memcpy(l->mac, mnl_attr_get_payload(a.tb[IFLA_ADDRESS]), 6);
		l->has_mac = 1;
	}
	if (get_exact(a.tb[IFLA_MTU], &l->mtu, 4) ||
	    get_exact(a.tb[IFLA_MASTER], &master, 4))
		return -EBADMSG;
	l->master = (int)master;
	if (a.tb[IFLA_LINKINFO] &&
	    mnl_attr_parse_nested(a.tb[IFLA_LINKINFO], link_kind, l->kind) < 0)
		return -EBADMSG;
	return 0;
}

int nl_parse_addr(const struct nlmsghdr *nlh, struct nl_addr *out)
{
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *addr;
	struct ifa_cacheinfo ci;
	struct attrs a;
	uint32_t flags = 0;

	memset(out, 0, sizeof(*out));
	if (parse(nlh, sizeof(*ifa), &a))
		return -EBADMSG;
	out->family = ifa->ifa_family;
	out->index = (int)ifa->ifa_index;
	out->plen = ifa->ifa_prefixlen;
	out->flags = ifa->ifa_flags;
	if (out->family != AF_INET && out->family != AF_INET6)
		return -EBADMSG;
	/* IFA_LOCAL is our address on point-to-point links; else IFA_ADDRESS */
	addr = a.tb[IFA_LOCAL] ? a.tb[IFA_LOCAL] : a.tb[IFA_ADDRESS];
	if (!addr || get_exact(addr, out->addr.b, ip_len(out->family)))
		return -EBADMSG;
	if (get_exact(a.tb[IFA_FLAGS], &flags, 4))
		return -EBADMSG;
	if (a.tb[IFA_FLAGS])
		out->flags = flags;
	out->valid_s = out->preferred_s = 0xffffffff;
	if (a.tb[IFA_CACHEINFO]) {
		if (get_exact(a.tb[IFA_CACHEINFO], &ci, sizeof(ci)))
			return -EBADMSG;
		out->valid_s = ci.ifa_valid;
		out->preferred_s = ci.ifa_prefered;
	}
	return 0;
}

int nl_parse_route(const struct nlmsghdr *nlh, struct nl_route *r)
{
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	size_t n;
	struct attrs a;
	uint32_t oif = 0;

	memset(r, 0, sizeof(*r));
	if (parse(nlh, sizeof(*rtm), &a))
		return -EBADMSG;
	r->family = rtm->rtm_family;
	if (r->family != AF_INET && r->family != AF_INET6)
		return -EBADMSG;
	n = ip_len(r->family);
	r->plen = rtm->rtm_dst_len;
	if (r->plen > n * 8)
		return -EBADMSG;
	r->table = rtm->rtm_table;
	r->protocol = rtm->rtm_protocol;
	r->scope = rtm->rtm_scope;
	r->type = rtm->rtm_type;
	if (get_exact(a.tb[RTA_DST], r->dst.b, n) ||
	    get_exact(a.tb[RTA_GATEWAY], r->gw.b, n) ||
	    get_exact(a.tb[RTA_OIF], &oif, 4) ||
	    get_exact(a.tb[RTA_PRIORITY], &r->metric, 4) ||
	    get_exact(a.tb[RTA_TABLE], &r->table, 4))
		return -EBADMSG;
	r->has_gw = a.tb[RTA_GATEWAY] != NULL;
	r->oif = (int)oif;
	return 0;
}
