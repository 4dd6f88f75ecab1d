// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <linux/rtnetlink.h>
#include "rtnl.h"

static char tx[NLM_BUF]; /* dump requests only */

int rtnl_open(struct rtnl *r, unsigned groups)
{
	r->nl = NULL;
	r->seq = 0;
	r->nl = mnl_socket_open(NETLINK_ROUTE);
	if (!r->nl)
		return -errno;
	if (mnl_socket_bind(r->nl, groups, MNL_SOCKET_AUTOPID) < 0) {
		int e = errno;

		mnl_socket_close(r->nl);
		r->nl = NULL;
		return -e;
	}
	r->portid = mnl_socket_get_portid(r->nl);
	r->seq = (uint32_t)time(NULL);
	if (groups) {
		int fd = mnl_socket_get_fd(r->nl);

		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	}
	return 0;
}

void rtnl_close(struct rtnl *r)
{
	if (r->nl)
		mnl_socket_close(r->nl);
	r->nl = NULL;
}

int rtnl_fd(const struct rtnl *r)
{
	return mnl_socket_get_fd(r->nl);
}

uint32_t rtnl_seq(struct rtnl *r)
{
	return ++r->seq;
}

/* Read replies to seq until cb_run says stop (ack, error or done). */
static int wait_reply(struct rtnl *r, uint32_t seq, mnl_cb_t cb, void *ctx)
{
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(r->nl, r->rx, sizeof(r->rx));
		int ret;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		ret = mnl_cb_run(r->rx, (size_t)n, seq, r->portid, cb, ctx);
		if (ret == MNL_CB_ERROR)
			return -errno;
		if (ret == MNL_CB_STOP)
			return 0;
	}
}

int rtnl_call(struct rtnl *r, struct nlmsghdr *nlh)
{
	if (mnl_socket_sendto(r->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	return wait_reply(r, nlh->nlmsg_seq, NULL, NULL);
}

int rtnl_dump(struct rtnl *r, uint16_t type, int family, mnl_cb_t cb, void *ctx)
{
	struct nlmsghdr *nlh = nlm_dump(tx, rtnl_seq(r), type, family);
	int ret;

	if (mnl_socket_sendto(r->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	ret = wait_reply(r, nlh->nlmsg_seq, cb, ctx);
	/* a dump cut by a concurrent change is asked for again */
	if (ret == -EINTR)
		return rtnl_dump(r, type, family, cb, ctx);
	return ret;
}

int rtnl_read_events(struct rtnl *r, mnl_cb_t cb, void *ctx)
{
	ssize_t n = mnl_socket_recvfrom(r->nl, r->rx, sizeof(r->rx));

	if (n < 0)
		return -errno;
	mnl_cb_run(r->rx, (size_t)n, 0, 0, cb, ctx);
	return 0;
}
