// SPDX-License-Identifier: MIT
#include "oci/pod.h"
#include "oci/quantity.h"
#include "oci/yamlwalk.h"

#include <errno.h>
#include <string.h>

/*
 * A Pod's fields, each checked as Kubernetes' API validation checks it,
 * on the strict walk of yamlwalk.c.
 */

static int env_field(struct walk *c, const char *key, yaml_node_t *v, void *obj)
{
	struct pod_env *e = obj;

	if (!strcmp(key, "name"))
		return walk_str(c, v, &e->name);
	if (!strcmp(key, "value"))
		return walk_str(c, v, &e->value);
	return walk_unsupported(c, v); /* valueFrom: no API objects on a host */
}

static int port_field(struct walk *c, const char *key, yaml_node_t *v,
		      void *obj)
{
	struct pod_port *p = obj;
	long n;
	const char *s;
	int r;

	if (!strcmp(key, "containerPort")) {
		if (!(r = walk_int(c, v, 1, 65535, &n)))
			p->container_port = n;
		return r;
	}
	if (!strcmp(key, "hostPort")) {
		if (!(r = walk_int(c, v, 1, 65535, &n)))
			p->host_port = n;
		return r;
	}
	if (!strcmp(key, "protocol")) {
		if ((r = walk_str(c, v, &s)))
			return r;
		if (strcmp(s, "TCP") && strcmp(s, "UDP"))
			return walk_fail(c, v, "TCP or UDP, not '%.20s'", s);
		p->udp = !strcmp(s, "UDP");
		return 0;
	}
	if (!strcmp(key, "name")) /* a label for humans and Services */
		return walk_str(c, v, &s);
	return walk_unsupported(c, v);
}

static int limit_field(struct walk *c, const char *key, yaml_node_t *v,
		       void *obj)
{
	struct pod_container *k = obj;
	const char *s;
	int r;

	/* a quantity may be written as a number: 2, 0.5 */
	if (v->type != YAML_SCALAR_NODE || walk_is_null(v))
		return walk_fail(c, v, "expected a quantity");
	s = walk_scalar(v);
	if (!strcmp(key, "cpu")) {
		if (pod_quantity_millis(s, &k->cpu_millis) || !k->cpu_millis)
			return walk_fail(
				c, v,
				"'%.30s' is not a CPU quantity (500m, 0.5, "
				"2)",
				s);
		return 0;
	}
	if (!strcmp(key, "memory")) {
		r = pod_quantity_bytes(s, &k->memory_bytes);
		if (r || k->memory_bytes < 4096)
			return walk_fail(
				c, v,
				"'%.30s' is not a memory quantity of at "
				"least 4Ki (128Mi, 1G)",
				s);
		return 0;
	}
	return walk_unsupported(c, v);
}

/* requests are accepted for portability, and mean nothing on one host */
static int request_field(struct walk *c, const char *key, yaml_node_t *v,
			 void *obj)
{
	uint64_t q;

	(void)obj;
	if (v->type != YAML_SCALAR_NODE || walk_is_null(v))
		return walk_fail(c, v, "expected a quantity");
	if (!strcmp(key, "cpu"))
		return pod_quantity_millis(walk_scalar(v), &q)
			       ? walk_fail(c, v, "not a CPU quantity")
			       : 0;
	if (!strcmp(key, "memory"))
		return pod_quantity_bytes(walk_scalar(v), &q)
			       ? walk_fail(c, v, "not a memory quantity")
			       : 0;
	return walk_unsupported(c, v);
}

static int resources_field(struct walk *c, const char *key, yaml_node_t *v,
			   void *obj)
{
	if (!strcmp(key, "limits"))
		return walk_fields(c, v, limit_field, obj);
	if (!strcmp(key, "requests"))
		return walk_fields(c, v, request_field, obj);
	return walk_unsupported(c, v);
}

static int caps(struct walk *c, yaml_node_t *v, uint64_t *bits, bool *all)
{
	int r = walk_seq(c, v, POD_CAPS_MAX);
	size_t i = 0;

	for (yaml_node_item_t *it = v->data.sequence.items.start;
	     !r && it < v->data.sequence.items.top; it++, i++) {
		const char *s;
		walk_push_index(c, i);
		r = walk_str(c, walk_node(c, *it), &s);
		if (!r && all && !strcmp(s, "ALL")) {
			*all = true;
		} else if (!r) {
			int n = pod_capability(s);
			if (n < 0)
				r = walk_fail(c, walk_node(c, *it),
					      "'%.40s' is not a capability", s);
			else
				*bits |= 1ULL << n;
		}
		walk_pop(c);
	}
	return r;
}

static int caps_field(struct walk *c, const char *key, yaml_node_t *v,
		      void *obj)
{
	struct pod_container *k = obj;

	if (!strcmp(key, "add"))
		return caps(c, v, &k->caps_add, NULL);
	if (!strcmp(key, "drop"))
		return caps(c, v, &k->caps_drop, &k->drop_all);
	return walk_unsupported(c, v);
}

static int security_field(struct walk *c, const char *key, yaml_node_t *v,
			  void *obj)
{
	struct pod_container *k = obj;
	long n;
	bool b;
	int r;

	if (!strcmp(key, "runAsUser") || !strcmp(key, "runAsGroup")) {
		if ((r = walk_int(c, v, 0, 2147483647, &n)))
			return r;
		if (key[5] == 'U')
			k->run_as_user = n, k->has_user = true;
		else
			k->run_as_group = n, k->has_group = true;
		return 0;
	}
	if (!strcmp(key, "privileged"))
		return walk_bool(c, v, &k->privileged);
	if (!strcmp(key, "readOnlyRootFilesystem"))
		return walk_bool(c, v, &k->read_only_root);
	if (!strcmp(key, "capabilities"))
		return walk_fields(c, v, caps_field, k);
	/* no_new_privs is always set: only false is what keel does */
	if (!strcmp(key, "allowPrivilegeEscalation")) {
		if ((r = walk_bool(c, v, &b)))
			return r;
		return b ? walk_fail(
				   c, v,
				   "keel always sets no_new_privs: only false "
				   "is possible")
			 : 0;
	}
	return walk_unsupported(c, v);
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

static int mount_field(struct walk *c, const char *key, yaml_node_t *v,
		       void *obj)
{
	struct pod_mount *m = obj;
	int r;

	if (!strcmp(key, "name"))
		return walk_str(c, v, &m->name);
	if (!strcmp(key, "mountPath")) {
		if ((r = walk_str(c, v, &m->path)))
			return r;
		if (m->path[0] != '/' || has_dotdot(m->path))
			return walk_fail(c, v,
					 "'%.60s' is not an absolute path "
					 "without '..'",
					 m->path);
		return 0;
	}
	if (!strcmp(key, "readOnly"))
		return walk_bool(c, v, &m->read_only);
	return walk_unsupported(c, v);
}

static int container_field(struct walk *c, const char *key, yaml_node_t *v,
			   void *obj)
{
	struct pod_container *k = obj;
	char why[300];

	if (!strcmp(key, "name"))
		return walk_name(c, v, &k->name);
	if (!strcmp(key, "image")) {
		int r = walk_str(c, v, &k->image);
		if (!r && image_ref_parse(k->image, &k->ref, why, sizeof(why)))
			return walk_fail(c, v, "%s", why);
		return r;
	}
	if (!strcmp(key, "command"))
		return walk_strings(c, v, k->command, POD_ARGS_MAX,
				    &k->n_command);
	if (!strcmp(key, "args"))
		return walk_strings(c, v, k->args, POD_ARGS_MAX, &k->n_args);
	if (!strcmp(key, "workingDir")) {
		int r = walk_str(c, v, &k->working_dir);
		if (!r && k->working_dir[0] != '/')
			return walk_fail(c, v, "not an absolute path");
		return r;
	}
	if (!strcmp(key, "env"))
		return walk_list(c, v, POD_ENV_MAX, k->env, sizeof(k->env[0]),
				 &k->n_env, env_field);
	if (!strcmp(key, "ports"))
		return walk_list(c, v, POD_PORTS_MAX, k->ports,
				 sizeof(k->ports[0]), &k->n_ports, port_field);
	if (!strcmp(key, "resources"))
		return walk_fields(c, v, resources_field, k);
	if (!strcmp(key, "securityContext"))
		return walk_fields(c, v, security_field, k);
	if (!strcmp(key, "volumeMounts"))
		return walk_list(c, v, POD_MOUNTS_MAX, k->mounts,
				 sizeof(k->mounts[0]), &k->n_mounts,
				 mount_field);
	/* what kubectl and clusters fill in, with the only value keel has */
	if (!strcmp(key, "imagePullPolicy")) {
		const char *s;
		int r = walk_str(c, v, &s);
		if (!r && strcmp(s, "IfNotPresent") && strcmp(s, "Always") &&
		    strcmp(s, "Never"))
			return walk_fail(c, v, "IfNotPresent, Always or Never");
		return r;
	}
	return walk_unsupported(c, v);
}

static int host_path_field(struct walk *c, const char *key, yaml_node_t *v,
			   void *obj)
{
	static const char *const types[] = { "",	  "DirectoryOrCreate",
					     "Directory", "FileOrCreate",
					     "File",	  "Socket" };
	struct pod_volume *vol = obj;
	int r;

	if (!strcmp(key, "path")) {
		if ((r = walk_str(c, v, &vol->host_path)))
			return r;
		if (vol->host_path[0] != '/')
			return walk_fail(c, v, "not an absolute path");
		return 0;
	}
	if (!strcmp(key, "type")) {
		if ((r = walk_str(c, v, &vol->host_path_type)))
			return r;
		for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
			if (!strcmp(types[i], vol->host_path_type))
				return 0;
		return walk_fail(c, v,
				 "'%.30s' is not a hostPath type keel has",
				 vol->host_path_type);
	}
	return walk_unsupported(c, v);
}

static int empty_dir_field(struct walk *c, const char *key, yaml_node_t *v,
			   void *obj)
{
	struct pod_volume *vol = obj;
	const char *s;
	int r;

	if (!strcmp(key, "medium")) {
		if ((r = walk_str(c, v, &s)))
			return r;
		if (*s && strcmp(s, "Memory"))
			return walk_fail(c, v, "\"\" or Memory");
		vol->memory = *s;
		return 0;
	}
	if (!strcmp(key, "sizeLimit")) {
		if (v->type != YAML_SCALAR_NODE ||
		    pod_quantity_bytes(walk_scalar(v), &vol->size_limit))
			return walk_fail(c, v, "not a size (1Gi)");
		return 0;
	}
	return walk_unsupported(c, v);
}

static int volume_field(struct walk *c, const char *key, yaml_node_t *v,
			void *obj)
{
	struct pod_volume *vol = obj;

	if (!strcmp(key, "name"))
		return walk_name(c, v, &vol->name);
	if (!strcmp(key, "hostPath") || !strcmp(key, "emptyDir")) {
		if (vol->kind)
			return walk_fail(c, v, "a volume has one source");
		vol->kind =
			key[0] == 'h' ? POD_VOL_HOST_PATH : POD_VOL_EMPTY_DIR;
		vol->host_path_type = "";
		return key[0] == 'h' ? walk_fields(c, v, host_path_field, vol)
				     : walk_fields(c, v, empty_dir_field, vol);
	}
	return walk_unsupported(c, v);
}

static int spec_field(struct walk *c, const char *key, yaml_node_t *v,
		      void *obj)
{
	struct pod *p = obj;
	const char *s;
	int r;

	if (!strcmp(key, "containers"))
		return walk_list(c, v, POD_CONTAINERS_MAX, p->containers,
				 sizeof(p->containers[0]), &p->n_containers,
				 container_field);
	if (!strcmp(key, "initContainers"))
		return walk_list(c, v, POD_CONTAINERS_MAX, p->init,
				 sizeof(p->init[0]), &p->n_init,
				 container_field);
	if (!strcmp(key, "volumes"))
		return walk_list(c, v, POD_VOLUMES_MAX, p->volumes,
				 sizeof(p->volumes[0]), &p->n_volumes,
				 volume_field);
	if (!strcmp(key, "hostNetwork"))
		return walk_bool(c, v, &p->host_network);
	if (!strcmp(key, "hostUsers")) {
		p->has_host_users = true;
		return walk_bool(c, v, &p->host_users);
	}
	if (!strcmp(key, "restartPolicy")) {
		if ((r = walk_str(c, v, &s)))
			return r;
		if (!strcmp(s, "Always"))
			p->restart = POD_RESTART_ALWAYS;
		else if (!strcmp(s, "OnFailure"))
			p->restart = POD_RESTART_ON_FAILURE;
		else if (!strcmp(s, "Never"))
			p->restart = POD_RESTART_NEVER;
		else
			return walk_fail(c, v, "Always, OnFailure or Never");
		return 0;
	}
	return walk_unsupported(c, v);
}

static int metadata_field(struct walk *c, const char *key, yaml_node_t *v,
			  void *obj)
{
	struct pod *p = obj;

	if (!strcmp(key, "name"))
		return walk_name(c, v, &p->name);
	return walk_unsupported(c, v);
}

static int top_field(struct walk *c, const char *key, yaml_node_t *v, void *obj)
{
	struct pod *p = obj;
	const char *s;
	int r;

	if (!strcmp(key, "apiVersion") || !strcmp(key, "kind")) {
		if ((r = walk_str(c, v, &s)))
			return r;
		if (strcmp(s, key[0] == 'a' ? "v1" : "Pod"))
			return walk_fail(c, v,
					 "'%.30s': keel runs v1 Pods only", s);
		return 0;
	}
	if (!strcmp(key, "metadata"))
		return walk_fields(c, v, metadata_field, p);
	if (!strcmp(key, "spec"))
		return walk_fields(c, v, spec_field, p);
	return walk_unsupported(c, v);
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
	if (p->host_network)
		return walk_fail(c, root,
				 "spec.hostUsers: false cannot go with "
				 "hostNetwork");
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

static int check_volumes(struct walk *c, yaml_node_t *root, const struct pod *p)
{
	for (size_t i = 0; i < p->n_volumes; i++) {
		const struct pod_volume *v = &p->volumes[i];
		if (!v->name)
			return walk_fail(c, root,
					 "spec.volumes[%zu].name is missing",
					 i);
		if (!v->kind)
			return walk_fail(c, root,
					 "spec.volumes[%zu]: hostPath or "
					 "emptyDir is needed",
					 i);
		if (v->kind == POD_VOL_HOST_PATH && !v->host_path)
			return walk_fail(
				c, root,
				"spec.volumes[%zu].hostPath.path is missing",
				i);
		for (size_t j = 0; j < i; j++)
			if (!strcmp(v->name, p->volumes[j].name))
				return walk_fail(c, root,
						 "spec.volumes: '%s' twice",
						 v->name);
	}
	return 0;
}

static int check_ports(struct walk *c, yaml_node_t *root, const struct pod *p,
		       const struct pod_container *k, const char *what,
		       size_t i, struct seen *s)
{
	for (size_t q = 0; q < k->n_ports; q++) {
		const struct pod_port *pt = &k->ports[q];
		if (!pt->container_port)
			return walk_fail(c, root,
					 "spec.%s[%zu].ports[%zu]: "
					 "containerPort is missing",
					 what, i, q);
		if (!pt->host_port)
			continue;
		if (p->host_network && pt->host_port != pt->container_port)
			return walk_fail(c, root,
					 "spec.%s[%zu].ports[%zu]: with "
					 "hostNetwork, hostPort must equal "
					 "containerPort",
					 what, i, q);
		int key = pt->host_port * 2 + pt->udp;
		for (size_t h = 0; h < s->n_hostports; h++)
			if (s->hostports[h] == key)
				return walk_fail(c, root,
						 "spec.%s[%zu].ports[%zu]: "
						 "hostPort %d is taken",
						 what, i, q, pt->host_port);
		s->hostports[s->n_hostports++] = key;
	}
	return 0;
}

static int check_mounts(struct walk *c, yaml_node_t *root, const struct pod *p,
			const struct pod_container *k, const char *what,
			size_t i)
{
	for (size_t m = 0; m < k->n_mounts; m++) {
		const struct pod_mount *mt = &k->mounts[m];
		bool found = false;
		if (!mt->name || !mt->path)
			return walk_fail(c, root,
					 "spec.%s[%zu].volumeMounts[%zu]: name "
					 "and mountPath are needed",
					 what, i, m);
		for (size_t v = 0; v < p->n_volumes; v++)
			found |= !strcmp(p->volumes[v].name, mt->name);
		if (!found)
			return walk_fail(c, root,
					 "spec.%s[%zu].volumeMounts[%zu]: no "
					 "volume '%s'",
					 what, i, m, mt->name);
	}
	return 0;
}

static int check_container(struct walk *c, yaml_node_t *root,
			   const struct pod *p, const struct pod_container *k,
			   const char *what, size_t i, struct seen *s)
{
	if (!k->name || !k->image)
		return walk_fail(c, root,
				 "spec.%s[%zu]: name and image are needed",
				 what, i);
	for (size_t j = 0; j < s->n_names; j++)
		if (!strcmp(s->names[j], k->name))
			return walk_fail(c, root,
					 "spec.%s[%zu]: the name '%s' is taken",
					 what, i, k->name);
	s->names[s->n_names++] = k->name;
	for (size_t e = 0; e < k->n_env; e++)
		if (!k->env[e].name || !*k->env[e].name)
			return walk_fail(c, root,
					 "spec.%s[%zu].env[%zu]: name is "
					 "missing",
					 what, i, e);
	int r = check_ports(c, root, p, k, what, i, s);
	return r ? r : check_mounts(c, root, p, k, what, i);
}

static int check(struct walk *c, yaml_node_t *root, const struct pod *p)
{
	struct seen s = { .n_names = 0 };
	int r;

	if (!p->name)
		return walk_fail(c, root, "metadata.name is missing");
	if (!p->n_containers)
		return walk_fail(c, root,
				 "spec.containers is missing or empty");
	if ((r = check_host_users(c, root, p)) ||
	    (r = check_volumes(c, root, p)))
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

/* The parser's own complaint: "file:line: problem context" */
static int not_yaml(const yaml_parser_t *parser, const char *file, char *err,
		    size_t errlen)
{
	return errmsg(err, errlen, -EINVAL, "%s:%lu: %s%s%s", file,
		      (unsigned long)parser->problem_mark.line + 1,
		      parser->problem ? parser->problem : "not YAML",
		      parser->context ? " " : "",
		      parser->context ? parser->context : "");
}

/* one document per file, as kubectl apply -f takes a Pod */
static int one_document(yaml_parser_t *parser, const char *file, char *err,
			size_t errlen)
{
	yaml_document_t more;
	int r = 0;

	if (!yaml_parser_load(parser, &more))
		return 0;
	if (yaml_document_get_root_node(&more))
		r = errmsg(err, errlen, -EINVAL,
			   "%s: more than one document: one Pod a file", file);
	yaml_document_delete(&more);
	return r;
}

int pod_parse(const char *text, size_t len, const char *file, struct pod *p,
	      char *err, size_t errlen)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	struct walk c = {
		.doc = &doc,
		.file = file,
		.err = err,
		.errlen = errlen,
		.arena = p->arena,
		.arena_size = sizeof(p->arena),
		.arena_used = &p->arena_used,
	};
	int r;

	memset(p, 0, sizeof(*p));
	if (len > POD_TEXT_MAX)
		return errmsg(err, errlen, -EINVAL, "%s: larger than %d bytes",
			      file, POD_TEXT_MAX);
	if (!yaml_parser_initialize(&parser))
		return errmsg(err, errlen, -ENOMEM, "%s: out of memory", file);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		r = not_yaml(&parser, file, err, errlen);
		yaml_parser_delete(&parser);
		return r;
	}
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	if (!root)
		r = errmsg(err, errlen, -EINVAL, "%s: empty", file);
	else if (!(r = walk_fields(&c, root, top_field, p)))
		r = check(&c, root, p);
	if (!r)
		r = one_document(&parser, file, err, errlen);
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return r;
}
