// SPDX-License-Identifier: MIT
#include "oci/podcheck.h"
#include "oci/podprobe.h"

#include <stdio.h>
#include <string.h>

struct seen {
	const char *names[2 * POD_CONTAINERS_MAX];
	size_t n_names;
	int hostports[2 * POD_CONTAINERS_MAX * POD_PORTS_MAX];
	size_t n_hostports;
};

/*
 * Kubernetes refuses hostUsers: false beside the host's namespaces;
 * keel also beside what maps no ids (privileged, hostPath)
 */
static int check_host_users(struct walk *c, yaml_node_t *root,
			    const struct pod *p)
{
	if (!p->has_host_users || p->host_users)
		return 0;
	if (p->host_network || p->host_pid || p->host_ipc)
		return walk_fail(c, root,
				 "spec.hostUsers: false cannot go with "
				 "%s",
				 p->host_network ? "hostNetwork"
				 : p->host_pid	 ? "hostPID"
						 : "hostIPC");
	if (pod_has_host_path(p))
		return walk_fail(c, root,
				 "spec.hostUsers: false cannot go with a "
				 "hostPath volume (its files are the host's "
				 "users')");
	if (pod_is_privileged(p))
		return walk_fail(c, root,
				 "spec.hostUsers: false cannot go with a "
				 "privileged container");
	return 0;
}

/* the host's namespaces refuse what would change them for everyone */
static int check_namespaces(struct walk *c, yaml_node_t *root,
			    const struct pod *p)
{
	if (p->share_pid && p->host_pid)
		return walk_fail(c, root,
				 "spec.shareProcessNamespace cannot go with "
				 "hostPID");
	for (size_t i = 0; i < p->n_sysctls; i++) {
		const char *s = p->sysctls[i].key;
		if (!s || !p->sysctls[i].value)
			return walk_fail(c, root,
					 "spec.securityContext.sysctls[%zu]: "
					 "name and value are needed",
					 i);
		if ((!strncmp(s, "net.", 4) && p->host_network) ||
		    (!strncmp(s, "kernel.", 7) && p->host_ipc))
			return walk_fail(c, root,
					 "spec.securityContext.sysctls[%zu]: "
					 "%s would be the host's (hostNetwork, "
					 "hostIPC)",
					 i, s);
	}
	if (p->dns == POD_DNS_NONE && !p->n_nameservers)
		return walk_fail(c, root,
				 "spec.dnsPolicy: None needs "
				 "dnsConfig.nameservers");
	for (size_t i = 0; i < p->n_aliases; i++)
		if (!p->aliases[i].ip)
			return walk_fail(c, root,
					 "spec.hostAliases[%zu].ip is missing",
					 i);
	return 0;
}

static int check_volume(struct walk *c, yaml_node_t *root, const struct pod *p,
			size_t i)
{
	const struct pod_volume *v = &p->volumes[i];

	if (!v->name)
		return walk_fail(c, root, "spec.volumes[%zu].name is missing",
				 i);
	if (!v->kind)
		return walk_fail(c, root,
				 "spec.volumes[%zu]: hostPath or emptyDir is "
				 "needed",
				 i);
	if (v->kind == POD_VOL_HOST_PATH && !v->host_path)
		return walk_fail(c, root,
				 "spec.volumes[%zu].hostPath.path is missing",
				 i);
	if (v->kind == POD_VOL_PVC && !v->claim)
		return walk_fail(c, root,
				 "spec.volumes[%zu].persistentVolumeClaim."
				 "claimName is missing",
				 i);
	if (v->kind == POD_VOL_IMAGE && v->image < 0)
		return walk_fail(c, root,
				 "spec.volumes[%zu].image.reference is "
				 "missing",
				 i);
	if (v->kind == POD_VOL_PROJECTED && !v->n_srcs)
		return walk_fail(c, root,
				 "spec.volumes[%zu].projected.sources is "
				 "missing",
				 i);
	for (size_t j = 0; j < i; j++)
		if (!strcmp(v->name, p->volumes[j].name))
			return walk_fail(c, root, "spec.volumes: '%s' twice",
					 v->name);
	return 0;
}

static int check_ports(struct walk *c, yaml_node_t *root, const struct pod *p,
		       const struct pod_container *k, const char *what,
		       struct seen *s)
{
	for (size_t q = 0; q < k->n_ports; q++) {
		const struct pod_port *pt = &k->ports[q];
		if (!pt->container_port)
			return walk_fail(c, root,
					 "%s.ports[%zu]: containerPort is "
					 "missing",
					 what, q);
		if (!pt->host_port)
			continue;
		if (p->host_network && pt->host_port != pt->container_port)
			return walk_fail(c, root,
					 "%s.ports[%zu]: with hostNetwork, "
					 "hostPort must equal containerPort",
					 what, q);
		int key = pt->host_port * 2 + pt->udp;
		for (size_t h = 0; h < s->n_hostports; h++)
			if (s->hostports[h] == key)
				return walk_fail(c, root,
						 "%s.ports[%zu]: hostPort %d "
						 "is taken",
						 what, q, pt->host_port);
		s->hostports[s->n_hostports++] = key;
	}
	return 0;
}

static int check_mounts(struct walk *c, yaml_node_t *root, const struct pod *p,
			const struct pod_container *k, const char *what)
{
	for (size_t m = 0; m < k->n_mounts; m++) {
		const struct pod_mount *mt = &k->mounts[m];
		if (!mt->name || !mt->path)
			return walk_fail(c, root,
					 "%s.volumeMounts[%zu]: name and "
					 "mountPath are needed",
					 what, m);
		if (!pod_volume(p, mt->name))
			return walk_fail(c, root,
					 "%s.volumeMounts[%zu]: no volume '%s'",
					 what, m, mt->name);
	}
	return 0;
}

static int check_container(struct walk *c, yaml_node_t *root,
			   const struct pod *p, struct pod_container *k,
			   const char *set, size_t i, struct seen *s)
{
	char what[64];
	int r;

	snprintf(what, sizeof(what), "spec.%s[%zu]", set, i);
	if (!k->name || !k->image)
		return walk_fail(c, root, "%s: name and image are needed",
				 what);
	for (size_t j = 0; j < s->n_names; j++)
		if (!strcmp(s->names[j], k->name))
			return walk_fail(c, root, "%s: the name '%s' is taken",
					 what, k->name);
	s->names[s->n_names++] = k->name;
	for (size_t e = 0; e < k->n_env; e++)
		if (!k->env[e].name || !*k->env[e].name)
			return walk_fail(c, root,
					 "%s.env[%zu]: name is missing", what,
					 e);
	if (k->sidecar && strcmp(set, "initContainers"))
		return walk_fail(c, root,
				 "%s.restartPolicy: only an init container "
				 "has one (a sidecar)",
				 what);
	if (strcmp(set, "containers") && !k->sidecar &&
	    (k->liveness.h.kind || k->readiness.h.kind || k->startup.h.kind ||
	     k->post_start.kind || k->pre_stop.kind))
		return walk_fail(c, root,
				 "%s: an init container has no probes or "
				 "lifecycle hooks (unless a sidecar)",
				 what);
	if ((r = check_ports(c, root, p, k, what, s)) ||
	    (r = check_mounts(c, root, p, k, what)))
		return r;
	return podprobe_check(c, root, k, what);
}

int podcheck(struct walk *c, yaml_node_t *root, struct pod *p)
{
	struct seen s = { .n_names = 0 };
	int r;

	if (!p->n_containers)
		return walk_fail(c, root,
				 "spec.containers is missing or empty");
	if ((r = check_host_users(c, root, p)) ||
	    (r = check_namespaces(c, root, p)))
		return r;
	for (size_t i = 0; i < p->n_volumes; i++)
		if ((r = check_volume(c, root, p, i)))
			return r;
	for (size_t i = 0; i < p->n_init; i++)
		if ((r = check_container(c, root, p, &p->init[i],
					 "initContainers", i, &s)))
			return r;
	for (size_t i = 0; i < p->n_containers; i++)
		if ((r = check_container(c, root, p, &p->containers[i],
					 "containers", i, &s)))
			return r;
	return 0;
}
