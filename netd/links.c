// SPDX-License-Identifier: MIT
/*
 * The link table: every link the kernel has, the rule that configures
 * it, its carrier, and its DHCP client, whose callbacks land here. A
 * link with no rule is only watched; with one it is configured (up,
 * its static addresses), and with carrier too connected (its routes
 * and, for dhcp = yes, a running DHCP client): netd/README.md, "States".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fnmatch.h>
#include <net/if_arp.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "clock.h"
#include "errmsg.h"
#include "log.h"
#include "netd.h"

#define RECV_BUDGET 32 /* packets read from a DHCP socket per wake-up */

/* Routes netd adds get one metric per link, so two links' default
 * routes live side by side instead of replacing each other. */
static uint32_t metric_of(const struct link *l)
{
	return 1000 + (uint32_t)l->index;
}

struct link *link_by_index(int index)
{
	for (struct link *l = netd.links; l; l = l->next)
		if (l->index == index)
			return l;
	return NULL;
}

/* lo is only brought up, and the pods' links are pods.c's: no rule
 * configures them, and their coming and going is no news. */
static bool takes_rules(const char *name)
{
	return strcmp(name, "lo") && !pods_own_link(name);
}

static bool has_carrier(unsigned flags)
{
	return (flags & IFF_UP) && (flags & IFF_LOWER_UP);
}

static bool is_wireless(const char *name)
{
	char path[80];

	snprintf(path, sizeof(path), "/sys/class/net/%s/wireless", name);
	return access(path, F_OK) == 0;
}

static void apply_static_addrs(struct link *l)
{
	const struct net_rule *r = &l->rule;

	for (int i = 0; i < r->n_addrs; i++) {
		struct nlm_addr a = {
			.family = r->addrs[i].family,
			.index = l->index,
			.addr = r->addrs[i].ip,
			.plen = r->addrs[i].plen,
		};

		apply_addr(l, &a, false);
	}
}

static void gateway_route(struct link *l, const struct net_prefix *gw)
{
	struct nlm_route rt = {
		.family = gw->family,
		.index = l->index,
		.gw = gw->ip,
		.metric = metric_of(l),
		.protocol = RTPROT_STATIC,
	};

	if (gw->family)
		apply_route(l, &rt, false);
}

static void apply_static_routes(struct link *l)
{
	const struct net_rule *r = &l->rule;

	gateway_route(l, &r->gw4);
	gateway_route(l, &r->gw6);
	for (int i = 0; i < r->n_routes; i++) {
		struct nlm_route rt = {
			.family = r->routes[i].dst.family,
			.index = l->index,
			.dst = r->routes[i].dst.ip,
			.plen = r->routes[i].dst.plen,
			.gw = r->routes[i].gw,
			.metric = metric_of(l),
			.protocol = RTPROT_STATIC,
		};

		apply_route(l, &rt, false);
	}
}

/* --- the DHCP client's callbacks ------------------------------------ */

static void on_send(struct dhcp_client *c, const uint8_t *msg, size_t len,
		    uint32_t dst)
{
	struct link *l = c->ctx;
	int r = dhcpio_send(l, msg, len, dst);

	/* a link going down fails its last sends: carrier_down follows */
	if (r && r != -ENETDOWN)
		log_warn("unable to send a DHCP message on %s: %s", l->name,
			 strerror(-r));
}

/*
 * The lease's routes. RFC 3442 section 3: with option 121 present,
 * option 3 is ignored; on-link routes go first, as a route via a router
 * outside the subnet may need one of them (RFC 3442 leaves the order to
 * the server).
 */
static void apply_lease_routes(struct link *l, const struct dhcp_lease *ls)
{
	struct nlm_route rt = {
		.family = AF_INET,
		.index = l->index,
		.metric = metric_of(l),
		.protocol = RTPROT_DHCP,
	};
	uint32_t mask = ls->plen ? htonl(0xffffffffu << (32 - ls->plen)) : 0;

	rt.prefsrc.v4 = ls->addr;
	if (ls->has_classless) {
		for (int pass = 0; pass < 2; pass++)
			for (int i = 0; i < ls->n_routes; i++) {
				if ((ls->routes[i].gw != 0) != pass)
					continue;
				rt.plen = ls->routes[i].plen;
				rt.dst.v4 = ls->routes[i].dst;
				rt.gw.v4 = ls->routes[i].gw;
				apply_route(l, &rt, true);
			}
		return;
	}
	if (!ls->n_routers)
		return;
	/* a router outside our subnet (a /32 lease, as clouds give) is
	 * reached through a host route on the link */
	if ((ls->routers[0] & mask) != (ls->addr & mask)) {
		struct nlm_route host = rt;

		host.dst.v4 = ls->routers[0];
		host.plen = 32;
		apply_route(l, &host, true);
	}
	rt.gw.v4 = ls->routers[0];
	apply_route(l, &rt, true);
}

static void on_bound(struct dhcp_client *c, const struct dhcp_lease *old)
{
	struct link *l = c->ctx;
	const struct dhcp_lease *ls = &c->lease;
	uint32_t life = ls->lease_s == DHCP_INFINITE ? 0 : ls->lease_s;
	struct nlm_addr a = {
		.family = AF_INET,
		.index = l->index,
		.plen = ls->plen,
		.valid_s = life,
		.preferred_s = life,
	};
	char addr[INET_ADDRSTRLEN], srv[INET_ADDRSTRLEN];

	a.addr.v4 = ls->addr;
	a.brd.v4 = ls->broadcast;
	inet_ntop(AF_INET, &ls->addr, addr, sizeof(addr));
	inet_ntop(AF_INET, &ls->server, srv, sizeof(srv));
	if (old && old->addr == ls->addr) {
		log_info("%s: dhcp: renewed %s/%u from %s, lease %u s", l->name,
			 addr, ls->plen, srv, ls->lease_s);
		apply_addr(l, &a, true); /* new lifetimes */
		return;
	}
	if (old)
		unapply_dhcp(l);
	log_info("%s: dhcp: bound %s/%u from %s, lease %u s", l->name, addr,
		 ls->plen, srv, ls->lease_s);
	if (ls->mtu && ls->mtu != l->rule.mtu)
		apply_link_up(l, ls->mtu);
	apply_addr(l, &a, true);
	apply_lease_routes(l, ls);
	lease_save(l);
	resolv_update();
}

static void on_lost(struct dhcp_client *c, const char *why)
{
	struct link *l = c->ctx;

	log_warn("%s: dhcp: lost %s: %s", l->name,
		 inet_ntoa((struct in_addr){ c->lease.addr }), why);
	unapply_dhcp(l);
	lease_forget(l);
	resolv_update();
}

static void on_log(struct dhcp_client *c, const char *msg)
{
	log_info("%s: dhcp: %s", ((struct link *)c->ctx)->name, msg);
}

static const struct dhcp_ops dhcp_ops = {
	.send = on_send,
	.bound = on_bound,
	.lost = on_lost,
	.log = on_log,
};

/* What came on l's DHCP socket, for its client. */
void link_receive(struct link *l)
{
	struct dhcp_msg m;

	for (int budget = RECV_BUDGET; budget > 0; budget--) {
		int r = dhcpio_recv(l, &m);

		if (r == -ENOMSG)
			continue; /* not a message for this client */
		if (r)
			return;
		dhcp_input(&l->dhcp, &m, monotonic_ms());
	}
}

/* --- configuring a link --------------------------------------------- */

static void dhcp_begin(struct link *l)
{
	uint32_t remembered;
	int r;

	if (!l->rule.dhcp || !l->carrier)
		return;
	r = dhcpio_open(l);
	if (r) {
		log_err("unable to open a DHCP socket on %s: %s", l->name,
			strerror(-r));
		return;
	}
	remembered = lease_load(l);
	if (remembered)
		log_info("%s: dhcp: asking for %s again", l->name,
			 inet_ntoa((struct in_addr){ remembered }));
	dhcp_start(&l->dhcp, remembered, monotonic_ms());
}

static void carrier_up(struct link *l)
{
	apply_static_addrs(l);
	apply_static_routes(l);
	dhcp_begin(l);
}

static void carrier_down(struct link *l)
{
	if (l->dhcp.state != DHCP_STOPPED) {
		log_info("%s: no carrier: dropping its DHCP lease and routes",
			 l->name);
		dhcp_stop(&l->dhcp);
		dhcpio_close(l);
		unapply_dhcp(l);
		resolv_update();
	}
}

static void configure(struct link *l)
{
	const struct net_rule *r;

	if (!strcmp(l->name, "lo")) {
		if (!(l->flags & IFF_UP))
			apply_link_up(l, 0);
		return;
	}
	if (pods_own_link(l->name))
		return;
	r = net_conf_match(&netd.conf, l->name, l->mac, l->hardware);
	if (!r) {
		l->has_rule = 0;
		return;
	}
	l->rule = *r;
	l->has_rule = 1;
	log_info("%s: configuring from %s (%s%s%s)", l->name, r->where,
		 r->dhcp ? "dhcp" : "static",
		 r->n_addrs ? (r->dhcp ? " + static" : "") : "",
		 r->required ? ", required" : "");
	apply_link_up(l, r->mtu);
	/* the addresses go on at once; routes, which need the link to
	 * work, and DHCP wait for carrier */
	apply_static_addrs(l);
	if (l->carrier)
		carrier_up(l);
}

static void deconfigure(struct link *l)
{
	dhcp_stop(&l->dhcp);
	dhcpio_close(l);
	unapply_all(l);
	l->has_rule = 0;
}

static struct link *link_new(const struct nl_link *nl)
{
	struct link *l = calloc(1, sizeof(*l));

	if (!l) {
		log_err("unable to add link %s: %s", nl->name,
			strerror(ENOMEM));
		return NULL;
	}
	l->index = nl->index;
	l->pkt_fd = -1;
	memcpy(l->name, nl->name, sizeof(l->name));
	memcpy(l->mac, nl->mac, 6);
	l->flags = nl->flags;
	l->carrier = has_carrier(nl->flags);
	l->hardware = !nl->kind[0] && nl->type == ARPHRD_ETHER &&
		      !is_wireless(nl->name);
	dhcp_init(&l->dhcp, &dhcp_ops, l, l->mac,
		  (unsigned)(monotonic_ms() ^ (nl->mac[5] << 24) ^
			     (nl->mac[4] << 16) ^ (nl->mac[3] << 8) ^
			     (unsigned)getpid()));
	l->dhcp.hostname = NULL;
	l->next = netd.links;
	netd.links = l;
	return l;
}

static void link_free(struct link *l)
{
	struct link **pp = &netd.links;

	while (*pp && *pp != l)
		pp = &(*pp)->next;
	if (*pp)
		*pp = l->next;
	dhcp_stop(&l->dhcp);
	dhcpio_close(l);
	free(l);
}

static void link_changed(const struct nl_link *nl, bool announce)
{
	struct link *l = link_by_index(nl->index);
	int carrier = has_carrier(nl->flags);

	if (!l) {
		l = link_new(nl);
		if (!l)
			return;
		if (announce && takes_rules(nl->name))
			log_info("%s: new link (index %d%s%s)", l->name,
				 l->index, nl->kind[0] ? ", " : "", nl->kind);
		configure(l);
		return;
	}
	l->flags = nl->flags;
	if (strcmp(l->name, nl->name) ||
	    (nl->has_mac && memcmp(l->mac, nl->mac, 6))) {
		/* another rule may match now; DHCP needs the new MAC */
		if (strcmp(l->name, nl->name))
			log_info("%s: renamed to %s", l->name, nl->name);
		else
			log_info("%s: new MAC address", l->name);
		memcpy(l->name, nl->name, sizeof(l->name));
		deconfigure(l);
		if (nl->has_mac) {
			memcpy(l->mac, nl->mac, 6);
			memcpy(l->dhcp.mac, nl->mac, 6);
		}
		l->carrier = carrier;
		configure(l);
		return;
	}
	if (carrier == l->carrier)
		return;
	l->carrier = carrier;
	if (!l->has_rule)
		return;
	log_info("%s: carrier %s", l->name, carrier ? "up" : "down");
	if (carrier)
		carrier_up(l);
	else
		carrier_down(l);
}

/* --- the kernel's links ---------------------------------------------- */

struct scan {
	struct nl_link *links;
	int n, cap;
};

static int collect_link(const struct nlmsghdr *nlh, void *ctx)
{
	struct scan *sc = ctx;

	if (sc->n == sc->cap) {
		int cap = sc->cap ? sc->cap * 2 : 16;
		struct nl_link *more =
			realloc(sc->links, (size_t)cap * sizeof(*more));

		if (!more)
			return MNL_CB_OK;
		sc->links = more;
		sc->cap = cap;
	}
	if (nl_parse_link(nlh, &sc->links[sc->n]) == 0)
		sc->n++;
	return MNL_CB_OK;
}

/*
 * Every link as the kernel has it now: at start, and after lost events
 * (ENOBUFS), when links may have come, gone or changed unseen. Known
 * links go through the same path as an event; links no longer there
 * are dropped.
 */
void links_scan(void)
{
	struct scan sc = { 0 };
	int r = rtnl_dump(&netd.req, RTM_GETLINK, AF_UNSPEC, collect_link, &sc);
	struct link *l, *next;

	if (r) {
		log_err("unable to list links: %s", strerror(-r));
		free(sc.links);
		return;
	}
	for (l = netd.links; l; l = next) {
		bool found = false;

		next = l->next;
		for (int i = 0; i < sc.n && !found; i++)
			found = sc.links[i].index == l->index;
		if (!found) {
			if (l->has_rule)
				log_info("%s: link removed", l->name);
			link_free(l);
		}
	}
	/* configured after the dump: configure() makes requests */
	for (int i = 0; i < sc.n; i++) {
		if (!link_by_index(sc.links[i].index) &&
		    takes_rules(sc.links[i].name))
			log_info("%s: found (index %d, %s)", sc.links[i].name,
				 sc.links[i].index,
				 sc.links[i].flags & IFF_LOWER_UP
					 ? "carrier"
					 : "no carrier");
		link_changed(&sc.links[i], false);
	}
	free(sc.links);
	resolv_update();
}

void links_event(const struct nlmsghdr *nlh)
{
	struct nl_link nl;
	struct nl_addr a;
	struct nl_route rt;
	struct link *l;

	switch (nlh->nlmsg_type) {
	case RTM_NEWLINK:
		if (nl_parse_link(nlh, &nl) == 0)
			link_changed(&nl, true);
		break;
	case RTM_DELLINK:
		if (nl_parse_link(nlh, &nl) == 0 &&
		    (l = link_by_index(nl.index))) {
			if (l->has_rule)
				log_info("%s: link removed", l->name);
			link_free(l);
			resolv_update();
		}
		break;
	case RTM_DELADDR:
		if (nl_parse_addr(nlh, &a) == 0 && (l = link_by_index(a.index)))
			apply_note_deleted_addr(l, &a);
		break;
	case RTM_DELROUTE:
		if (nl_parse_route(nlh, &rt) == 0 &&
		    rt.table == RT_TABLE_MAIN && (l = link_by_index(rt.oif)))
			apply_note_deleted_route(l, &rt);
		break;
	}
}

/* --- reload ---------------------------------------------------------- */

/* The same settings, wherever they are written: a comment added at the
 * top of the file must not bounce every link. */
static bool same_rule(const struct net_rule *a, const struct net_rule *b)
{
	struct net_rule x = *a;

	memcpy(x.where, b->where, sizeof(x.where));
	return !memcmp(&x, b, sizeof(x));
}

int links_reload(char *err, size_t errlen)
{
	int r = netd_conf_load(false);

	if (r)
		return errmsg(err, errlen, r,
			      "configuration has errors (see the log); "
			      "keeping the last good one");
	for (struct link *l = netd.links; l; l = l->next) {
		const struct net_rule *rule;

		if (!takes_rules(l->name))
			continue;
		rule = net_conf_match(&netd.conf, l->name, l->mac, l->hardware);
		if (rule && l->has_rule && same_rule(rule, &l->rule)) {
			l->rule = *rule; /* the same, perhaps on another line */
			continue;
		}
		if (!rule && !l->has_rule)
			continue;
		if (l->has_rule)
			deconfigure(l);
		configure(l);
	}
	resolv_update();
	return 0;
}

/* --- timers and readiness -------------------------------------------- */

long links_next_timer(void)
{
	long next = -1;

	for (struct link *l = netd.links; l; l = l->next)
		if (l->dhcp.next_ms >= 0 &&
		    (next < 0 || l->dhcp.next_ms < next))
			next = l->dhcp.next_ms;
	return next;
}

void links_timers(long now)
{
	for (struct link *l = netd.links; l; l = l->next)
		if (l->dhcp.next_ms >= 0 && now >= l->dhcp.next_ms)
			dhcp_timer(&l->dhcp, now);
}

/* Has a link that matches rule r got an address from netd? */
static bool rule_has_address(const struct net_rule *r)
{
	for (struct link *l = netd.links; l; l = l->next)
		if (l->has_rule && !strcmp(l->rule.where, r->where) &&
		    l->n_addrs > 0 &&
		    (!l->rule.dhcp || l->dhcp.have_lease || l->rule.n_addrs))
			return true;
	return false;
}

bool links_ready(const char **missing)
{
	for (int i = 0; i < netd.conf.n_rules; i++) {
		const struct net_rule *r = &netd.conf.rules[i];

		if (r->required && !rule_has_address(r)) {
			*missing = r->by_mac ? r->where : r->match;
			return false;
		}
	}
	return true;
}
