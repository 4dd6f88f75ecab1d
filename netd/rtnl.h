/* SPDX-License-Identifier: MIT */
#ifndef KEEL_RTNL_H
#define KEEL_RTNL_H

#include <stdint.h>
#include "nlmsg.h"

/* An rtnetlink socket: requests with acks and dumps, or events. Each
 * has its own receive buffer: an event handler may make requests while
 * the event socket's buffer is still being walked. */
#define RTNL_RX_BUF 32768

struct rtnl {
	struct mnl_socket *nl;
	unsigned portid;
	uint32_t seq;
	char rx[RTNL_RX_BUF] __attribute__((aligned(4)));
};

/* groups: RTMGRP_* to listen to (events), 0 for requests. 0 or -errno. */
int rtnl_open(struct rtnl *r, unsigned groups);
void rtnl_close(struct rtnl *r);
int rtnl_fd(const struct rtnl *r);

/* The next sequence number, for the nlm_* builders. */
uint32_t rtnl_seq(struct rtnl *r);

/* Send a request built with nlm_* and wait for its ack: 0 or -errno. */
int rtnl_call(struct rtnl *r, struct nlmsghdr *nlh);

/* A dump: cb sees every message; 0 or -errno. */
int rtnl_dump(struct rtnl *r, uint16_t type, int family, mnl_cb_t cb,
	      void *ctx);

/* Events: read what is queued (non-blocking) and pass each message to
 * cb. 0, -EAGAIN when nothing is left, -ENOBUFS when events were lost. */
int rtnl_read_events(struct rtnl *r, mnl_cb_t cb, void *ctx);

#endif
