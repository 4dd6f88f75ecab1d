// SPDX-License-Identifier: MIT
#include "oci/podctr.h"
#include "oci/podprobe.h"
#include "oci/podsec.h"
#include "oci/quantity.h"

#include <string.h>

/*
 * A container's fields. Where Kubernetes takes a field keel cannot
 * honour, it is refused; where kubectl get -o yaml writes a default
 * (terminationMessagePath, imagePullPolicy), it is accepted.
 */

bool podctr_dotdot(const char *path)
{
	for (const char *p = path; *p; p += strcspn(p, "/")) {
		p += strspn(p, "/");
		if (!strncmp(p, "..", 2) && (!p[2] || p[2] == '/'))
			return true;
	}
	return false;
}

/* a ConfigMap's or Secret's key: name, key, optional */
static int key_ref_field(struct walk *w, const char *key, yaml_node_t *v,
			 void *obj)
{
	struct pod_env *e = obj;

	if (!strcmp(key, "name"))
		return walk_subdomain(w, v, &e->obj);
	if (!strcmp(key, "key"))
		return walk_str(w, v, &e->key);
	if (!strcmp(key, "optional"))
		return walk_bool(w, v, &e->optional);
	return walk_unsupported(w, v);
}

/* fieldRef: what the downward API tells a container of its pod */
static bool field_path(const char *s)
{
	static const char *const paths[] = {
		"metadata.name",  "metadata.namespace", "spec.nodeName",
		"status.podIP",	  "status.hostIP",	"status.podIPs",
		"status.hostIPs",
	};
	for (size_t i = 0; i < sizeof(paths) / sizeof(*paths); i++)
		if (!strcmp(s, paths[i]))
			return true;
	/* metadata.labels['app'], metadata.annotations['x'] */
	const char *q = !strncmp(s, "metadata.labels['", 17)	    ? s + 17
			: !strncmp(s, "metadata.annotations['", 22) ? s + 22
								    : NULL;
	size_t n = q ? strcspn(q, "'") : 0;
	return q && n && !strcmp(q + n, "']");
}

static int field_ref_field(struct walk *w, const char *key, yaml_node_t *v,
			   void *obj)
{
	struct pod_env *e = obj;
	const char *s;
	int r;

	if (!strcmp(key, "fieldPath")) {
		if ((r = walk_str(w, v, &e->key)))
			return r;
		if (!field_path(e->key))
			return walk_fail(w, v,
					 "'%.60s' is not a field keel gives "
					 "(metadata.name, metadata.namespace, "
					 "metadata.labels['x'], status.podIP, "
					 "status.hostIP, spec.nodeName)",
					 e->key);
		return 0;
	}
	if (!strcmp(key, "apiVersion")) {
		if ((r = walk_str(w, v, &s)))
			return r;
		return strcmp(s, "v1") ? walk_fail(w, v, "v1") : 0;
	}
	return walk_unsupported(w, v);
}

static int resource_ref_field(struct walk *w, const char *key, yaml_node_t *v,
			      void *obj)
{
	static const char *const resources[] = {
		"limits.cpu",	"limits.memory",   "limits.ephemeral-storage",
		"requests.cpu", "requests.memory",
	};
	struct pod_env *e = obj;
	uint64_t q;
	int r;

	if (!strcmp(key, "resource")) {
		if ((r = walk_str(w, v, &e->key)))
			return r;
		for (size_t i = 0; i < sizeof(resources) / sizeof(*resources);
		     i++)
			if (!strcmp(e->key, resources[i]))
				return 0;
		return walk_fail(w, v,
				 "limits.cpu, limits.memory, "
				 "requests.cpu or requests.memory");
	}
	if (!strcmp(key, "divisor")) {
		if ((r = walk_quantity(w, v, true, &q)))
			return r;
		e->value = walk_keep(w, v, walk_scalar(v));
		return e->value ? 0 : -EINVAL;
	}
	if (!strcmp(key, "containerName"))
		return walk_str(w, v, &e->obj);
	return walk_unsupported(w, v);
}

static int value_from_field(struct walk *w, const char *key, yaml_node_t *v,
			    void *obj)
{
	struct pod_env *e = obj;

	if (e->from != POD_ENV_VALUE)
		return walk_fail(w, v, "one source, not two");
	if (!strcmp(key, "configMapKeyRef") || !strcmp(key, "secretKeyRef")) {
		e->from = key[0] == 'c' ? POD_ENV_CONFIG_MAP : POD_ENV_SECRET;
		int r = walk_fields(w, v, key_ref_field, e);
		if (!r && (!e->obj || !e->key))
			return walk_fail(w, v, "name and key are needed");
		return r;
	}
	if (!strcmp(key, "fieldRef")) {
		e->from = POD_ENV_FIELD;
		int r = walk_fields(w, v, field_ref_field, e);
		if (!r && !e->key)
			return walk_fail(w, v, "fieldPath is needed");
		return r;
	}
	if (!strcmp(key, "resourceFieldRef")) {
		e->from = POD_ENV_RESOURCE;
		int r = walk_fields(w, v, resource_ref_field, e);
		if (!r && !e->key)
			return walk_fail(w, v, "resource is needed");
		return r;
	}
	return walk_unsupported(w, v);
}

static int env_field(struct walk *w, const char *key, yaml_node_t *v, void *obj)
{
	struct pod_env *e = obj;

	if (!strcmp(key, "name"))
		return walk_str(w, v, &e->name);
	if (!strcmp(key, "value"))
		return walk_str(w, v, &e->value);
	if (!strcmp(key, "valueFrom")) {
		int r = walk_fields(w, v, value_from_field, e);
		if (!r && e->from == POD_ENV_VALUE)
			return walk_fail(w, v,
					 "configMapKeyRef, secretKeyRef, "
					 "fieldRef or resourceFieldRef is "
					 "needed");
		return r;
	}
	return walk_unsupported(w, v);
}

static int env_ref_field(struct walk *w, const char *key, yaml_node_t *v,
			 void *obj)
{
	struct pod_env_source *s = obj;

	if (!strcmp(key, "name"))
		return walk_subdomain(w, v, &s->name);
	if (!strcmp(key, "optional"))
		return walk_bool(w, v, &s->optional);
	return walk_unsupported(w, v);
}

static int env_from_field(struct walk *w, const char *key, yaml_node_t *v,
			  void *obj)
{
	struct pod_env_source *s = obj;

	if (!strcmp(key, "prefix"))
		return walk_str(w, v, &s->prefix);
	if (!strcmp(key, "configMapRef") || !strcmp(key, "secretRef")) {
		if (s->name)
			return walk_fail(w, v, "one source, not two");
		s->secret = key[0] == 's';
		int r = walk_fields(w, v, env_ref_field, s);
		if (!r && !s->name)
			return walk_fail(w, v, "name is needed");
		return r;
	}
	return walk_unsupported(w, v);
}

static int port_field(struct walk *w, const char *key, yaml_node_t *v,
		      void *obj)
{
	struct pod_port *p = obj;
	long n;
	const char *s;
	int r;

	if (!strcmp(key, "containerPort")) {
		if (!(r = walk_int(w, v, 1, 65535, &n)))
			p->container_port = n;
		return r;
	}
	if (!strcmp(key, "hostPort")) {
		if (!(r = walk_int(w, v, 1, 65535, &n)))
			p->host_port = n;
		return r;
	}
	if (!strcmp(key, "protocol")) {
		if ((r = walk_str(w, v, &s)))
			return r;
		if (strcmp(s, "TCP") && strcmp(s, "UDP"))
			return walk_fail(w, v, "TCP or UDP, not '%.20s'", s);
		p->udp = !strcmp(s, "UDP");
		return 0;
	}
	/* a label for humans, Services and probes */
	if (!strcmp(key, "name"))
		return walk_str(w, v, &p->name);
	return walk_unsupported(w, v);
}

static int limit_field(struct walk *w, const char *key, yaml_node_t *v,
		       void *obj)
{
	struct pod_container *k = obj;
	const char *s;
	int r;

	/* a quantity may be written as a number: 2, 0.5 */
	if (v->type != YAML_SCALAR_NODE || walk_is_null(v))
		return walk_fail(w, v, "expected a quantity");
	s = walk_scalar(v);
	if (!strcmp(key, "cpu")) {
		if (pod_quantity_millis(s, &k->cpu_millis) || !k->cpu_millis)
			return walk_fail(
				w, v,
				"'%.30s' is not a CPU quantity (500m, 0.5, "
				"2)",
				s);
		return 0;
	}
	if (!strcmp(key, "memory")) {
		r = pod_quantity_bytes(s, &k->memory_bytes);
		if (r || k->memory_bytes < 4096)
			return walk_fail(
				w, v,
				"'%.30s' is not a memory quantity of at "
				"least 4Ki (128Mi, 1G)",
				s);
		return 0;
	}
	if (!strcmp(key, "ephemeral-storage"))
		return walk_quantity(w, v, false, &k->ephemeral_bytes);
	return walk_unsupported(w, v);
}

/* requests mean little on one host: kept for resourceFieldRef */
static int request_field(struct walk *w, const char *key, yaml_node_t *v,
			 void *obj)
{
	struct pod_container *k = obj;
	uint64_t q;

	if (v->type != YAML_SCALAR_NODE || walk_is_null(v))
		return walk_fail(w, v, "expected a quantity");
	if (!strcmp(key, "cpu"))
		return pod_quantity_millis(walk_scalar(v), &k->cpu_request)
			       ? walk_fail(w, v, "not a CPU quantity")
			       : 0;
	if (!strcmp(key, "memory"))
		return pod_quantity_bytes(walk_scalar(v), &k->memory_request)
			       ? walk_fail(w, v, "not a memory quantity")
			       : 0;
	if (!strcmp(key, "ephemeral-storage"))
		return walk_quantity(w, v, false, &q);
	return walk_unsupported(w, v);
}

static int resources_field(struct walk *w, const char *key, yaml_node_t *v,
			   void *obj)
{
	if (!strcmp(key, "limits"))
		return walk_fields(w, v, limit_field, obj);
	if (!strcmp(key, "requests"))
		return walk_fields(w, v, request_field, obj);
	return walk_unsupported(w, v);
}

static int mount_field(struct walk *w, const char *key, yaml_node_t *v,
		       void *obj)
{
	struct pod_mount *m = obj;
	const char *s;
	int r;

	if (!strcmp(key, "name"))
		return walk_str(w, v, &m->name);
	if (!strcmp(key, "mountPath")) {
		if ((r = walk_str(w, v, &m->path)))
			return r;
		if (m->path[0] != '/' || podctr_dotdot(m->path))
			return walk_fail(w, v,
					 "'%.60s' is not an absolute path "
					 "without '..'",
					 m->path);
		return 0;
	}
	if (!strcmp(key, "subPath")) {
		if ((r = walk_str(w, v, &m->sub_path)))
			return r;
		if (m->sub_path[0] == '/' || podctr_dotdot(m->sub_path))
			return walk_fail(w, v,
					 "'%.60s' is not a relative path "
					 "without '..'",
					 m->sub_path);
		return 0;
	}
	if (!strcmp(key, "readOnly"))
		return walk_bool(w, v, &m->read_only);
	if (!strcmp(key, "mountPropagation")) {
		if ((r = walk_str(w, v, &s)))
			return r;
		return strcmp(s, "None")
			       ? walk_fail(w, v, "only None (private)")
			       : 0;
	}
	return walk_unsupported(w, v);
}

/* What kubectl fills in, with the only value keel has, or one it keeps */
static int default_field(struct walk *w, const char *key, yaml_node_t *v,
			 struct pod_container *k)
{
	const char *s;
	int r;

	if (!strcmp(key, "imagePullPolicy")) {
		r = walk_str(w, v, &s);
		if (!r && strcmp(s, "IfNotPresent") && strcmp(s, "Always") &&
		    strcmp(s, "Never"))
			return walk_fail(w, v, "IfNotPresent, Always or Never");
		return r;
	}
	/* the kubelet's termination message: its defaults only */
	if (!strcmp(key, "terminationMessagePath"))
		return walk_str(w, v, &s);
	if (!strcmp(key, "terminationMessagePolicy")) {
		r = walk_str(w, v, &s);
		if (!r && strcmp(s, "File") &&
		    strcmp(s, "FallbackToLogsOnError"))
			return walk_fail(w, v, "File or FallbackToLogsOnError");
		return r;
	}
	if (!strcmp(key, "stdin"))
		return walk_bool(w, v, &k->open_stdin);
	if (!strcmp(key, "stdinOnce"))
		return walk_bool(w, v, &k->stdin_once_);
	if (!strcmp(key, "tty"))
		return walk_bool(w, v, &k->tty);
	if (!strcmp(key, "restartPolicy")) {
		/* an init container that keeps running: a sidecar */
		r = walk_str(w, v, &s);
		if (!r && strcmp(s, "Always"))
			return walk_fail(w, v, "only Always (a sidecar)");
		k->sidecar = true;
		return r;
	}
	return walk_unsupported(w, v);
}

static int image_field(struct walk *w, yaml_node_t *v, struct pod_container *k)
{
	char why[300];
	int r = walk_str(w, v, &k->image);

	if (!r && image_ref_parse(k->image, &k->ref, why, sizeof(why)))
		return walk_fail(w, v, "%s", why);
	return r;
}

int podctr_field(struct walk *w, const char *key, yaml_node_t *v, void *obj)
{
	struct pod_container *k = obj;

	if (!strcmp(key, "name"))
		return walk_name(w, v, POD_NAME_MAX, &k->name);
	if (!strcmp(key, "image"))
		return image_field(w, v, k);
	if (!strcmp(key, "command"))
		return walk_strings(w, v, k->command, POD_ARGS_MAX,
				    &k->n_command);
	if (!strcmp(key, "args"))
		return walk_strings(w, v, k->args, POD_ARGS_MAX, &k->n_args);
	if (!strcmp(key, "workingDir")) {
		int r = walk_str(w, v, &k->working_dir);
		if (!r && k->working_dir[0] != '/')
			return walk_fail(w, v, "not an absolute path");
		return r;
	}
	if (!strcmp(key, "env"))
		return walk_list(w, v, POD_ENV_MAX, k->env, sizeof(k->env[0]),
				 &k->n_env, env_field);
	if (!strcmp(key, "envFrom"))
		return walk_list(w, v, POD_ENV_FROM_MAX, k->env_from,
				 sizeof(k->env_from[0]), &k->n_env_from,
				 env_from_field);
	if (!strcmp(key, "ports"))
		return walk_list(w, v, POD_PORTS_MAX, k->ports,
				 sizeof(k->ports[0]), &k->n_ports, port_field);
	if (!strcmp(key, "resources"))
		return walk_fields(w, v, resources_field, k);
	if (!strcmp(key, "securityContext"))
		return walk_fields(w, v, podsec_container_field, k);
	if (!strcmp(key, "volumeMounts"))
		return walk_list(w, v, POD_MOUNTS_MAX, k->mounts,
				 sizeof(k->mounts[0]), &k->n_mounts,
				 mount_field);
	if (!strcmp(key, "livenessProbe"))
		return podprobe_walk(w, v, &k->liveness);
	if (!strcmp(key, "readinessProbe"))
		return podprobe_walk(w, v, &k->readiness);
	if (!strcmp(key, "startupProbe"))
		return podprobe_walk(w, v, &k->startup);
	if (!strcmp(key, "lifecycle"))
		return walk_fields(w, v, podprobe_lifecycle_field, k);
	return default_field(w, key, v, k);
}
