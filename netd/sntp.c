// SPDX-License-Identifier: MIT
/*
 * The SNTP client of RFC 5905's client side, as one state machine:
 * step() is called with the time and, when one came, the server whose
 * answer just passed, and its one switch does what the state does. A
 * state entered for what it does (RESOLVING starts a lookup, QUERYING
 * sends) is stepped again at once, so entering it and its timer firing
 * are the same code. Every change of state goes through enter(), which
 * logs it. No sockets, no clock: the caller brings both (timesync.c,
 * tests/unit/test_sntp.c).
 *
 * Each poll is a round: a request to every server at once (section
 * 8's on-wire protocol, one exchange each), asked again after 1 s and
 * 2 s when no answer came, and over when all have answered or 5 s have
 * passed. What answered goes through selection (section 11.2.1) and
 * combining (11.2.3); the clock filter (section 10) and the cluster
 * algorithm (11.2.2) are left out, as SNTP (section 14) allows: one
 * sample per server per poll, a few servers.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "errmsg.h"
#include "sntp.h"

#define TRIES 3 /* requests to a server each poll */
#define ROUND_MS 5000 /* sent at 0, 1 and 3 s; the last answered by 5 s */
#define LOOKUP_MS 20000 /* musl's resolver gives up within 10 s */
#define STEADY_NS \
	128000000LL /* section 7.2's STEPT: a slew this small
			       * lets the poll interval grow */

static const char *const state_names[] = {
	[SNTP_STOPPED] = "stopped",
	[SNTP_RESOLVING] = "resolving",
	[SNTP_QUERYING] = "querying",
	[SNTP_WAITING] = "waiting",
};

const char *sntp_state_name(enum sntp_state s)
{
	return state_names[s];
}

static void logf_(struct sntp *c, bool warn, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void logf_(struct sntp *c, bool warn, const char *fmt, ...)
{
	char msg[300];
	va_list ap;

	if (!c->ops->log)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->ops->log(c, warn, msg);
}

/* The one place the state changes, and says so. */
static void enter(struct sntp *c, enum sntp_state s, const char *why)
{
	if (s != c->state)
		logf_(c, false, "state %s -> %s%s%s", state_names[c->state],
		      state_names[s], why ? ": " : "", why ? why : "");
	c->state = s;
}

const char *sntp_secs(char *buf, size_t len, int64_t ns)
{
	long long a = ns < 0 ? -(long long)ns : ns;

	snprintf(buf, len, "%c%lld.%06lld s", ns < 0 ? '-' : '+',
		 a / 1000000000LL, a % 1000000000LL / 1000);
	return buf;
}

const char *sntp_peer_label(const struct sntp_peer *p, char *buf, size_t len)
{
	char name[NTP_HOST_MAX];
	uint16_t port;

	if (ntp_host_parse(p->host, name, sizeof(name), &port) == 0 &&
	    !strcmp(name, p->addr_str))
		snprintf(buf, len, "%s", p->addr_str);
	else
		snprintf(buf, len, "%s (%s)", p->host, p->addr_str);
	return buf;
}

void sntp_init(struct sntp *c, const struct sntp_ops *ops, void *ctx)
{
	memset(c, 0, sizeof(*c));
	c->ops = ops;
	c->ctx = ctx;
	c->poll_exp = SNTP_MINPOLL;
	c->next_ms = -1;
}

/* The same address and port (not the same bytes: an IPv6 reply may
 * carry a flow label the address we sent to had not). */
static bool same_addr(const struct sockaddr_storage *a, socklen_t alen,
		      const struct sockaddr *b, socklen_t blen)
{
	const struct sockaddr_in *a4 = (const void *)a, *b4 = (const void *)b;
	const struct sockaddr_in6 *a6 = (const void *)a, *b6 = (const void *)b;

	if (a->ss_family != b->sa_family || alen != blen)
		return false;
	if (a->ss_family == AF_INET)
		return alen >= sizeof(*a4) && a4->sin_port == b4->sin_port &&
		       a4->sin_addr.s_addr == b4->sin_addr.s_addr;
	return a->ss_family == AF_INET6 && alen >= sizeof(*a6) &&
	       a6->sin6_port == b6->sin6_port &&
	       !memcmp(&a6->sin6_addr, &b6->sin6_addr, sizeof(a6->sin6_addr));
}

void sntp_add_address(struct sntp *c, const char *host,
		      const struct sockaddr *sa, socklen_t len)
{
	struct sntp_peer *p = &c->peers[c->n_peers];
	const void *ip;

	if (c->n_peers == SNTP_MAX_PEERS || len > sizeof(p->addr) ||
	    (sa->sa_family != AF_INET && sa->sa_family != AF_INET6))
		return;
	for (int i = 0; i < c->n_peers; i++)
		if (same_addr(&c->peers[i].addr, c->peers[i].addrlen, sa, len))
			return; /* two names for one server: asked once */
	memset(p, 0, sizeof(*p));
	snprintf(p->host, sizeof(p->host), "%s", host);
	memcpy(&p->addr, sa, len);
	p->addrlen = len;
	ip = sa->sa_family == AF_INET
		     ? (const void *)&((const struct sockaddr_in *)sa)->sin_addr
		     : (const void *)&((const struct sockaddr_in6 *)sa)
			       ->sin6_addr;
	inet_ntop(sa->sa_family, ip, p->addr_str, sizeof(p->addr_str));
	c->n_peers++;
}

/*
 * The peer table anew: address literals at once, names to look up
 * (into names, their count returned). A server that said DENY stays
 * denied.
 */
static int build_peers(struct sntp *c, char (*names)[NTP_HOST_MAX])
{
	static struct sntp_peer old[SNTP_MAX_PEERS];
	int n_old = c->n_peers, n_names = 0;

	memcpy(old, c->peers, sizeof(old));
	c->n_peers = 0;
	for (int i = 0; i < c->n_hosts; i++) {
		struct sockaddr_storage sa;
		char name[NTP_HOST_MAX];
		socklen_t len;
		uint16_t port;

		if (ntp_host_parse(c->hosts[i], name, sizeof(name), &port))
			continue; /* network.conf checked it: DHCP's are
				   * addresses */
		if (ntp_host_addr(name, port, &sa, &len) == 0)
			sntp_add_address(c, c->hosts[i], (struct sockaddr *)&sa,
					 len);
		else
			strcpy(names[n_names++], c->hosts[i]);
	}
	for (int i = 0; i < n_old; i++)
		for (int j = 0; j < c->n_peers && old[i].denied; j++)
			if (same_addr(&c->peers[j].addr, c->peers[j].addrlen,
				      (struct sockaddr *)&old[i].addr,
				      old[i].addrlen))
				c->peers[j].denied = true;
	return n_names;
}

/* A new round: nobody asked yet. */
static void start_round(struct sntp *c, long now)
{
	for (int i = 0; i < c->n_peers; i++) {
		struct sntp_peer *p = &c->peers[i];

		p->tries = 0;
		p->retry_ms = now;
		p->answered = p->failed = p->truechimer = false;
		p->why[0] = 0;
		p->nonce = 0;
	}
	c->rate_kissed = false;
	c->round_end_ms = now + ROUND_MS;
}

/* What the next poll does first: look names up, or ask at once. */
static void begin_poll(struct sntp *c, long now, const char *why)
{
	char names[SNTP_MAX_HOSTS][NTP_HOST_MAX];
	int n;

	if (c->need_lookup) {
		c->need_lookup = false;
		n = build_peers(c, names);
		if (n) {
			c->lookup_done = false;
			c->next_ms = now + LOOKUP_MS;
			enter(c, SNTP_RESOLVING, why);
			c->ops->lookup(c, names, n);
			return;
		}
	}
	start_round(c, now);
	enter(c, SNTP_QUERYING, why);
}

/* Still to answer this round. */
static bool waiting_for(const struct sntp_peer *p)
{
	return !p->answered && !p->failed && !p->denied;
}

static void send_one(struct sntp *c, struct sntp_peer *p, long now)
{
	uint8_t pkt[NTP_PACKET_LEN];
	int r;

	do /* a zero origin is what an unsynchronised server sends */
		p->nonce = c->ops->random(c);
	while (!p->nonce);
	ntp_request_build(pkt, p->nonce);
	p->tries++;
	p->retry_ms = now + (p->tries == 1 ? 1000 : 2000);
	r = c->ops->send(c, p, pkt, sizeof(pkt), &p->t1);
	if (r) {
		/* no route yet, most likely: the network changing will
		 * bring the next poll forward (sntp_kick) */
		p->failed = true;
		snprintf(p->why, sizeof(p->why), "unable to send: %s",
			 strerror(-r));
	}
}

/* Requests due now; the time of the next one or of the round's end. */
static void send_due(struct sntp *c, long now)
{
	long next = c->round_end_ms;

	for (int i = 0; i < c->n_peers; i++) {
		struct sntp_peer *p = &c->peers[i];

		if (!waiting_for(p) || p->tries >= TRIES)
			continue;
		if (now >= p->retry_ms)
			send_one(c, p, now);
		if (waiting_for(p) && p->tries < TRIES && p->retry_ms < next)
			next = p->retry_ms;
	}
	c->next_ms = next;
}

static bool anyone_left(const struct sntp *c)
{
	for (int i = 0; i < c->n_peers; i++)
		if (waiting_for(&c->peers[i]))
			return true;
	return false;
}

/*
 * Section 13's poll process, simplified: after a step or an offset
 * past STEADY_NS, 64 s; otherwise (a steady sync, or nothing synced)
 * the interval doubles each poll up to 1024 s. A RATE kiss doubles it
 * once more (section 7.4).
 */
static long next_interval_ms(struct sntp *c, bool good, bool steady)
{
	long wait;

	if (good && !steady)
		c->poll_exp = SNTP_MINPOLL;
	if (c->rate_kissed && c->poll_exp < SNTP_MAXPOLL)
		c->poll_exp++;
	wait = 1000L << c->poll_exp;
	c->interval_ms = wait;
	if ((!good || steady) && c->poll_exp < SNTP_MAXPOLL)
		c->poll_exp++;
	return wait;
}

/* Nothing synced this poll: why, and the next one later. */
static bool round_failed(struct sntp *c, long now, const char *why)
{
	char msg[sizeof(c->last_error) + 40];
	long wait;

	snprintf(c->last_error, sizeof(c->last_error), "%s", why);
	c->last_failed = true;
	c->need_lookup = true; /* a name may have moved */
	wait = next_interval_ms(c, false, false);
	c->next_ms = now + wait;
	snprintf(msg, sizeof(msg), "%s; next poll in %ld s", why, wait / 1000);
	enter(c, SNTP_WAITING, msg);
	return false;
}

/* Each server that did not answer, and why, as a warning. */
static void log_silent(struct sntp *c)
{
	char lbl[NTP_HOST_MAX + 72];

	for (int i = 0; i < c->n_peers; i++) {
		struct sntp_peer *p = &c->peers[i];

		if (p->answered || p->denied)
			continue;
		if (!p->why[0])
			strcpy(p->why, "timed out");
		logf_(c, true, "no answer from %s: %s",
		      sntp_peer_label(p, lbl, sizeof(lbl)), p->why);
	}
}

/* The servers the selection left out, as warnings. */
static void log_falsetickers(struct sntp *c, int64_t offset)
{
	char lbl[NTP_HOST_MAX + 72], a[32], b[32];

	for (int i = 0; i < c->n_peers; i++) {
		struct sntp_peer *p = &c->peers[i];

		if (p->answered && !p->truechimer)
			logf_(c, true,
			      "%s is a falseticker: offset %s, the others "
			      "agree on %s",
			      sntp_peer_label(p, lbl, sizeof(lbl)),
			      sntp_secs(a, sizeof(a), p->sample.offset_ns),
			      sntp_secs(b, sizeof(b), offset));
	}
}

/* Correct the clock by offset, as the best server says; log it. */
static bool synced(struct sntp *c, long now, int64_t offset, int best,
		   int count)
{
	struct sntp_peer *p = &c->peers[best];
	bool step = offset > SNTP_STEP_NS || offset < -SNTP_STEP_NS;
	char why[sizeof(c->server) + 120], off[32], msg[300];
	long wait;
	int r;

	r = c->ops->adjust(c, p, offset, step);
	if (r) { /* the callback logged why */
		snprintf(msg, sizeof(msg), "the clock could not be %s",
			 step ? "stepped" : "slewed");
		return round_failed(c, now, msg);
	}
	c->syncs++;
	c->steps += step;
	c->synced_ms = now;
	c->offset_ns = offset;
	c->last_failed = false;
	c->last_error[0] = 0;
	sntp_peer_label(p, c->server, sizeof(c->server));
	wait = next_interval_ms(
		c, true, !step && offset < STEADY_NS && offset > -STEADY_NS);
	c->next_ms = now + wait;
	snprintf(why, sizeof(why),
		 "synced to %s, %d of %d servers agreeing, offset %s, %s; "
		 "next poll in %ld s",
		 c->server, count, c->n_peers,
		 sntp_secs(off, sizeof(off), offset),
		 step ? "stepped" : "slewing", wait / 1000);
	enter(c, SNTP_WAITING, why);
	return false;
}

/* No majority: each answer, so someone can see who disagrees. */
static void log_answers(struct sntp *c)
{
	char lbl[NTP_HOST_MAX + 72], a[32];

	for (int i = 0; i < c->n_peers; i++) {
		struct sntp_peer *p = &c->peers[i];

		if (p->answered)
			logf_(c, true, "%s says offset %s (within %lld ms)",
			      sntp_peer_label(p, lbl, sizeof(lbl)),
			      sntp_secs(a, sizeof(a), p->sample.offset_ns),
			      (long long)(p->sample.dist_ns / 1000000));
	}
}

/* The round is over: choose among the answers and sync, or not. */
static bool finish_round(struct sntp *c, long now)
{
	struct ntp_sample s[SNTP_MAX_PEERS];
	bool good[SNTP_MAX_PEERS];
	int idx[SNTP_MAX_PEERS], n = 0, count, best;
	char why[120];
	int64_t offset;

	for (int i = 0; i < c->n_peers; i++)
		if (c->peers[i].answered) {
			idx[n] = i;
			s[n++] = c->peers[i].sample;
		}
	log_silent(c);
	if (!n) {
		snprintf(why, sizeof(why), "no answer from %d server%s",
			 c->n_peers, c->n_peers == 1 ? "" : "s");
		return round_failed(c, now, why);
	}
	count = ntp_select(s, n, good);
	for (int i = 0; i < n; i++)
		c->peers[idx[i]].truechimer = good[i];
	if (!count) {
		log_answers(c);
		snprintf(why, sizeof(why),
			 "no majority among the %d servers that answered", n);
		return round_failed(c, now, why);
	}
	offset = ntp_combine(s, n, good, &best);
	log_falsetickers(c, offset);
	return synced(c, now, offset, idx[best], count);
}

/*
 * One step of the client, at now, with the server whose answer just
 * passed its checks, or NULL when its timer is due or a lookup ended.
 * Returns true when it entered a state that acts at once: step it
 * again, with no answer.
 */
static bool step(struct sntp *c, struct sntp_peer *from, long now)
{
	switch (c->state) {
	case SNTP_STOPPED:
		c->next_ms = -1;
		return false;
	case SNTP_RESOLVING:
		if (from || (!c->lookup_done && now < c->next_ms))
			return false;
		if (!c->lookup_done)
			c->ops->lookup(c, NULL, 0); /* too slow: forget it */
		if (!c->n_peers)
			return round_failed(
				c, now,
				c->lookup_done ? "no address for any server"
					       : "no answer from the "
						 "resolver");
		start_round(c, now);
		enter(c, SNTP_QUERYING, NULL);
		return true;
	case SNTP_QUERYING:
		if (from)
			return anyone_left(c) ? false : finish_round(c, now);
		send_due(c, now);
		if (anyone_left(c) && now < c->round_end_ms)
			return false;
		return finish_round(c, now);
	case SNTP_WAITING:
		if (from)
			return false;
		begin_poll(c, now, "poll");
		return true;
	}
	return false;
}

/* Step until the client waits: for answers or its timer. */
static void run(struct sntp *c, struct sntp_peer *from, long now)
{
	while (step(c, from, now))
		from = NULL;
}

static bool same_hosts(const struct sntp *c, char (*hosts)[NTP_HOST_MAX], int n)
{
	if (n != c->n_hosts)
		return false;
	for (int i = 0; i < n; i++)
		if (strcmp(c->hosts[i], hosts[i]))
			return false;
	return true;
}

void sntp_set_hosts(struct sntp *c, char (*hosts)[NTP_HOST_MAX], int n,
		    long now)
{
	if (n > SNTP_MAX_HOSTS)
		n = SNTP_MAX_HOSTS;
	if (same_hosts(c, hosts, n))
		return;
	if (c->state == SNTP_RESOLVING)
		c->ops->lookup(c, NULL, 0);
	memset(c->hosts, 0, sizeof(c->hosts));
	for (int i = 0; i < n; i++)
		snprintf(c->hosts[i], sizeof(c->hosts[i]), "%s", hosts[i]);
	c->n_hosts = n;
	c->n_peers = 0;
	c->poll_exp = SNTP_MINPOLL;
	if (!n) {
		enter(c, SNTP_STOPPED, "no NTP server");
		run(c, NULL, now);
		return;
	}
	c->need_lookup = true;
	begin_poll(c, now, "new servers");
	run(c, NULL, now);
}

void sntp_kick(struct sntp *c, long now)
{
	/* synced and waiting: the clock is right, the next poll will do */
	if (c->state == SNTP_STOPPED ||
	    (c->state == SNTP_WAITING && !c->last_failed))
		return;
	/* a lookup under way read the old resolv.conf, requests under way
	 * may have been lost on a link without carrier: all again, now */
	if (c->state == SNTP_RESOLVING) {
		c->ops->lookup(c, NULL, 0);
		c->need_lookup = true;
	}
	if (c->state != SNTP_WAITING) /* no change of state to log */
		logf_(c, false, "%s again: the network changed",
		      state_names[c->state]);
	c->poll_exp = SNTP_MINPOLL;
	begin_poll(c, now, "the network changed");
	run(c, NULL, now);
}

void sntp_resolved(struct sntp *c, long now)
{
	if (c->state != SNTP_RESOLVING)
		return;
	c->lookup_done = true;
	run(c, NULL, now);
}

static struct sntp_peer *peer_of(struct sntp *c, const struct sockaddr *sa,
				 socklen_t len)
{
	for (int i = 0; i < c->n_peers; i++)
		if (same_addr(&c->peers[i].addr, c->peers[i].addrlen, sa, len))
			return &c->peers[i];
	return NULL;
}

void sntp_input(struct sntp *c, const struct sockaddr *sa, socklen_t len,
		const uint8_t *buf, size_t n, uint64_t t4, long now)
{
	struct sntp_peer *p = peer_of(c, sa, len);
	struct ntp_packet pkt;
	char lbl[NTP_HOST_MAX + 72];
	int r;

	/* only an answer to the request out to this very address */
	if (c->state != SNTP_QUERYING || !p || !waiting_for(p) || !p->nonce)
		return;
	/* garbage, someone else's answer or a forgery (the why stays for
	 * the log, should no real answer come): keep waiting */
	if (ntp_reply_parse(buf, n, &pkt, p->why, sizeof(p->why)))
		return;
	r = ntp_reply_check(&pkt, p->nonce, p->why, sizeof(p->why));
	if (r && pkt.org != p->nonce)
		return;
	if (!r) {
		ntp_sample_make(&pkt, p->t1, t4, &p->sample);
		if (p->sample.dist_ns > NTP_MAXDIST_NS)
			r = errmsg(p->why, sizeof(p->why), -EBADMSG,
				   "its root distance is %lld ms, over 1 s",
				   (long long)(p->sample.dist_ns / 1000000));
	}
	if (r == -EACCES) {
		p->denied = true;
		logf_(c, true, "%s: %s", sntp_peer_label(p, lbl, sizeof(lbl)),
		      p->why);
	}
	c->rate_kissed |= r == -EAGAIN;
	p->answered = !r;
	p->failed = r != 0;
	p->stratum = pkt.stratum;
	run(c, p, now);
}

void sntp_timer(struct sntp *c, long now)
{
	if (c->next_ms < 0 || now < c->next_ms)
		return;
	run(c, NULL, now);
}
