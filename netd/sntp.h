/* SPDX-License-Identifier: MIT */
#ifndef KEEL_SNTP_H
#define KEEL_SNTP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include "ntp.h"

/*
 * netd's SNTP client (RFC 5905's client side): one state machine for
 * the whole host, with no sockets and no clock of its own, as dhcp.c.
 * Each poll asks every server known at once, checks each answer
 * (ntp.h), keeps the truechimers among them (section 11.2.1) and
 * corrects the clock by their combined offset: a step when it is over
 * 0.5 s, else a slew. The caller brings the time, the replies and the
 * names' addresses, and acts through the callbacks: send a request,
 * look names up, adjust the clock, log. States and what moves the
 * client between them: netd/README.md, "Time".
 */
#define SNTP_MAX_HOSTS 8 /* servers as written: network.conf, DHCP */
#define SNTP_MAX_PEERS 8 /* addresses asked each poll */
#define SNTP_MINPOLL 6 /* 64 s: section 7.2's MINPOLL */
#define SNTP_MAXPOLL \
	10 /* 1024 s, where section 7.2 has 36 h: an
			 * SNTP client has no frequency estimate to trust */
#define SNTP_STEP_NS 500000000LL /* over this, the clock is stepped */

enum sntp_state {
	SNTP_STOPPED, /* no server known */
	SNTP_RESOLVING, /* the servers' names being looked up */
	SNTP_QUERYING, /* a request out to each server, answers awaited */
	SNTP_WAITING, /* for the next poll */
};

struct sntp_peer {
	char host[NTP_HOST_MAX]; /* as written */
	char addr_str[64]; /* its address, for logs and status */
	struct sockaddr_storage addr;
	socklen_t addrlen;
	uint64_t nonce; /* the request out: its transmit timestamp */
	uint64_t t1; /* our clock when it left */
	long retry_ms; /* when to ask again */
	int tries; /* this poll */
	bool answered; /* this poll, with a reply that passed */
	bool failed; /* this poll: it cannot answer (send failed, a
		      * reply that says it is unsynchronised) */
	bool denied; /* kiss-o'-death DENY or RSTR: never asked again */
	bool truechimer; /* this poll's selection kept it */
	uint8_t stratum;
	struct ntp_sample sample; /* this poll's */
	char why[96]; /* what was wrong with it this poll */
};

struct sntp;
struct sntp_ops {
	/* Send pkt to p; *t1 = our clock (NTP format) as it left. 0 or
	 * -errno. */
	int (*send)(struct sntp *c, struct sntp_peer *p, const uint8_t *pkt,
		    size_t len, uint64_t *t1);
	/*
	 * Look these servers' names up; answer later (never from inside
	 * this call) with sntp_add_address for each address and then
	 * sntp_resolved. n 0: forget any lookup under way.
	 */
	void (*lookup)(struct sntp *c, char (*hosts)[NTP_HOST_MAX], int n);
	/*
	 * Correct our clock by offset_ns: at once (step) or gradually
	 * (slew); either way it is then synchronised to best (the
	 * truechimer with the smallest root distance), polled every
	 * 2^c->poll_exp s. 0 or -errno.
	 */
	int (*adjust)(struct sntp *c, const struct sntp_peer *best,
		      int64_t offset_ns, bool step);
	uint64_t (*random)(struct sntp *c); /* nonces */
	void (*log)(struct sntp *c, bool warn, const char *msg);
};

struct sntp {
	enum sntp_state state;
	const struct sntp_ops *ops;
	void *ctx;
	char hosts[SNTP_MAX_HOSTS][NTP_HOST_MAX];
	int n_hosts;
	struct sntp_peer peers[SNTP_MAX_PEERS];
	int n_peers;
	bool need_lookup; /* resolve the names before the next poll */
	bool lookup_done; /* RESOLVING: sntp_resolved came */
	bool last_failed; /* the last poll synced nothing */
	bool rate_kissed; /* this poll: a RATE kiss-o'-death */
	int poll_exp; /* the next interval: 2^poll_exp s */
	long interval_ms; /* the one being waited, for status */
	long next_ms; /* next timer, -1 none */
	long round_end_ms; /* QUERYING: when the last answer is due */
	/* the last sync */
	int syncs; /* since netd started */
	int steps;
	long synced_ms; /* monotonic */
	int64_t offset_ns; /* the correction it made */
	char server[NTP_HOST_MAX + 72]; /* its best truechimer */
	char last_error[200]; /* why the last poll failed */
};

void sntp_init(struct sntp *c, const struct sntp_ops *ops, void *ctx);
/*
 * The servers known now (network.conf's, DHCP's), at most
 * SNTP_MAX_HOSTS, each as ntp_host_parse takes it. The same list as
 * before changes nothing; another starts over at once (n 0: stopped).
 */
void sntp_set_hosts(struct sntp *c, char (*hosts)[NTP_HOST_MAX], int n,
		    long now);
/* The network changed (carrier, a lease, an address, resolv.conf):
 * unless the last poll synced, poll again at once: a failed poll rather
 * than at its backed-off time, one under way from its start. */
void sntp_kick(struct sntp *c, long now);
/* A lookup's answers: each address of a name, then the end. */
void sntp_add_address(struct sntp *c, const char *host,
		      const struct sockaddr *sa, socklen_t len);
void sntp_resolved(struct sntp *c, long now);
/* A datagram from sa, received at t4 (our clock, NTP format). */
void sntp_input(struct sntp *c, const struct sockaddr *sa, socklen_t len,
		const uint8_t *buf, size_t n, uint64_t t4, long now);
/* Call when now >= c->next_ms. */
void sntp_timer(struct sntp *c, long now);

const char *sntp_state_name(enum sntp_state s);
/* "10.0.2.2", or "pool.ntp.org (192.0.2.1)" for a name. */
const char *sntp_peer_label(const struct sntp_peer *p, char *buf, size_t len);
/* "+1.234567 s" */
const char *sntp_secs(char *buf, size_t len, int64_t ns);

#endif
