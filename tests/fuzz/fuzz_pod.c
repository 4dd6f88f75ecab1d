// SPDX-License-Identifier: MIT
/*
 * Pod manifests come from files anyone with the ESP in hand can write,
 * and from `imagectl apply -f`. Whatever the bytes, the parsers return:
 * one Pod (pod_parse), or a file of documents of every kind keel takes
 * (kobjs_parse). A parsed object has what the runtime needs (names,
 * images, bounded counts, NULL-terminated argument lists, strings inside
 * its arena, items inside their tables); a refused one says why with the
 * file's name and frees everything.
 */
#include "oci/manifest.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static struct pod p;

static void check_in(const struct pod *q, const char *s)
{
	assert(s >= q->arena && s < q->arena + q->arena_used);
	assert(strlen(s) < (size_t)(q->arena + q->arena_used - s));
}

static void check_handler(const struct pod *q, const struct pod_handler *h)
{
	assert(h->n_command <= POD_HANDLER_ARGS_MAX &&
	       !h->command[h->n_command]);
	if (h->kind == POD_HANDLER_HTTP || h->kind == POD_HANDLER_TCP)
		assert(h->port >= 1 && h->port <= 65535);
	if (h->kind == POD_HANDLER_HTTP)
		assert(h->path[0] == '/');
	for (size_t i = 0; i < h->n_headers; i++)
		check_in(q, h->headers[i].key);
}

static void check_container(const struct pod *q, const struct pod_container *k)
{
	check_in(q, k->name);
	check_in(q, k->image);
	assert(k->n_command <= POD_ARGS_MAX && !k->command[k->n_command]);
	assert(k->n_args <= POD_ARGS_MAX && !k->args[k->n_args]);
	for (size_t i = 0; i < k->n_command; i++)
		check_in(q, k->command[i]);
	for (size_t i = 0; i < k->n_env; i++) {
		check_in(q, k->env[i].name);
		if (k->env[i].from == POD_ENV_CONFIG_MAP ||
		    k->env[i].from == POD_ENV_SECRET)
			check_in(q, k->env[i].obj), check_in(q, k->env[i].key);
	}
	for (size_t i = 0; i < k->n_env_from; i++)
		check_in(q, k->env_from[i].name);
	for (size_t i = 0; i < k->n_ports; i++)
		assert(k->ports[i].container_port >= 1 &&
		       k->ports[i].container_port <= 65535);
	for (size_t i = 0; i < k->n_mounts; i++)
		assert(k->mounts[i].path[0] == '/' &&
		       pod_volume(q, k->mounts[i].name));
	check_handler(q, &k->liveness.h);
	check_handler(q, &k->readiness.h);
	check_handler(q, &k->startup.h);
	check_handler(q, &k->post_start);
	check_handler(q, &k->pre_stop);
	assert(k->seccomp != POD_SECCOMP_UNSET);
}

/* a template's name is its workload's, in the workload's arena */
static void check_pod(const struct pod *q, bool tmpl)
{
	if (!tmpl)
		check_in(q, q->name);
	assert(q->ns && q->key[0] && strlen(q->key) <= POD_NAME_MAX);
	assert(q->n_containers >= 1 && q->n_containers <= POD_CONTAINERS_MAX);
	assert(q->n_init <= POD_CONTAINERS_MAX);
	for (size_t i = 0; i < q->n_containers; i++)
		check_container(q, &q->containers[i]);
	for (size_t i = 0; i < q->n_init; i++)
		check_container(q, &q->init[i]);
	for (size_t i = 0; i < q->n_volumes; i++) {
		const struct pod_volume *v = &q->volumes[i];
		check_in(q, v->name);
		assert(v->kind);
		assert(v->src0 + v->n_srcs <= q->n_sources);
	}
	for (size_t i = 0; i < q->n_sources; i++)
		assert(q->sources[i].item0 + q->sources[i].n_items <=
		       q->n_items);
	for (size_t i = 0; i < q->n_items; i++)
		check_in(q, q->items[i].path);
	assert(strlen(q->notes) < sizeof(q->notes));
}

static void check_object(const struct kobj *o)
{
	assert(o->meta && o->meta->name && o->meta->ns);
	assert(o->text && strlen(o->text) <= o->len);
	switch (o->kind) {
	case KOBJ_POD:
		check_pod(o->pod, false);
		break;
	case KOBJ_DEPLOYMENT:
	case KOBJ_DAEMONSET:
	case KOBJ_JOB:
		check_pod(o->wl->tmpl, true);
		assert(o->wl->replicas >= 0);
		break;
	case KOBJ_CONFIG_MAP:
	case KOBJ_SECRET:
		for (size_t i = 0; i < o->data->n; i++)
			assert(o->data->items[i].key &&
			       o->data->items[i].value[o->data->items[i].len] ==
				       '\0');
		break;
	case KOBJ_PVC:
		assert(o->pvc->storage > 0);
		break;
	case KOBJ_KINDS:
		assert(0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kobj *objs[MANIFEST_OBJECTS_MAX];
	char err[512];
	size_t n;

	err[0] = 0;
	if (pod_parse((const char *)data, size, "fuzz.yaml", &p, err,
		      sizeof(err)))
		assert(!strncmp(err, "fuzz.yaml", 9));
	else
		check_pod(&p, false);
	err[0] = 0;
	if (kobjs_parse((const char *)data, size, "fuzz.yaml", objs,
			MANIFEST_OBJECTS_MAX, &n, err, sizeof(err))) {
		assert(!strncmp(err, "fuzz.yaml", 9) && n == 0);
		return 0;
	}
	assert(n >= 1);
	for (size_t i = 0; i < n; i++) {
		check_object(objs[i]);
		kobj_free(objs[i]);
	}
	return 0;
}
