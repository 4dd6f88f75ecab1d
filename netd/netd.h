/* SPDX-License-Identifier: MIT */
#ifndef KEEL_NETD_H
#define KEEL_NETD_H

#include <net/if.h>
#include <stdint.h>
#include "conf.h"
#include "dhcp.h"
#include "nlmsg.h"
#include "rtnl.h"

/* linux/if.h has it, but clashes with net/if.h */
#ifndef IFF_LOWER_UP
#define IFF_LOWER_UP 0x10000
#endif

/* What netd put on a link, so it can take it off again and notice when
 * someone else does. */
#define LINK_MAX_ADDRS (NET_MAX_ADDRS + 1)
#define LINK_MAX_ROUTES (NET_MAX_ROUTES + DHCP_MAX_ROUTES + 4)

struct link {
	struct link *next;
	int index;
	char name[IF_NAMESIZE];
	uint8_t mac[6];
	unsigned flags;
	int hardware; /* a NIC: no link kind */
	struct net_rule rule; /* a copy: a reload replaces netd.conf */
	int has_rule;
	int carrier;
	/* DHCP */
	struct dhcp_client dhcp;
	int pkt_fd;
	uint8_t server_mac[6];
	long bad_logged_ms; /* rate limit for "ignoring a bad packet" */
	unsigned bad_count;
	/* what netd applied */
	struct nlm_addr addrs[LINK_MAX_ADDRS];
	uint8_t addr_dhcp[LINK_MAX_ADDRS];
	int n_addrs;
	struct nlm_route routes[LINK_MAX_ROUTES];
	uint8_t route_dhcp[LINK_MAX_ROUTES];
	int n_routes;
};

struct netd {
	struct rtnl req; /* requests and dumps */
	struct rtnl events; /* link, address and route events */
	struct net_conf conf;
	const char *const *conf_paths;
	int n_conf_paths;
	const char *state_dir; /* leases: /var/lib/keel/netd */
	const char *run_dir; /* netd.sock, resolv.conf: /run/keel */
	struct link *links;
	int ready_fd; /* -1 once told */
	long started_ms;
	int ctl_fd;
	char nlbuf[NLM_BUF];
	char resolv_last[2048];
};

extern struct netd netd;

/* links.c: the link table, rules applied, events */
void links_scan(void);
void links_event(const struct nlmsghdr *nlh);
void links_reconfigure(void);
struct link *link_by_index(int index);
void link_dhcp_bound(struct link *l, const struct dhcp_lease *old);
void link_dhcp_lost(struct link *l, const char *why);
void link_packet(struct link *l);
long links_next_timer(void);
void links_timers(long now);
int links_ready(const char **missing);
void links_shutdown(void);

/* apply.c: netlink changes, each logged when it fails */
int apply_link_up(struct link *l, unsigned mtu);
int apply_addr(struct link *l, const struct nlm_addr *a, int dhcp);
int apply_route(struct link *l, const struct nlm_route *r, int dhcp);
void unapply_dhcp(struct link *l);
void unapply_all(struct link *l);
int apply_note_deleted_addr(struct link *l, const struct nl_addr *a);
int apply_note_deleted_route(struct link *l, const struct nl_route *r);

/* dhcpio.c: the raw socket a link's DHCP client speaks through */
int dhcpio_open(struct link *l);
void dhcpio_close(struct link *l);
extern const struct dhcp_ops dhcpio_ops;

/* lease.c: remembered leases, so a restart asks for the same address */
uint32_t lease_load(const struct link *l);
void lease_save(const struct link *l);
void lease_forget(const struct link *l);

/* resolv.c: resolv.conf from every source */
void resolv_update(void);

/* status.c, pods.c: requests on netd.sock */
void ctl_handle(int lfd);
int pods_add(const char *name, const char *netns, const char *ports, char *out,
	     size_t outlen);
int pods_del(const char *name, char *out, size_t outlen);
void pods_status(int fd);

#endif
