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
	char *argv[] = { "pod-add", (char *)spec->name, netns, ports, NULL };
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

int pods_sandbox_up(const struct pod *spec, const char *dir, bool userns,
		    char *ip, size_t iplen, char *err, size_t errlen)
{
	char text[512], path[CTR_PATH_MAX + 16];
	uint32_t base = 0;
	int r = 0;

	ip[0] = '\0';
	if (userns && (r = userns_pick(PODS_VAR_DIR, spec->name, &base)))
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
	snprintf(text, sizeof(text),
		 "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost\n"
		 "%s%s%s%s",
		 ip, ip[0] ? "\t" : "", ip[0] ? spec->name : "",
		 ip[0] ? "\n" : "");
	snprintf(path, sizeof(path), "%s/hosts", dir);
	write_atomic(path, text, strlen(text), 0644);
	snprintf(path, sizeof(path), "%s/ip", dir);
	write_atomic(path, ip, strlen(ip), 0644);
	return 0;
}

void pods_sandbox_down(const struct pod *spec, const char *dir)
{
	if (!spec->host_network)
		pods_netd_del(spec->name);
	sandbox_remove(dir);
}
