// SPDX-License-Identifier: MIT
/* netd's SNTP client (netd/sntp.c) on a fake clock and fake servers:
 * each poll, retry, backoff, step and slew, falsetickers, the sanity
 * checks and kiss codes, lookups, checked by what it sends and what it
 * asks of the clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "sntp.h"

#define MS 1000000LL
#define DAY (86400 * NTP_NS)

/* Our clock, the servers' offsets from it, and what the client did. */
static struct {
	int64_t clock_ns; /* our clock: t1 and t4 */
	int sent[SNTP_MAX_PEERS]; /* requests per peer */
	int send_err; /* what send returns */
	int adjusts, steps;
	int64_t adjusted_ns;
	int adjust_err;
	int lookups, cancels;
	char looked_up[SNTP_MAX_HOSTS][NTP_HOST_MAX];
	int n_looked_up;
	uint64_t next_nonce;
	uint64_t forged_origin; /* answer_with: not the nonce sent */
	char log[8192];
} io;

static int on_send(struct sntp *c, struct sntp_peer *p, const uint8_t *pkt,
		   size_t len, uint64_t *t1)
{
	assert_int_equal(len, NTP_PACKET_LEN);
	assert_int_equal(pkt[0], 0x23);
	io.sent[p - c->peers]++;
	*t1 = ntp_from_unix_ns(io.clock_ns);
	return io.send_err;
}

static void on_lookup(struct sntp *c, char (*hosts)[NTP_HOST_MAX], int n)
{
	(void)c;
	if (!n) {
		io.cancels++;
		return;
	}
	io.lookups++;
	io.n_looked_up = n;
	memcpy(io.looked_up, hosts, sizeof(hosts[0]) * n);
}

static int on_adjust(struct sntp *c, const struct sntp_peer *best,
		     int64_t offset_ns, bool step)
{
	(void)c;
	assert_true(best->answered && best->truechimer);
	if (io.adjust_err)
		return io.adjust_err;
	io.adjusts++;
	io.steps += step;
	io.adjusted_ns = offset_ns;
	io.clock_ns += offset_ns; /* as a step or a finished slew would */
	return 0;
}

static uint64_t on_random(struct sntp *c)
{
	(void)c;
	return io.next_nonce++;
}

static void on_log(struct sntp *c, bool warn, const char *msg)
{
	size_t n = strlen(io.log);

	(void)c;
	snprintf(io.log + n, sizeof(io.log) - n, "%s%s\n", warn ? "W " : "",
		 msg);
}

static const struct sntp_ops ops = { on_send, on_lookup, on_adjust, on_random,
				     on_log };

static void setup(struct sntp *c)
{
	memset(&io, 0, sizeof(io));
	io.clock_ns = 978307200LL * NTP_NS; /* an RTC at 2001 */
	io.next_nonce = 0; /* the client must skip a zero nonce */
	sntp_init(c, &ops, NULL);
}

static void set_hosts(struct sntp *c, long now, int n, ...)
{
	char hosts[SNTP_MAX_HOSTS][NTP_HOST_MAX];
	va_list ap;

	va_start(ap, n);
	for (int i = 0; i < n; i++)
		snprintf(hosts[i], sizeof(hosts[i]), "%s",
			 va_arg(ap, const char *));
	va_end(ap);
	sntp_set_hosts(c, hosts, n, now);
}

/* A reply to peer i's last request, from a server ahead_ns ahead of
 * our clock, 2 ms each way; fields changed by edit when given. */
static void answer_with(struct sntp *c, int i, int64_t ahead_ns, long now,
			void (*edit)(uint8_t *b))
{
	struct sntp_peer *p = &c->peers[i];
	int64_t t1 = ntp_diff_ns(p->t1, ntp_from_unix_ns(0));
	uint64_t rec = ntp_from_unix_ns(t1 + 2 * MS + ahead_ns);
	uint64_t xmt = ntp_from_unix_ns(t1 + 2 * MS + ahead_ns + 100000);
	uint8_t b[NTP_PACKET_LEN] = { 0x24, 2, 6, 0xec };

	memcpy(b + 12, "GPS\0", 4);
	for (int k = 0; k < 8; k++) {
		b[24 + k] = (uint8_t)((io.forged_origin ? io.forged_origin
							: p->nonce) >>
				      (56 - 8 * k));
		b[32 + k] = (uint8_t)(rec >> (56 - 8 * k));
		b[40 + k] = (uint8_t)(xmt >> (56 - 8 * k));
		b[16 + k] = b[32 + k];
	}
	if (edit)
		edit(b);
	io.clock_ns = t1 + 4 * MS + 100000;
	sntp_input(c, (struct sockaddr *)&p->addr, p->addrlen, b, sizeof(b),
		   ntp_from_unix_ns(io.clock_ns), now);
}

static void answer(struct sntp *c, int i, int64_t ahead_ns, long now)
{
	answer_with(c, i, ahead_ns, now, NULL);
}

static void test_first_sync_steps_then_slews(void **state)
{
	struct sntp c;

	(void)state;
	setup(&c);
	set_hosts(&c, 0, 1, "10.0.2.2");
	assert_int_equal(c.state, SNTP_QUERYING);
	assert_int_equal(c.n_peers, 1);
	assert_int_equal(io.sent[0], 1);
	assert_true(c.peers[0].nonce != 0);
	assert_string_equal(c.peers[0].addr_str, "10.0.2.2");
	/* the server is days ahead of a clock at 2001 */
	answer(&c, 0, 9000 * DAY, 40);
	assert_int_equal(c.state, SNTP_WAITING);
	assert_int_equal(io.steps, 1);
	assert_in_range(io.adjusted_ns, 9000 * DAY - 10, 9000 * DAY + 10);
	assert_int_equal(c.syncs, 1);
	assert_int_equal(c.synced_ms, 40);
	assert_string_equal(c.server, "10.0.2.2");
	assert_int_equal(c.next_ms, 40 + 64000);
	assert_non_null(strstr(io.log, "state stopped -> querying: new "
				       "servers\n"));
	assert_non_null(strstr(io.log, "state querying -> waiting: synced to "
				       "10.0.2.2, 1 of 1 servers agreeing, "
				       "offset +77"));
	assert_non_null(strstr(io.log, " s, stepped; next poll in 64 s\n"));
	/* the next poll: 0.2 s off is slewed, not stepped */
	sntp_timer(&c, c.next_ms);
	assert_int_equal(c.state, SNTP_QUERYING);
	assert_int_equal(io.sent[0], 2);
	answer(&c, 0, 200 * MS, 64100);
	assert_int_equal(io.adjusts, 2);
	assert_int_equal(io.steps, 1);
	assert_in_range(io.adjusted_ns, 200 * MS - 10, 200 * MS + 10);
	assert_non_null(strstr(io.log, "slewing"));
	/* later, 0.6 s off (someone set the clock): stepped again */
	sntp_timer(&c, c.next_ms);
	answer(&c, 0, -600 * MS, c.next_ms + 100);
	assert_int_equal(io.steps, 2);
}

/* Polls that each find the clock right: the interval doubles to 1024 s */
static void test_poll_backoff(void **state)
{
	static const long want[] = { 64, 64, 128, 256, 512, 1024, 1024 };
	struct sntp c;
	long now = 0;

	(void)state;
	setup(&c);
	set_hosts(&c, now, 1, "192.0.2.1");
	answer(&c, 0, 3 * NTP_NS, now); /* a step: 64 s */
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		assert_int_equal(c.next_ms - now, want[i] * 1000);
		now = c.next_ms;
		sntp_timer(&c, now);
		answer(&c, 0, 1 * MS, now);
	}
	/* a large slew starts over at 64 s */
	now = c.next_ms;
	sntp_timer(&c, now);
	answer(&c, 0, 300 * MS, now);
	assert_int_equal(c.next_ms - now, 64000);
}

static void test_retries_and_failure(void **state)
{
	struct sntp c;

	(void)state;
	setup(&c);
	set_hosts(&c, 0, 1, "192.0.2.1");
	assert_int_equal(io.sent[0], 1);
	assert_int_equal(c.next_ms, 1000);
	sntp_timer(&c, 999); /* not yet */
	assert_int_equal(io.sent[0], 1);
	sntp_timer(&c, 1000);
	assert_int_equal(io.sent[0], 2);
	assert_int_equal(c.next_ms, 3000);
	sntp_timer(&c, 3000);
	assert_int_equal(io.sent[0], 3);
	assert_int_equal(c.next_ms, 5000); /* the last answer's time */
	sntp_timer(&c, 5000);
	assert_int_equal(io.sent[0], 3);
	assert_int_equal(c.state, SNTP_WAITING);
	assert_int_equal(c.syncs, 0);
	assert_string_equal(c.last_error, "no answer from 1 server");
	assert_non_null(strstr(io.log, "W no answer from 192.0.2.1: timed "
				       "out\n"));
	/* nothing synced: the next polls back off, 64 s, 128 s, ... */
	assert_int_equal(c.next_ms, 5000 + 64000);
	sntp_timer(&c, c.next_ms);
	sntp_timer(&c, c.next_ms);
	sntp_timer(&c, c.next_ms);
	sntp_timer(&c, c.next_ms);
	assert_int_equal(c.state, SNTP_WAITING);
	assert_int_equal(c.interval_ms, 128000);
	/* an answer to an earlier request is no answer to this one */
	sntp_timer(&c, c.next_ms);
	uint64_t old = c.peers[0].nonce;

	sntp_timer(&c, c.next_ms); /* the retry: a new nonce */
	assert_true(c.peers[0].nonce != old);
	io.forged_origin = old;
	answer(&c, 0, 0, c.next_ms - 10);
	assert_int_equal(c.state, SNTP_QUERYING);
	assert_int_equal(c.syncs, 0);
	io.forged_origin = 0;
	answer(&c, 0, 0, c.next_ms - 5);
	assert_int_equal(c.syncs, 1);
}

static void test_kick_after_failure(void **state)
{
	struct sntp c;

	(void)state;
	setup(&c);
	io.send_err = -ENETUNREACH;
	set_hosts(&c, 0, 1, "192.0.2.1");
	/* the send failed: the poll is over at once, no retries */
	assert_int_equal(c.state, SNTP_WAITING);
	assert_int_equal(io.sent[0], 1);
	char want[100];

	snprintf(want, sizeof(want), "unable to send: %s",
		 strerror(ENETUNREACH)); /* musl's words are not glibc's */
	assert_non_null(strstr(io.log, want));
	/* a lease came: asked again at once */
	io.send_err = 0;
	sntp_kick(&c, 2000);
	assert_int_equal(c.state, SNTP_QUERYING);
	assert_int_equal(io.sent[0], 2);
	answer(&c, 0, 5 * NTP_NS, 2010);
	assert_int_equal(c.syncs, 1);
	/* synced: the network changing does not poll early */
	sntp_kick(&c, 3000);
	assert_int_equal(c.state, SNTP_WAITING);
	assert_int_equal(io.sent[0], 2);
	/* a poll under way when carrier comes: its requests may have been
	 * dropped, so they go again at once, with new nonces */
	setup(&c);
	set_hosts(&c, 0, 1, "192.0.2.1");
	uint64_t first = c.peers[0].nonce;

	sntp_kick(&c, 400);
	assert_non_null(strstr(io.log, "querying again: the network changed"));
	assert_int_equal(c.state, SNTP_QUERYING);
	assert_int_equal(io.sent[0], 2);
	assert_true(c.peers[0].nonce != first);
	assert_int_equal(c.round_end_ms, 5400);
	/* a lookup under way is started again: resolv.conf changed */
	setup(&c);
	set_hosts(&c, 0, 1, "ntp.test");
	sntp_kick(&c, 300);
	assert_int_equal(io.cancels, 1);
	assert_int_equal(io.lookups, 2);
	assert_int_equal(c.state, SNTP_RESOLVING);
}

static void test_falseticker(void **state)
{
	struct sntp c;

	(void)state;
	setup(&c);
	set_hosts(&c, 0, 3, "192.0.2.1", "192.0.2.2", "192.0.2.3:1123");
	assert_int_equal(c.n_peers, 3);
	assert_int_equal(io.sent[0] + io.sent[1] + io.sent[2], 3);
	answer(&c, 0, 10 * NTP_NS, 5);
	answer(&c, 1, 10 * NTP_NS + 3 * DAY, 6); /* days away */
	assert_int_equal(c.state, SNTP_QUERYING); /* one still to answer */
	answer(&c, 2, 10 * NTP_NS + 1 * MS, 7);
	assert_int_equal(c.state, SNTP_WAITING);
	assert_int_equal(io.adjusts, 1);
	assert_in_range(io.adjusted_ns, 10 * NTP_NS - 1 * MS,
			10 * NTP_NS + 2 * MS);
	assert_true(c.peers[0].truechimer && !c.peers[1].truechimer &&
		    c.peers[2].truechimer);
	assert_non_null(strstr(io.log, "W 192.0.2.2 is a falseticker: offset "
				       "+2592"));
	assert_non_null(strstr(io.log, "2 of 3 servers agreeing"));
}

static void test_no_majority(void **state)
{
	struct sntp c;

	(void)state;
	setup(&c);
	set_hosts(&c, 0, 2, "192.0.2.1", "192.0.2.2");
	answer(&c, 0, 10 * NTP_NS, 5);
	answer(&c, 1, 10 * NTP_NS + DAY, 6);
	assert_int_equal(c.state, SNTP_WAITING);
	assert_int_equal(io.adjusts, 0);
	assert_string_equal(c.last_error,
			    "no majority among the 2 servers that answered");
	assert_non_null(strstr(io.log, "W 192.0.2.2 says offset +864"));
	/* one that never answers leaves the other one alone: believed */
	sntp_timer(&c, c.next_ms);
	answer(&c, 0, 10 * NTP_NS, c.next_ms - 10);
	assert_int_equal(c.state, SNTP_QUERYING);
	sntp_timer(&c, c.next_ms);
	sntp_timer(&c, c.next_ms);
	sntp_timer(&c, c.next_ms);
	assert_int_equal(c.state, SNTP_WAITING);
	assert_int_equal(io.adjusts, 1);
	assert_string_equal(c.server, "192.0.2.1");
}

static void leap3(uint8_t *b)
{
	b[0] |= 0xc0;
}

static void stratum16(uint8_t *b)
{
	b[1] = 16;
}

static void zero_xmt(uint8_t *b)
{
	memset(b + 40, 0, 8);
}

static void wrong_origin(uint8_t *b)
{
	b[31] ^= 1;
}

static void kiss_deny(uint8_t *b)
{
	b[1] = 0;
	memcpy(b + 12, "DENY", 4);
}

static void kiss_rate(uint8_t *b)
{
	b[1] = 0;
	memcpy(b + 12, "RATE", 4);
}

static void client_mode(uint8_t *b)
{
	b[0] = 0x23;
}

static void test_sanity_checks(void **state)
{
	void (*bad[])(uint8_t *) = { leap3, stratum16, zero_xmt };
	struct sntp c;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		setup(&c);
		set_hosts(&c, 0, 1, "192.0.2.1");
		answer_with(&c, 0, DAY, 5, bad[i]);
		/* an answer from it, but unusable: the poll is over */
		assert_int_equal(c.state, SNTP_WAITING);
		assert_int_equal(io.adjusts, 0);
		assert_true(c.peers[0].failed);
	}
	assert_non_null(strstr(io.log, "a zero transmit timestamp"));
	/* not ours (or forged), or not a reply: still waiting for it */
	setup(&c);
	set_hosts(&c, 0, 1, "192.0.2.1");
	answer_with(&c, 0, DAY, 5, wrong_origin);
	answer_with(&c, 0, DAY, 6, client_mode);
	assert_int_equal(c.state, SNTP_QUERYING);
	answer(&c, 0, DAY, 7);
	assert_int_equal(io.adjusts, 1);
	/* a second copy of the answer does nothing */
	answer(&c, 0, DAY, 8);
	assert_int_equal(io.adjusts, 1);
}

static void test_kiss_codes(void **state)
{
	struct sntp c;

	(void)state;
	setup(&c);
	set_hosts(&c, 0, 2, "192.0.2.1", "192.0.2.2");
	answer_with(&c, 0, 0, 5, kiss_deny);
	answer(&c, 1, 2 * NTP_NS, 6);
	assert_int_equal(io.adjusts, 1);
	assert_true(c.peers[0].denied);
	assert_non_null(strstr(io.log, "W 192.0.2.1: kiss-o'-death DENY"));
	/* never asked again */
	sntp_timer(&c, c.next_ms);
	assert_int_equal(io.sent[0], 1);
	assert_int_equal(io.sent[1], 2);
	/* RATE: the interval doubles once more */
	answer_with(&c, 1, 0, c.next_ms - 100, kiss_rate);
	assert_int_equal(c.state, SNTP_WAITING);
	assert_int_equal(c.interval_ms, 128000);
}

static void test_lookup(void **state)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(123) };
	struct sntp c;

	(void)state;
	setup(&c);
	set_hosts(&c, 0, 2, "ntp.test", "192.0.2.9");
	assert_int_equal(c.state, SNTP_RESOLVING);
	assert_int_equal(io.lookups, 1);
	assert_int_equal(io.n_looked_up, 1);
	assert_string_equal(io.looked_up[0], "ntp.test");
	assert_int_equal(c.next_ms, 20000);
	inet_pton(AF_INET, "198.51.100.7", &sa.sin_addr);
	sntp_add_address(&c, "ntp.test", (struct sockaddr *)&sa, sizeof(sa));
	/* the same address twice: asked once */
	sntp_add_address(&c, "ntp.test", (struct sockaddr *)&sa, sizeof(sa));
	sntp_resolved(&c, 300);
	assert_int_equal(c.state, SNTP_QUERYING);
	assert_int_equal(c.n_peers, 2);
	assert_int_equal(io.sent[0] + io.sent[1], 2);
	answer(&c, 1, 4 * NTP_NS, 310);
	answer(&c, 0, 4 * NTP_NS, 320);
	assert_string_equal(c.server, "192.0.2.9");
	/* the resolver that never answers: the literal alone is asked */
	setup(&c);
	set_hosts(&c, 0, 2, "ntp.test", "192.0.2.9");
	sntp_timer(&c, 20000);
	assert_int_equal(io.cancels, 1);
	assert_int_equal(c.state, SNTP_QUERYING);
	assert_int_equal(c.n_peers, 1);
	/* a name with no address and nothing else: no poll */
	setup(&c);
	set_hosts(&c, 0, 1, "ntp.test");
	sntp_resolved(&c, 100);
	assert_int_equal(c.state, SNTP_WAITING);
	assert_string_equal(c.last_error, "no address for any server");
	/* the failed poll looks the name up again */
	sntp_timer(&c, c.next_ms);
	assert_int_equal(c.state, SNTP_RESOLVING);
	assert_int_equal(io.lookups, 2);
}

static void test_servers_change(void **state)
{
	struct sntp c;

	(void)state;
	setup(&c);
	set_hosts(&c, 0, 1, "192.0.2.1");
	answer(&c, 0, 0, 5);
	/* the same list: nothing happens */
	set_hosts(&c, 10, 1, "192.0.2.1");
	assert_int_equal(c.state, SNTP_WAITING);
	assert_int_equal(io.sent[0], 1);
	/* a lease with option 42 adds one: a poll at once */
	set_hosts(&c, 20, 2, "192.0.2.1", "10.0.0.1");
	assert_int_equal(c.state, SNTP_QUERYING);
	assert_int_equal(c.n_peers, 2);
	/* none left */
	set_hosts(&c, 30, 0);
	assert_int_equal(c.state, SNTP_STOPPED);
	assert_int_equal(c.next_ms, -1);
	assert_int_equal(c.syncs, 1); /* the clock stays synced */
}

static void test_adjust_fails(void **state)
{
	struct sntp c;

	(void)state;
	setup(&c);
	io.adjust_err = -EPERM;
	set_hosts(&c, 0, 1, "192.0.2.1");
	answer(&c, 0, DAY, 5);
	assert_int_equal(c.state, SNTP_WAITING);
	assert_int_equal(c.syncs, 0);
	assert_string_equal(c.last_error, "the clock could not be stepped");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_sync_steps_then_slews),
		cmocka_unit_test(test_poll_backoff),
		cmocka_unit_test(test_retries_and_failure),
		cmocka_unit_test(test_kick_after_failure),
		cmocka_unit_test(test_falseticker),
		cmocka_unit_test(test_no_majority),
		cmocka_unit_test(test_sanity_checks),
		cmocka_unit_test(test_kiss_codes),
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_servers_change),
		cmocka_unit_test(test_adjust_fails),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
