// SPDX-License-Identifier: MIT
#include "pods/sandbox.h"
#include "ctlsock.h"
#include "errmsg.h"
#include "imaged.h"
#include "run/runtime.h"
#include "run/userns.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/*
 * A pod's sandbox: the namespaces its containers share (run/runtime.c
 * makes and pins them), a user namespace's host ids, and its address
 * from netd, with the hosts file that names it.
 */

static void ignore_reply(char kind, const char *text, void *ctx)
{
	(void)kind;
	(void)text;
	(void)ctx;
}

void pods_netd_del(const char *name)
{
	char *argv[] = { "pod-del", (char *)name, NULL }, err[200];
	ctl_call("/run/netd.sock", argv, 10, ignore_reply, NULL, err,
		 sizeof(err));
}

static void keep_reply(char kind, const char *text, void *ctx)
{
	(void)kind;
	snprintf(ctx, 256, "%s", text);
}

static int netd_add(const struct pod *spec, const char *dir, char *ip,
		    size_t iplen, char *err, size_t errlen)
{
	char netns[CTR_PATH_MAX + 8], answer[256] = "", ports[1024] = "";
	char *argv[] = { "pod-add", (char *)spec->key, netns, ports, NULL };
	size_t used = 0;

	snprintf(netns, sizeof(netns), "%s/ns/net", dir);
	/* hostPort: netd forwards them to the pod ("tcp:8080:80,...") */
	for (int set = 0; set < 2; set++) {
		const struct pod_container *ks =
			set ? spec->containers : spec->init;
		size_t n = set ? spec->n_containers : spec->n_init;
		for (size_t i = 0; i < n; i++)
			for (size_t j = 0; j < ks[i].n_ports; j++) {
				const struct pod_port *pp = &ks[i].ports[j];
				if (pp->host_port && used < sizeof(ports) - 32)
					used += snprintf(
						ports + used,
						sizeof(ports) - used,
						"%s%s:%d:%d", used ? "," : "",
						pp->udp ? "udp" : "tcp",
						pp->host_port,
						pp->container_port);
			}
	}
	if (!used)
		argv[3] = NULL;
	int r = ctl_call("/run/netd.sock", argv, 30, keep_reply, answer, err,
			 errlen);
	if (r > 0)
		return errmsg(err, errlen, -EIO, "netd: %s", answer);
	if (r)
		return -EIO;
	/* "address 10.88.0.2/16 gateway ..." */
	char fmt[32];
	snprintf(fmt, sizeof(fmt), "address %%%zu[^/ ]", iplen - 1);
	if (sscanf(answer, fmt, ip) != 1)
		ip[0] = '\0';
	return 0;
}

/*
 * /etc/hosts as the kubelet writes it: localhost, the pod's address with
 * its hostname (and subdomain's name), then hostAliases.
 */
static void hosts_file(const struct pod *spec, const char *dir, const char *ip)
{
	char text[4096], path[CTR_PATH_MAX + 16];
	const char *host = spec->hostname ? spec->hostname : spec->name;
	size_t n = 0;

	n += snprintf(text + n, sizeof(text) - n,
		      "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost\n");
	if (ip[0] && spec->subdomain)
		n += snprintf(text + n, sizeof(text) - n,
			      "%s\t%s.%s.%s.svc.cluster.local\t%s\n", ip, host,
			      spec->subdomain, spec->ns, host);
	else if (ip[0])
		n += snprintf(text + n, sizeof(text) - n, "%s\t%s\n", ip, host);
	if (spec->n_aliases && n < sizeof(text))
		n += snprintf(text + n, sizeof(text) - n,
			      "\n# Entries added by HostAliases.\n");
	for (size_t i = 0; i < spec->n_aliases && n < sizeof(text); i++) {
		n += snprintf(text + n, sizeof(text) - n, "%s\t",
			      spec->aliases[i].ip);
		for (size_t j = 0;
		     j < spec->aliases[i].n_names && n < sizeof(text); j++)
			n += snprintf(text + n, sizeof(text) - n, "%s%s",
				      spec->aliases[i].names[j],
				      j + 1 < spec->aliases[i].n_names ? "\t"
								       : "");
		if (n < sizeof(text))
			n += snprintf(text + n, sizeof(text) - n, "\n");
	}
	if (n >= sizeof(text))
		n = sizeof(text) - 1;
	snprintf(path, sizeof(path), "%s/hosts", dir);
	write_atomic(path, text, n, 0644);
}

/*
 * resolv.conf: the host's (dnsPolicy Default, and ClusterFirst, there
 * being no cluster DNS), or dnsConfig alone (None); dnsConfig's
 * nameservers, searches and options added to the host's otherwise.
 */
static void resolv_file(const struct pod *spec, const char *dir)
{
	char text[4096], path[CTR_PATH_MAX + 16];
	size_t n = 0;
	ssize_t got;

	if (spec->dns == POD_DNS_DEFAULT && !spec->n_nameservers &&
	    !spec->n_searches && !spec->n_dns_options)
		return; /* the copy sandbox_create made */
	snprintf(path, sizeof(path), "%s/resolv.conf", dir);
	if (spec->dns == POD_DNS_DEFAULT &&
	    (got = read_text("/etc/resolv.conf", text, sizeof(text) / 2)) > 0)
		n = (size_t)got;
	for (size_t i = 0; i < spec->n_nameservers && n < sizeof(text); i++)
		n += snprintf(text + n, sizeof(text) - n, "nameserver %s\n",
			      spec->nameservers[i]);
	if (spec->n_searches && n < sizeof(text))
		n += snprintf(text + n, sizeof(text) - n, "search");
	for (size_t i = 0; i < spec->n_searches && n < sizeof(text); i++)
		n += snprintf(text + n, sizeof(text) - n, " %s%s",
			      spec->searches[i],
			      i + 1 < spec->n_searches ? "" : "\n");
	if (spec->n_dns_options && n < sizeof(text))
		n += snprintf(text + n, sizeof(text) - n, "options");
	for (size_t i = 0; i < spec->n_dns_options && n < sizeof(text); i++)
		n += snprintf(text + n, sizeof(text) - n, " %s%s%s%s",
			      spec->dns_options[i].key,
			      spec->dns_options[i].value ? ":" : "",
			      spec->dns_options[i].value
				      ? spec->dns_options[i].value
				      : "",
			      i + 1 < spec->n_dns_options ? "" : "\n");
	if (n >= sizeof(text))
		n = sizeof(text) - 1;
	write_atomic(path, text, n, 0644);
}

int pods_sandbox_up(const struct pod *spec, const char *dir, bool userns,
		    char *ip, size_t iplen, char *err, size_t errlen)
{
	char path[CTR_PATH_MAX + 16];
	uint32_t base = 0;
	int r = 0;

	ip[0] = '\0';
	if (userns && (r = userns_pick(PODS_VAR_DIR, spec->key, &base)))
		errmsg(err, errlen, r, "host ids for its user namespace: %s",
		       r == -ENOSPC ? "every range is taken" : strerror(-r));
	if (!r)
		r = sandbox_create(spec, dir, base, err, errlen);
	if (!r && !spec->host_network)
		r = netd_add(spec, dir, ip, iplen, err, errlen);
	if (r) {
		sandbox_remove(dir);
		return r;
	}
	hosts_file(spec, dir, ip);
	resolv_file(spec, dir);
	snprintf(path, sizeof(path), "%s/ip", dir);
	write_atomic(path, ip, strlen(ip), 0644);
	return 0;
}

void pods_sandbox_down(const struct pod *spec, const char *dir)
{
	if (!spec->host_network)
		pods_netd_del(spec->key);
	sandbox_remove(dir);
}
