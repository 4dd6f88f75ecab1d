// SPDX-License-Identifier: MIT
#include "pods/podenv.h"
#include "errmsg.h"
#include "file.h"
#include "oci/quantity.h"
#include "pods/objects.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* strings of the resolved container, in the caller's buffer */
struct arena {
	char *buf;
	size_t len, used;
};

static const char *keep(struct arena *a, const char *s, size_t n)
{
	if (a->used + n + 1 > a->len)
		return NULL;
	char *d = a->buf + a->used;
	memcpy(d, s, n);
	d[n] = '\0';
	a->used += n + 1;
	return d;
}

void podenv_host(struct pod_facts_env *h, const char *ip)
{
	struct sockaddr_in to = { .sin_family = AF_INET,
				  .sin_port = htons(53) },
			   me;
	socklen_t len = sizeof(me);
	char text[256];
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	memset(h, 0, sizeof(*h));
	h->ip = ip ? ip : "";
	/* the address a packet toward the default route leaves from */
	inet_pton(AF_INET, "192.0.2.1", &to.sin_addr);
	if (fd >= 0 && !connect(fd, (struct sockaddr *)&to, sizeof(to)) &&
	    !getsockname(fd, (struct sockaddr *)&me, &len))
		inet_ntop(AF_INET, &me.sin_addr, h->host_ip,
			  sizeof(h->host_ip));
	if (fd >= 0)
		close(fd);
	gethostname(h->node, sizeof(h->node) - 1);
	if (read_text("/proc/meminfo", text, sizeof(text)) > 0)
		h->mem_total = atoll(text + strcspn(text, "0123456789")) * 1024;
	h->cpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
}

/* metadata.labels['x'] */
static const char *keyed(const char *path, const char *what, char *key,
			 size_t len)
{
	size_t n = strlen(what);

	if (strncmp(path, what, n) || strncmp(path + n, "['", 2))
		return NULL;
	snprintf(key, len, "%.*s", (int)strcspn(path + n + 2, "'"),
		 path + n + 2);
	return key;
}

/* labels or annotations, one key="value" a line (the kubelet's format) */
static void all_of(const struct pod_kv *kv, size_t n, char *out, size_t len)
{
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = 0; i < n && used < len; i++)
		used += snprintf(out + used, len - used, "%s=\"%s\"\n",
				 kv[i].key, kv[i].value);
}

static const char *value_of(const struct pod_kv *kv, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(kv[i].key, key))
			return kv[i].value;
	return "";
}

int podenv_field(const struct pod *p, const struct pod_facts_env *h,
		 const char *path, char *out, size_t len)
{
	char key[256];

	if (!strcmp(path, "metadata.name"))
		snprintf(out, len, "%s", p->name);
	else if (!strcmp(path, "metadata.namespace"))
		snprintf(out, len, "%s", p->ns);
	else if (!strcmp(path, "status.podIP") ||
		 !strcmp(path, "status.podIPs"))
		snprintf(out, len, "%s",
			 h->ip[0]	   ? h->ip
			 : p->host_network ? h->host_ip
					   : "");
	else if (!strcmp(path, "status.hostIP") ||
		 !strcmp(path, "status.hostIPs"))
		snprintf(out, len, "%s", h->host_ip);
	else if (!strcmp(path, "spec.nodeName"))
		snprintf(out, len, "%s", h->node);
	else if (!strcmp(path, "metadata.labels"))
		all_of(p->meta.labels, p->meta.n_labels, out, len);
	else if (!strcmp(path, "metadata.annotations"))
		all_of(p->meta.annotations, p->meta.n_annotations, out, len);
	else if (keyed(path, "metadata.labels", key, sizeof(key)))
		snprintf(out, len, "%s",
			 value_of(p->meta.labels, p->meta.n_labels, key));
	else if (keyed(path, "metadata.annotations", key, sizeof(key)))
		snprintf(out, len, "%s",
			 value_of(p->meta.annotations, p->meta.n_annotations,
				  key));
	else
		return -EINVAL;
	return 0;
}

/* resourceFieldRef: the limit (the host's when none), over divisor */
static int resource(const struct pod_container *k, const struct pod_env *e,
		    const struct pod_facts_env *h, char *out, size_t len)
{
	bool cpu = strstr(e->key, "cpu") != NULL;
	uint64_t div = cpu ? 1000 : 1, v;

	if (e->value &&
	    (cpu ? pod_quantity_millis : pod_quantity_bytes)(e->value, &div))
		return -EINVAL;
	if (!strcmp(e->key, "limits.cpu"))
		v = k->cpu_millis ? k->cpu_millis : (uint64_t)h->cpus * 1000;
	else if (!strcmp(e->key, "requests.cpu"))
		v = k->cpu_request;
	else if (!strcmp(e->key, "limits.memory"))
		v = k->memory_bytes ? k->memory_bytes : (uint64_t)h->mem_total;
	else if (!strcmp(e->key, "requests.memory"))
		v = k->memory_request;
	else
		v = k->ephemeral_bytes;
	snprintf(out, len, "%llu",
		 (unsigned long long)(div ? (v + div - 1) / div : v));
	return 0;
}

/* What came before in out's env: the value of name, or NULL */
static const char *lookup(const struct pod_container *out, const char *name,
			  size_t n)
{
	for (size_t i = out->n_env; i-- > 0;)
		if (strlen(out->env[i].name) == n &&
		    !strncmp(out->env[i].name, name, n))
			return out->env[i].value;
	return NULL;
}

/*
 * $(VAR) of what came before, $$(VAR) a literal $(VAR); a reference to
 * nothing stays as written, as the kubelet leaves it.
 */
static const char *expand(struct arena *a, const struct pod_container *out,
			  const char *s)
{
	char buf[8192];
	size_t n = 0;

	for (const char *c = s; *c && n < sizeof(buf) - 1;) {
		const char *close =
			c[0] == '$' && c[1] == '(' ? strchr(c, ')') : NULL;
		const char *v =
			close ? lookup(out, c + 2, close - c - 2) : NULL;
		if (c[0] == '$' && c[1] == '$') {
			buf[n++] = '$';
			c += 2;
		} else if (v) {
			n += snprintf(buf + n, sizeof(buf) - n, "%s", v);
			c = close + 1;
		} else {
			buf[n++] = *c++;
		}
	}
	if (n >= sizeof(buf))
		n = sizeof(buf) - 1;
	return keep(a, buf, n);
}

/* a key envFrom takes: a C identifier-ish name, as the kubelet checks */
static bool env_name(const char *s)
{
	if (!*s || isdigit((unsigned char)*s))
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_-.", *s))
			return false;
	return true;
}

static int add(struct pod_container *out, struct arena *a, const char *name,
	       const char *value, size_t vlen, char *err, size_t errlen)
{
	const char *n = keep(a, name, strlen(name)), *v = keep(a, value, vlen);

	if (!n || !v)
		return errmsg(err, errlen, -E2BIG, "environment too large");
	if (out->n_env == POD_ENV_MAX)
		return errmsg(err, errlen, -E2BIG,
			      "more than %d environment variables",
			      POD_ENV_MAX);
	out->env[out->n_env++] = (struct pod_env){ .name = n, .value = v };
	return 0;
}

static int env_from(const struct pod *p, const struct pod_container *k,
		    struct pod_container *out, struct arena *a, char *err,
		    size_t errlen)
{
	char name[512];
	int r;

	for (size_t i = 0; i < k->n_env_from; i++) {
		const struct pod_env_source *s = &k->env_from[i];
		struct obj_rt *o =
			objects_find(s->secret ? KOBJ_SECRET : KOBJ_CONFIG_MAP,
				     p->ns, s->name);
		if (!o && s->optional)
			continue;
		if (!o)
			return errmsg(
				err, errlen, -ENOENT, "%s \"%s\" not found",
				s->secret ? "secret" : "configmap", s->name);
		for (size_t j = 0; j < o->o->data->n; j++) {
			const struct kdata_item *it = &o->o->data->items[j];
			snprintf(name, sizeof(name), "%s%s",
				 s->prefix ? s->prefix : "", it->key);
			if (env_name(name) && (r = add(out, a, name, it->value,
						       it->len, err, errlen)))
				return r;
		}
	}
	return 0;
}

static int env_one(const struct pod *p, const struct pod_container *k,
		   const struct pod_env *e, const struct pod_facts_env *h,
		   struct pod_container *out, struct arena *a, char *err,
		   size_t errlen)
{
	char text[4096];
	const struct kdata_item *it;
	const char *v;

	switch (e->from) {
	case POD_ENV_VALUE:
		v = expand(a, out, e->value ? e->value : "");
		return v ? add(out, a, e->name, v, strlen(v), err, errlen)
			 : errmsg(err, errlen, -E2BIG, "environment too large");
	case POD_ENV_CONFIG_MAP:
	case POD_ENV_SECRET:
		it = objects_value(e->from == POD_ENV_SECRET, p->ns, e->obj,
				   e->key);
		if (!it && e->optional)
			return 0;
		if (!it)
			return errmsg(err, errlen, -ENOENT,
				      "couldn't find key %s in %s %s/%s",
				      e->key,
				      e->from == POD_ENV_SECRET ? "Secret"
								: "ConfigMap",
				      p->ns, e->obj);
		return add(out, a, e->name, it->value, it->len, err, errlen);
	case POD_ENV_FIELD:
		if (podenv_field(p, h, e->key, text, sizeof(text)))
			return errmsg(err, errlen, -EINVAL, "fieldRef %s",
				      e->key);
		return add(out, a, e->name, text, strlen(text), err, errlen);
	case POD_ENV_RESOURCE:
		if (resource(k, e, h, text, sizeof(text)))
			return errmsg(err, errlen, -EINVAL,
				      "resourceFieldRef %s", e->key);
		return add(out, a, e->name, text, strlen(text), err, errlen);
	}
	return -EINVAL;
}

static int expand_all(const char **list, size_t n, struct arena *a,
		      const struct pod_container *out, char *err, size_t errlen)
{
	for (size_t i = 0; i < n; i++)
		if (!(list[i] = expand(a, out, list[i])))
			return errmsg(err, errlen, -E2BIG,
				      "arguments too large");
	return 0;
}

int podenv_resolve(const struct pod *p, const struct pod_container *k,
		   const struct pod_facts_env *h, struct pod_container *out,
		   char *strings, size_t len, char *err, size_t errlen)
{
	struct arena a = { strings, len, 0 };
	int r;

	*out = *k;
	out->n_env = 0;
	if ((r = env_from(p, k, out, &a, err, errlen)))
		return r;
	for (size_t i = 0; i < k->n_env; i++) {
		/* a container other than this one's resources: that one */
		const struct pod_container *from = k;
		for (size_t j = 0; k->env[i].from == POD_ENV_RESOURCE &&
				   k->env[i].obj && j < p->n_containers;
		     j++)
			if (!strcmp(p->containers[j].name, k->env[i].obj))
				from = &p->containers[j];
		if ((r = env_one(p, from, &k->env[i], h, out, &a, err, errlen)))
			return r;
	}
	if ((r = expand_all(out->command, out->n_command, &a, out, err,
			    errlen)))
		return r;
	return expand_all(out->args, out->n_args, &a, out, err, errlen);
}
