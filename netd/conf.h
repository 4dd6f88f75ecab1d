/* SPDX-License-Identifier: MIT */
#ifndef KEEL_NETD_CONF_H
#define KEEL_NETD_CONF_H

#include <stddef.h>
#include <stdint.h>
#include "nlmsg.h"
#include "ntp.h"

/*
 * /etc/keel/network.conf and its overrides. Global keys first, then one
 * section per interface rule, matched by name, glob or MAC:
 *
 *   dns = 1.1.1.1
 *   [eth0]            [en*]            [52:54:00:12:34:56]
 *   dhcp = yes
 *   address = 192.0.2.10/24
 *
 * The keys are in netd/README.md.
 */
#define NET_MAX_RULES 16
#define NET_MAX_ADDRS 8
#define NET_MAX_ROUTES 16
#define NET_MAX_DNS 4
#define NET_MAX_SEARCH 6
#define NET_NAME_MAX 64
#define NET_MAX_NTP 8

struct net_prefix {
	int family; /* AF_INET, AF_INET6 */
	union nl_ip ip;
	uint8_t plen;
};

struct net_route {
	struct net_prefix dst;
	union nl_ip gw;
	uint8_t has_gw;
};

struct net_dns {
	struct net_prefix servers[NET_MAX_DNS]; /* plen unused */
	int n_servers;
	char search[NET_MAX_SEARCH][NET_NAME_MAX];
	int n_search;
};

struct net_rule {
	char match[32]; /* name or glob; "" when matching by MAC */
	uint8_t mac[6];
	uint8_t by_mac;
	uint8_t hardware_only; /* the built-in default: NICs, not veths */
	char where[80]; /* "file:line" of the section, for logs */
	uint8_t dhcp;
	uint8_t required;
	struct net_prefix addrs[NET_MAX_ADDRS];
	int n_addrs;
	struct net_prefix gw4, gw6; /* family 0: none */
	struct net_route routes[NET_MAX_ROUTES];
	int n_routes;
	unsigned mtu;
	struct net_dns dns;
};

struct net_conf {
	struct net_rule rules[NET_MAX_RULES];
	int n_rules;
	struct net_dns dns; /* global servers and search domains */
	int ready_timeout_s;
	struct net_prefix pod_cidr;
	char ntp[NET_MAX_NTP][NTP_HOST_MAX]; /* servers, as written */
	int n_ntp;
	uint8_t set_timeout, set_pod, set_ntp; /* set by a file */
	char source[160]; /* the files it came from, for status */
};

/* No file, or no rule in any file: loopback, DHCP on every NIC. */
void net_conf_default(struct net_conf *c);

/*
 * Parse one file's text into c (rules appended after those already
 * there; globals set here replace earlier ones). 0, or -EINVAL with
 * err = "<path>:<line>: <reason>".
 */
int net_conf_parse(struct net_conf *c, const char *path, char *text, char *err,
		   size_t errlen);

/*
 * The configuration from paths, most important first: a rule from an
 * earlier file wins over a later file's rule for the same interface, and
 * an earlier file's globals over a later file's. Missing files are
 * skipped. On any error c is untouched: -errno (-EINVAL for a file with
 * an error in it) and err says where.
 */
int net_conf_load(struct net_conf *c, const char *const *paths, int n,
		  char *err, size_t errlen);

/*
 * The first rule for this interface, or NULL. hardware says whether the
 * link is a NIC (no link kind), for the default rule.
 */
const struct net_rule *net_conf_match(const struct net_conf *c,
				      const char *name, const uint8_t *mac,
				      int hardware);

/*
 * "10.0.0.1/24" etc. into p; 0 or -EINVAL. want_plen 1: "/len" needed,
 * 0: not allowed, 2: either.
 */
int net_prefix_parse(const char *s, struct net_prefix *p, int want_plen);

#endif
