/* SPDX-License-Identifier: MIT */
#ifndef KEEL_NETD_H
#define KEEL_NETD_H

#include <net/if.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "conf.h"
#include "dhcp.h"
#include "nlmsg.h"
#include "rtnl.h"
#include "sntp.h"

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

/*
 * The daemon's state, one of it (netd.c), sized at start. Every part
 * reads it; each field is written only by the part named beside it.
 */
struct netd {
	struct rtnl req; /* main.c: requests and dumps */
	struct rtnl events; /* main.c: link, address and route events */
	struct net_conf conf; /* netd.c: the configuration running */
	const char *const *conf_paths; /* main.c: most important first */
	int n_conf_paths;
	const char *state_dir; /* main.c: leases, /var/lib/keel/netd */
	const char *run_dir; /* main.c: resolv.conf, pods, /run/keel */
	const char *sock_path; /* main.c: /run/netd.sock */
	int ctl_fd; /* main.c: listening on sock_path */
	struct link *links; /* links.c */
	char nlbuf[NLM_BUF]; /* whoever sends: one request at a time */
	char resolv_last[2048]; /* resolv.c: what it last wrote */
	/* the time sync */
	struct sntp sntp; /* timesync.c: the SNTP client */
	const char *clock_file; /* main.c: the saved time, KEEL_CLOCK_FILE */
	int ntp_fd[2]; /* ntpio.c: UDP for IPv4 and IPv6, -1 until used */
	int lookup_fd; /* ntpio.c: a name lookup's answers, -1 none */
	pid_t lookup_pid; /* ntpio.c: its child, 0 none */
};

extern struct netd netd;

/* netd.c: the configuration from conf_paths into netd.conf; 0 or -errno
 * (logged; the last good one stays, at start the built-in default) */
int netd_conf_load(bool first);

/* loop.c: the poll loop; 0 when told to stop, 1 when it cannot go on */
int loop_init(void);
int loop_run(void);

/* links.c: the link table, rules applied, events */
void links_scan(void);
void links_event(const struct nlmsghdr *nlh);
int links_reload(char *err, size_t errlen);
struct link *link_by_index(int index);
void link_receive(struct link *l);
long links_next_timer(void);
void links_timers(long now);
bool links_ready(const char **missing);

/* apply.c: netlink changes, each logged when it fails */
int apply_link_up(struct link *l, unsigned mtu);
int apply_addr(struct link *l, const struct nlm_addr *a, bool dhcp);
int apply_route(struct link *l, const struct nlm_route *r, bool dhcp);
void unapply_dhcp(struct link *l);
void unapply_all(struct link *l);
/* Someone else deleted it: forget it, say so; whether it was netd's. */
bool apply_note_deleted_addr(struct link *l, const struct nl_addr *a);
bool apply_note_deleted_route(struct link *l, const struct nl_route *r);

/* dhcpio.c: the packet socket a link's DHCP client speaks through */
int dhcpio_open(struct link *l);
void dhcpio_close(struct link *l);
int dhcpio_send(struct link *l, const uint8_t *msg, size_t len, uint32_t dst);
int dhcpio_recv(struct link *l, struct dhcp_msg *m);

/* lease.c: remembered leases, so a restart asks for the same address */
uint32_t lease_load(const struct link *l);
void lease_save(const struct link *l);
void lease_forget(const struct link *l);

/* resolv.c: resolv.conf from every source */
void resolv_update(void);

/* timesync.c: the SNTP client's place in netd: its servers (network.conf,
 * DHCP), its sockets and timer in the loop, the clock it corrects */
void timesync_init(void);
void timesync_update(long now); /* after each pass: servers, network */
int timesync_poll_fds(struct pollfd *pfd); /* up to 3 */
void timesync_poll_events(const struct pollfd *pfd, int n);
long timesync_next_timer(void);
void timesync_timers(long now);
void timesync_stop(void);

/* ntpio.c: its UDP sockets and name lookups (a child process) */
int ntpio_send(const struct sockaddr *sa, socklen_t len, const uint8_t *pkt,
	       size_t n, uint64_t *t1);
ssize_t ntpio_recv(int fd, uint8_t *buf, size_t len,
		   struct sockaddr_storage *from, socklen_t *fromlen,
		   uint64_t *t4);
int ntpio_lookup(char (*hosts)[NTP_HOST_MAX], int n);
void ntpio_lookup_stop(void);
/* What came from the lookup: each address or failure; true at its end */
bool ntpio_lookup_read(void (*on_addr)(const char *host,
				       const struct sockaddr *sa,
				       socklen_t len),
		       void (*on_fail)(const char *host, const char *why));

/* status.c, pods.c: requests on netd.sock */
void ctl_handle(int lfd);
int pods_add(const char *name, const char *netns, const char *ports, char *out,
	     size_t outlen);
int pods_del(const char *name, char *out, size_t outlen);
/* netd's own pod links (the bridge, the veths' host ends): no rule's */
bool pods_own_link(const char *name);

#endif
