// SPDX-License-Identifier: MIT
#include "oci/podprobe.h"

#include <ctype.h>
#include <string.h>

/* IANA_SVC_NAME, as a port's name: at most 15, a letter in it */
static bool port_name(const char *s)
{
	size_t n = strlen(s);
	bool letter = false;

	if (!n || n > 15 || s[0] == '-' || s[n - 1] == '-' || strstr(s, "--"))
		return false;
	for (; *s; s++) {
		if (!islower((unsigned char)*s) &&
		    !isdigit((unsigned char)*s) && *s != '-')
			return false;
		letter |= islower((unsigned char)*s) != 0;
	}
	return letter;
}

/* IntOrString: a number, or a port's name from the container's ports */
static int port(struct walk *w, yaml_node_t *v, struct pod_handler *h)
{
	long n;

	if (v->type == YAML_SCALAR_NODE &&
	    v->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	    isdigit((unsigned char)*walk_scalar(v))) {
		int r = walk_int(w, v, 1, 65535, &n);
		h->port = (int)n;
		return r;
	}
	int r = walk_str(w, v, &h->port_name);
	if (!r && !port_name(h->port_name))
		return walk_fail(w, v,
				 "'%.30s' is neither a port number nor a "
				 "port's name",
				 h->port_name);
	return r;
}

static int header_field(struct walk *w, const char *key, yaml_node_t *v,
			void *obj)
{
	struct pod_kv *kv = obj;
	int r;

	if (!strcmp(key, "name")) {
		if ((r = walk_str(w, v, &kv->key)))
			return r;
		for (const char *c = kv->key; *c; c++)
			if (!isgraph((unsigned char)*c) || *c == ':')
				return walk_fail(w, v, "not a header's name");
		return 0;
	}
	if (!strcmp(key, "value")) {
		if ((r = walk_str(w, v, &kv->value)))
			return r;
		if (strpbrk(kv->value, "\r\n"))
			return walk_fail(w, v, "a line break in a header");
		return 0;
	}
	return walk_unsupported(w, v);
}

static int http_field(struct walk *w, const char *key, yaml_node_t *v,
		      void *obj)
{
	struct pod_handler *h = obj;
	const char *s;
	int r;

	if (!strcmp(key, "path")) {
		if ((r = walk_str(w, v, &h->path)))
			return r;
		if (h->path[0] != '/' || strpbrk(h->path, " \r\n\t"))
			return walk_fail(w, v,
					 "a path starting with '/', no spaces");
		return 0;
	}
	if (!strcmp(key, "port"))
		return port(w, v, h);
	if (!strcmp(key, "host"))
		return walk_str(w, v, &h->host);
	if (!strcmp(key, "scheme")) {
		if ((r = walk_str(w, v, &s)))
			return r;
		return strcmp(s, "HTTP") ? walk_fail(w, v,
						     "only HTTP (keel's "
						     "probes do not speak "
						     "TLS)")
					 : 0;
	}
	if (!strcmp(key, "httpHeaders"))
		return walk_list(w, v, POD_HEADERS_MAX, h->headers,
				 sizeof(h->headers[0]), &h->n_headers,
				 header_field);
	return walk_unsupported(w, v);
}

static int tcp_field(struct walk *w, const char *key, yaml_node_t *v, void *obj)
{
	struct pod_handler *h = obj;

	if (!strcmp(key, "port"))
		return port(w, v, h);
	if (!strcmp(key, "host"))
		return walk_str(w, v, &h->host);
	return walk_unsupported(w, v);
}

static int exec_field(struct walk *w, const char *key, yaml_node_t *v,
		      void *obj)
{
	struct pod_handler *h = obj;

	if (!strcmp(key, "command"))
		return walk_strings(w, v, h->command, POD_HANDLER_ARGS_MAX,
				    &h->n_command);
	return walk_unsupported(w, v);
}

static int sleep_field(struct walk *w, const char *key, yaml_node_t *v,
		       void *obj)
{
	struct pod_handler *h = obj;

	if (!strcmp(key, "seconds"))
		return walk_int(w, v, 0, 86400, &h->sleep_s);
	return walk_unsupported(w, v);
}

/* One of exec, httpGet, tcpSocket (sleep for hooks); 1: none of them */
static int handler_field(struct walk *w, const char *key, yaml_node_t *v,
			 struct pod_handler *h, bool hook)
{
	static const struct {
		const char *key;
		enum pod_handler_kind kind;
		walk_field_fn fn;
		bool hook, probe;
	} kinds[] = {
		{ "exec", POD_HANDLER_EXEC, exec_field, true, true },
		{ "httpGet", POD_HANDLER_HTTP, http_field, true, true },
		{ "tcpSocket", POD_HANDLER_TCP, tcp_field, false, true },
		{ "sleep", POD_HANDLER_SLEEP, sleep_field, true, false },
	};

	for (size_t i = 0; i < sizeof(kinds) / sizeof(*kinds); i++) {
		if (strcmp(key, kinds[i].key))
			continue;
		if (!(hook ? kinds[i].hook : kinds[i].probe))
			return walk_fail(w, v, "not supported by keel in a %s",
					 hook ? "lifecycle hook" : "probe");
		if (h->kind)
			return walk_fail(w, v, "one handler, not two");
		h->kind = kinds[i].kind;
		h->path = "/";
		return walk_fields(w, v, kinds[i].fn, h);
	}
	if (!strcmp(key, "grpc"))
		return walk_fail(w, v,
				 "not supported by keel (exec, httpGet "
				 "or tcpSocket)");
	return 1;
}

static int probe_field(struct walk *w, const char *key, yaml_node_t *v,
		       void *obj)
{
	static const struct {
		const char *key;
		size_t off;
		long min, max;
	} ints[] = {
		{ "initialDelaySeconds",
		  offsetof(struct pod_probe, initial_delay_s), 0, 86400 },
		{ "periodSeconds", offsetof(struct pod_probe, period_s), 1,
		  86400 },
		{ "timeoutSeconds", offsetof(struct pod_probe, timeout_s), 1,
		  3600 },
		{ "successThreshold",
		  offsetof(struct pod_probe, success_threshold), 1, 1000 },
		{ "failureThreshold",
		  offsetof(struct pod_probe, failure_threshold), 1, 1000 },
	};
	struct pod_probe *pr = obj;
	long n;
	int r = handler_field(w, key, v, &pr->h, false);

	if (r <= 0)
		return r;
	for (size_t i = 0; i < sizeof(ints) / sizeof(*ints); i++)
		if (!strcmp(key, ints[i].key)) {
			r = walk_int(w, v, ints[i].min, ints[i].max, &n);
			*(int *)((char *)pr + ints[i].off) = (int)n;
			return r;
		}
	if (!strcmp(key, "terminationGracePeriodSeconds"))
		return walk_int(w, v, 1, 86400, &pr->grace_s);
	return walk_unsupported(w, v);
}

int podprobe_walk(struct walk *w, yaml_node_t *v, struct pod_probe *pr)
{
	*pr = (struct pod_probe){ .period_s = 10,
				  .timeout_s = 1,
				  .success_threshold = 1,
				  .failure_threshold = 3,
				  .grace_s = -1 };
	int r = walk_fields(w, v, probe_field, pr);
	if (!r && !pr->h.kind)
		return walk_fail(w, v, "exec, httpGet or tcpSocket is needed");
	return r;
}

static int hook_field(struct walk *w, const char *key, yaml_node_t *v,
		      void *obj)
{
	int r = handler_field(w, key, v, obj, true);

	return r <= 0 ? r : walk_unsupported(w, v);
}

int podprobe_lifecycle_field(struct walk *w, const char *key, yaml_node_t *v,
			     void *obj)
{
	struct pod_container *k = obj;
	struct pod_handler *h = !strcmp(key, "postStart") ? &k->post_start
				: !strcmp(key, "preStop") ? &k->pre_stop
							  : NULL;
	if (!h)
		return walk_unsupported(w, v);
	int r = walk_fields(w, v, hook_field, h);
	if (!r && !h->kind)
		return walk_fail(w, v, "exec, httpGet or sleep is needed");
	return r;
}

/* A handler's port by name: the container's port of that name */
static int resolve(struct walk *w, yaml_node_t *root,
		   const struct pod_container *k, struct pod_handler *h,
		   const char *what, const char *field)
{
	if ((h->kind == POD_HANDLER_HTTP || h->kind == POD_HANDLER_TCP) &&
	    !h->port && !h->port_name)
		return walk_fail(w, root, "%s.%s: port is missing", what,
				 field);
	if (!h->port_name)
		return 0;
	for (size_t i = 0; i < k->n_ports; i++)
		if (k->ports[i].name &&
		    !strcmp(k->ports[i].name, h->port_name)) {
			h->port = k->ports[i].container_port;
			return 0;
		}
	return walk_fail(w, root, "%s.%s: the container has no port named '%s'",
			 what, field, h->port_name);
}

int podprobe_check(struct walk *w, yaml_node_t *root, struct pod_container *k,
		   const char *what)
{
	struct {
		struct pod_handler *h;
		const char *field;
		int success;
	} all[] = {
		{ &k->liveness.h, "livenessProbe",
		  k->liveness.success_threshold },
		{ &k->readiness.h, "readinessProbe", 1 },
		{ &k->startup.h, "startupProbe", k->startup.success_threshold },
		{ &k->post_start, "lifecycle.postStart", 1 },
		{ &k->pre_stop, "lifecycle.preStop", 1 },
	};
	int r;

	for (size_t i = 0; i < sizeof(all) / sizeof(*all); i++) {
		if (!all[i].h->kind)
			continue;
		if ((r = resolve(w, root, k, all[i].h, what, all[i].field)))
			return r;
		if (all[i].success > 1)
			return walk_fail(w, root,
					 "%s.%s.successThreshold: must be 1",
					 what, all[i].field);
		if (all[i].h->kind == POD_HANDLER_EXEC && !all[i].h->n_command)
			return walk_fail(w, root,
					 "%s.%s.exec.command is missing", what,
					 all[i].field);
	}
	return 0;
}
