// SPDX-License-Identifier: MIT
#include "oci/pod.h"
#include "oci/meta.h"
#include "oci/podcheck.h"
#include "oci/podctr.h"
#include "oci/podsec.h"
#include "oci/podvol.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

/*
 * A Pod's fields, each checked as Kubernetes' API validation checks it,
 * on the strict walk of yamlwalk.c; its containers (podctr.c), volumes
 * (podvol.c) and securityContext (podsec.c) have files of their own.
 */

/*
 * What only a cluster means: accepted, and noted once per manifest
 * (imagePullSecrets: registries.conf holds a host's credentials).
 */
static const char *const cluster_only[] = {
	"nodeSelector",
	"nodeName",
	"affinity",
	"tolerations",
	"topologySpreadConstraints",
	"priorityClassName",
	"priority",
	"schedulerName",
	"serviceAccountName",
	"serviceAccount",
	"automountServiceAccountToken",
	"imagePullSecrets",
	"preemptionPolicy",
	"runtimeClassName",
	"overhead",
	"enableServiceLinks",
	"readinessGates",
};

static int address(struct walk *w, yaml_node_t *v, const char **out)
{
	unsigned char buf[16];
	int r = walk_str(w, v, out);

	if (!r && inet_pton(AF_INET, *out, buf) != 1 &&
	    inet_pton(AF_INET6, *out, buf) != 1)
		return walk_fail(w, v, "'%.60s' is not an IP address", *out);
	return r;
}

static int alias_field(struct walk *w, const char *key, yaml_node_t *v,
		       void *obj)
{
	struct pod_host_alias *a = obj;

	if (!strcmp(key, "ip"))
		return address(w, v, &a->ip);
	if (!strcmp(key, "hostnames"))
		return walk_strings(w, v, a->names, POD_ALIASES_MAX - 1,
				    &a->n_names);
	return walk_unsupported(w, v);
}

static int dns_option(struct walk *w, const char *key, yaml_node_t *v,
		      void *obj)
{
	struct pod_kv *kv = obj;

	if (!strcmp(key, "name"))
		return walk_str(w, v, &kv->key);
	if (!strcmp(key, "value"))
		return walk_str(w, v, &kv->value);
	return walk_unsupported(w, v);
}

static int dns_config_field(struct walk *w, const char *key, yaml_node_t *v,
			    void *obj)
{
	struct pod *p = obj;
	unsigned char buf[16];
	int r;

	if (!strcmp(key, "nameservers")) {
		if ((r = walk_strings(w, v, p->nameservers, POD_DNS_MAX - 1,
				      &p->n_nameservers)))
			return r;
		for (size_t i = 0; i < p->n_nameservers; i++)
			if (inet_pton(AF_INET, p->nameservers[i], buf) != 1 &&
			    inet_pton(AF_INET6, p->nameservers[i], buf) != 1)
				return walk_fail(w, v,
						 "'%.60s' is not an IP address",
						 p->nameservers[i]);
		return 0;
	}
	if (!strcmp(key, "searches"))
		return walk_strings(w, v, p->searches, POD_DNS_MAX - 1,
				    &p->n_searches);
	if (!strcmp(key, "options"))
		return walk_list(w, v, POD_DNS_MAX, p->dns_options,
				 sizeof(p->dns_options[0]), &p->n_dns_options,
				 dns_option);
	return walk_unsupported(w, v);
}

static int restart_policy(struct walk *w, yaml_node_t *v, struct pod *p)
{
	const char *s;
	int r = walk_str(w, v, &s);

	if (r)
		return r;
	if (!strcmp(s, "Always"))
		p->restart = POD_RESTART_ALWAYS;
	else if (!strcmp(s, "OnFailure"))
		p->restart = POD_RESTART_ON_FAILURE;
	else if (!strcmp(s, "Never"))
		p->restart = POD_RESTART_NEVER;
	else
		return walk_fail(w, v, "Always, OnFailure or Never");
	return 0;
}

/* dnsPolicy: ClusterFirst has no cluster DNS here: the host's, noted */
static int dns_policy(struct walk *w, yaml_node_t *v, struct pod *p)
{
	const char *s;
	int r = walk_str(w, v, &s);

	if (r)
		return r;
	if (!strcmp(s, "None"))
		p->dns = POD_DNS_NONE;
	else if (!strcmp(s, "ClusterFirst") ||
		 !strcmp(s, "ClusterFirstWithHostNet"))
		walk_note(w);
	else if (strcmp(s, "Default"))
		return walk_fail(w, v,
				 "Default, ClusterFirst, "
				 "ClusterFirstWithHostNet or None");
	return 0;
}

/* the flags and numbers of a PodSpec; 1: not one of them */
static int spec_scalar(struct walk *w, const char *key, yaml_node_t *v,
		       struct pod *p)
{
	static const struct {
		const char *key;
		size_t off;
	} flags[] = {
		{ "hostNetwork", offsetof(struct pod, host_network) },
		{ "hostPID", offsetof(struct pod, host_pid) },
		{ "hostIPC", offsetof(struct pod, host_ipc) },
		{ "shareProcessNamespace", offsetof(struct pod, share_pid) },
	};
	for (size_t i = 0; i < sizeof(flags) / sizeof(*flags); i++)
		if (!strcmp(key, flags[i].key))
			return walk_bool(w, v,
					 (bool *)((char *)p + flags[i].off));
	if (!strcmp(key, "hostUsers")) {
		p->has_host_users = true;
		return walk_bool(w, v, &p->host_users);
	}
	if (!strcmp(key, "restartPolicy"))
		return restart_policy(w, v, p);
	if (!strcmp(key, "terminationGracePeriodSeconds"))
		return walk_int(w, v, 0, 86400, &p->grace_s);
	if (!strcmp(key, "dnsPolicy"))
		return dns_policy(w, v, p);
	if (!strcmp(key, "hostname"))
		return walk_name(w, v, POD_NAME_MAX, &p->hostname);
	if (!strcmp(key, "subdomain"))
		return walk_name(w, v, POD_NAME_MAX, &p->subdomain);
	return 1;
}

static int os_field(struct walk *w, const char *key, yaml_node_t *v, void *obj)
{
	const char *s;
	int r;

	(void)obj;
	if (strcmp(key, "name"))
		return walk_unsupported(w, v);
	r = walk_str(w, v, &s);
	return r ? r : strcmp(s, "linux") ? walk_fail(w, v, "linux") : 0;
}

static int spec_field(struct walk *w, const char *key, yaml_node_t *v,
		      void *obj)
{
	struct pod *p = obj;
	int r = spec_scalar(w, key, v, p);

	if (r <= 0)
		return r;
	if (!strcmp(key, "containers"))
		return walk_list(w, v, POD_CONTAINERS_MAX, p->containers,
				 sizeof(p->containers[0]), &p->n_containers,
				 podctr_field);
	if (!strcmp(key, "initContainers"))
		return walk_list(w, v, POD_CONTAINERS_MAX, p->init,
				 sizeof(p->init[0]), &p->n_init, podctr_field);
	if (!strcmp(key, "volumes"))
		return podvol_walk(w, v, p);
	if (!strcmp(key, "securityContext"))
		return walk_fields(w, v, podsec_pod_field, p);
	if (!strcmp(key, "dnsConfig"))
		return walk_fields(w, v, dns_config_field, p);
	if (!strcmp(key, "hostAliases"))
		return walk_list(w, v, POD_ALIASES_MAX, p->aliases,
				 sizeof(p->aliases[0]), &p->n_aliases,
				 alias_field);
	if (!strcmp(key, "os"))
		return walk_fields(w, v, os_field, p);
	for (size_t i = 0; i < sizeof(cluster_only) / sizeof(*cluster_only);
	     i++)
		if (!strcmp(key, cluster_only[i]))
			return walk_note(w);
	return walk_unsupported(w, v);
}

int pod_walk_spec(struct walk *w, yaml_node_t *v, struct pod *p)
{
	return walk_fields(w, v, spec_field, p);
}

static int top_field(struct walk *w, const char *key, yaml_node_t *v, void *obj)
{
	struct pod *p = obj;
	struct meta_walk mw = { &p->meta, POD_NAME_MAX };
	const char *s;
	int r;

	if (!strcmp(key, "apiVersion") || !strcmp(key, "kind")) {
		if ((r = walk_str(w, v, &s)))
			return r;
		if (strcmp(s, key[0] == 'a' ? "v1" : "Pod"))
			return walk_fail(w, v,
					 "'%.30s': keel runs v1 Pods only", s);
		return 0;
	}
	if (!strcmp(key, "metadata"))
		return walk_fields(w, v, meta_field, &mw);
	if (!strcmp(key, "spec"))
		return pod_walk_spec(w, v, p);
	/* what kubectl get -o yaml gives back: the API server's */
	if (!strcmp(key, "status"))
		return 0;
	return walk_unsupported(w, v);
}

int pod_walk(struct walk *w, yaml_node_t *root, struct pod *p)
{
	w->arena = p->arena;
	w->arena_size = sizeof(p->arena);
	w->arena_used = &p->arena_used;
	w->notes = p->notes;
	w->noteslen = sizeof(p->notes);
	p->grace_s = -1;
	int r = walk_fields(w, root, top_field, p);
	return r ? r : pod_finish(w, root, p);
}

int pod_finish(struct walk *w, yaml_node_t *root, struct pod *p)
{
	int r;

	w->depth = 0;
	if ((r = meta_check(w, root, &p->meta)))
		return r;
	p->name = p->meta.name;
	p->ns = p->meta.ns;
	if (pod_key(p->ns, p->name, p->key, sizeof(p->key)))
		return walk_fail(w, root,
				 "metadata: namespace and name together are "
				 "longer than %d ('%s_%s')",
				 POD_NAME_MAX - 1, p->ns, p->name);
	for (size_t i = 0; i < p->n_init; i++)
		podsec_merge(p, &p->init[i]);
	for (size_t i = 0; i < p->n_containers; i++)
		podsec_merge(p, &p->containers[i]);
	return podcheck(w, root, p);
}

/* The parser's own complaint: "file:line: problem context" */
int pod_not_yaml(const yaml_parser_t *parser, const char *file, int line0,
		 char *err, size_t errlen)
{
	return errmsg(err, errlen, -EINVAL, "%s:%lu: %s%s%s", file,
		      (unsigned long)(parser->problem_mark.line + 1 + line0),
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
	struct walk w = {
		.doc = &doc, .file = file, .err = err, .errlen = errlen
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
		r = pod_not_yaml(&parser, file, 0, err, errlen);
		yaml_parser_delete(&parser);
		return r;
	}
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	if (!root)
		r = errmsg(err, errlen, -EINVAL, "%s: empty", file);
	else
		r = pod_walk(&w, root, p);
	if (!r)
		r = one_document(&parser, file, err, errlen);
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return r;
}

int pod_key(const char *ns, const char *name, char *key, size_t len)
{
	int n = !ns || !strcmp(ns, "default")
			? snprintf(key, len, "%s", name)
			: snprintf(key, len, "%s_%s", ns, name);

	return n < 0 || (size_t)n >= len || n > POD_NAME_MAX ? -EINVAL : 0;
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
	return !default_host_users && !p->host_network && !p->host_pid &&
	       !p->host_ipc && !pod_has_host_path(p) && !pod_is_privileged(p);
}

const struct pod_volume *pod_volume(const struct pod *p, const char *name)
{
	for (size_t i = 0; i < p->n_volumes; i++)
		if (!strcmp(p->volumes[i].name, name))
			return &p->volumes[i];
	return NULL;
}
