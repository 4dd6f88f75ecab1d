// SPDX-License-Identifier: MIT
/* Host ports: the PORTS argument of pod-add, and the nftables batch. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
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
			-1);
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
				 -1);
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
	/* no host ports: the masquerade alone, as before host ports */
	len = nlm_nft_nat(buf, 1, net, 16, "keel0", NULL, 0);
	assert_int_equal(walk(buf, len, &rules, &chains, &acks, &acked), 7);
	assert_int_equal(rules, 1);
	assert_int_equal(chains, 1);
	assert_int_equal(acks, 1);
	assert_int_equal(acked, NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_NEWRULE);

	for (int i = 0; i <= NLM_NFT_MAX_DNAT; i++)
		d[i] = (struct nlm_dnat){ .proto = IPPROTO_TCP,
					  .port = (uint16_t)(1000 + i),
					  .to = htonl(0x0a580002),
					  .to_port = 80 };
	/* one rule per port in prerouting and in output; one ack, the last
	 * rule's */
	len = nlm_nft_nat(buf, 1, net, 16, "keel0", d, 3);
	assert_int_equal(walk(buf, len, &rules, &chains, &acks, &acked),
			 7 + 2 + 6);
	assert_int_equal(rules, 7);
	assert_int_equal(chains, 3);
	assert_int_equal(acks, 1);

	/* the most ports fit the buffer; more are left out */
	len = nlm_nft_nat(buf, 1, net, 16, "keel0", d, NLM_NFT_MAX_DNAT + 1);
	assert_true(len <= NLM_NFT_BUF);
	walk(buf, len, &rules, &chains, &acks, &acked);
	assert_int_equal(rules, 1 + 2 * NLM_NFT_MAX_DNAT);
	assert_int_equal(acks, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_batch),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
