// SPDX-License-Identifier: MIT
#include "oci/pod.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

/*
 * The walk keeps the field path it is at ("spec.containers[1].image")
 * so every complaint names the field, as kubectl's strict decoding does.
 * Types are checked as Kubernetes' JSON decoding checks them: a number
 * where a string goes is an error (quote it), not a string "80".
 */

struct ctx {
	yaml_document_t *doc;
	struct pod *p;
	const char *file;
	char *err;
	size_t errlen;
	char path[512];
	int failed;
};

static int fail(struct ctx *c, const yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct ctx *c, const yaml_node_t *n, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	snprintf(c->err, c->errlen, "%s:%lu: %s%s%s", c->file,
		 n ? (unsigned long)n->start_mark.line + 1 : 0UL, c->path,
		 c->path[0] ? ": " : "", why);
	c->failed = 1;
	return -EINVAL;
}

/* path segments: push returns the old length, pop restores it */
static size_t push(struct ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static size_t push(struct ctx *c, const char *fmt, ...)
{
	size_t old = strlen(c->path);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->path + old, sizeof(c->path) - old, fmt, ap);
	va_end(ap);
	return old;
}

static void pop(struct ctx *c, size_t old)
{
	c->path[old] = '\0';
}

static yaml_node_t *node(struct ctx *c, int id)
{
	return yaml_document_get_node(c->doc, id);
}

static const char *scalar(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

/* A plain (unquoted) scalar YAML reads as null. */
static bool is_null(const yaml_node_t *n)
{
	if (n->type != YAML_SCALAR_NODE ||
	    n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	const char *s = scalar(n);
	return !*s || !strcmp(s, "~") || !strcmp(s, "null") ||
	       !strcmp(s, "Null") || !strcmp(s, "NULL");
}

static bool plain_number_or_bool(const yaml_node_t *n)
{
	if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	const char *s = scalar(n);
	char *end;
	if (!strcmp(s, "true") || !strcmp(s, "false") || !strcmp(s, "True") ||
	    !strcmp(s, "False") || !strcmp(s, "TRUE") || !strcmp(s, "FALSE"))
		return true;
	if (!*s)
		return false;
	strtod(s, &end);
	return !*end;
}

static char *keep(struct ctx *c, const yaml_node_t *n, const char *s)
{
	size_t len = strlen(s) + 1;

	if (c->p->arena_used + len > sizeof(c->p->arena)) {
		fail(c, n, "the manifest's strings exceed %d bytes", POD_ARENA);
		return NULL;
	}
	char *d = c->p->arena + c->p->arena_used;
	memcpy(d, s, len);
	c->p->arena_used += len;
	return d;
}

static int str(struct ctx *c, const yaml_node_t *n, const char **out)
{
	if (n->type != YAML_SCALAR_NODE || is_null(n))
		return fail(c, n, "expected a string");
	if (plain_number_or_bool(n))
		return fail(c, n, "expected a string, got %s (quote it)",
			    scalar(n));
	if (strlen(scalar(n)) != n->data.scalar.length)
		return fail(c, n, "a NUL byte in a string");
	*out = keep(c, n, scalar(n));
	return *out ? 0 : -EINVAL;
}

static int boolean(struct ctx *c, const yaml_node_t *n, bool *out)
{
	const char *s = n->type == YAML_SCALAR_NODE ? scalar(n) : "";

	if (n->type == YAML_SCALAR_NODE &&
	    n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
		if (!strcmp(s, "true") || !strcmp(s, "True") ||
		    !strcmp(s, "TRUE")) {
			*out = true;
			return 0;
		}
		if (!strcmp(s, "false") || !strcmp(s, "False") ||
		    !strcmp(s, "FALSE")) {
			*out = false;
			return 0;
		}
	}
	return fail(c, n, "expected true or false");
}

static int integer(struct ctx *c, const yaml_node_t *n, long min, long max,
		   long *out)
{
	const char *s = n->type == YAML_SCALAR_NODE ? scalar(n) : "";
	char *end;

	if (n->type != YAML_SCALAR_NODE ||
	    n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE ||
	    !isdigit((unsigned char)*s) || strlen(s) > 10)
		return fail(c, n, "expected a whole number");
	long v = strtol(s, &end, 10);
	if (*end || v < min || v > max)
		return fail(c, n, "expected a whole number from %ld to %ld",
			    min, max);
	*out = v;
	return 0;
}

/* RFC 1123 label: what Kubernetes takes as a container or pod name */
static bool dns_label(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > POD_NAME_MAX || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (; *s; s++)
		if (!(islower((unsigned char)*s) ||
		      isdigit((unsigned char)*s) || *s == '-'))
			return false;
	return true;
}

static int name(struct ctx *c, const yaml_node_t *n, const char **out)
{
	int r = str(c, n, out);

	if (!r && !dns_label(*out))
		return fail(c, n,
			    "'%.70s' is not a name: lowercase letters, digits "
			    "and '-', at most %d, starting and ending "
			    "alphanumeric",
			    *out, POD_NAME_MAX);
	return r;
}

static int mapping(struct ctx *c, const yaml_node_t *n)
{
	if (n->type != YAML_MAPPING_NODE)
		return fail(c, n, "expected a mapping");
	return 0;
}

static int sequence(struct ctx *c, const yaml_node_t *n, size_t max)
{
	if (n->type != YAML_SEQUENCE_NODE)
		return fail(c, n, "expected a list");
	size_t len = n->data.sequence.items.top - n->data.sequence.items.start;
	if (len > max)
		return fail(c, n, "more than %zu entries", max);
	return 0;
}

/*
 * Each key of mapping n through fn; a key seen twice is an error (as
 * kubectl's strict decoding has it).
 */
typedef int (*field_fn)(struct ctx *c, const char *key, yaml_node_t *v,
			void *obj);

static int fields(struct ctx *c, yaml_node_t *n, field_fn fn, void *obj)
{
	int r = mapping(c, n);

	for (yaml_node_pair_t *pr = n->data.mapping.pairs.start;
	     !r && pr < n->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = node(c, pr->key), *v = node(c, pr->value);
		if (k->type != YAML_SCALAR_NODE)
			return fail(c, k, "a key that is not a string");
		for (yaml_node_pair_t *q = n->data.mapping.pairs.start; q < pr;
		     q++)
			if (node(c, q->key)->type == YAML_SCALAR_NODE &&
			    !strcmp(scalar(node(c, q->key)), scalar(k)))
				return fail(c, k, "'%.60s' given twice",
					    scalar(k));
		size_t old =
			push(c, "%s%.60s", c->path[0] ? "." : "", scalar(k));
		r = fn(c, scalar(k), v, obj);
		pop(c, old);
	}
	return r;
}

static int unsupported(struct ctx *c, yaml_node_t *v)
{
	return fail(c, v,
		    "not supported by keel (its Pod subset: imaged/README.md)");
}

static int strings(struct ctx *c, yaml_node_t *n, const char **out,
		   size_t *count)
{
	int r = sequence(c, n, POD_ARGS_MAX);

	*count = 0;
	for (yaml_node_item_t *it = n->data.sequence.items.start;
	     !r && it < n->data.sequence.items.top; it++) {
		size_t old = push(c, "[%zu]", *count);
		r = str(c, node(c, *it), &out[(*count)++]);
		pop(c, old);
	}
	out[*count] = NULL;
	return r;
}

static int env_field(struct ctx *c, const char *key, yaml_node_t *v, void *obj)
{
	struct pod_env *e = obj;

	if (!strcmp(key, "name"))
		return str(c, v, &e->name);
	if (!strcmp(key, "value"))
		return str(c, v, &e->value);
	return unsupported(c, v); /* valueFrom: no API objects on a host */
}

static int port_field(struct ctx *c, const char *key, yaml_node_t *v, void *obj)
{
	struct pod_port *p = obj;
	long n;
	const char *s;
	int r;

	if (!strcmp(key, "containerPort")) {
		if (!(r = integer(c, v, 1, 65535, &n)))
			p->container_port = n;
		return r;
	}
	if (!strcmp(key, "hostPort")) {
		if (!(r = integer(c, v, 1, 65535, &n)))
			p->host_port = n;
		return r;
	}
	if (!strcmp(key, "protocol")) {
		if ((r = str(c, v, &s)))
			return r;
		if (strcmp(s, "TCP") && strcmp(s, "UDP"))
			return fail(c, v, "TCP or UDP, not '%.20s'", s);
		p->udp = !strcmp(s, "UDP");
		return 0;
	}
	if (!strcmp(key, "name")) /* a label for humans and Services */
		return str(c, v, &s);
	return unsupported(c, v);
}

static int limit_field(struct ctx *c, const char *key, yaml_node_t *v,
		       void *obj)
{
	struct pod_container *k = obj;
	const char *s;
	int r;

	/* a quantity may be written as a number: 2, 0.5 */
	if (v->type != YAML_SCALAR_NODE || is_null(v))
		return fail(c, v, "expected a quantity");
	s = scalar(v);
	if (!strcmp(key, "cpu")) {
		if (pod_quantity_millis(s, &k->cpu_millis) || !k->cpu_millis)
			return fail(c, v,
				    "'%.30s' is not a CPU quantity (500m, 0.5, "
				    "2)",
				    s);
		return 0;
	}
	if (!strcmp(key, "memory")) {
		r = pod_quantity_bytes(s, &k->memory_bytes);
		if (r || k->memory_bytes < 4096)
			return fail(c, v,
				    "'%.30s' is not a memory quantity of at "
				    "least 4Ki (128Mi, 1G)",
				    s);
		return 0;
	}
	return unsupported(c, v);
}

/* requests are accepted for portability, and mean nothing on one host */
static int request_field(struct ctx *c, const char *key, yaml_node_t *v,
			 void *obj)
{
	uint64_t q;

	(void)obj;
	if (v->type != YAML_SCALAR_NODE || is_null(v))
		return fail(c, v, "expected a quantity");
	if (!strcmp(key, "cpu"))
		return pod_quantity_millis(scalar(v), &q)
			       ? fail(c, v, "not a CPU quantity")
			       : 0;
	if (!strcmp(key, "memory"))
		return pod_quantity_bytes(scalar(v), &q)
			       ? fail(c, v, "not a memory quantity")
			       : 0;
	return unsupported(c, v);
}

static int resources_field(struct ctx *c, const char *key, yaml_node_t *v,
			   void *obj)
{
	if (!strcmp(key, "limits"))
		return fields(c, v, limit_field, obj);
	if (!strcmp(key, "requests"))
		return fields(c, v, request_field, obj);
	return unsupported(c, v);
}

static int caps(struct ctx *c, yaml_node_t *v, uint64_t *bits, bool *all)
{
	int r = sequence(c, v, POD_CAPS_MAX);
	size_t i = 0;

	for (yaml_node_item_t *it = v->data.sequence.items.start;
	     !r && it < v->data.sequence.items.top; it++, i++) {
		const char *s;
		size_t old = push(c, "[%zu]", i);
		r = str(c, node(c, *it), &s);
		if (!r && all && !strcmp(s, "ALL")) {
			*all = true;
		} else if (!r) {
			int n = pod_capability(s);
			if (n < 0)
				r = fail(c, node(c, *it),
					 "'%.40s' is not a capability", s);
			else
				*bits |= 1ULL << n;
		}
		pop(c, old);
	}
	return r;
}

static int caps_field(struct ctx *c, const char *key, yaml_node_t *v, void *obj)
{
	struct pod_container *k = obj;

	if (!strcmp(key, "add"))
		return caps(c, v, &k->caps_add, NULL);
	if (!strcmp(key, "drop"))
		return caps(c, v, &k->caps_drop, &k->drop_all);
	return unsupported(c, v);
}

static int security_field(struct ctx *c, const char *key, yaml_node_t *v,
			  void *obj)
{
	struct pod_container *k = obj;
	long n;
	bool b;
	int r;

	if (!strcmp(key, "runAsUser") || !strcmp(key, "runAsGroup")) {
		if ((r = integer(c, v, 0, 2147483647, &n)))
			return r;
		if (key[5] == 'U')
			k->run_as_user = n, k->has_user = true;
		else
			k->run_as_group = n, k->has_group = true;
		return 0;
	}
	if (!strcmp(key, "privileged"))
		return boolean(c, v, &k->privileged);
	if (!strcmp(key, "readOnlyRootFilesystem"))
		return boolean(c, v, &k->read_only_root);
	if (!strcmp(key, "capabilities"))
		return fields(c, v, caps_field, k);
	/* no_new_privs is always set: only false is what keel does */
	if (!strcmp(key, "allowPrivilegeEscalation")) {
		if ((r = boolean(c, v, &b)))
			return r;
		return b ? fail(c, v,
				"keel always sets no_new_privs: only false "
				"is possible")
			 : 0;
	}
	return unsupported(c, v);
}

static bool has_dotdot(const char *path)
{
	for (const char *p = path; *p; p += strcspn(p, "/")) {
		p += strspn(p, "/");
		if (!strncmp(p, "..", 2) && (!p[2] || p[2] == '/'))
			return true;
	}
	return false;
}

static int mount_field(struct ctx *c, const char *key, yaml_node_t *v,
		       void *obj)
{
	struct pod_mount *m = obj;
	int r;

	if (!strcmp(key, "name"))
		return str(c, v, &m->name);
	if (!strcmp(key, "mountPath")) {
		if ((r = str(c, v, &m->path)))
			return r;
		if (m->path[0] != '/' || has_dotdot(m->path))
			return fail(c, v,
				    "'%.60s' is not an absolute path "
				    "without '..'",
				    m->path);
		return 0;
	}
	if (!strcmp(key, "readOnly"))
		return boolean(c, v, &m->read_only);
	return unsupported(c, v);
}

/* A list of mappings, each into its own slot through fn. */
static int list(struct ctx *c, yaml_node_t *v, size_t max, void *slots,
		size_t slot_size, size_t *count, field_fn fn)
{
	int r = sequence(c, v, max);

	*count = 0;
	for (yaml_node_item_t *it = v->data.sequence.items.start;
	     !r && it < v->data.sequence.items.top; it++) {
		size_t old = push(c, "[%zu]", *count);
		r = fields(c, node(c, *it), fn,
			   (char *)slots + slot_size * (*count)++);
		pop(c, old);
	}
	return r;
}

static int container_field(struct ctx *c, const char *key, yaml_node_t *v,
			   void *obj)
{
	struct pod_container *k = obj;
	char why[300];

	if (!strcmp(key, "name"))
		return name(c, v, &k->name);
	if (!strcmp(key, "image")) {
		int r = str(c, v, &k->image);
		if (!r && image_ref_parse(k->image, &k->ref, why, sizeof(why)))
			return fail(c, v, "%s", why);
		return r;
	}
	if (!strcmp(key, "command"))
		return strings(c, v, k->command, &k->n_command);
	if (!strcmp(key, "args"))
		return strings(c, v, k->args, &k->n_args);
	if (!strcmp(key, "workingDir")) {
		int r = str(c, v, &k->working_dir);
		if (!r && k->working_dir[0] != '/')
			return fail(c, v, "not an absolute path");
		return r;
	}
	if (!strcmp(key, "env"))
		return list(c, v, POD_ENV_MAX, k->env, sizeof(k->env[0]),
			    &k->n_env, env_field);
	if (!strcmp(key, "ports"))
		return list(c, v, POD_PORTS_MAX, k->ports, sizeof(k->ports[0]),
			    &k->n_ports, port_field);
	if (!strcmp(key, "resources"))
		return fields(c, v, resources_field, k);
	if (!strcmp(key, "securityContext"))
		return fields(c, v, security_field, k);
	if (!strcmp(key, "volumeMounts"))
		return list(c, v, POD_MOUNTS_MAX, k->mounts,
			    sizeof(k->mounts[0]), &k->n_mounts, mount_field);
	/* what kubectl and clusters fill in, with the only value keel has */
	if (!strcmp(key, "imagePullPolicy")) {
		const char *s;
		int r = str(c, v, &s);
		if (!r && strcmp(s, "IfNotPresent") && strcmp(s, "Always") &&
		    strcmp(s, "Never"))
			return fail(c, v, "IfNotPresent, Always or Never");
		return r;
	}
	return unsupported(c, v);
}

static int host_path_field(struct ctx *c, const char *key, yaml_node_t *v,
			   void *obj)
{
	static const char *const types[] = { "",	  "DirectoryOrCreate",
					     "Directory", "FileOrCreate",
					     "File",	  "Socket" };
	struct pod_volume *vol = obj;
	int r;

	if (!strcmp(key, "path")) {
		if ((r = str(c, v, &vol->host_path)))
			return r;
		if (vol->host_path[0] != '/')
			return fail(c, v, "not an absolute path");
		return 0;
	}
	if (!strcmp(key, "type")) {
		if ((r = str(c, v, &vol->host_path_type)))
			return r;
		for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
			if (!strcmp(types[i], vol->host_path_type))
				return 0;
		return fail(c, v, "'%.30s' is not a hostPath type keel has",
			    vol->host_path_type);
	}
	return unsupported(c, v);
}

static int empty_dir_field(struct ctx *c, const char *key, yaml_node_t *v,
			   void *obj)
{
	struct pod_volume *vol = obj;
	const char *s;
	int r;

	if (!strcmp(key, "medium")) {
		if ((r = str(c, v, &s)))
			return r;
		if (*s && strcmp(s, "Memory"))
			return fail(c, v, "\"\" or Memory");
		vol->memory = *s;
		return 0;
	}
	if (!strcmp(key, "sizeLimit")) {
		if (v->type != YAML_SCALAR_NODE ||
		    pod_quantity_bytes(scalar(v), &vol->size_limit))
			return fail(c, v, "not a size (1Gi)");
		return 0;
	}
	return unsupported(c, v);
}

static int volume_field(struct ctx *c, const char *key, yaml_node_t *v,
			void *obj)
{
	struct pod_volume *vol = obj;

	if (!strcmp(key, "name"))
		return name(c, v, &vol->name);
	if (!strcmp(key, "hostPath") || !strcmp(key, "emptyDir")) {
		if (vol->kind)
			return fail(c, v, "a volume has one source");
		vol->kind =
			key[0] == 'h' ? POD_VOL_HOST_PATH : POD_VOL_EMPTY_DIR;
		vol->host_path_type = "";
		return key[0] == 'h' ? fields(c, v, host_path_field, vol)
				     : fields(c, v, empty_dir_field, vol);
	}
	return unsupported(c, v);
}

static int spec_field(struct ctx *c, const char *key, yaml_node_t *v, void *obj)
{
	struct pod *p = obj;
	const char *s;
	int r;

	(void)obj;
	if (!strcmp(key, "containers"))
		return list(c, v, POD_CONTAINERS_MAX, p->containers,
			    sizeof(p->containers[0]), &p->n_containers,
			    container_field);
	if (!strcmp(key, "initContainers"))
		return list(c, v, POD_CONTAINERS_MAX, p->init,
			    sizeof(p->init[0]), &p->n_init, container_field);
	if (!strcmp(key, "volumes"))
		return list(c, v, POD_VOLUMES_MAX, p->volumes,
			    sizeof(p->volumes[0]), &p->n_volumes, volume_field);
	if (!strcmp(key, "hostNetwork"))
		return boolean(c, v, &p->host_network);
	if (!strcmp(key, "hostUsers")) {
		p->has_host_users = true;
		return boolean(c, v, &p->host_users);
	}
	if (!strcmp(key, "restartPolicy")) {
		if ((r = str(c, v, &s)))
			return r;
		if (!strcmp(s, "Always"))
			p->restart = POD_RESTART_ALWAYS;
		else if (!strcmp(s, "OnFailure"))
			p->restart = POD_RESTART_ON_FAILURE;
		else if (!strcmp(s, "Never"))
			p->restart = POD_RESTART_NEVER;
		else
			return fail(c, v, "Always, OnFailure or Never");
		return 0;
	}
	return unsupported(c, v);
}

static int metadata_field(struct ctx *c, const char *key, yaml_node_t *v,
			  void *obj)
{
	struct pod *p = obj;

	if (!strcmp(key, "name"))
		return name(c, v, &p->name);
	return unsupported(c, v);
}

static int top_field(struct ctx *c, const char *key, yaml_node_t *v, void *obj)
{
	struct pod *p = obj;
	const char *s;
	int r;

	if (!strcmp(key, "apiVersion") || !strcmp(key, "kind")) {
		if ((r = str(c, v, &s)))
			return r;
		if (strcmp(s, key[0] == 'a' ? "v1" : "Pod"))
			return fail(c, v, "'%.30s': keel runs v1 Pods only", s);
		return 0;
	}
	if (!strcmp(key, "metadata"))
		return fields(c, v, metadata_field, p);
	if (!strcmp(key, "spec"))
		return fields(c, v, spec_field, p);
	return unsupported(c, v);
}

bool pod_has_host_path(const struct pod *p)
{
	for (size_t i = 0; i < p->n_volumes; i++)
		if (p->volumes[i].kind == POD_VOL_HOST_PATH)
			return true;
	return false;
}

bool pod_is_privileged(const struct pod *p)
{
	for (size_t i = 0; i < p->n_init; i++)
		if (p->init[i].privileged)
			return true;
	for (size_t i = 0; i < p->n_containers; i++)
		if (p->containers[i].privileged)
			return true;
	return false;
}

bool pod_user_namespace(const struct pod *p, bool default_host_users)
{
	if (p->has_host_users)
		return !p->host_users;
	return !default_host_users && !p->host_network &&
	       !pod_has_host_path(p) && !pod_is_privileged(p);
}

/* What Kubernetes' validation would refuse across fields. */
static int check(struct ctx *c, yaml_node_t *root)
{
	struct pod *p = c->p;
	const char *names[2 * POD_CONTAINERS_MAX];
	int hostports[2 * POD_CONTAINERS_MAX * POD_PORTS_MAX], nhp = 0;
	size_t nn = 0;

	c->path[0] = '\0';
	if (!p->name)
		return fail(c, root, "metadata.name is missing");
	if (!p->n_containers)
		return fail(c, root, "spec.containers is missing or empty");
	/*
	 * Kubernetes refuses hostUsers: false beside the host's namespaces;
	 * keel also beside what maps no ids (privileged, hostPath)
	 */
	if (p->has_host_users && !p->host_users) {
		if (p->host_network)
			return fail(c, root,
				    "spec.hostUsers: false cannot go with "
				    "hostNetwork");
		if (pod_has_host_path(p))
			return fail(c, root,
				    "spec.hostUsers: false cannot go with a "
				    "hostPath volume (its files are the "
				    "host's users')");
		if (pod_is_privileged(p))
			return fail(c, root,
				    "spec.hostUsers: false cannot go with a "
				    "privileged container");
	}
	for (size_t i = 0; i < p->n_volumes; i++) {
		if (!p->volumes[i].name)
			return fail(c, root,
				    "spec.volumes[%zu].name is missing", i);
		if (!p->volumes[i].kind)
			return fail(c, root,
				    "spec.volumes[%zu]: hostPath or emptyDir "
				    "is needed",
				    i);
		if (p->volumes[i].kind == POD_VOL_HOST_PATH &&
		    !p->volumes[i].host_path)
			return fail(
				c, root,
				"spec.volumes[%zu].hostPath.path is missing",
				i);
		for (size_t j = 0; j < i; j++)
			if (!strcmp(p->volumes[i].name, p->volumes[j].name))
				return fail(c, root, "spec.volumes: '%s' twice",
					    p->volumes[i].name);
	}
	for (int set = 0; set < 2; set++) {
		struct pod_container *ks = set ? p->containers : p->init;
		size_t n = set ? p->n_containers : p->n_init;
		const char *what = set ? "containers" : "initContainers";
		for (size_t i = 0; i < n; i++) {
			struct pod_container *k = &ks[i];
			if (!k->name || !k->image)
				return fail(c, root,
					    "spec.%s[%zu]: name and image are "
					    "needed",
					    what, i);
			for (size_t j = 0; j < nn; j++)
				if (!strcmp(names[j], k->name))
					return fail(c, root,
						    "spec.%s[%zu]: the name "
						    "'%s' is taken",
						    what, i, k->name);
			names[nn++] = k->name;
			for (size_t e = 0; e < k->n_env; e++)
				if (!k->env[e].name || !*k->env[e].name)
					return fail(c, root,
						    "spec.%s[%zu].env[%zu]: "
						    "name is missing",
						    what, i, e);
			for (size_t q = 0; q < k->n_ports; q++) {
				struct pod_port *pt = &k->ports[q];
				if (!pt->container_port)
					return fail(c, root,
						    "spec.%s[%zu].ports[%zu]: "
						    "containerPort is missing",
						    what, i, q);
				if (!pt->host_port)
					continue;
				if (p->host_network &&
				    pt->host_port != pt->container_port)
					return fail(
						c, root,
						"spec.%s[%zu].ports[%zu]: "
						"with hostNetwork, hostPort "
						"must equal containerPort",
						what, i, q);
				int key = pt->host_port * 2 + pt->udp;
				for (int h = 0; h < nhp; h++)
					if (hostports[h] == key)
						return fail(c, root,
							    "spec.%s[%zu]."
							    "ports[%zu]"
							    ": hostPort %d is "
							    "taken",
							    what, i, q,
							    pt->host_port);
				hostports[nhp++] = key;
			}
			for (size_t m = 0; m < k->n_mounts; m++) {
				struct pod_mount *mt = &k->mounts[m];
				bool found = false;
				if (!mt->name || !mt->path)
					return fail(c, root,
						    "spec.%s[%zu].volumeMounts"
						    "[%zu]: name and mountPath "
						    "are needed",
						    what, i, m);
				for (size_t v = 0; v < p->n_volumes; v++)
					found |= !strcmp(p->volumes[v].name,
							 mt->name);
				if (!found)
					return fail(c, root,
						    "spec.%s[%zu].volumeMounts"
						    "[%zu]: no volume '%s'",
						    what, i, m, mt->name);
			}
		}
	}
	return 0;
}

int pod_parse(const char *text, size_t len, const char *file, struct pod *p,
	      char *err, size_t errlen)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	struct ctx c = {
		.doc = &doc, .p = p, .file = file, .err = err, .errlen = errlen
	};
	int r;

	memset(p, 0, sizeof(*p));
	if (len > POD_TEXT_MAX) {
		snprintf(err, errlen, "%s: larger than %d bytes", file,
			 POD_TEXT_MAX);
		return -EINVAL;
	}
	if (!yaml_parser_initialize(&parser)) {
		snprintf(err, errlen, "%s: out of memory", file);
		return -ENOMEM;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		snprintf(err, errlen, "%s:%lu: %s%s%s", file,
			 (unsigned long)parser.problem_mark.line + 1,
			 parser.problem ? parser.problem : "not YAML",
			 parser.context ? " " : "",
			 parser.context ? parser.context : "");
		yaml_parser_delete(&parser);
		return -EINVAL;
	}
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	if (!root) {
		snprintf(err, errlen, "%s: empty", file);
		r = -EINVAL;
	} else {
		r = fields(&c, root, top_field, p);
		if (!r)
			r = check(&c, root);
	}
	/* one document per file, as kubectl apply -f takes a Pod */
	if (!r) {
		yaml_document_t more;
		if (yaml_parser_load(&parser, &more)) {
			if (yaml_document_get_root_node(&more)) {
				snprintf(err, errlen,
					 "%s: more than one document: one Pod "
					 "a file",
					 file);
				r = -EINVAL;
			}
			yaml_document_delete(&more);
		}
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return r;
}

/*
 * resource.Quantity's grammar (k8s.io/apimachinery quantity.go):
 * a signed decimal number and a suffix: binary (Ki Mi Gi Ti Pi Ei),
 * decimal SI (m k M G T P E) or an exponent (e3, E6).
 */
static int quantity(const char *s, uint64_t unit, uint64_t *out)
{
	static const struct {
		const char *suffix;
		uint64_t mul, div;
	} sfx[] = {
		{ "Ki", 1ULL << 10, 1 },
		{ "Mi", 1ULL << 20, 1 },
		{ "Gi", 1ULL << 30, 1 },
		{ "Ti", 1ULL << 40, 1 },
		{ "Pi", 1ULL << 50, 1 },
		{ "Ei", 1ULL << 60, 1 },
		{ "m", 1, 1000 },
		{ "k", 1000ULL, 1 },
		{ "M", 1000000ULL, 1 },
		{ "G", 1000000000ULL, 1 },
		{ "T", 1000000000000ULL, 1 },
		{ "P", 1000000000000000ULL, 1 },
		{ "E", 1000000000000000000ULL, 1 },
		{ "", 1, 1 },
	};
	uint64_t ip = 0, frac = 0, fdiv = 1, mul = 1, div = 1;
	const char *p = s;

	if (*p == '+')
		p++;
	if (!isdigit((unsigned char)*p) &&
	    !(*p == '.' && isdigit((unsigned char)p[1])))
		return -1;
	for (; isdigit((unsigned char)*p); p++) {
		if (ip > (UINT64_MAX - 9) / 10)
			return -1;
		ip = ip * 10 + (*p - '0');
	}
	if (*p == '.')
		for (p++; isdigit((unsigned char)*p); p++)
			if (fdiv < 1000000000ULL) {
				frac = frac * 10 + (*p - '0');
				fdiv *= 10;
			}
	if ((*p == 'e' || *p == 'E') && isdigit((unsigned char)p[1])) {
		int e = atoi(p + 1);
		if (e > 18 || strspn(p + 1, "0123456789") != strlen(p + 1))
			return -1;
		while (e--)
			mul *= 10;
		p += strlen(p);
	} else {
		size_t i;
		for (i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++)
			if (!strcmp(p, sfx[i].suffix))
				break;
		if (i == sizeof(sfx) / sizeof(sfx[0]))
			return -1;
		mul = sfx[i].mul;
		div = sfx[i].div;
	}
	/* value * mul * unit / div, rounded up, in 128 bits */
	unsigned __int128 whole = (unsigned __int128)ip * fdiv + frac;
	if (whole > ~(unsigned __int128)0 / mul / unit)
		return -1;
	unsigned __int128 v = whole * mul * unit;
	unsigned __int128 d = (unsigned __int128)div * fdiv;
	v = (v + d - 1) / d;
	if (v > UINT64_MAX)
		return -1;
	*out = (uint64_t)v;
	return 0;
}

int pod_quantity_bytes(const char *s, uint64_t *out)
{
	return quantity(s, 1, out);
}

int pod_quantity_millis(const char *s, uint64_t *out)
{
	return quantity(s, 1000, out);
}

int pod_capability(const char *name)
{
	/* linux/capability.h, in number order */
	static const char *const caps[] = {
		"CHOWN",
		"DAC_OVERRIDE",
		"DAC_READ_SEARCH",
		"FOWNER",
		"FSETID",
		"KILL",
		"SETGID",
		"SETUID",
		"SETPCAP",
		"LINUX_IMMUTABLE",
		"NET_BIND_SERVICE",
		"NET_BROADCAST",
		"NET_ADMIN",
		"NET_RAW",
		"IPC_LOCK",
		"IPC_OWNER",
		"SYS_MODULE",
		"SYS_RAWIO",
		"SYS_CHROOT",
		"SYS_PTRACE",
		"SYS_PACCT",
		"SYS_ADMIN",
		"SYS_BOOT",
		"SYS_NICE",
		"SYS_RESOURCE",
		"SYS_TIME",
		"SYS_TTY_CONFIG",
		"MKNOD",
		"LEASE",
		"AUDIT_WRITE",
		"AUDIT_CONTROL",
		"SETFCAP",
		"MAC_OVERRIDE",
		"MAC_ADMIN",
		"SYSLOG",
		"WAKE_ALARM",
		"BLOCK_SUSPEND",
		"AUDIT_READ",
		"PERFMON",
		"BPF",
		"CHECKPOINT_RESTORE",
	};

	if (!strncmp(name, "CAP_", 4))
		name += 4;
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
		if (!strcmp(caps[i], name))
			return (int)i;
	return -1;
}
