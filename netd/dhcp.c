// SPDX-License-Identifier: MIT
/*
 * The DHCPv4 client of RFC 2131 section 4.4 (figure 5), as one state
 * machine: step() is called with the time and, when one came, a message
 * for this client, and its one switch does what the state does. A
 * state entered for what it sends (SELECTING, REQUESTING, REBOOTING,
 * RENEWING, REBINDING) or passed through (INIT, INIT-REBOOT) is stepped
 * again at once, so entering it and its timer firing are the same code.
 * Every change of state goes through enter(), which logs it. No sockets,
 * no clock: the caller brings both (links.c, tests/unit/test_dhcp.c).
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "dhcp.h"

#define REQUEST_TRIES 4 /* REQUESTING gives up after this many */
#define REBOOT_TRIES 2 /* INIT-REBOOT falls back to DISCOVER sooner */

static const char *const state_names[] = {
	[DHCP_STOPPED] = "stopped",
	[DHCP_INIT] = "init",
	[DHCP_SELECTING] = "selecting",
	[DHCP_REQUESTING] = "requesting",
	[DHCP_INIT_REBOOT] = "init-reboot",
	[DHCP_REBOOTING] = "rebooting",
	[DHCP_BOUND] = "bound",
	[DHCP_RENEWING] = "renewing",
	[DHCP_REBINDING] = "rebinding",
};

const char *dhcp_state_name(enum dhcp_state s)
{
	return state_names[s];
}

static unsigned next_rand(struct dhcp_client *c)
{
	/* xorshift32: jitter and transaction ids need spread, not secrecy */
	unsigned x = c->rand;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	c->rand = x ? x : 0x9e3779b9u;
	return c->rand;
}

static void logf_(struct dhcp_client *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void logf_(struct dhcp_client *c, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	if (!c->ops->log)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->ops->log(c, msg);
}

/*
 * RFC 2131 section 4.1: wait 4 s before the first retransmission, double
 * it each time up to 64 s, and randomize each wait by +-1 s.
 */
static long backoff_ms(struct dhcp_client *c, int tries)
{
	long base = 4000L << (tries > 5 ? 4 : tries - 1);

	if (base > 64000)
		base = 64000;
	return base - 1000 + (long)(next_rand(c) % 2001);
}

void dhcp_init(struct dhcp_client *c, const struct dhcp_ops *ops, void *ctx,
	       const uint8_t mac[6], unsigned seed)
{
	memset(c, 0, sizeof(*c));
	c->ops = ops;
	c->ctx = ctx;
	memcpy(c->mac, mac, 6);
	c->rand = seed ? seed : 0x2545f491u;
	c->next_ms = -1;
}

/* The one place the state changes, and says so. */
static void enter(struct dhcp_client *c, enum dhcp_state s, const char *why)
{
	if (s != c->state)
		logf_(c, "state %s -> %s%s%s", state_names[c->state],
		      state_names[s], why ? ": " : "", why ? why : "");
	c->state = s;
}

/* A new exchange: a fresh transaction id, secs counted from here. */
static void new_exchange(struct dhcp_client *c, long now)
{
	c->xid = next_rand(c);
	c->started_ms = now;
	c->tries = 0;
}

/* Send one message of the exchange; the next try after wait_ms. */
static void send_msg(struct dhcp_client *c, uint8_t type, long now,
		     uint32_t ciaddr, uint32_t requested, uint32_t server,
		     uint32_t dst)
{
	uint8_t buf[DHCP_MSG_MAX];
	long secs = (now - c->started_ms) / 1000;
	struct dhcp_request r = {
		.type = type,
		.xid = c->xid,
		.secs = (uint16_t)(secs > 65535 ? 65535 : secs),
		.ciaddr = ciaddr,
		.requested_ip = requested,
		.server_id = server,
		.hostname = c->hostname,
	};

	memcpy(r.mac, c->mac, 6);
	c->tries++;
	c->ops->send(c, buf, dhcp_msg_build(buf, &r), dst);
}

static long t2_ms(const struct dhcp_client *c)
{
	return c->lease.bound_ms + (long)c->lease.t2_s * 1000;
}

static long expiry_ms(const struct dhcp_client *c)
{
	return c->lease.bound_ms + (long)c->lease.lease_s * 1000;
}

long dhcp_lease_left(const struct dhcp_client *c, long now)
{
	long left;

	if (!c->have_lease)
		return 0;
	if (c->lease.lease_s == DHCP_INFINITE)
		return DHCP_FOREVER;
	left = (expiry_ms(c) - now) / 1000;
	return left > 0 ? left : 0;
}

/*
 * Sections 4.4.5: in RENEWING and REBINDING, wait half the time left to
 * T2 (or to the end of the lease), but at least 60 s, and never past
 * that deadline.
 */
static long half_way(long now, long deadline)
{
	long wait = (deadline - now) / 2;

	if (wait < 60000)
		wait = 60000;
	return now + wait < deadline ? now + wait : deadline;
}

/*
 * Lose the lease, if there is one, and go back to INIT: true when
 * DISCOVER is due at once, false when it waits delay_ms.
 */
static bool restart(struct dhcp_client *c, long now, long delay_ms,
		    const char *why)
{
	bool had = c->have_lease;

	c->have_lease = 0;
	c->reboot_addr = 0;
	enter(c, DHCP_INIT, why);
	if (had)
		c->ops->lost(c, why);
	if (c->state != DHCP_INIT) /* lost() may stop us */
		return false;
	if (delay_ms > 0) {
		c->next_ms = now + delay_ms;
		return false;
	}
	return true;
}

static uint8_t mask_plen(uint32_t mask_be)
{
	uint32_t m = ntohl(mask_be);
	uint8_t n = 0;

	while (n < 32 && (m & (0x80000000u >> n)))
		n++;
	/* a mask with holes in it is no mask: use the host route */
	return (uint32_t)(n ? 0xffffffffu << (32 - n) : 0) == m ? n : 32;
}

/* The classful prefix, for a server that sends no option 1. */
static uint8_t class_plen(uint32_t addr_be)
{
	uint32_t a = ntohl(addr_be);

	return a < 0x80000000u ? 8 : a < 0xc0000000u ? 16 : 24;
}

static void take_lease(struct dhcp_client *c, const struct dhcp_msg *m,
		       long now)
{
	struct dhcp_lease *l = &c->lease;
	uint32_t t1, t2;

	memset(l, 0, sizeof(*l));
	l->addr = m->yiaddr;
	l->plen =
		m->has_netmask ? mask_plen(m->netmask) : class_plen(m->yiaddr);
	l->server = m->server_id ? m->server_id : c->offer_server;
	l->broadcast = m->has_broadcast ? m->broadcast : 0;
	memcpy(l->routers, m->routers, sizeof(l->routers));
	l->n_routers = m->n_routers;
	memcpy(l->dns, m->dns, sizeof(l->dns));
	l->n_dns = m->n_dns;
	memcpy(l->ntp, m->ntp, sizeof(l->ntp));
	l->n_ntp = m->n_ntp;
	memcpy(l->domain, m->domain, sizeof(l->domain));
	memcpy(l->search, m->search, sizeof(l->search));
	memcpy(l->hostname, m->hostname, sizeof(l->hostname));
	l->mtu = m->mtu;
	memcpy(l->routes, m->routes, sizeof(l->routes));
	l->n_routes = m->n_routes;
	l->has_classless = m->has_classless;
	l->lease_s = m->lease_s;
	/* section 4.4.5: T1 defaults to half the lease, T2 to 7/8 */
	t1 = m->t1_s ? m->t1_s : m->lease_s / 2;
	t2 = m->t2_s ? m->t2_s : (uint32_t)((uint64_t)m->lease_s * 7 / 8);
	if (m->lease_s != DHCP_INFINITE && (t1 >= t2 || t2 >= m->lease_s)) {
		t1 = m->lease_s / 2;
		t2 = (uint32_t)((uint64_t)m->lease_s * 7 / 8);
	}
	l->t1_s = t1;
	l->t2_s = t2;
	l->bound_ms = now;
}

/* An ACK: BOUND, T1 the next timer. */
static void ack(struct dhcp_client *c, const struct dhcp_msg *m, long now)
{
	struct dhcp_lease old = c->lease;
	bool had = c->have_lease;

	if (!m->yiaddr || !m->lease_s) {
		logf_(c, "ignoring an ACK without %s",
		      !m->yiaddr ? "an address" : "a lease time");
		return;
	}
	take_lease(c, m, now);
	c->have_lease = 1;
	c->naks = 0;
	c->reboot_addr = c->lease.addr;
	enter(c, DHCP_BOUND, NULL);
	c->next_ms = c->lease.lease_s == DHCP_INFINITE
			     ? -1
			     : now + (long)c->lease.t1_s * 1000;
	c->ops->bound(c, had ? &old : NULL);
}

/* A NAK: start over, at once the first time (section 3.1 step 5). */
static bool nak(struct dhcp_client *c, const struct dhcp_msg *m, long now)
{
	uint32_t expect = c->state == DHCP_REQUESTING ? c->offer_server
			  : c->state == DHCP_RENEWING ? c->lease.server
						      : 0;
	char why[200];

	/* a NAK from a server we did not ask is someone else's business */
	if (expect && m->server_id && m->server_id != expect)
		return false;
	snprintf(why, sizeof(why), "NAK from the server%s%s",
		 m->message[0] ? ": " : "", m->message);
	c->naks++;
	/* a server that NAKs every time gets the usual back-off instead
	 * of a flood */
	return restart(c, now, c->naks > 1 ? backoff_ms(c, c->naks - 1) : 0,
		       why);
}

/* What a server answers to a REQUEST, in the states that send one. */
static bool answer(struct dhcp_client *c, const struct dhcp_msg *m, long now)
{
	if (m->type == DHCPACK)
		ack(c, m, now);
	else if (m->type == DHCPNAK)
		return nak(c, m, now);
	return false;
}

static bool offer(struct dhcp_client *c, const struct dhcp_msg *m)
{
	char why[64];

	if (m->type != DHCPOFFER || !m->yiaddr || !m->server_id)
		return false;
	c->offered = m->yiaddr;
	c->offer_server = m->server_id;
	c->tries = 0;
	snprintf(why, sizeof(why), "offer of %s",
		 inet_ntoa((struct in_addr){ m->yiaddr }));
	enter(c, DHCP_REQUESTING, why);
	return true;
}

static bool give_up_request(struct dhcp_client *c, long now)
{
	char why[64];

	snprintf(why, sizeof(why), "no answer to REQUEST for %s",
		 inet_ntoa((struct in_addr){ c->offered }));
	return restart(c, now, 0, why);
}

/*
 * One step of the client, at now, with the message m that came for it
 * or NULL when its timer is due. Returns true when it entered a state
 * that acts at once: step it again, with no message.
 */
static bool step(struct dhcp_client *c, const struct dhcp_msg *m, long now)
{
	switch (c->state) {
	case DHCP_STOPPED:
		c->next_ms = -1;
		return false;
	case DHCP_INIT:
		/* no 1-10 s random wait before the first DISCOVER (section
		 * 4.4.1 "SHOULD"): keel boxes boot one at a time, not as a
		 * building after a power cut, and the first lease gates
		 * readiness */
		if (m)
			return false;
		new_exchange(c, now);
		enter(c, DHCP_SELECTING, NULL);
		return true;
	case DHCP_SELECTING:
		if (m) /* the first offer is taken */
			return offer(c, m);
		send_msg(c, DHCPDISCOVER, now, 0, 0, 0, DHCP_BROADCAST);
		c->next_ms = now + backoff_ms(c, c->tries);
		return false;
	case DHCP_REQUESTING:
		if (m)
			return answer(c, m, now);
		if (c->tries >= REQUEST_TRIES)
			return give_up_request(c, now);
		/* section 4.4.1: the REQUEST names the offer and its server */
		send_msg(c, DHCPREQUEST, now, 0, c->offered, c->offer_server,
			 DHCP_BROADCAST);
		c->next_ms = now + backoff_ms(c, c->tries);
		return false;
	case DHCP_INIT_REBOOT:
		if (m)
			return false;
		new_exchange(c, now);
		enter(c, DHCP_REBOOTING, NULL);
		return true;
	case DHCP_REBOOTING:
		if (m)
			return answer(c, m, now);
		if (c->tries >= REBOOT_TRIES) {
			c->reboot_addr = 0;
			new_exchange(c, now);
			enter(c, DHCP_SELECTING, "no answer");
			return true;
		}
		/* section 4.3.2: option 50 filled in, no server id, ciaddr 0 */
		send_msg(c, DHCPREQUEST, now, 0, c->reboot_addr, 0,
			 DHCP_BROADCAST);
		c->next_ms = now + backoff_ms(c, c->tries);
		return false;
	case DHCP_BOUND:
		if (m)
			return false;
		new_exchange(c, now);
		enter(c, DHCP_RENEWING, "T1");
		return true;
	case DHCP_RENEWING:
		if (m)
			return answer(c, m, now);
		if (now >= t2_ms(c)) {
			new_exchange(c, now);
			enter(c, DHCP_REBINDING, "T2");
			return true;
		}
		/* section 4.4.5: unicast to the server, ciaddr set */
		send_msg(c, DHCPREQUEST, now, c->lease.addr, 0, 0,
			 c->lease.server);
		c->next_ms = half_way(now, t2_ms(c));
		return false;
	case DHCP_REBINDING:
		if (m)
			return answer(c, m, now);
		if (now >= expiry_ms(c))
			return restart(c, now, 0, "lease expired");
		send_msg(c, DHCPREQUEST, now, c->lease.addr, 0, 0,
			 DHCP_BROADCAST);
		c->next_ms = half_way(now, expiry_ms(c));
		return false;
	}
	return false;
}

/* Step until the client waits: for a message or its timer. */
static void run(struct dhcp_client *c, const struct dhcp_msg *m, long now)
{
	while (step(c, m, now))
		m = NULL;
}

void dhcp_start(struct dhcp_client *c, uint32_t remembered, long now)
{
	c->have_lease = 0;
	c->naks = 0;
	c->reboot_addr = remembered;
	/* with a remembered address, INIT-REBOOT (section 3.2) */
	enter(c, remembered ? DHCP_INIT_REBOOT : DHCP_INIT, NULL);
	run(c, NULL, now);
}

void dhcp_stop(struct dhcp_client *c)
{
	enter(c, DHCP_STOPPED, NULL);
	c->have_lease = 0;
	c->next_ms = -1;
}

void dhcp_input(struct dhcp_client *c, const struct dhcp_msg *m, long now)
{
	if (m->xid != c->xid || memcmp(m->chaddr, c->mac, 6))
		return;
	run(c, m, now);
}

void dhcp_timer(struct dhcp_client *c, long now)
{
	if (c->next_ms < 0 || now < c->next_ms)
		return;
	run(c, NULL, now);
}
