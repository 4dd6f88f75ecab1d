/* SPDX-License-Identifier: MIT */
#ifndef KEEL_DHCP_H
#define KEEL_DHCP_H

#include <limits.h>
#include <stdint.h>
#include "dhcp_msg.h"

/*
 * One link's DHCPv4 client: the state machine of RFC 2131 section 4.4
 * (figure 5), with no sockets and no clock of its own. The caller feeds
 * it messages and the time, and it answers through the callbacks: send
 * a message, a lease was bound (or renewed), a lease is gone, and a line
 * to log (each change of state among them). The states and what moves
 * the client between them: netd/README.md, "States".
 */
#define DHCP_BROADCAST 0xffffffffu /* a send's dst: to all */
#define DHCP_INFINITE 0xffffffffu /* a lease's time: forever */

enum dhcp_state {
	DHCP_STOPPED,
	DHCP_INIT,
	DHCP_SELECTING,
	DHCP_REQUESTING,
	DHCP_INIT_REBOOT,
	DHCP_REBOOTING,
	DHCP_BOUND,
	DHCP_RENEWING,
	DHCP_REBINDING,
};

struct dhcp_lease {
	uint32_t addr;
	uint8_t plen;
	uint32_t server;
	uint32_t broadcast;
	uint32_t routers[DHCP_MAX_ADDRS];
	uint8_t n_routers;
	uint32_t dns[DHCP_MAX_ADDRS];
	uint8_t n_dns;
	uint32_t ntp[DHCP_MAX_ADDRS]; /* option 42 */
	uint8_t n_ntp;
	char domain[256];
	char search[256];
	char hostname[64];
	uint16_t mtu;
	struct dhcp_route routes[DHCP_MAX_ROUTES];
	uint8_t n_routes;
	uint8_t has_classless;
	uint32_t lease_s, t1_s, t2_s; /* lease_s may be DHCP_INFINITE */
	long bound_ms; /* monotonic time of the ACK */
};

struct dhcp_client;
struct dhcp_ops {
	/* dst DHCP_BROADCAST, or unicast to the lease's server */
	void (*send)(struct dhcp_client *c, const uint8_t *msg, size_t len,
		     uint32_t dst);
	void (*bound)(struct dhcp_client *c, const struct dhcp_lease *old);
	void (*lost)(struct dhcp_client *c, const char *why);
	void (*log)(struct dhcp_client *c, const char *msg);
};

struct dhcp_client {
	enum dhcp_state state;
	const struct dhcp_ops *ops;
	void *ctx;
	uint8_t mac[6];
	const char *hostname; /* option 12, may be NULL */
	uint32_t xid;
	uint32_t offered; /* SELECTING -> REQUESTING */
	uint32_t offer_server;
	uint32_t reboot_addr; /* INIT-REBOOT: the remembered address */
	struct dhcp_lease lease; /* valid in BOUND, RENEWING, REBINDING */
	int have_lease;
	long next_ms; /* next timer, -1 none */
	long started_ms; /* of this exchange, for the secs field */
	int tries; /* sends of the current message */
	int naks; /* in a row, to slow down a NAK loop */
	unsigned rand;
};

void dhcp_init(struct dhcp_client *c, const struct dhcp_ops *ops, void *ctx,
	       const uint8_t mac[6], unsigned seed);
/*
 * Start (link up, carrier): with a remembered address, INIT-REBOOT
 * (section 3.2) asks for it first; else INIT.
 */
void dhcp_start(struct dhcp_client *c, uint32_t remembered, long now);
/* Stop without telling anyone (carrier down, shutdown); no release. */
void dhcp_stop(struct dhcp_client *c);
/* A message from the link; ignored unless it answers us. */
void dhcp_input(struct dhcp_client *c, const struct dhcp_msg *m, long now);
/* Call when now >= c->next_ms. */
void dhcp_timer(struct dhcp_client *c, long now);

/* Seconds left of the lease at now: 0 none, DHCP_FOREVER infinite. */
#define DHCP_FOREVER LONG_MAX
long dhcp_lease_left(const struct dhcp_client *c, long now);
const char *dhcp_state_name(enum dhcp_state s);

#endif
