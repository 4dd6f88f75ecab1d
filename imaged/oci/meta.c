// SPDX-License-Identifier: MIT
#include "oci/meta.h"

#include <ctype.h>
#include <string.h>

/* What the API server writes, and kubectl get -o yaml gives back */
static const char *const written_back[] = {
	"uid",
	"resourceVersion",
	"generation",
	"creationTimestamp",
	"managedFields",
	"selfLink",
	"ownerReferences",
};

/* a label's name part, or a value: [A-Za-z0-9]([-A-Za-z0-9_.]*...)? */
static bool label_text(const char *s, size_t n, bool empty_ok)
{
	if (!n)
		return empty_ok;
	if (n > 63 || !isalnum((unsigned char)s[0]) ||
	    !isalnum((unsigned char)s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("-_.", s[i]))
			return false;
	return true;
}

/* [prefix/]name, the prefix a DNS subdomain ("app.kubernetes.io/name") */
static bool label_key(const char *k)
{
	const char *slash = strchr(k, '/');
	char prefix[254];

	if (!slash)
		return label_text(k, strlen(k), false);
	if ((size_t)(slash - k) >= sizeof(prefix))
		return false;
	memcpy(prefix, k, slash - k);
	prefix[slash - k] = '\0';
	return walk_dns_subdomain(prefix) &&
	       label_text(slash + 1, strlen(slash + 1), false);
}

static int label(struct walk *w, yaml_node_t *v, const char *key,
		 const char *value, void *obj)
{
	struct pod_meta *m = obj;

	if (!label_key(key))
		return walk_fail(w, v,
				 "not a label name ([prefix/]name: at most "
				 "63 of letters, digits, '-', '_', '.')");
	if (!label_text(value, strlen(value), true))
		return walk_fail(w, v,
				 "'%.70s' is not a label value (at most 63 "
				 "of letters, digits, '-', '_', '.')",
				 value);
	if (m->n_labels == POD_LABELS_MAX)
		return walk_fail(w, v, "more than %d labels", POD_LABELS_MAX);
	m->labels[m->n_labels++] = (struct pod_kv){ key, value };
	return 0;
}

static int annotation(struct walk *w, yaml_node_t *v, const char *key,
		      const char *value, void *obj)
{
	struct pod_meta *m = obj;

	if (!label_key(key))
		return walk_fail(w, v,
				 "not an annotation name ([prefix/]name)");
	if (m->n_annotations == POD_LABELS_MAX)
		return walk_fail(w, v, "more than %d annotations",
				 POD_LABELS_MAX);
	m->annotations[m->n_annotations++] = (struct pod_kv){ key, value };
	return 0;
}

int meta_field(struct walk *w, const char *key, yaml_node_t *v, void *obj)
{
	struct meta_walk *mw = obj;
	struct pod_meta *m = mw->m;

	if (!strcmp(key, "name"))
		return mw->name_max ? walk_name(w, v, mw->name_max, &m->name)
				    : walk_subdomain(w, v, &m->name);
	if (!strcmp(key, "namespace"))
		return walk_name(w, v, POD_NAME_MAX, &m->ns);
	if (!strcmp(key, "labels"))
		return walk_string_map(w, v, label, m);
	if (!strcmp(key, "annotations"))
		return walk_string_map(w, v, annotation, m);
	if (!strcmp(key, "generateName"))
		return walk_fail(w, v,
				 "not supported by keel: name it "
				 "(metadata.name); a generated name would "
				 "make a new object at every apply");
	for (size_t i = 0; i < sizeof(written_back) / sizeof(*written_back);
	     i++)
		if (!strcmp(key, written_back[i]))
			return 0;
	return walk_unsupported(w, v);
}

int meta_check(struct walk *w, yaml_node_t *root, struct pod_meta *m)
{
	if (!m->name)
		return walk_fail(w, root, "metadata.name is missing");
	if (!m->ns)
		m->ns = "default";
	return 0;
}

bool meta_selects(const struct pod_kv *sel, size_t n_sel,
		  const struct pod_kv *labels, size_t n_labels)
{
	for (size_t i = 0; i < n_sel; i++) {
		bool found = false;
		for (size_t j = 0; j < n_labels && !found; j++)
			found = !strcmp(sel[i].key, labels[j].key) &&
				!strcmp(sel[i].value, labels[j].value);
		if (!found)
			return false;
	}
	return true;
}
