// SPDX-License-Identifier: MIT
/* The DHCPv4 client state machine (RFC 2131 section 4.4), on a fake
 * clock: every exchange, timer and failure path, checked by what it
 * sends and what it reports. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "dhcp.h"

#define BCAST 0xffffffffu

static struct {
	int sent, bound, lost;
	uint8_t type; /* option 53 of the last message sent */
	uint32_t dst; /* where it went */
	uint32_t ciaddr, requested, server;
	char why[200];
} io;

static uint32_t a(const char *s)
{
	struct in_addr in;

	inet_pton(AF_INET, s, &in);
	return in.s_addr;
}

/* Read back what the client built: the fields these tests care about. */
static void on_send(struct dhcp_client *c, const uint8_t *m, size_t len,
		    uint32_t dst)
{
	(void)c;
	assert_true(len >= 300);
	io.sent++;
	io.dst = dst;
	memcpy(&io.ciaddr, m + 12, 4);
	io.type = 0;
	io.requested = io.server = 0;
	for (size_t i = 240; i + 1 < len && m[i] != 255;) {
		if (m[i] == 0) {
			i++;
			continue;
		}
		if (m[i] == 53)
			io.type = m[i + 2];
		if (m[i] == 50)
			memcpy(&io.requested, m + i + 2, 4);
		if (m[i] == 54)
			memcpy(&io.server, m + i + 2, 4);
		i += 2 + m[i + 1];
	}
}

static void on_bound(struct dhcp_client *c, const struct dhcp_lease *old)
{
	(void)c;
	(void)old;
	io.bound++;
}

static void on_lost(struct dhcp_client *c, const char *why)
{
	(void)c;
	io.lost++;
	snprintf(io.why, sizeof(io.why), "%s", why);
}

static const struct dhcp_ops ops = { on_send, on_bound, on_lost, NULL };
static const uint8_t mac[6] = { 2, 0, 0, 0, 0, 9 };

static struct dhcp_msg reply(const struct dhcp_client *c, uint8_t type)
{
	struct dhcp_msg m;

	memset(&m, 0, sizeof(m));
	m.op = 2;
	m.xid = c->xid;
	memcpy(m.chaddr, mac, 6);
	m.type = type;
	m.yiaddr = a("10.99.0.50");
	m.server_id = a("10.99.0.1");
	m.netmask = a("255.255.255.0");
	m.has_netmask = 1;
	m.lease_s = 600;
	return m;
}

static void setup_client(struct dhcp_client *c)
{
	memset(&io, 0, sizeof(io));
	dhcp_init(c, &ops, NULL, mac, 42);
}

/* DISCOVER, OFFER, REQUEST, ACK: bound with the offered address. */
static void bind_at(struct dhcp_client *c, long now)
{
	struct dhcp_msg m;

	dhcp_start(c, 0, now);
	assert_int_equal(c->state, DHCP_SELECTING);
	assert_int_equal(io.type, DHCPDISCOVER);
	assert_int_equal(io.dst, BCAST);
	m = reply(c, DHCPOFFER);
	dhcp_input(c, &m, now + 10);
	assert_int_equal(c->state, DHCP_REQUESTING);
	assert_int_equal(io.type, DHCPREQUEST);
	assert_int_equal(io.requested, a("10.99.0.50"));
	assert_int_equal(io.server, a("10.99.0.1"));
	assert_int_equal(io.ciaddr, 0);
	m = reply(c, DHCPACK);
	m.ntp[0] = a("10.99.0.123"); /* option 42, for the time sync */
	m.n_ntp = 1;
	dhcp_input(c, &m, now + 20);
	assert_int_equal(c->state, DHCP_BOUND);
	assert_int_equal(c->lease.n_ntp, 1);
	assert_int_equal(c->lease.ntp[0], a("10.99.0.123"));
	assert_int_equal(c->lease.addr, a("10.99.0.50"));
	assert_int_equal(c->lease.plen, 24);
	assert_int_equal(io.bound, 1);
}

static void test_bind_renew_rebind_expire(void **state)
{
	struct dhcp_client c;
	int sent;

	(void)state;
	setup_client(&c);
	bind_at(&c, 0);
	/* T1 = 300 s, T2 = 525 s by default (section 4.4.5) */
	assert_int_equal(c.lease.t1_s, 300);
	assert_int_equal(c.lease.t2_s, 525);
	assert_int_equal(c.next_ms, 20 + 300000);
	assert_int_equal(dhcp_lease_left(&c, 20 + 100000), 500);

	/* T1: a unicast REQUEST to the server, ciaddr set, no option 50 */
	dhcp_timer(&c, c.next_ms);
	assert_int_equal(c.state, DHCP_RENEWING);
	assert_int_equal(io.type, DHCPREQUEST);
	assert_int_equal(io.dst, a("10.99.0.1"));
	assert_int_equal(io.ciaddr, a("10.99.0.50"));
	assert_int_equal(io.requested, 0);
	/* half of the 225 s to T2, at least 60 s */
	assert_int_equal(c.next_ms, 20 + 300000 + 112500);

	/* no answer until T2: a broadcast REQUEST */
	dhcp_timer(&c, c.next_ms);
	dhcp_timer(&c, 20 + 525000);
	assert_int_equal(c.state, DHCP_REBINDING);
	assert_int_equal(io.dst, BCAST);
	assert_int_equal(io.ciaddr, a("10.99.0.50"));
	assert_int_equal(io.lost, 0);

	/* no answer until the end: the lease is lost, back to DISCOVER */
	sent = io.sent;
	while (c.state == DHCP_REBINDING)
		dhcp_timer(&c, c.next_ms);
	assert_true(io.sent > sent);
	assert_int_equal(io.lost, 1);
	assert_string_equal(io.why, "lease expired");
	assert_int_equal(c.state, DHCP_SELECTING);
	assert_int_equal(io.type, DHCPDISCOVER);
	assert_false(c.have_lease);
	assert_true(c.next_ms <= 20 + 600000 + 5000);
}

static void test_renew_ack_extends(void **state)
{
	struct dhcp_client c;
	struct dhcp_msg m;

	(void)state;
	setup_client(&c);
	bind_at(&c, 0);
	dhcp_timer(&c, c.next_ms);
	m = reply(&c, DHCPACK);
	m.t1_s = 10;
	m.t2_s = 20;
	dhcp_input(&c, &m, 300100);
	assert_int_equal(c.state, DHCP_BOUND);
	assert_int_equal(io.bound, 2);
	assert_int_equal(c.next_ms, 300100 + 10000);
	assert_int_equal(dhcp_lease_left(&c, 300100), 600);
}

static void test_retransmit_backoff(void **state)
{
	struct dhcp_client c;
	long now = 0, expect[] = { 4000, 8000, 16000, 32000, 64000, 64000 };

	(void)state;
	setup_client(&c);
	dhcp_start(&c, 0, now);
	/* section 4.1: 4 s, doubling to 64 s, each +-1 s */
	for (int i = 0; i < 6; i++) {
		long wait = c.next_ms - now;

		assert_in_range(wait, expect[i] - 1000, expect[i] + 1000);
		now = c.next_ms;
		dhcp_timer(&c, now);
		assert_int_equal(io.type, DHCPDISCOVER);
	}
	assert_int_equal(io.sent, 7);
}

static void test_ignores_others(void **state)
{
	struct dhcp_client c;
	struct dhcp_msg m;

	(void)state;
	setup_client(&c);
	dhcp_start(&c, 0, 0);
	m = reply(&c, DHCPOFFER);
	m.xid ^= 1;
	dhcp_input(&c, &m, 1);
	m = reply(&c, DHCPOFFER);
	m.chaddr[5] ^= 1;
	dhcp_input(&c, &m, 1);
	m = reply(&c, DHCPACK); /* an ACK while selecting */
	dhcp_input(&c, &m, 1);
	m = reply(&c, DHCPOFFER);
	m.server_id = 0; /* an offer must name its server */
	dhcp_input(&c, &m, 1);
	assert_int_equal(c.state, DHCP_SELECTING);
	assert_int_equal(io.sent, 1);

	/* an ACK without a lease time is not a lease */
	m = reply(&c, DHCPOFFER);
	dhcp_input(&c, &m, 2);
	m = reply(&c, DHCPACK);
	m.lease_s = 0;
	dhcp_input(&c, &m, 3);
	assert_int_equal(c.state, DHCP_REQUESTING);
	assert_int_equal(io.bound, 0);
}

static void test_nak(void **state)
{
	struct dhcp_client c;
	struct dhcp_msg m;
	int sent;

	(void)state;
	setup_client(&c);
	bind_at(&c, 0);
	dhcp_timer(&c, c.next_ms); /* renewing */
	m = reply(&c, DHCPNAK);
	m.server_id = a("10.99.0.2"); /* not our server: ignored */
	dhcp_input(&c, &m, 300100);
	assert_int_equal(c.state, DHCP_RENEWING);
	m = reply(&c, DHCPNAK);
	snprintf(m.message, sizeof(m.message), "wrong network");
	sent = io.sent;
	dhcp_input(&c, &m, 300200);
	assert_int_equal(io.lost, 1);
	assert_string_equal(io.why, "NAK from the server: wrong network");
	/* the first NAK starts over at once */
	assert_int_equal(c.state, DHCP_SELECTING);
	assert_int_equal(io.sent, sent + 1);
	assert_int_equal(io.type, DHCPDISCOVER);

	/* a server that NAKs every REQUEST is answered more slowly */
	m = reply(&c, DHCPOFFER);
	dhcp_input(&c, &m, 300300);
	m = reply(&c, DHCPNAK);
	dhcp_input(&c, &m, 300400);
	assert_int_equal(c.state, DHCP_INIT);
	assert_in_range(c.next_ms - 300400, 3000, 5000);
	dhcp_timer(&c, c.next_ms);
	assert_int_equal(io.type, DHCPDISCOVER);
}

static void test_init_reboot(void **state)
{
	struct dhcp_client c;
	struct dhcp_msg m;

	(void)state;
	setup_client(&c);
	dhcp_start(&c, a("10.99.0.77"), 0);
	/* section 4.3.2: option 50, no server id, ciaddr 0, broadcast */
	assert_int_equal(c.state, DHCP_REBOOTING);
	assert_int_equal(io.type, DHCPREQUEST);
	assert_int_equal(io.requested, a("10.99.0.77"));
	assert_int_equal(io.server, 0);
	assert_int_equal(io.ciaddr, 0);
	assert_int_equal(io.dst, BCAST);
	m = reply(&c, DHCPACK);
	m.yiaddr = a("10.99.0.77");
	dhcp_input(&c, &m, 5);
	assert_int_equal(c.state, DHCP_BOUND);
	assert_int_equal(c.lease.addr, a("10.99.0.77"));

	/* no answer: after two tries, DISCOVER */
	setup_client(&c);
	dhcp_start(&c, a("10.99.0.77"), 0);
	dhcp_timer(&c, c.next_ms);
	assert_int_equal(io.type, DHCPREQUEST);
	dhcp_timer(&c, c.next_ms);
	assert_int_equal(io.type, DHCPDISCOVER);
	assert_int_equal(c.state, DHCP_SELECTING);

	/* a NAK: DISCOVER at once, with nothing lost (nothing was held) */
	setup_client(&c);
	dhcp_start(&c, a("10.99.0.77"), 0);
	m = reply(&c, DHCPNAK);
	dhcp_input(&c, &m, 1);
	assert_int_equal(io.type, DHCPDISCOVER);
	assert_int_equal(io.lost, 0);
}

static void test_requesting_gives_up(void **state)
{
	struct dhcp_client c;
	struct dhcp_msg m;

	(void)state;
	setup_client(&c);
	dhcp_start(&c, 0, 0);
	m = reply(&c, DHCPOFFER);
	dhcp_input(&c, &m, 1);
	for (int i = 0; i < 3; i++) {
		dhcp_timer(&c, c.next_ms);
		assert_int_equal(io.type, DHCPREQUEST);
	}
	dhcp_timer(&c, c.next_ms);
	assert_int_equal(io.type, DHCPDISCOVER);
	assert_int_equal(c.state, DHCP_SELECTING);
}

static void test_odd_timers(void **state)
{
	struct dhcp_client c;
	struct dhcp_msg m;

	(void)state;
	setup_client(&c);
	dhcp_start(&c, 0, 0);
	m = reply(&c, DHCPOFFER);
	dhcp_input(&c, &m, 1);
	m = reply(&c, DHCPACK);
	m.t1_s = 700; /* past the lease: the defaults are used */
	m.t2_s = 100;
	m.has_netmask = 0; /* 10/8 by class */
	dhcp_input(&c, &m, 2);
	assert_int_equal(c.lease.t1_s, 300);
	assert_int_equal(c.lease.t2_s, 525);
	assert_int_equal(c.lease.plen, 8);

	/* an infinite lease never renews */
	setup_client(&c);
	dhcp_start(&c, 0, 0);
	m = reply(&c, DHCPOFFER);
	dhcp_input(&c, &m, 1);
	m = reply(&c, DHCPACK);
	m.lease_s = 0xffffffffu;
	dhcp_input(&c, &m, 2);
	assert_int_equal(c.next_ms, -1);
	assert_int_equal(dhcp_lease_left(&c, 1000000000), DHCP_FOREVER);
}

/* Every change of state is logged, with why where there is a reason. */
static char logged[2048];

static void on_log(struct dhcp_client *c, const char *msg)
{
	(void)c;
	if (strncmp(msg, "state ", 6))
		return;
	snprintf(logged + strlen(logged), sizeof(logged) - strlen(logged),
		 "%s\n", msg + 6);
}

static void test_transitions_logged(void **state)
{
	static const struct dhcp_ops logging = { on_send, on_bound, on_lost,
						 on_log };
	struct dhcp_client c;
	struct dhcp_msg m;

	(void)state;
	memset(&io, 0, sizeof(io));
	logged[0] = 0;
	dhcp_init(&c, &logging, NULL, mac, 42);
	bind_at(&c, 0);
	while (c.state != DHCP_SELECTING)
		dhcp_timer(&c, c.next_ms);
	dhcp_stop(&c);
	dhcp_stop(&c); /* no change, no line */
	assert_string_equal(logged,
			    "stopped -> init\n"
			    "init -> selecting\n"
			    "selecting -> requesting: offer of 10.99.0.50\n"
			    "requesting -> bound\n"
			    "bound -> renewing: T1\n"
			    "renewing -> rebinding: T2\n"
			    "rebinding -> init: lease expired\n"
			    "init -> selecting\n"
			    "selecting -> stopped\n");

	logged[0] = 0;
	dhcp_start(&c, a("10.99.0.77"), 0);
	m = reply(&c, DHCPNAK);
	snprintf(m.message, sizeof(m.message), "not yours");
	dhcp_input(&c, &m, 1);
	m = reply(&c, DHCPOFFER);
	dhcp_input(&c, &m, 2);
	while (c.state == DHCP_REQUESTING)
		dhcp_timer(&c, c.next_ms);
	assert_string_equal(
		logged, "stopped -> init-reboot\n"
			"init-reboot -> rebooting\n"
			"rebooting -> init: NAK from the server: not yours\n"
			"init -> selecting\n"
			"selecting -> requesting: offer of 10.99.0.50\n"
			"requesting -> init: no answer to REQUEST for "
			"10.99.0.50\n"
			"init -> selecting\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bind_renew_rebind_expire),
		cmocka_unit_test(test_renew_ack_extends),
		cmocka_unit_test(test_retransmit_backoff),
		cmocka_unit_test(test_ignores_others),
		cmocka_unit_test(test_nak),
		cmocka_unit_test(test_init_reboot),
		cmocka_unit_test(test_requesting_gives_up),
		cmocka_unit_test(test_odd_timers),
		cmocka_unit_test(test_transitions_logged),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
