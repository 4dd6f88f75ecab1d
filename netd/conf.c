// SPDX-License-Identifier: MIT
#include <arpa/inet.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "conf.h"
#include "errmsg.h"
#include "file.h"
#include "text.h"

#define CONF_FILE_MAX 65536

void net_conf_default(struct net_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->ready_timeout_s = 30;
	net_prefix_parse("10.88.0.0/16", &c->pod_cidr, 1);
	strcpy(c->source, "built-in default");
	c->n_rules = 1;
	strcpy(c->rules[0].match, "*");
	strcpy(c->rules[0].where, "built-in default");
	c->rules[0].hardware_only = 1;
	c->rules[0].dhcp = 1;
}

int net_prefix_parse(const char *s, struct net_prefix *p, int want_plen)
{
	char ip[64];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	int max, plen;

	memset(p, 0, sizeof(*p));
	if (n == 0 || n >= sizeof(ip) || (slash && !want_plen))
		return -EINVAL;
	memcpy(ip, s, n);
	ip[n] = 0;
	if (inet_pton(AF_INET, ip, p->ip.b) == 1)
		p->family = AF_INET;
	else if (inet_pton(AF_INET6, ip, p->ip.b) == 1)
		p->family = AF_INET6;
	else
		return -EINVAL;
	max = p->family == AF_INET ? 32 : 128;
	if (!slash) {
		if (want_plen == 1)
			return -EINVAL;
		p->plen = (uint8_t)max;
		return 0;
	}
	if (text_range(slash + 1, 0, max, &plen))
		return -EINVAL;
	p->plen = (uint8_t)plen;
	return 0;
}

/* Host bits set past plen (a route to 10.0.0.1/8 is a typo). */
static bool host_bits(const struct net_prefix *p)
{
	int bytes = p->family == AF_INET ? 4 : 16;

	for (int i = 0; i < bytes; i++) {
		int keep = p->plen - i * 8;
		uint8_t mask = keep >= 8   ? 0xff
			       : keep <= 0 ? 0
					   : (uint8_t)(0xff << (8 - keep));

		if (p->ip.b[i] & ~mask)
			return true;
	}
	return false;
}

static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned v[6];
	char end;

	if (strlen(s) != 17 ||
	    sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3],
		   &v[4], &v[5], &end) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
	return 0;
}

/* A DNS name as resolv.conf takes it: labels of [A-Za-z0-9-_]. */
static bool valid_domain(const char *s)
{
	size_t n = strlen(s);

	if (!n || n >= NET_NAME_MAX)
		return false;
	for (const char *p = s; *p; p++)
		if (!(('a' <= *p && *p <= 'z') || ('A' <= *p && *p <= 'Z') ||
		      ('0' <= *p && *p <= '9') || *p == '-' || *p == '_' ||
		      *p == '.'))
			return false;
	return true;
}

/* Where the parser is, and where its errors go (the caller's buffer);
 * "file:line: " goes in front in net_conf_parse. */
struct parser {
	const char *path;
	int line;
	char *err;
	size_t errlen;
};

/* dns and search values: one or more words, in a global or a rule. */
static int dns_key(struct parser *ps, struct net_dns *d, const char *key,
		   char *val)
{
	char *save = NULL;

	for (char *w = strtok_r(val, " \t,", &save); w;
	     w = strtok_r(NULL, " \t,", &save)) {
		if (!strcmp(key, "dns")) {
			if (d->n_servers == NET_MAX_DNS)
				return errmsg(ps->err, ps->errlen, -EINVAL,
					      "more than %d dns servers",
					      NET_MAX_DNS);
			if (net_prefix_parse(w, &d->servers[d->n_servers], 0))
				return errmsg(ps->err, ps->errlen, -EINVAL,
					      "dns '%s' is not an address", w);
			d->n_servers++;
		} else {
			if (d->n_search == NET_MAX_SEARCH)
				return errmsg(ps->err, ps->errlen, -EINVAL,
					      "more than %d search domains",
					      NET_MAX_SEARCH);
			if (!valid_domain(w))
				return errmsg(ps->err, ps->errlen, -EINVAL,
					      "search '%s' is not a domain", w);
			strcpy(d->search[d->n_search++], w);
		}
	}
	return 0;
}

/* route = DST/PREFIX [via GW] */
static int route_key(struct parser *ps, struct net_rule *r, char *val)
{
	char *via = strstr(val, " via ");
	struct net_route *rt = &r->routes[r->n_routes];
	struct net_prefix gw = { 0 };

	if (r->n_routes == NET_MAX_ROUTES)
		return errmsg(ps->err, ps->errlen, -EINVAL,
			      "more than %d routes", NET_MAX_ROUTES);
	memset(rt, 0, sizeof(*rt));
	if (via) {
		*via = 0;
		if (net_prefix_parse(text_trim(via + 5), &gw, 0))
			return errmsg(ps->err, ps->errlen, -EINVAL,
				      "route gateway '%s' is not an address",
				      text_trim(via + 5));
		rt->gw = gw.ip;
		rt->has_gw = 1;
	}
	if (net_prefix_parse(text_trim(val), &rt->dst, 1))
		return errmsg(ps->err, ps->errlen, -EINVAL,
			      "route '%s' is not a prefix (like "
			      "10.0.0.0/8 via 192.0.2.1)",
			      val);
	if (via && gw.family != rt->dst.family)
		return errmsg(ps->err, ps->errlen, -EINVAL,
			      "route '%s' and its gateway are of "
			      "different families",
			      val);
	if (host_bits(&rt->dst))
		return errmsg(ps->err, ps->errlen, -EINVAL,
			      "route '%s' has host bits set past /%u", val,
			      rt->dst.plen);
	r->n_routes++;
	return 0;
}

static int rule_key(struct parser *ps, struct net_rule *r, const char *key,
		    char *val)
{
	struct net_prefix p;
	int b;

	if (!strcmp(key, "dhcp") || !strcmp(key, "required")) {
		if ((b = text_bool(val)) < 0)
			return errmsg(ps->err, ps->errlen, -EINVAL,
				      "%s must be yes or no, not '%s'", key,
				      val);
		if (key[0] == 'd')
			r->dhcp = (uint8_t)b;
		else
			r->required = (uint8_t)b;
	} else if (!strcmp(key, "address")) {
		if (r->n_addrs == NET_MAX_ADDRS)
			return errmsg(ps->err, ps->errlen, -EINVAL,
				      "more than %d addresses", NET_MAX_ADDRS);
		if (net_prefix_parse(val, &p, 1))
			return errmsg(ps->err, ps->errlen, -EINVAL,
				      "address '%s' is not an address/prefix "
				      "(like 192.0.2.10/24 or 2001:db8::10/64)",
				      val);
		r->addrs[r->n_addrs++] = p;
	} else if (!strcmp(key, "gateway")) {
		if (net_prefix_parse(val, &p, 0))
			return errmsg(ps->err, ps->errlen, -EINVAL,
				      "gateway '%s' is not an address", val);
		if (p.family == AF_INET)
			r->gw4 = p;
		else
			r->gw6 = p;
	} else if (!strcmp(key, "route")) {
		return route_key(ps, r, val);
	} else if (!strcmp(key, "mtu")) {
		int mtu;

		if (text_range(val, 68, 65535, &mtu))
			return errmsg(ps->err, ps->errlen, -EINVAL,
				      "mtu must be 68..65535, not '%s'", val);
		r->mtu = (unsigned)mtu;
	} else if (!strcmp(key, "dns") || !strcmp(key, "search")) {
		return dns_key(ps, &r->dns, key, val);
	} else {
		return errmsg(ps->err, ps->errlen, -EINVAL,
			      "unknown key '%s' in an interface section", key);
	}
	return 0;
}

/* ntp = HOST [HOST...], or none (not even the image's servers). */
static int ntp_key(struct parser *ps, struct net_conf *c, char *val)
{
	char *save = NULL, name[NTP_HOST_MAX];
	uint16_t port;

	c->n_ntp = 0;
	c->set_ntp = 1;
	if (!strcmp(val, "none"))
		return 0;
	for (char *w = strtok_r(val, " \t,", &save); w;
	     w = strtok_r(NULL, " \t,", &save)) {
		if (c->n_ntp == NET_MAX_NTP)
			return errmsg(ps->err, ps->errlen, -EINVAL,
				      "more than %d ntp servers", NET_MAX_NTP);
		if (strlen(w) >= NTP_HOST_MAX ||
		    ntp_host_parse(w, name, sizeof(name), &port))
			return errmsg(ps->err, ps->errlen, -EINVAL,
				      "ntp '%s' is not a host name or address "
				      "(like pool.ntp.org, 192.0.2.1, "
				      "[2001:db8::1]:1123)",
				      w);
		strcpy(c->ntp[c->n_ntp++], w);
	}
	return 0;
}

static int global_key(struct parser *ps, struct net_conf *c, const char *key,
		      char *val)
{
	if (!strcmp(key, "dns") || !strcmp(key, "search")) {
		return dns_key(ps, &c->dns, key, val);
	} else if (!strcmp(key, "ready_timeout")) {
		if (text_range(val, 0, 3600, &c->ready_timeout_s))
			return errmsg(ps->err, ps->errlen, -EINVAL,
				      "ready_timeout must be 0..3600 seconds, "
				      "not '%s'",
				      val);
		c->set_timeout = 1;
	} else if (!strcmp(key, "pod_cidr")) {
		struct net_prefix p;

		if (net_prefix_parse(val, &p, 1) || p.family != AF_INET ||
		    p.plen < 8 || p.plen > 28 || host_bits(&p))
			return errmsg(ps->err, ps->errlen, -EINVAL,
				      "pod_cidr must be an IPv4 network of "
				      "/8 to /28, not '%s'",
				      val);
		c->pod_cidr = p;
	} else if (!strcmp(key, "ntp")) {
		return ntp_key(ps, c, val);
	} else {
		return errmsg(ps->err, ps->errlen, -EINVAL,
			      "unknown key '%s' (interface keys go after a "
			      "[name] line)",
			      key);
	}
	return 0;
}

static int section(struct parser *ps, struct net_conf *c, char *line)
{
	char *end = strchr(line, ']');
	struct net_rule *r;
	char *m;

	if (!end || end[1])
		return errmsg(ps->err, ps->errlen, -EINVAL,
			      "a section line is [name], [glob] or [mac]");
	*end = 0;
	m = text_trim(line + 1);
	if (!*m)
		return errmsg(ps->err, ps->errlen, -EINVAL,
			      "empty section name");
	if (c->n_rules == NET_MAX_RULES)
		return errmsg(ps->err, ps->errlen, -EINVAL,
			      "more than %d interface sections", NET_MAX_RULES);
	r = &c->rules[c->n_rules];
	memset(r, 0, sizeof(*r));
	snprintf(r->where, sizeof(r->where), "%s:%d", ps->path, ps->line);
	if (strchr(m, ':')) {
		if (parse_mac(m, r->mac))
			return errmsg(ps->err, ps->errlen, -EINVAL,
				      "'%s' is not a MAC address", m);
		r->by_mac = 1;
	} else {
		if (strlen(m) >= sizeof(r->match))
			return errmsg(ps->err, ps->errlen, -EINVAL,
				      "interface name '%s' is too long", m);
		strcpy(r->match, m);
	}
	c->n_rules++;
	return 0;
}

/* Sections that say nothing are likely a mistake: say which. */
static int check_rule(struct parser *ps, const struct net_rule *r)
{
	if (!r->dhcp && !r->n_addrs && (r->gw4.family || r->gw6.family))
		return errmsg(ps->err, ps->errlen, -EINVAL,
			      "section at %s has a gateway but no address "
			      "and no dhcp",
			      r->where);
	return 0;
}

/* One line: a section, a key of the current rule, or a global key. */
static int parse_line(struct parser *ps, struct net_conf *c,
		      struct net_rule **cur, char *line)
{
	char *eq, *key, *val;
	int r;

	if (*line == '[') {
		r = section(ps, c, line);
		if (!r)
			*cur = &c->rules[c->n_rules - 1];
		return r;
	}
	eq = strchr(line, '=');
	if (!eq)
		return errmsg(ps->err, ps->errlen, -EINVAL,
			      "expected key = value");
	*eq = 0;
	key = text_trim(line);
	val = text_trim(eq + 1);
	if (!*val)
		return errmsg(ps->err, ps->errlen, -EINVAL, "'%s' has no value",
			      key);
	return *cur ? rule_key(ps, *cur, key, val)
		    : global_key(ps, c, key, val);
}

int net_conf_parse(struct net_conf *c, const char *path, char *text, char *err,
		   size_t errlen)
{
	struct parser ps = { path, 0, err, errlen };
	struct net_rule *cur = NULL;
	int first = c->n_rules, r = 0;
	char *save = NULL;

	/* strtok_r would skip empty lines and so lose line numbers */
	for (char *line = text; line && !r; line = save) {
		save = strchr(line, '\n');
		if (save)
			*save++ = 0;
		ps.line++;
		line = text_trim(line);
		if (*line && *line != '#')
			r = parse_line(&ps, c, &cur, line);
	}
	for (int i = first; i < c->n_rules && !r; i++)
		r = check_rule(&ps, &c->rules[i]);
	if (r)
		return errmsg_prefix(err, errlen, r, "%s:%d: ", path, ps.line);
	return 0;
}

/*
 * One file's settings into acc, which has those of the more important
 * files: its rules go after theirs, its globals count where they set
 * none.
 */
static int merge(struct net_conf *acc, const struct net_conf *one,
		 const char *path, char *err, size_t errlen)
{
	size_t used = strlen(acc->source);

	if (acc->n_rules + one->n_rules > NET_MAX_RULES)
		return errmsg(err, errlen, -EINVAL,
			      "%s: more than %d interface sections in all "
			      "files",
			      path, NET_MAX_RULES);
	memcpy(&acc->rules[acc->n_rules], one->rules,
	       (size_t)one->n_rules * sizeof(one->rules[0]));
	acc->n_rules += one->n_rules;
	if (!acc->dns.n_servers) {
		memcpy(acc->dns.servers, one->dns.servers,
		       sizeof(acc->dns.servers));
		acc->dns.n_servers = one->dns.n_servers;
	}
	if (!acc->dns.n_search) {
		memcpy(acc->dns.search, one->dns.search,
		       sizeof(acc->dns.search));
		acc->dns.n_search = one->dns.n_search;
	}
	if (one->set_timeout && !acc->set_timeout) {
		acc->ready_timeout_s = one->ready_timeout_s;
		acc->set_timeout = 1;
	}
	if (one->set_ntp && !acc->set_ntp) {
		memcpy(acc->ntp, one->ntp, sizeof(acc->ntp));
		acc->n_ntp = one->n_ntp;
		acc->set_ntp = 1;
	}
	if (one->pod_cidr.family && !acc->set_pod) {
		acc->pod_cidr = one->pod_cidr;
		acc->set_pod = 1;
	}
	snprintf(acc->source + used, sizeof(acc->source) - used, "%s%s",
		 used ? " " : "", path);
	return 0;
}

/* One file, parsed into one; -ENOENT when there is none. */
static int load_file(struct net_conf *one, const char *path, char *text,
		     char *err, size_t errlen)
{
	ssize_t len = read_text(path, text, CONF_FILE_MAX);

	if (len == -ENOENT)
		return -ENOENT;
	if (len < 0)
		return errmsg_errno(err, errlen, (int)len, (int)-len, "%s",
				    path);
	if ((size_t)len >= CONF_FILE_MAX - 1)
		return errmsg(err, errlen, -EFBIG, "%s: larger than %d bytes",
			      path, CONF_FILE_MAX - 2);
	memset(one, 0, sizeof(*one));
	return net_conf_parse(one, path, text, err, errlen);
}

int net_conf_load(struct net_conf *c, const char *const *paths, int n,
		  char *err, size_t errlen)
{
	struct net_conf *acc = calloc(1, sizeof(*acc));
	struct net_conf *one = calloc(1, sizeof(*one));
	char *text = malloc(CONF_FILE_MAX);
	int r = 0;

	if (!acc || !one || !text) {
		r = errmsg(err, errlen, -ENOMEM, "out of memory");
		goto out;
	}
	net_conf_default(acc);
	acc->n_rules = 0;
	acc->source[0] = 0;
	/* most important first: its rules come first, its globals stay */
	for (int i = 0; i < n; i++) {
		r = load_file(one, paths[i], text, err, errlen);
		if (r == -ENOENT)
			continue;
		if (!r)
			r = merge(acc, one, paths[i], err, errlen);
		if (r)
			goto out;
	}
	r = 0;
	if (!acc->n_rules) {
		struct net_conf def;

		net_conf_default(&def);
		acc->rules[0] = def.rules[0];
		acc->n_rules = 1;
		if (!acc->source[0])
			strcpy(acc->source, def.source);
	}
	*c = *acc;
out:
	free(acc);
	free(one);
	free(text);
	return r;
}

/* Whether a (NULL: not known) is the MAC address b. */
static bool mac_eq(const uint8_t *a, const uint8_t *b)
{
	return a && !memcmp(a, b, 6);
}

const struct net_rule *net_conf_match(const struct net_conf *c,
				      const char *name, const uint8_t *mac,
				      int hardware)
{
	for (int i = 0; i < c->n_rules; i++) {
		const struct net_rule *r = &c->rules[i];

		if (r->hardware_only && !hardware)
			continue;
		if (r->by_mac ? mac_eq(mac, r->mac)
			      : fnmatch(r->match, name, 0) == 0)
			return r;
	}
	return NULL;
}
