// SPDX-License-Identifier: MIT
#include "oci/manifest.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct {
	const char *api, *kind;
	const char *names[4]; /* as imagectl get takes it */
} kinds[KOBJ_KINDS] = {
	[KOBJ_POD] = { "v1", "Pod", { "pod", "pods", "po" } },
	[KOBJ_DEPLOYMENT] = { "apps/v1",
			      "Deployment",
			      { "deployment", "deployments", "deploy" } },
	[KOBJ_DAEMONSET] = { "apps/v1",
			     "DaemonSet",
			     { "daemonset", "daemonsets", "ds" } },
	[KOBJ_JOB] = { "batch/v1", "Job", { "job", "jobs" } },
	[KOBJ_CONFIG_MAP] = { "v1",
			      "ConfigMap",
			      { "configmap", "configmaps", "cm" } },
	[KOBJ_SECRET] = { "v1", "Secret", { "secret", "secrets" } },
	[KOBJ_PVC] = { "v1",
		       "PersistentVolumeClaim",
		       { "persistentvolumeclaim", "persistentvolumeclaims",
			 "pvc" } },
};

const char *kobj_kind_name(enum kobj_kind k)
{
	return k < KOBJ_KINDS ? kinds[k].kind : "?";
}

int kobj_kind_parse(const char *s)
{
	for (int k = 0; k < KOBJ_KINDS; k++) {
		if (!strcasecmp(s, kinds[k].kind))
			return k;
		for (size_t i = 0; i < 4 && kinds[k].names[i]; i++)
			if (!strcmp(s, kinds[k].names[i]))
				return k;
	}
	return -EINVAL;
}

void kobj_free(struct kobj *o)
{
	if (!o)
		return;
	free(o->pod);
	workload_free(o->wl);
	free(o->data);
	free(o->pvc);
	free(o->text);
	free(o);
}

/* The scalar value of key in mapping root, or NULL */
static const char *top_scalar(struct walk *w, yaml_node_t *root,
			      const char *key, yaml_node_t **at)
{
	for (yaml_node_pair_t *pr = root->data.mapping.pairs.start;
	     pr < root->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = walk_node(w, pr->key);
		yaml_node_t *v = walk_node(w, pr->value);
		if (k->type == YAML_SCALAR_NODE &&
		    !strcmp(walk_scalar(k), key) &&
		    v->type == YAML_SCALAR_NODE) {
			*at = v;
			return walk_scalar(v);
		}
	}
	*at = root;
	return NULL;
}

/* apiVersion and kind: which of keel's kinds this is */
static int which(struct walk *w, yaml_node_t *root)
{
	yaml_node_t *at;
	const char *kind = top_scalar(w, root, "kind", &at), *api;

	if (!kind)
		return walk_fail(w, at, "kind is missing");
	for (int k = 0; k < KOBJ_KINDS; k++) {
		if (strcmp(kind, kinds[k].kind))
			continue;
		if (!(api = top_scalar(w, root, "apiVersion", &at)))
			return walk_fail(w, at, "apiVersion is missing");
		if (strcmp(api, kinds[k].api))
			return walk_fail(w, at,
					 "apiVersion: '%.30s': a %s is %s", api,
					 kind, kinds[k].api);
		return k;
	}
	walk_push_key(w, "kind");
	return walk_fail(w, at,
			 "'%.40s' is not a kind keel takes (Pod, "
			 "Deployment, DaemonSet, Job, ConfigMap, Secret, "
			 "PersistentVolumeClaim)",
			 kind);
}

static int walk_kind(struct walk *w, yaml_node_t *root, struct kobj *o)
{
	int k = which(w, root);

	if (k < 0)
		return k;
	o->kind = (enum kobj_kind)k;
	switch (o->kind) {
	case KOBJ_POD:
		if (!(o->pod = calloc(1, sizeof(*o->pod))))
			return walk_fail(w, root, "out of memory");
		o->meta = &o->pod->meta;
		o->notes = o->pod->notes;
		return pod_walk(w, root, o->pod);
	case KOBJ_DEPLOYMENT:
	case KOBJ_DAEMONSET:
	case KOBJ_JOB: {
		int r = workload_walk(w, root,
				      k == KOBJ_JOB	    ? WL_JOB
				      : k == KOBJ_DAEMONSET ? WL_DAEMONSET
							    : WL_DEPLOYMENT,
				      &o->wl);
		o->meta = o->wl ? &o->wl->meta : NULL;
		o->notes = o->wl && o->wl->tmpl ? o->wl->tmpl->notes : "";
		return r;
	}
	case KOBJ_CONFIG_MAP:
	case KOBJ_SECRET: {
		int r = kinds_data_walk(w, root, k == KOBJ_SECRET, o->len,
					&o->data);
		o->meta = o->data ? &o->data->meta : NULL;
		return r;
	}
	case KOBJ_PVC: {
		int r = kinds_pvc_walk(w, root, &o->pvc);
		o->meta = o->pvc ? &o->pvc->meta : NULL;
		return r;
	}
	case KOBJ_KINDS:
		break;
	}
	return -EINVAL;
}

/* One document's text: parsed, or empty (*out NULL) */
int kobj_parse(const char *text, size_t len, const char *file, int line,
	       struct kobj **out, char *err, size_t errlen)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	struct walk w = { .doc = &doc,
			  .file = file,
			  .err = err,
			  .errlen = errlen,
			  .line0 = line };
	struct kobj *o = calloc(1, sizeof(*o));
	int r = 0;

	*out = NULL;
	if (!o || !(o->text = malloc(len + 1)) ||
	    !yaml_parser_initialize(&parser)) {
		kobj_free(o);
		return errmsg(err, errlen, -ENOMEM, "%s: out of memory", file);
	}
	memcpy(o->text, text, len);
	o->text[len] = '\0';
	o->len = len;
	o->line = line;
	o->notes = "";
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		r = pod_not_yaml(&parser, file, line, err, errlen);
		yaml_parser_delete(&parser);
		kobj_free(o);
		return r;
	}
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	if (root && walk_is_null(root))
		root = NULL; /* "---" and nothing: an empty document */
	if (root)
		r = walk_map(&w, root) ? -EINVAL : walk_kind(&w, root, o);
	yaml_document_t more;
	/* the split gives one document a part: never drop a second */
	if (!r && yaml_parser_load(&parser, &more)) {
		if (yaml_document_get_root_node(&more))
			r = errmsg(err, errlen, -EINVAL,
				   "%s:%d: a second document without '---'",
				   file, line + 1);
		yaml_document_delete(&more);
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	if (r || !root) {
		kobj_free(o);
		return r;
	}
	*out = o;
	return 0;
}

/* A line that is a document marker: "---" or "..." then space or end */
static bool marker(const char *l, const char *end, const char *m)
{
	return end - l >= 3 && !memcmp(l, m, 3) &&
	       (end - l == 3 || l[3] == ' ' || l[3] == '\t' || l[3] == '\n' ||
		l[3] == '\r');
}

/* Only comments, blank lines and directives: nothing of its own */
static bool nothing(const char *s, const char *end)
{
	for (const char *l = s; l < end;) {
		const char *nl = memchr(l, '\n', end - l);
		const char *e = nl ? nl : end;
		const char *c = l;
		while (c < e && (*c == ' ' || *c == '\t' || *c == '\r'))
			c++;
		if (c < e && *c != '#' && *c != '%')
			return false;
		l = nl ? nl + 1 : end;
	}
	return true;
}

struct split {
	const char *file;
	struct kobj **objs;
	size_t max, *n;
	char *err;
	size_t errlen;
};

static int document(struct split *sp, const char *s, const char *end, int line)
{
	struct kobj *o;
	int r;

	if (nothing(s, end))
		return 0;
	if (*sp->n == sp->max)
		return errmsg(sp->err, sp->errlen, -E2BIG,
			      "%s:%d: more than %zu objects in one file",
			      sp->file, line + 1, sp->max);
	if ((r = kobj_parse(s, end - s, sp->file, line, &o, sp->err,
			    sp->errlen)))
		return r;
	if (o)
		sp->objs[(*sp->n)++] = o;
	return 0;
}

/*
 * YAML's document markers stand at the start of a line, and nothing in
 * a document can take that place: the text splits there, and each part
 * is one document to libyaml, with its line numbers from where it is.
 */
int kobjs_parse(const char *text, size_t len, const char *file,
		struct kobj **objs, size_t max, size_t *n, char *err,
		size_t errlen)
{
	struct split sp = { file, objs, max, n, err, errlen };
	const char *end = text + len, *start = text;
	int line = 0, start_line = 0, r = 0;

	*n = 0;
	if (len > POD_TEXT_MAX)
		return errmsg(err, errlen, -EINVAL, "%s: larger than %d bytes",
			      file, POD_TEXT_MAX);
	for (const char *l = text; !r && l < end; line++) {
		const char *nl = memchr(l, '\n', end - l);
		const char *e = nl ? nl + 1 : end;
		if (marker(l, e, "---") && !nothing(start, l)) {
			r = document(&sp, start, l, start_line);
			start = l;
			start_line = line;
		} else if (marker(l, e, "...")) {
			r = document(&sp, start, e, start_line);
			start = e;
			start_line = line + 1;
		}
		l = e;
	}
	if (!r)
		r = document(&sp, start, end, start_line);
	if (!r && !*n)
		r = errmsg(err, errlen, -EINVAL, "%s: empty", file);
	if (r) {
		for (size_t i = 0; i < *n; i++)
			kobj_free(objs[i]);
		*n = 0;
	}
	return r;
}

struct pod *kobj_instance(const struct kobj *o, const char *name, char *err,
			  size_t errlen)
{
	struct kobj *again;
	struct pod *p = NULL;

	if (!o->wl) {
		errmsg(err, errlen, -EINVAL, "%s has no pod template",
		       kobj_kind_name(o->kind));
		return NULL;
	}
	if (kobj_parse(o->text, o->len, o->meta->name, o->line, &again, err,
		       errlen) ||
	    !again)
		return NULL;
	if (again->wl && pod_rename(again->wl->tmpl, name) == 0) {
		p = again->wl->tmpl;
		again->wl->tmpl = NULL;
	} else {
		errmsg(err, errlen, -EINVAL, "%s: the name %s is too long",
		       o->meta->name, name);
	}
	kobj_free(again);
	return p;
}
