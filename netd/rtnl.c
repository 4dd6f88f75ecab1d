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

/*
 * Read replies to seq until its ack, error or end of dump. Messages for
 * another sequence number (what is left of an earlier request, e.g. a
 * dump cut short) are skipped, so one bad exchange cannot put every
 * later request out of step. A dump the kernel marks interrupted
 * (NLM_F_DUMP_INTR) is read to its end, then reported as -EINTR.
 */
static int wait_reply(struct rtnl *r, uint32_t seq, mnl_cb_t cb, void *ctx)
{
	int intr = 0;

	for (;;) {
		ssize_t n = mnl_socket_recvfrom(r->nl, r->rx, sizeof(r->rx));
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)r->rx;
		int len = (int)n;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (; mnl_nlmsg_ok(nlh, len);
		     nlh = mnl_nlmsg_next(nlh, &len)) {
			if (nlh->nlmsg_seq != seq ||
			    (nlh->nlmsg_pid && nlh->nlmsg_pid != r->portid))
				continue;
			if (nlh->nlmsg_type == NLMSG_DONE)
				return intr ? -EINTR : 0;
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e =
					mnl_nlmsg_get_payload(nlh);

				if (nlh->nlmsg_len <
				    MNL_NLMSG_HDRLEN + sizeof(*e))
					return -EBADMSG;
				if (e->error)
					return e->error < 0 ? e->error
							    : -e->error;
				return intr ? -EINTR : 0;
			}
			if (nlh->nlmsg_type < NLMSG_MIN_TYPE)
				continue;
			if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
				intr = 1;
			if (cb && !intr && cb(nlh, ctx) == MNL_CB_ERROR)
				return -EIO;
		}
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
