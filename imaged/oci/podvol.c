// SPDX-License-Identifier: MIT
#include "oci/podvol.h"
#include "oci/podctr.h"
#include "oci/quantity.h"

#include <stdlib.h>
#include <string.h>

/* What a field walker needs beside its object: the pod's tables */
struct vol_walk {
	struct pod *p;
	struct pod_volume *vol;
	struct pod_source *src;
};

static int host_path_field(struct walk *w, const char *key, yaml_node_t *v,
			   void *obj)
{
	static const char *const types[] = { "",	  "DirectoryOrCreate",
					     "Directory", "FileOrCreate",
					     "File",	  "Socket" };
	struct pod_volume *vol = ((struct vol_walk *)obj)->vol;
	int r;

	if (!strcmp(key, "path")) {
		if ((r = walk_str(w, v, &vol->host_path)))
			return r;
		if (vol->host_path[0] != '/')
			return walk_fail(w, v, "not an absolute path");
		return 0;
	}
	if (!strcmp(key, "type")) {
		if ((r = walk_str(w, v, &vol->host_path_type)))
			return r;
		for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
			if (!strcmp(types[i], vol->host_path_type))
				return 0;
		return walk_fail(w, v,
				 "'%.30s' is not a hostPath type keel has",
				 vol->host_path_type);
	}
	return walk_unsupported(w, v);
}

static int empty_dir_field(struct walk *w, const char *key, yaml_node_t *v,
			   void *obj)
{
	struct pod_volume *vol = ((struct vol_walk *)obj)->vol;
	const char *s;
	int r;

	if (!strcmp(key, "medium")) {
		if ((r = walk_str(w, v, &s)))
			return r;
		if (*s && strcmp(s, "Memory"))
			return walk_fail(w, v, "\"\" or Memory");
		vol->memory = *s;
		return 0;
	}
	if (!strcmp(key, "sizeLimit")) {
		if (v->type != YAML_SCALAR_NODE ||
		    pod_quantity_bytes(walk_scalar(v), &vol->size_limit))
			return walk_fail(w, v, "not a size (1Gi)");
		return 0;
	}
	return walk_unsupported(w, v);
}

/* a file mode: 0-0777, written in decimal or octal (0644) as YAML has it */
static int mode(struct walk *w, yaml_node_t *v, int *out)
{
	const char *s = v->type == YAML_SCALAR_NODE ? walk_scalar(v) : "";
	long n;
	int r;

	if (s[0] == '0' && s[1] && s[1] != 'o' &&
	    v->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
		/* YAML 1.1's octal, as kubectl's parser reads it */
		char *end;
		n = strtol(s, &end, 8);
		if (*end || n > 0777)
			return walk_fail(w, v, "a mode from 0 to 0777");
		*out = (int)n;
		return 0;
	}
	r = walk_int(w, v, 0, 0777, &n);
	*out = (int)n;
	return r;
}

static int item_path(struct walk *w, yaml_node_t *v, const char **out)
{
	int r = walk_str(w, v, out);

	if (!r && ((*out)[0] == '/' || podctr_dotdot(*out) || !**out))
		return walk_fail(w, v, "a relative path without '..'");
	return r;
}

static int field_ref(struct walk *w, const char *key, yaml_node_t *v, void *obj)
{
	struct pod_item *it = obj;

	if (!strcmp(key, "fieldPath")) {
		int r = walk_str(w, v, &it->key);
		if (!r && strcmp(it->key, "metadata.name") &&
		    strcmp(it->key, "metadata.namespace") &&
		    strcmp(it->key, "metadata.labels") &&
		    strcmp(it->key, "metadata.annotations") &&
		    strncmp(it->key, "metadata.labels['", 17) &&
		    strncmp(it->key, "metadata.annotations['", 22))
			return walk_fail(w, v,
					 "metadata.name, metadata.namespace, "
					 "metadata.labels or "
					 "metadata.annotations");
		return r;
	}
	if (!strcmp(key, "apiVersion")) {
		const char *s;
		int r = walk_str(w, v, &s);
		return r ? r : strcmp(s, "v1") ? walk_fail(w, v, "v1") : 0;
	}
	return walk_unsupported(w, v);
}

static int item_field(struct walk *w, const char *key, yaml_node_t *v,
		      void *obj)
{
	struct vol_walk *vw = obj;
	struct pod_item *it = &vw->p->items[vw->src->item0 + vw->src->n_items];
	bool downward = vw->src->kind == POD_VOL_DOWNWARD_API;

	if (!strcmp(key, downward ? "fieldRef" : "key"))
		return downward ? walk_fields(w, v, field_ref, it)
				: walk_str(w, v, &it->key);
	if (!strcmp(key, "path"))
		return item_path(w, v, &it->path);
	if (!strcmp(key, "mode"))
		return mode(w, v, &it->mode);
	return walk_unsupported(w, v);
}

static int items(struct walk *w, yaml_node_t *v, struct vol_walk *vw)
{
	struct pod *p = vw->p;
	int r = walk_seq(w, v, POD_ITEMS_MAX);

	if (!r && p->n_items + walk_seq_len(v) > POD_ITEMS_MAX)
		return walk_fail(w, v, "more than %d items in the pod",
				 POD_ITEMS_MAX);
	vw->src->item0 = p->n_items;
	for (yaml_node_item_t *i = v->data.sequence.items.start;
	     !r && i < v->data.sequence.items.top; i++) {
		p->items[p->n_items].mode = -1;
		walk_push_index(w, vw->src->n_items);
		r = walk_fields(w, walk_node(w, *i), item_field, vw);
		walk_pop(w);
		struct pod_item *it = &p->items[p->n_items];
		if (!r && (!it->key || !it->path))
			return walk_fail(w, walk_node(w, *i),
					 "%s and path are needed",
					 vw->src->kind == POD_VOL_DOWNWARD_API
						 ? "fieldRef"
						 : "key");
		vw->src->n_items++;
		p->n_items++;
	}
	return r;
}

/* configMap, secret, downwardAPI: a source's fields */
static int source_field(struct walk *w, const char *key, yaml_node_t *v,
			void *obj)
{
	struct vol_walk *vw = obj;
	struct pod_source *s = vw->src;
	/* a secret volume names its Secret secretName; a projection name */
	bool secret_volume = vw->vol->kind == POD_VOL_SECRET;
	const char *name = secret_volume ? "secretName" : "name";

	if (s->kind != POD_VOL_DOWNWARD_API && !strcmp(key, name))
		return walk_subdomain(w, v, &s->obj);
	if (s->kind != POD_VOL_DOWNWARD_API && !strcmp(key, "optional"))
		return walk_bool(w, v, &s->optional);
	if (!strcmp(key, "items"))
		return items(w, v, vw);
	if (!strcmp(key, "defaultMode") && vw->vol->kind != POD_VOL_PROJECTED)
		return mode(w, v, &vw->vol->default_mode);
	return walk_unsupported(w, v);
}

static struct pod_source *new_source(struct walk *w, yaml_node_t *v,
				     struct pod *p, enum pod_volume_kind kind)
{
	if (p->n_sources == POD_SOURCES_MAX) {
		walk_fail(w, v, "more than %d sources in the pod",
			  POD_SOURCES_MAX);
		return NULL;
	}
	struct pod_source *s = &p->sources[p->n_sources++];
	s->kind = kind;
	return s;
}

static int source(struct walk *w, yaml_node_t *v, struct vol_walk *vw,
		  enum pod_volume_kind kind)
{
	if (!(vw->src = new_source(w, v, vw->p, kind)))
		return -EINVAL;
	vw->vol->n_srcs++;
	int r = walk_fields(w, v, source_field, vw);
	if (!r && kind != POD_VOL_DOWNWARD_API && !vw->src->obj)
		return walk_fail(w, v, "%s is needed",
				 vw->vol->kind == POD_VOL_SECRET ? "secretName"
								 : "name");
	if (!r && kind == POD_VOL_DOWNWARD_API && !vw->src->n_items)
		return walk_fail(w, v, "items are needed");
	return r;
}

static int projection_field(struct walk *w, const char *key, yaml_node_t *v,
			    void *obj)
{
	struct vol_walk *vw = obj;

	if (!strcmp(key, "configMap"))
		return source(w, v, vw, POD_VOL_CONFIG_MAP);
	if (!strcmp(key, "secret"))
		return source(w, v, vw, POD_VOL_SECRET);
	if (!strcmp(key, "downwardAPI"))
		return source(w, v, vw, POD_VOL_DOWNWARD_API);
	if (!strcmp(key, "serviceAccountToken") ||
	    !strcmp(key, "clusterTrustBundle"))
		return walk_fail(w, v,
				 "not supported by keel: there is no API "
				 "server to issue it");
	return walk_unsupported(w, v);
}

static int projected_field(struct walk *w, const char *key, yaml_node_t *v,
			   void *obj)
{
	struct vol_walk *vw = obj;
	int r = 0;

	if (!strcmp(key, "defaultMode"))
		return mode(w, v, &vw->vol->default_mode);
	if (strcmp(key, "sources"))
		return walk_unsupported(w, v);
	if ((r = walk_seq(w, v, POD_SOURCES_MAX)))
		return r;
	size_t i = 0;
	for (yaml_node_item_t *it = v->data.sequence.items.start;
	     !r && it < v->data.sequence.items.top; it++, i++) {
		walk_push_index(w, i);
		r = walk_fields(w, walk_node(w, *it), projection_field, vw);
		walk_pop(w);
	}
	return r;
}

static int claim_field(struct walk *w, const char *key, yaml_node_t *v,
		       void *obj)
{
	struct pod_volume *vol = ((struct vol_walk *)obj)->vol;

	if (!strcmp(key, "claimName"))
		return walk_subdomain(w, v, &vol->claim);
	if (!strcmp(key, "readOnly"))
		return walk_bool(w, v, &vol->read_only);
	return walk_unsupported(w, v);
}

static int image_field(struct walk *w, const char *key, yaml_node_t *v,
		       void *obj)
{
	struct vol_walk *vw = obj;
	struct pod *p = vw->p;
	const char *s;
	char why[300];
	int r;

	if (!strcmp(key, "reference")) {
		if ((r = walk_str(w, v, &s)))
			return r;
		if (p->n_image_refs == POD_IMAGE_VOLUMES_MAX)
			return walk_fail(w, v, "more than %d image volumes",
					 POD_IMAGE_VOLUMES_MAX);
		vw->vol->image = (int)p->n_image_refs;
		if (image_ref_parse(s, &p->image_refs[p->n_image_refs++], why,
				    sizeof(why)))
			return walk_fail(w, v, "%s", why);
		return 0;
	}
	if (!strcmp(key, "pullPolicy")) {
		r = walk_str(w, v, &s);
		if (!r && strcmp(s, "IfNotPresent") && strcmp(s, "Always") &&
		    strcmp(s, "Never"))
			return walk_fail(w, v, "IfNotPresent, Always or Never");
		return r;
	}
	return walk_unsupported(w, v);
}

static int volume_field(struct walk *w, const char *key, yaml_node_t *v,
			void *obj)
{
	static const struct {
		const char *key;
		enum pod_volume_kind kind;
		walk_field_fn fn;
	} kinds[] = {
		{ "hostPath", POD_VOL_HOST_PATH, host_path_field },
		{ "emptyDir", POD_VOL_EMPTY_DIR, empty_dir_field },
		{ "configMap", POD_VOL_CONFIG_MAP, NULL },
		{ "secret", POD_VOL_SECRET, NULL },
		{ "downwardAPI", POD_VOL_DOWNWARD_API, NULL },
		{ "projected", POD_VOL_PROJECTED, projected_field },
		{ "persistentVolumeClaim", POD_VOL_PVC, claim_field },
		{ "image", POD_VOL_IMAGE, image_field },
	};
	struct vol_walk *vw = obj;

	if (!strcmp(key, "name"))
		return walk_name(w, v, POD_NAME_MAX, &vw->vol->name);
	for (size_t i = 0; i < sizeof(kinds) / sizeof(*kinds); i++) {
		if (strcmp(key, kinds[i].key))
			continue;
		if (vw->vol->kind)
			return walk_fail(w, v, "a volume has one source");
		vw->vol->kind = kinds[i].kind;
		vw->vol->src0 = vw->p->n_sources;
		if (!kinds[i].fn)
			return source(w, v, vw, kinds[i].kind);
		return walk_fields(w, v, kinds[i].fn, vw);
	}
	return walk_unsupported(w, v);
}

int podvol_walk(struct walk *w, yaml_node_t *v, struct pod *p)
{
	int r = walk_seq(w, v, POD_VOLUMES_MAX);

	for (yaml_node_item_t *it = v->data.sequence.items.start;
	     !r && it < v->data.sequence.items.top; it++) {
		struct pod_volume *vol = &p->volumes[p->n_volumes];
		struct vol_walk vw = { .p = p, .vol = vol };
		vol->host_path_type = "";
		vol->default_mode = 0644;
		vol->image = -1;
		walk_push_index(w, p->n_volumes++);
		r = walk_fields(w, walk_node(w, *it), volume_field, &vw);
		walk_pop(w);
	}
	return r;
}
