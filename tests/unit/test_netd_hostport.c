// SPDX-License-Identifier: MIT
/* Host ports: the PORTS argument of pod-add, and the nftables batch with
 * its forward filter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>

#include "hostport.h"
#include "nlmsg.h"

static void test_parse(void **state)
{
	struct hostport hp[POD_MAX_HOSTPORTS];
	char err[256] = "", text[400];

	(void)state;
	assert_int_equal(hostports_parse(NULL, hp, err, sizeof(err)), 0);
	assert_int_equal(hostports_parse("", hp, err, sizeof(err)), 0);
	assert_int_equal(hostports_parse("tcp:8080:80,udp:5353:53", hp, err,
					 sizeof(err)),
			 2);
	assert_int_equal(hp[0].proto, IPPROTO_TCP);
	assert_int_equal(hp[0].port, 8080);
	assert_int_equal(hp[0].to, 80);
	assert_int_equal(hp[1].proto, IPPROTO_UDP);
	assert_int_equal(hp[1].port, 5353);
	assert_int_equal(hp[1].to, 53);
	/* the ends of the range; one port on both protocols is two ports */
	assert_int_equal(hostports_parse("udp:1:65535,tcp:65535:1,udp:65535:1",
					 hp, err, sizeof(err)),
			 3);
	assert_int_equal(hp[0].port, 1);
	assert_int_equal(hp[0].to, 65535);
	/* the same text back, as the pod table keeps it */
	hostports_format(hp, 3, text, sizeof(text));
	assert_string_equal(text, "udp:1:65535,tcp:65535:1,udp:65535:1");
	hostports_format(hp, 0, text, sizeof(text));
	assert_string_equal(text, "");
}

static void test_bad(void **state)
{
	static const struct {
		const char *text, *err;
	} cases[] = {
		{ "tcp:8080",
		  "bad host port 'tcp:8080': want "
		  "PROTO:HOSTPORT:CONTAINERPORT, like tcp:8080:80" },
		{ "tcp:1:2:3", "bad host port 'tcp:1:2:3': want" },
		{ "8080:80", "bad host port '8080:80': want" },
		{ "sctp:1:1", "bad host port 'sctp:1:1': protocol must be tcp "
			      "or udp" },
		{ "TCP:80:80", "'TCP:80:80': protocol must be tcp or udp" },
		{ ":80:80", "protocol must be" },
		{ "tcp:0:80",
		  "bad host port 'tcp:0:80': ports must be 1-65535" },
		{ "tcp:80:65536", "'tcp:80:65536': ports must be 1-65535" },
		{ "tcp:080000:80", "ports must be 1-65535" },
		{ "tcp:-1:80", "ports must be 1-65535" },
		{ "tcp:+80:80", "ports must be 1-65535" },
		{ "tcp: 80:80", "ports must be 1-65535" },
		{ "tcp:80:", "ports must be 1-65535" },
		{ "tcp::80", "ports must be 1-65535" },
		{ "tcp:0x50:80", "ports must be 1-65535" },
		/* the bad item is named, not the whole list */
		{ "tcp:80:80,udp:53:x", "bad host port 'udp:53:x'" },
		{ "tcp:80:80,", "bad host ports 'tcp:80:80,': an empty item" },
		{ ",tcp:80:80", "an empty item" },
		{ "tcp:80:80,,udp:1:1", "an empty item" },
		{ "tcp:8080:80,udp:8080:80,tcp:8080:81",
		  "host port tcp/8080 is given twice" },
		{ "tcp:1:1,tcp:2:2,tcp:3:3,tcp:4:4,tcp:5:5,tcp:6:6,tcp:7:7,"
		  "tcp:8:8,tcp:9:9,tcp:10:10,tcp:11:11,tcp:12:12,tcp:13:13,"
		  "tcp:14:14,tcp:15:15,tcp:16:16,tcp:17:17",
		  "more than 16 host ports" },
	};
	struct hostport hp[POD_MAX_HOSTPORTS];
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		assert_int_equal(
			hostports_parse(cases[i].text, hp, err, sizeof(err)),
			-EINVAL);
		if (!strstr(err, cases[i].err))
			fail_msg("'%s': got '%s', want '%s'", cases[i].text,
				 err, cases[i].err);
	}
	/* a long item is cut in the answer, which stays short */
	{
		char big[2000];

		memset(big, 'x', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		assert_int_equal(hostports_parse(big, hp, err, sizeof(err)),
				 -EINVAL);
		assert_true(strlen(err) < 120);
	}
}

/* What a batch holds: the messages' types, and which ask for an ack. */
static int walk(const char *buf, size_t len, int *rules, int *chains, int *acks,
		uint16_t *last_type)
{
	const struct nlmsghdr *nlh = (const void *)buf;
	int n = 0;
	int left = (int)len;

	*rules = *chains = *acks = 0;
	while (mnl_nlmsg_ok(nlh, left)) {
		uint16_t t = nlh->nlmsg_type;

		n++;
		if (t == (NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_NEWRULE))
			(*rules)++;
		if (t == (NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_NEWCHAIN))
			(*chains)++;
		if (nlh->nlmsg_flags & NLM_F_ACK) {
			(*acks)++;
			*last_type = t;
		}
		nlh = mnl_nlmsg_next(nlh, &left);
	}
	assert_int_equal(left, 0);
	return n;
}

static void test_batch(void **state)
{
	static char buf[NLM_NFT_BUF];
	static struct nlm_dnat d[NLM_NFT_MAX_DNAT + 1];
	uint32_t net = htonl(0x0a580000);
	int rules, chains, acks;
	uint16_t acked = 0;
	size_t len;

	(void)state;
	/* no host ports: the masquerade alone, as before host ports, and
	 * the forward filter's table, chain and 3 rules */
	len = nlm_nft_pods(buf, 1, net, 16, "keel0", NULL, 0);
	assert_int_equal(walk(buf, len, &rules, &chains, &acks, &acked), 7 + 7);
	assert_int_equal(rules, 1 + 3);
	assert_int_equal(chains, 1 + 1);
	assert_int_equal(acks, 1);
	assert_int_equal(acked, NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_NEWRULE);

	for (int i = 0; i <= NLM_NFT_MAX_DNAT; i++)
		d[i] = (struct nlm_dnat){ .proto = IPPROTO_TCP,
					  .port = (uint16_t)(1000 + i),
					  .to = htonl(0x0a580002),
					  .to_port = 80 };
	/* one rule per port in prerouting and in output; one ack, the last
	 * rule's */
	len = nlm_nft_pods(buf, 1, net, 16, "keel0", d, 3);
	assert_int_equal(walk(buf, len, &rules, &chains, &acks, &acked),
			 7 + 2 + 6 + 7);
	assert_int_equal(rules, 7 + 3);
	assert_int_equal(chains, 3 + 1);
	assert_int_equal(acks, 1);

	/* the most ports fit the buffer; more are left out */
	len = nlm_nft_pods(buf, 1, net, 16, "keel0", d, NLM_NFT_MAX_DNAT + 1);
	assert_true(len <= NLM_NFT_BUF);
	walk(buf, len, &rules, &chains, &acks, &acked);
	assert_int_equal(rules, 1 + 2 * NLM_NFT_MAX_DNAT + 3);
	assert_int_equal(acks, 1);
}

/* --- the forward filter, read back as nft would list it ------------- */

struct seen {
	const struct nlattr *tb[32];
};

static int keep(const struct nlattr *a, void *data)
{
	struct seen *s = data;

	if (mnl_attr_get_type(a) < 32)
		s->tb[mnl_attr_get_type(a)] = a;
	return MNL_CB_OK;
}

static struct seen nested(const struct nlattr *a)
{
	struct seen s = { 0 };

	assert_non_null(a);
	assert_true(mnl_attr_parse_nested(a, keep, &s) >= 0);
	return s;
}

/* A string attribute, through the part of libmnl's API netd/mnl.c has
 * too (unit-aarch64 links that, not libmnl) */
static const char *str(const struct nlattr *a)
{
	assert_non_null(a);
	return mnl_attr_get_payload(a);
}

static uint32_t be32(const struct nlattr *a)
{
	assert_non_null(a);
	assert_int_equal(mnl_attr_get_payload_len(a), 4);
	return ntohl(mnl_attr_get_u32(a));
}

/* NFTA_DATA_VALUE inside a, as a string (16 bytes: an interface name) or
 * a host-order number (4 bytes: ct state and status are host-order bit
 * sets in the kernel's registers) */
static void value(const struct nlattr *a, char *out, size_t len)
{
	struct seen d = nested(a);
	const struct nlattr *v = d.tb[NFTA_DATA_VALUE];

	assert_non_null(v);
	if (mnl_attr_get_payload_len(v) == 16) {
		const char *p = mnl_attr_get_payload(v);

		assert_int_equal(p[15], '\0');
		snprintf(out, len, "\"%s\"", p);
	} else {
		assert_int_equal(mnl_attr_get_payload_len(v), 4);
		snprintf(out, len, "0x%x", mnl_attr_get_u32(v));
	}
}

/* One expression, appended to text in nft's words. */
static void expr_text(const struct nlattr *elem, char *text, size_t len)
{
	struct seen e = nested(elem), d;
	const char *name = str(e.tb[NFTA_EXPR_NAME]);
	char v[64], part[128] = "";

	d = nested(e.tb[NFTA_EXPR_DATA]);
	if (!strcmp(name, "ct")) {
		uint32_t key = be32(d.tb[NFTA_CT_KEY]);

		assert_int_equal(be32(d.tb[NFTA_CT_DREG]), NFT_REG_1);
		snprintf(part, sizeof(part), "ct %s",
			 key == NFT_CT_STATE	? "state"
			 : key == NFT_CT_STATUS ? "status"
						: "?");
	} else if (!strcmp(name, "meta")) {
		uint32_t key = be32(d.tb[NFTA_META_KEY]);

		assert_int_equal(be32(d.tb[NFTA_META_DREG]), NFT_REG_1);
		snprintf(part, sizeof(part), "%s",
			 key == NFT_META_IIFNAME   ? "iifname"
			 : key == NFT_META_OIFNAME ? "oifname"
						   : "meta ?");
	} else if (!strcmp(name, "bitwise")) {
		char x[64];

		assert_int_equal(be32(d.tb[NFTA_BITWISE_SREG]), NFT_REG_1);
		assert_int_equal(be32(d.tb[NFTA_BITWISE_DREG]), NFT_REG_1);
		assert_int_equal(be32(d.tb[NFTA_BITWISE_LEN]), 4);
		value(d.tb[NFTA_BITWISE_MASK], v, sizeof(v));
		value(d.tb[NFTA_BITWISE_XOR], x, sizeof(x));
		assert_string_equal(x, "0x0");
		snprintf(part, sizeof(part), "& %s", v);
	} else if (!strcmp(name, "cmp")) {
		uint32_t op = be32(d.tb[NFTA_CMP_OP]);

		assert_int_equal(be32(d.tb[NFTA_CMP_SREG]), NFT_REG_1);
		value(d.tb[NFTA_CMP_DATA], v, sizeof(v));
		snprintf(part, sizeof(part), "%s %s",
			 op == NFT_CMP_EQ    ? "=="
			 : op == NFT_CMP_NEQ ? "!="
					     : "?",
			 v);
	} else if (!strcmp(name, "immediate")) {
		struct seen imm = nested(d.tb[NFTA_IMMEDIATE_DATA]), vd;
		uint32_t code;

		assert_int_equal(be32(d.tb[NFTA_IMMEDIATE_DREG]),
				 NFT_REG_VERDICT);
		vd = nested(imm.tb[NFTA_DATA_VERDICT]);
		code = be32(vd.tb[NFTA_VERDICT_CODE]);
		snprintf(part, sizeof(part), "%s",
			 code == NF_ACCEPT ? "accept" : "verdict ?");
	} else {
		snprintf(part, sizeof(part), "%s ?", name);
	}
	if (*text)
		strncat(text, " ", len - strlen(text) - 1);
	strncat(text, part, len - strlen(text) - 1);
}

/* Each expression of a rule, into its text. */
struct rule_text {
	char *text;
	size_t len;
};

static int each_expr(const struct nlattr *a, void *data)
{
	struct rule_text *t = data;

	expr_text(a, t->text, t->len);
	return MNL_CB_OK;
}

/* The inet family's messages of a batch: its tables, chain and rules. */
struct filter {
	int tables[3]; /* NFT_MSG_NEWTABLE, DELTABLE, NEWTABLE */
	int n_tables;
	const struct nlmsghdr *chain;
	char rules[8][256];
	int n_rules;
};

static void read_filter(const char *buf, size_t len, struct filter *f)
{
	const struct nlmsghdr *nlh = (const void *)buf;
	int left = (int)len;

	memset(f, 0, sizeof(*f));
	for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
		const struct nfgenmsg *nfg = mnl_nlmsg_get_payload(nlh);
		int msg = nlh->nlmsg_type & 0xff;
		struct seen r = { 0 };
		struct rule_text t;

		if (nlh->nlmsg_type >> 8 != NFNL_SUBSYS_NFTABLES ||
		    nfg->nfgen_family != NFPROTO_INET)
			continue;
		assert_true(mnl_attr_parse(nlh, sizeof(*nfg), keep, &r) >= 0);
		if (msg == NFT_MSG_NEWTABLE || msg == NFT_MSG_DELTABLE) {
			assert_true(f->n_tables < 3);
			assert_string_equal(str(r.tb[NFTA_TABLE_NAME]), "keel");
			f->tables[f->n_tables++] = msg;
		} else if (msg == NFT_MSG_NEWCHAIN) {
			assert_null(f->chain);
			f->chain = nlh;
		} else if (msg == NFT_MSG_NEWRULE) {
			assert_true(f->n_rules < 8);
			assert_string_equal(str(r.tb[NFTA_RULE_TABLE]), "keel");
			assert_string_equal(str(r.tb[NFTA_RULE_CHAIN]),
					    "forward");
			assert_true(nlh->nlmsg_flags & NLM_F_APPEND);
			t.text = f->rules[f->n_rules];
			t.len = sizeof(f->rules[0]);
			assert_true(mnl_attr_parse_nested(
					    r.tb[NFTA_RULE_EXPRESSIONS],
					    each_expr, &t) >= 0);
			f->n_rules++;
		} else {
			fail_msg("unexpected message %d in table inet keel",
				 msg);
		}
	}
}

static void test_forward_filter(void **state)
{
	static char buf[NLM_NFT_BUF];
	static const struct nlm_dnat d = { .proto = IPPROTO_TCP,
					   .port = 8080,
					   .to = 0x0200580a,
					   .to_port = 80 };
	struct seen c = { 0 }, hook;
	struct filter f;
	size_t len;

	(void)state;
	/* with or without host ports, and for the bridge given */
	for (int ports = 0; ports < 2; ports++) {
		len = nlm_nft_pods(buf, 1, htonl(0x0a580000), 16, "keel0", &d,
				   ports);
		read_filter(buf, len, &f);
		/* added, deleted, added: one copy however often it runs */
		assert_int_equal(f.n_tables, 3);
		assert_int_equal(f.tables[0], NFT_MSG_NEWTABLE);
		assert_int_equal(f.tables[1], NFT_MSG_DELTABLE);
		assert_int_equal(f.tables[2], NFT_MSG_NEWTABLE);

		/* type filter hook forward priority filter; policy drop */
		assert_non_null(f.chain);
		assert_true(mnl_attr_parse(f.chain, sizeof(struct nfgenmsg),
					   keep, &c) >= 0);
		assert_string_equal(str(c.tb[NFTA_CHAIN_NAME]), "forward");
		assert_string_equal(str(c.tb[NFTA_CHAIN_TYPE]), "filter");
		hook = nested(c.tb[NFTA_CHAIN_HOOK]);
		assert_int_equal(be32(hook.tb[NFTA_HOOK_HOOKNUM]),
				 NF_INET_FORWARD);
		assert_int_equal(be32(hook.tb[NFTA_HOOK_PRIORITY]), 0);
		assert_int_equal(be32(c.tb[NFTA_CHAIN_POLICY]), NF_DROP);

		/* the bits by their values in the uapi's
		 * nf_conntrack_common.h: NF_CT_STATE_BIT(IP_CT_ESTABLISHED)
		 * 0x2 | NF_CT_STATE_BIT(IP_CT_RELATED) 0x4; IPS_DST_NAT
		 * 1 << 5 */
		assert_int_equal(f.n_rules, 3);
		assert_string_equal(f.rules[0], "ct state & 0x6 != 0x0 accept");
		assert_string_equal(f.rules[1], "iifname == \"keel0\" accept");
		assert_string_equal(
			f.rules[2],
			"oifname == \"keel0\" ct status & 0x20 != 0x0 accept");
	}
	len = nlm_nft_pods(buf, 1, htonl(0x0a580000), 16, "pods-bridge-xyz",
			   NULL, 0);
	read_filter(buf, len, &f);
	assert_string_equal(f.rules[1],
			    "iifname == \"pods-bridge-xyz\" accept");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_batch),
		cmocka_unit_test(test_forward_filter),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
