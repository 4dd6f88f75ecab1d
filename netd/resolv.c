// SPDX-License-Identifier: MIT
/*
 * resolv.conf from every source: the global servers and domains of
 * network.conf, then each link's rule, then each link's DHCP lease, in
 * link order, without duplicates. musl and glibc read at most 3
 * nameservers (MAXNS) and 6 search domains.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include "file.h"
#include "log.h"
#include "netd.h"

#define MAXNS 3
#define MAXSEARCH 6

struct out {
	char ns[MAXNS][INET6_ADDRSTRLEN];
	int n_ns;
	char search[MAXSEARCH][NET_NAME_MAX];
	int n_search;
};

static void add_ns(struct out *o, const char *ip)
{
	for (int i = 0; i < o->n_ns; i++)
		if (!strcmp(o->ns[i], ip))
			return;
	if (o->n_ns < MAXNS)
		snprintf(o->ns[o->n_ns++], sizeof(o->ns[0]), "%s", ip);
}

static void add_search(struct out *o, const char *name)
{
	if (!*name || strlen(name) >= NET_NAME_MAX)
		return;
	for (int i = 0; i < o->n_search; i++)
		if (!strcmp(o->search[i], name))
			return;
	if (o->n_search < MAXSEARCH)
		strcpy(o->search[o->n_search++], name);
}

static void add_dns(struct out *o, const struct net_dns *d)
{
	char ip[INET6_ADDRSTRLEN];

	for (int i = 0; i < d->n_servers; i++)
		add_ns(o, inet_ntop(d->servers[i].family, d->servers[i].ip.b,
				    ip, sizeof(ip)));
	for (int i = 0; i < d->n_search; i++)
		add_search(o, d->search[i]);
}

static void add_lease(struct out *o, const struct dhcp_lease *l)
{
	char words[256], *save = NULL;

	for (int i = 0; i < l->n_dns; i++)
		add_ns(o, inet_ntoa((struct in_addr){ l->dns[i] }));
	/* option 119 is the search list; option 15 is one domain */
	snprintf(words, sizeof(words), "%s", l->search);
	for (char *w = strtok_r(words, " ", &save); w;
	     w = strtok_r(NULL, " ", &save))
		add_search(o, w);
	add_search(o, l->domain);
}

void resolv_update(void)
{
	struct out o = { 0 };
	char text[sizeof(netd.resolv_last)], path[256];
	size_t n = 0;
	int r;

	add_dns(&o, &netd.conf.dns);
	for (struct link *l = netd.links; l; l = l->next)
		if (l->has_rule)
			add_dns(&o, &l->rule.dns);
	for (struct link *l = netd.links; l; l = l->next)
		if (l->dhcp.have_lease)
			add_lease(&o, &l->dhcp.lease);
	n += (size_t)snprintf(text + n, sizeof(text) - n,
			      "# written by netd from network.conf and DHCP\n");
	if (o.n_search) {
		n += (size_t)snprintf(text + n, sizeof(text) - n, "search");
		for (int i = 0; i < o.n_search; i++)
			n += (size_t)snprintf(text + n, sizeof(text) - n, " %s",
					      o.search[i]);
		n += (size_t)snprintf(text + n, sizeof(text) - n, "\n");
	}
	for (int i = 0; i < o.n_ns; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n,
				      "nameserver %s\n", o.ns[i]);
	if (!strcmp(text, netd.resolv_last))
		return;
	snprintf(path, sizeof(path), "%s/resolv.conf", netd.run_dir);
	r = write_atomic(path, text, strlen(text), 0644);
	if (r) {
		log_warn("unable to write %s: %s", path, strerror(-r));
		return;
	}
	strcpy(netd.resolv_last, text);
}
