// SPDX-License-Identifier: MIT
/*
 * Addresses and routes on a link, through rtnetlink: each change netd
 * makes is remembered (with whether DHCP gave it), so that netd can take
 * off what it put on, and tell its own deletions from someone else's.
 * A failure is logged here and the link goes on with the rest.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "log.h"
#include "netd.h"

int apply_link_up(struct link *l, unsigned mtu)
{
	struct nlm_link req = { .index = l->index,
				.up = 1,
				.mtu = mtu,
				.master = -1,
				.netns_fd = -1 };
	int r = rtnl_call(&netd.req,
			  nlm_link_set(netd.nlbuf, rtnl_seq(&netd.req), &req));

	if (r && mtu)
		log_warn("unable to bring %s up with mtu %u: %s", l->name, mtu,
			 strerror(-r));
	else if (r)
		log_warn("unable to bring %s up: %s", l->name, strerror(-r));
	return r;
}

static bool same_addr(const struct nlm_addr *a, int family,
		      const union nl_ip *ip, uint8_t plen)
{
	return a->family == family && a->plen == plen &&
	       !memcmp(a->addr.b, ip->b, family == AF_INET ? 4 : 16);
}

int apply_addr(struct link *l, const struct nlm_addr *a, bool dhcp)
{
	char ip[INET6_ADDRSTRLEN];
	int i, r;

	r = rtnl_call(&netd.req,
		      nlm_addr(netd.nlbuf, rtnl_seq(&netd.req), 1, a));
	if (r) {
		log_warn("unable to add address %s/%u to %s: %s",
			 inet_ntop(a->family, a->addr.b, ip, sizeof(ip)),
			 a->plen, l->name, strerror(-r));
		return r;
	}
	for (i = 0; i < l->n_addrs; i++)
		if (same_addr(&l->addrs[i], a->family, &a->addr, a->plen))
			break;
	if (i == l->n_addrs) {
		if (l->n_addrs == LINK_MAX_ADDRS)
			return 0;
		l->n_addrs++;
	}
	l->addrs[i] = *a;
	l->addr_dhcp[i] = (uint8_t)dhcp;
	return 0;
}

/* A route is known by its destination and metric (and family). */
static bool same_route(const struct nlm_route *a, int family,
		       const union nl_ip *dst, uint8_t plen, uint32_t metric)
{
	return a->family == family && a->plen == plen && a->metric == metric &&
	       !memcmp(a->dst.b, dst->b, 16);
}

int apply_route(struct link *l, const struct nlm_route *rt, bool dhcp)
{
	char dst[INET6_ADDRSTRLEN], gw[INET6_ADDRSTRLEN];
	int i, r;

	r = rtnl_call(&netd.req,
		      nlm_route(netd.nlbuf, rtnl_seq(&netd.req), 1, rt));
	if (r) {
		log_warn("unable to add route %s/%u via %s on %s: %s",
			 inet_ntop(rt->family, rt->dst.b, dst, sizeof(dst)),
			 rt->plen,
			 inet_ntop(rt->family, rt->gw.b, gw, sizeof(gw)),
			 l->name, strerror(-r));
		return r;
	}
	for (i = 0; i < l->n_routes; i++)
		if (same_route(&l->routes[i], rt->family, &rt->dst, rt->plen,
			       rt->metric))
			break;
	if (i == l->n_routes) {
		if (l->n_routes == LINK_MAX_ROUTES)
			return 0;
		l->n_routes++;
	}
	l->routes[i] = *rt;
	l->route_dhcp[i] = (uint8_t)dhcp;
	return 0;
}

static void forget_addr(struct link *l, int i)
{
	l->addrs[i] = l->addrs[l->n_addrs - 1];
	l->addr_dhcp[i] = l->addr_dhcp[l->n_addrs - 1];
	l->n_addrs--;
}

static void forget_route(struct link *l, int i)
{
	l->routes[i] = l->routes[l->n_routes - 1];
	l->route_dhcp[i] = l->route_dhcp[l->n_routes - 1];
	l->n_routes--;
}

/* Forget entry i before deleting it, so the kernel's event for the
 * deletion is not taken for someone else's doing. */
static void drop_addr(struct link *l, int i)
{
	struct nlm_addr a = l->addrs[i];

	forget_addr(l, i);
	rtnl_call(&netd.req, nlm_addr(netd.nlbuf, rtnl_seq(&netd.req), 0, &a));
}

static void drop_route(struct link *l, int i)
{
	struct nlm_route r = l->routes[i];

	forget_route(l, i);
	rtnl_call(&netd.req, nlm_route(netd.nlbuf, rtnl_seq(&netd.req), 0, &r));
}

static void unapply(struct link *l, bool only_dhcp)
{
	/* routes first: some of them go through the addresses */
	for (int i = l->n_routes - 1; i >= 0; i--)
		if (!only_dhcp || l->route_dhcp[i])
			drop_route(l, i);
	for (int i = l->n_addrs - 1; i >= 0; i--)
		if (!only_dhcp || l->addr_dhcp[i])
			drop_addr(l, i);
}

void unapply_dhcp(struct link *l)
{
	unapply(l, true);
}

void unapply_all(struct link *l)
{
	unapply(l, false);
}

bool apply_note_deleted_addr(struct link *l, const struct nl_addr *a)
{
	char ip[INET6_ADDRSTRLEN];

	for (int i = 0; i < l->n_addrs; i++) {
		if (!same_addr(&l->addrs[i], a->family, &a->addr, a->plen))
			continue;
		log_warn("%s: address %s/%u was removed, not by netd", l->name,
			 inet_ntop(a->family, a->addr.b, ip, sizeof(ip)),
			 a->plen);
		forget_addr(l, i);
		return true;
	}
	return false;
}

bool apply_note_deleted_route(struct link *l, const struct nl_route *r)
{
	char dst[INET6_ADDRSTRLEN];

	for (int i = 0; i < l->n_routes; i++) {
		if (!same_route(&l->routes[i], r->family, &r->dst, r->plen,
				r->metric))
			continue;
		log_warn("%s: route %s/%u was removed, not by netd", l->name,
			 inet_ntop(r->family, r->dst.b, dst, sizeof(dst)),
			 r->plen);
		forget_route(l, i);
		return true;
	}
	return false;
}
