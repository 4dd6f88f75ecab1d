// SPDX-License-Identifier: MIT
/* Requests on netd.sock: status, reload, pod-add, pod-del. */
#include <arpa/inet.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "clock.h"
#include "ctlsock.h"
#include "log.h"
#include "netd.h"
#include "sysclock.h"

#define MAX_SEEN 128

struct seen {
	struct nl_addr addrs[MAX_SEEN];
	int n_addrs;
	struct nl_route routes[MAX_SEEN];
	int n_routes;
};

static int collect_addr(const struct nlmsghdr *nlh, void *ctx)
{
	struct seen *s = ctx;

	if (s->n_addrs < MAX_SEEN &&
	    nl_parse_addr(nlh, &s->addrs[s->n_addrs]) == 0)
		s->n_addrs++;
	return MNL_CB_OK;
}

static int collect_route(const struct nlmsghdr *nlh, void *ctx)
{
	struct seen *s = ctx;
	struct nl_route *r = &s->routes[s->n_routes];

	if (s->n_routes < MAX_SEEN && nl_parse_route(nlh, r) == 0 &&
	    r->table == RT_TABLE_MAIN && r->type == RTN_UNICAST)
		s->n_routes++;
	return MNL_CB_OK;
}

static void status_link(int fd, struct link *l, const struct seen *s, long now)
{
	char ip[INET6_ADDRSTRLEN], srv[INET6_ADDRSTRLEN];

	ctl_sendf(fd, CTL_MORE,
		  "%-10s %-4s carrier %-3s %02x:%02x:%02x:%02x:%02x:%02x %s",
		  l->name, l->flags & IFF_UP ? "up" : "down",
		  l->carrier ? "yes" : "no", l->mac[0], l->mac[1], l->mac[2],
		  l->mac[3], l->mac[4], l->mac[5],
		  l->has_rule ? l->rule.where : "(no rule)");
	for (int i = 0; i < s->n_addrs; i++) {
		const struct nl_addr *a = &s->addrs[i];

		if (a->index != l->index)
			continue;
		if (a->valid_s == 0xffffffffu)
			ctl_sendf(
				fd, CTL_MORE, "  address %s/%u",
				inet_ntop(a->family, a->addr.b, ip, sizeof(ip)),
				a->plen);
		else
			ctl_sendf(
				fd, CTL_MORE, "  address %s/%u (valid %u s)",
				inet_ntop(a->family, a->addr.b, ip, sizeof(ip)),
				a->plen, a->valid_s);
	}
	if (l->has_rule && l->rule.dhcp) {
		const struct dhcp_client *c = &l->dhcp;

		if (c->have_lease) {
			long left = dhcp_lease_left(c, now);
			long t1 = (c->lease.bound_ms +
				   (long)c->lease.t1_s * 1000 - now) /
				  1000;

			inet_ntop(AF_INET, &c->lease.addr, ip, sizeof(ip));
			inet_ntop(AF_INET, &c->lease.server, srv, sizeof(srv));
			if (left == DHCP_FOREVER)
				ctl_sendf(fd, CTL_MORE,
					  "  dhcp %s: %s from %s, infinite "
					  "lease",
					  dhcp_state_name(c->state), ip, srv);
			else
				ctl_sendf(fd, CTL_MORE,
					  "  dhcp %s: %s from %s, %ld s left, "
					  "renew in %ld s",
					  dhcp_state_name(c->state), ip, srv,
					  left, t1 > 0 ? t1 : 0);
		} else {
			ctl_sendf(fd, CTL_MORE, "  dhcp %s",
				  dhcp_state_name(c->state));
		}
	}
}

/* One server, as this poll found it. */
static void status_peer(int fd, const struct sntp_peer *p)
{
	char lbl[NTP_HOST_MAX + 72], off[32];

	sntp_peer_label(p, lbl, sizeof(lbl));
	if (p->answered)
		ctl_sendf(fd, CTL_MORE,
			  "  server %s: offset %s, delay %.3f ms, stratum %u%s",
			  lbl, sntp_secs(off, sizeof(off), p->sample.offset_ns),
			  (double)p->sample.delay_ns / 1e6, p->stratum,
			  p->truechimer ? "" : " (falseticker)");
	else
		ctl_sendf(fd, CTL_MORE, "  server %s: %s", lbl,
			  p->denied   ? "refuses us (kiss-o'-death)"
			  : p->why[0] ? p->why
				      : "no answer yet");
}

/* The time sync: the last sync, the client's state, each server. */
static void status_time(int fd, long now)
{
	const struct sntp *c = &netd.sntp;
	const char *dry = sysclock_is_dry_run() ? " (dry run)" : "";
	char off[32];

	if (c->syncs)
		ctl_sendf(fd, CTL_MORE,
			  "time: synced to %s, offset %s, %ld s ago%s",
			  c->server, sntp_secs(off, sizeof(off), c->offset_ns),
			  (now - c->synced_ms) / 1000, dry);
	else
		ctl_sendf(fd, CTL_MORE, "time: not synced%s%s%s",
			  c->last_error[0] ? ": " : "", c->last_error, dry);
	if (c->state == SNTP_STOPPED) {
		ctl_send(fd, CTL_MORE,
			 "  ntp stopped: no server (network.conf's ntp, DHCP "
			 "option 42)");
		return;
	}
	if (c->syncs && c->last_failed)
		ctl_sendf(fd, CTL_MORE, "  last poll: %s", c->last_error);
	if (c->next_ms >= 0)
		ctl_sendf(
			fd, CTL_MORE, "  ntp %s: %s in %ld s (interval %ld s)",
			sntp_state_name(c->state),
			c->state == SNTP_WAITING ? "next poll" : "gives up",
			c->next_ms > now ? (c->next_ms - now + 999) / 1000 : 0,
			c->interval_ms / 1000);
	for (int i = 0; i < c->n_peers; i++)
		status_peer(fd, &c->peers[i]);
}

static void status(int fd)
{
	static struct seen s; /* 10 KB: not on the stack */
	char gw[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	const char *missing = NULL;
	long now = monotonic_ms();

	s.n_addrs = s.n_routes = 0;
	rtnl_dump(&netd.req, RTM_GETADDR, AF_UNSPEC, collect_addr, &s);
	rtnl_dump(&netd.req, RTM_GETROUTE, AF_UNSPEC, collect_route, &s);
	ctl_sendf(fd, CTL_MORE, "config: %s", netd.conf.source);
	ctl_sendf(fd, CTL_MORE, "ready: %s",
		  links_ready(&missing) ? "yes" : "no");
	for (struct link *l = netd.links; l; l = l->next)
		status_link(fd, l, &s, now);
	ctl_send(fd, CTL_MORE, "routes:");
	for (int i = 0; i < s.n_routes; i++) {
		const struct nl_route *r = &s.routes[i];
		struct link *l = link_by_index(r->oif);
		char dstbuf[INET6_ADDRSTRLEN + 8];

		if (r->family == AF_INET6 && r->plen == 8 &&
		    r->dst.b[0] == 0xff)
			continue; /* multicast */
		if (r->plen)
			snprintf(dstbuf, sizeof(dstbuf), "%s/%u",
				 inet_ntop(r->family, r->dst.b, dst,
					   sizeof(dst)),
				 r->plen);
		else
			snprintf(dstbuf, sizeof(dstbuf), "default");
		ctl_sendf(fd, CTL_MORE, "  %s%s%s dev %s metric %u%s", dstbuf,
			  r->has_gw ? " via " : "",
			  r->has_gw ? inet_ntop(r->family, r->gw.b, gw,
						sizeof(gw))
				    : "",
			  l ? l->name : "?", r->metric,
			  r->protocol == RTPROT_DHCP	 ? " (dhcp)"
			  : r->protocol == RTPROT_STATIC ? " (static)"
							 : "");
	}
	ctl_send(fd, CTL_MORE, "dns:");
	{
		char copy[sizeof(netd.resolv_last)], *save = NULL;

		strcpy(copy, netd.resolv_last);
		for (char *line = strtok_r(copy, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save))
			if (line[0] != '#')
				ctl_sendf(fd, CTL_MORE, "  %s", line);
	}
	status_time(fd, now);
	ctl_send(fd, CTL_OK, "");
}

void ctl_handle(int lfd)
{
	char req[CTL_MSG_MAX], out[256], *argv[CTL_ARGS_MAX + 1];
	int argc, fd = ctl_accept(lfd, req, sizeof(req), argv, &argc);

	if (fd < 0)
		return;
	if (argc == 1 && !strcmp(argv[0], "status")) {
		status(fd);
	} else if (argc == 1 && !strcmp(argv[0], "reload")) {
		if (links_reload(out, sizeof(out)))
			ctl_send(fd, CTL_ERR, out);
		else
			ctl_sendf(fd, CTL_OK, "configuration from %s",
				  netd.conf.source);
	} else if ((argc == 3 || argc == 4) && !strcmp(argv[0], "pod-add")) {
		if (pods_add(argv[1], argv[2], argc == 4 ? argv[3] : NULL, out,
			     sizeof(out)))
			ctl_send(fd, CTL_ERR, out);
		else
			ctl_send(fd, CTL_OK, out);
	} else if (argc == 2 && !strcmp(argv[0], "pod-del")) {
		if (pods_del(argv[1], out, sizeof(out)))
			ctl_send(fd, CTL_ERR, out);
		else
			ctl_send(fd, CTL_OK, out);
	} else {
		ctl_sendf(fd, CTL_ERR,
			  "unknown request '%s': status, reload, pod-add NAME "
			  "NETNS [PORTS], pod-del NAME",
			  argc ? argv[0] : "");
	}
	close(fd);
}
