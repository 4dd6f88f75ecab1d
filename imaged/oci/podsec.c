// SPDX-License-Identifier: MIT
#include "oci/podsec.h"
#include "oci/quantity.h"

#include <string.h>

static int caps(struct walk *w, yaml_node_t *v, uint64_t *bits, bool *all)
{
	int r = walk_seq(w, v, POD_CAPS_MAX);
	size_t i = 0;

	for (yaml_node_item_t *it = v->data.sequence.items.start;
	     !r && it < v->data.sequence.items.top; it++, i++) {
		const char *s;
		walk_push_index(w, i);
		r = walk_str(w, walk_node(w, *it), &s);
		if (!r && all && !strcmp(s, "ALL")) {
			*all = true;
		} else if (!r) {
			int n = pod_capability(s);
			if (n < 0)
				r = walk_fail(w, walk_node(w, *it),
					      "'%.40s' is not a capability", s);
			else
				*bits |= 1ULL << n;
		}
		walk_pop(w);
	}
	return r;
}

static int caps_field(struct walk *w, const char *key, yaml_node_t *v,
		      void *obj)
{
	struct pod_container *k = obj;

	if (!strcmp(key, "add"))
		return caps(w, v, &k->caps_add, NULL);
	if (!strcmp(key, "drop"))
		return caps(w, v, &k->caps_drop, &k->drop_all);
	return walk_unsupported(w, v);
}

/*
 * localhostProfile: relative to the seccomp root (the kubelet's is
 * relative to its own), so neither absolute nor with a ".." component;
 * "." and empty components are refused too, and so is a folder's name.
 */
static bool profile_name_ok(const char *name)
{
	const char *p = name;

	if (!*name || *name == '/' || strlen(name) > 200)
		return false;
	while (*p) {
		size_t n = strcspn(p, "/");
		if (!n || (n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		p += n;
		if (*p == '/' && !*++p)
			return false; /* ends in '/' */
	}
	return true;
}

static int seccomp_field(struct walk *w, const char *key, yaml_node_t *v,
			 void *obj)
{
	struct pod_sec *s = obj;
	const char *t;
	int r;

	if (!strcmp(key, "type")) {
		if ((r = walk_str(w, v, &t)))
			return r;
		if (!strcmp(t, "RuntimeDefault"))
			s->seccomp = POD_SECCOMP_RUNTIME_DEFAULT;
		else if (!strcmp(t, "Unconfined"))
			s->seccomp = POD_SECCOMP_UNCONFINED;
		else if (!strcmp(t, "Localhost"))
			s->seccomp = POD_SECCOMP_LOCALHOST;
		else
			return walk_fail(w, v,
					 "RuntimeDefault, Unconfined or "
					 "Localhost");
		return 0;
	}
	if (!strcmp(key, "localhostProfile")) {
		if ((r = walk_str(w, v, &s->seccomp_profile)))
			return r;
		/* a file in /etc/keel/seccomp/, never a way out of it */
		if (!profile_name_ok(s->seccomp_profile))
			return walk_fail(w, v,
					 "a file's name in /etc/keel/seccomp/ "
					 "(relative, no '..' component)");
		return 0;
	}
	return walk_unsupported(w, v);
}

/* The fields a pod and a container share (pod_sec); 1: not one of them */
static int common_field(struct walk *w, const char *key, yaml_node_t *v,
			struct pod_sec *s)
{
	long n;
	int r;

	if (!strcmp(key, "runAsUser") || !strcmp(key, "runAsGroup")) {
		if ((r = walk_int(w, v, 0, 2147483647, &n)))
			return r;
		if (key[5] == 'U')
			s->run_as_user = n, s->has_user = true;
		else
			s->run_as_group = n, s->has_group = true;
		return 0;
	}
	if (!strcmp(key, "runAsNonRoot")) {
		s->has_non_root = true;
		return walk_bool(w, v, &s->run_as_non_root);
	}
	if (!strcmp(key, "seccompProfile")) {
		if ((r = walk_fields(w, v, seccomp_field, s)))
			return r;
		if (s->seccomp == POD_SECCOMP_UNSET)
			return walk_fail(w, v, "type is missing");
		if ((s->seccomp == POD_SECCOMP_LOCALHOST) !=
		    (s->seccomp_profile != NULL))
			return walk_fail(w, v,
					 "localhostProfile goes with type "
					 "Localhost, and only with it");
		return 0;
	}
	/* confinement keel does not have: refused, never pretended */
	if (!strcmp(key, "seLinuxOptions") || !strcmp(key, "appArmorProfile") ||
	    !strcmp(key, "windowsOptions") ||
	    !strcmp(key, "seLinuxChangePolicy"))
		return walk_fail(w, v,
				 "not supported by keel (it has no SELinux, "
				 "AppArmor or Windows)");
	return 1;
}

int podsec_container_field(struct walk *w, const char *key, yaml_node_t *v,
			   void *obj)
{
	struct pod_container *k = obj;
	const char *s;
	bool b;
	int r = common_field(w, key, v, &k->sec);

	if (r <= 0)
		return r;
	if (!strcmp(key, "privileged"))
		return walk_bool(w, v, &k->privileged);
	if (!strcmp(key, "readOnlyRootFilesystem"))
		return walk_bool(w, v, &k->read_only_root);
	if (!strcmp(key, "capabilities"))
		return walk_fields(w, v, caps_field, k);
	/* no_new_privs is always set: only false is what keel does */
	if (!strcmp(key, "allowPrivilegeEscalation")) {
		if ((r = walk_bool(w, v, &b)))
			return r;
		return b ? walk_fail(
				   w, v,
				   "keel always sets no_new_privs: only false "
				   "is possible")
			 : 0;
	}
	if (!strcmp(key, "procMount")) {
		if ((r = walk_str(w, v, &s)))
			return r;
		return strcmp(s, "Default")
			       ? walk_fail(w, v, "only Default (masked paths)")
			       : 0;
	}
	return walk_unsupported(w, v);
}

/* The kubelet's safe sysctls: namespaced, and harmless to the host */
static const char *const safe_sysctls[] = {
	"kernel.shm_rmid_forced",
	"net.ipv4.ip_local_port_range",
	"net.ipv4.ip_unprivileged_port_start",
	"net.ipv4.tcp_syncookies",
	"net.ipv4.ping_group_range",
	"net.ipv4.ip_local_reserved_ports",
	"net.ipv4.tcp_keepalive_time",
	"net.ipv4.tcp_fin_timeout",
	"net.ipv4.tcp_keepalive_intvl",
	"net.ipv4.tcp_keepalive_probes",
	"net.ipv4.tcp_rmem",
	"net.ipv4.tcp_wmem",
};

bool podsec_safe_sysctl(const char *name)
{
	for (size_t i = 0; i < sizeof(safe_sysctls) / sizeof(*safe_sysctls);
	     i++)
		if (!strcmp(name, safe_sysctls[i]))
			return true;
	return false;
}

static int sysctl_field(struct walk *w, const char *key, yaml_node_t *v,
			void *obj)
{
	struct pod_kv *kv = obj;
	int r;

	if (!strcmp(key, "name")) {
		if ((r = walk_str(w, v, &kv->key)))
			return r;
		if (!podsec_safe_sysctl(kv->key))
			return walk_fail(w, v,
					 "'%.60s' is not one of the safe, "
					 "namespaced sysctls a pod may set",
					 kv->key);
		return 0;
	}
	/* a value is a string: "1", "1024 65535", as Kubernetes has it */
	if (!strcmp(key, "value"))
		return walk_str(w, v, &kv->value);
	return walk_unsupported(w, v);
}

static int groups(struct walk *w, yaml_node_t *v, struct pod *p)
{
	int r = walk_seq(w, v, POD_GROUPS_MAX);
	long n;

	for (yaml_node_item_t *it = v->data.sequence.items.start;
	     !r && it < v->data.sequence.items.top; it++) {
		walk_push_index(w, p->n_groups);
		r = walk_int(w, walk_node(w, *it), 0, 2147483647, &n);
		p->groups[p->n_groups++] = (uint32_t)n;
		walk_pop(w);
	}
	return r;
}

int podsec_pod_field(struct walk *w, const char *key, yaml_node_t *v, void *obj)
{
	struct pod *p = obj;
	const char *s;
	long n;
	int r = common_field(w, key, v, &p->sec);

	if (r <= 0)
		return r;
	if (!strcmp(key, "fsGroup")) {
		if ((r = walk_int(w, v, 0, 2147483647, &n)))
			return r;
		p->has_fs_group = true;
		p->fs_group = (uint32_t)n;
		return 0;
	}
	if (!strcmp(key, "fsGroupChangePolicy")) {
		if ((r = walk_str(w, v, &s)))
			return r;
		if (strcmp(s, "Always") && strcmp(s, "OnRootMismatch"))
			return walk_fail(w, v, "Always or OnRootMismatch");
		p->fs_group_on_mismatch = s[0] == 'O';
		return 0;
	}
	if (!strcmp(key, "supplementalGroups"))
		return groups(w, v, p);
	if (!strcmp(key, "supplementalGroupsPolicy")) {
		if ((r = walk_str(w, v, &s)))
			return r;
		return strcmp(s, "Merge") ? walk_fail(w, v, "only Merge") : 0;
	}
	if (!strcmp(key, "sysctls"))
		return walk_list(w, v, POD_SYSCTLS_MAX, p->sysctls,
				 sizeof(p->sysctls[0]), &p->n_sysctls,
				 sysctl_field);
	return walk_unsupported(w, v);
}

void podsec_merge(const struct pod *p, struct pod_container *k)
{
	const struct pod_sec *c = &k->sec, *d = &p->sec;

	k->has_user = c->has_user || d->has_user;
	k->run_as_user = c->has_user ? c->run_as_user : d->run_as_user;
	k->has_group = c->has_group || d->has_group;
	k->run_as_group = c->has_group ? c->run_as_group : d->run_as_group;
	k->run_as_non_root =
		c->has_non_root ? c->run_as_non_root : d->run_as_non_root;
	k->seccomp = c->seccomp	  ? c->seccomp
		     : d->seccomp ? d->seccomp
				  : POD_SECCOMP_RUNTIME_DEFAULT;
	k->seccomp_profile =
		c->seccomp ? c->seccomp_profile : d->seccomp_profile;
}
