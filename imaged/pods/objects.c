// SPDX-License-Identifier: MIT
#include "pods/objects.h"
#include "errmsg.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct obj_rt *objs[OBJS_MAX];
size_t n_objs;

struct obj_rt *objects_find(enum kobj_kind kind, const char *ns,
			    const char *name)
{
	for (size_t i = 0; i < n_objs; i++)
		if (objs[i]->o->kind == kind &&
		    !strcmp(objs[i]->o->meta->ns, ns) &&
		    !strcmp(objs[i]->o->meta->name, name))
			return objs[i];
	return NULL;
}

struct obj_rt *objects_add(struct kobj *o, enum pod_origin origin,
			   const char *file, bool *replaced)
{
	struct obj_rt *r = objects_find(o->kind, o->meta->ns, o->meta->name);

	*replaced = r != NULL;
	if (r) {
		/* the same object, newer: its controller state goes on */
		kobj_free(r->o);
	} else {
		if (n_objs == OBJS_MAX || !(r = calloc(1, sizeof(*r))))
			return NULL;
		objs[n_objs++] = r;
	}
	r->o = o;
	r->origin = origin;
	snprintf(r->file, sizeof(r->file), "%s", file);
	return r;
}

void objects_remove(struct obj_rt *r)
{
	for (size_t i = 0; i < n_objs; i++)
		if (objs[i] == r) {
			objs[i] = objs[--n_objs];
			kobj_free(r->o);
			free(r);
			return;
		}
}

const struct kdata_item *objects_value(bool secret, const char *ns,
				       const char *obj, const char *key)
{
	struct obj_rt *r =
		objects_find(secret ? KOBJ_SECRET : KOBJ_CONFIG_MAP, ns, obj);

	return r ? kdata_get(r->o->data, key) : NULL;
}

void objects_claim_dir(const char *ns, const char *name, char *out, size_t len)
{
	snprintf(out, len, VOLUMES_DIR "/%s/%s", ns, name);
}

void objects_applied_path(enum kobj_kind kind, const char *ns, const char *name,
			  char *out, size_t len)
{
	char k[32];
	size_t i = 0;

	for (const char *c = kobj_kind_name(kind); *c && i < sizeof(k) - 1; c++)
		k[i++] = (char)tolower((unsigned char)*c);
	k[i] = '\0';
	snprintf(out, len, PODS_APPLIED_DIR "/%s_%s_%s.yaml", k, ns, name);
}

/* A ConfigMap or Secret named, and the key when one is asked for */
static int needs(bool secret, const char *ns, const char *obj, const char *key,
		 bool optional, char *why, size_t len)
{
	struct obj_rt *r =
		objects_find(secret ? KOBJ_SECRET : KOBJ_CONFIG_MAP, ns, obj);
	const char *kind = secret ? "secret" : "configmap";

	if (optional)
		return 0;
	if (!r)
		return errmsg(why, len, -ENOENT, "%s \"%s\" not found", kind,
			      obj);
	if (key && !kdata_get(r->o->data, key))
		return errmsg(why, len, -ENOENT,
			      "couldn't find key %s in %s %s/%s", key,
			      secret ? "Secret" : "ConfigMap", ns, obj);
	return 0;
}

static int container_needs(const struct pod *p, const struct pod_container *k,
			   char *why, size_t len)
{
	int r = 0;

	for (size_t i = 0; !r && i < k->n_env; i++) {
		const struct pod_env *e = &k->env[i];
		if (e->from == POD_ENV_CONFIG_MAP || e->from == POD_ENV_SECRET)
			r = needs(e->from == POD_ENV_SECRET, p->ns, e->obj,
				  e->key, e->optional, why, len);
	}
	for (size_t i = 0; !r && i < k->n_env_from; i++)
		r = needs(k->env_from[i].secret, p->ns, k->env_from[i].name,
			  NULL, k->env_from[i].optional, why, len);
	return r;
}

int objects_pod_ready(const struct pod *p, char *why, size_t len)
{
	int r = 0;

	for (size_t i = 0; !r && i < p->n_init; i++)
		r = container_needs(p, &p->init[i], why, len);
	for (size_t i = 0; !r && i < p->n_containers; i++)
		r = container_needs(p, &p->containers[i], why, len);
	for (size_t i = 0; !r && i < p->n_sources; i++) {
		const struct pod_source *s = &p->sources[i];
		if (s->kind == POD_VOL_DOWNWARD_API)
			continue;
		r = needs(s->kind == POD_VOL_SECRET, p->ns, s->obj, NULL,
			  s->optional, why, len);
		/* an item's key must be there, unless optional */
		for (size_t j = 0; !r && j < s->n_items; j++)
			r = needs(s->kind == POD_VOL_SECRET, p->ns, s->obj,
				  p->items[s->item0 + j].key, s->optional, why,
				  len);
	}
	for (size_t i = 0; !r && i < p->n_volumes; i++)
		if (p->volumes[i].kind == POD_VOL_PVC &&
		    !objects_find(KOBJ_PVC, p->ns, p->volumes[i].claim))
			r = errmsg(why, len, -ENOENT,
				   "persistentvolumeclaim \"%s\" not found",
				   p->volumes[i].claim);
	return r;
}
