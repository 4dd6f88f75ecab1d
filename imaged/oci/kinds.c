// SPDX-License-Identifier: MIT
#include "oci/kinds.h"
#include "oci/meta.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

long kinds_base64(const char *s, char *out, size_t max)
{
	unsigned v = 0, bits = 0, pad = 0;
	size_t n = 0;

	for (; *s; s++) {
		int d;
		if (*s == '\n' || *s == '\r')
			continue; /* as Go's decoder, which Kubernetes uses */
		if (*s == '=') {
			pad++;
			continue;
		}
		if (pad)
			return -1;
		if (isupper((unsigned char)*s))
			d = *s - 'A';
		else if (islower((unsigned char)*s))
			d = *s - 'a' + 26;
		else if (isdigit((unsigned char)*s))
			d = *s - '0' + 52;
		else if (*s == '+' || *s == '/')
			d = *s == '+' ? 62 : 63;
		else
			return -1;
		v = v << 6 | (unsigned)d;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n == max)
				return -1;
			out[n++] = (char)(v >> bits);
			v &= (1u << bits) - 1;
		}
	}
	/* whole quanta only: 2 or 4 bits left over, padded to match */
	if (bits == 6 || pad > 2 || (bits && pad != bits / 2) ||
	    (!bits && pad) || v)
		return -1;
	return (long)n;
}

/* a data key: [-._a-zA-Z0-9]+, at most 253, not "." or ".." */
static bool data_key(const char *k)
{
	size_t n = strlen(k);

	if (!n || n > 253 || !strcmp(k, ".") || !strcmp(k, ".."))
		return false;
	for (; *k; k++)
		if (!isalnum((unsigned char)*k) && !strchr("-._", *k))
			return false;
	return true;
}

static int put(struct walk *w, yaml_node_t *v, struct kdata *d, const char *key,
	       const char *value, size_t len, bool replace)
{
	if (!data_key(key))
		return walk_fail(w, v,
				 "not a key (letters, digits, '-', '_', '.')");
	for (size_t i = 0; i < d->n; i++)
		if (!strcmp(d->items[i].key, key)) {
			if (!replace)
				return walk_fail(w, v, "'%.60s' given twice",
						 key);
			d->items[i] = (struct kdata_item){ key, value, len };
			return 0;
		}
	if (d->n == KDATA_KEYS_MAX)
		return walk_fail(w, v, "more than %d keys", KDATA_KEYS_MAX);
	d->items[d->n++] = (struct kdata_item){ key, value, len };
	return 0;
}

static int plain(struct walk *w, yaml_node_t *v, const char *key,
		 const char *value, void *obj)
{
	return put(w, v, obj, key, value, strlen(value), false);
}

/* stringData: written over data, as the API server merges them */
static int string_data(struct walk *w, yaml_node_t *v, const char *key,
		       const char *value, void *obj)
{
	return put(w, v, obj, key, value, strlen(value), true);
}

static int encoded(struct walk *w, yaml_node_t *v, const char *key,
		   const char *value, void *obj)
{
	struct kdata *d = obj;
	size_t room = d->arena_size - d->arena_used;
	char *out = d->arena + d->arena_used;
	long n = kinds_base64(value, out, room ? room - 1 : 0);

	if (n < 0)
		return walk_fail(w, v, "not base64 (or too large)");
	out[n] = '\0';
	d->arena_used += (size_t)n + 1;
	return put(w, v, d, key, out, (size_t)n, false);
}

static int data_field(struct walk *w, const char *key, yaml_node_t *v,
		      void *obj)
{
	struct kdata *d = obj;
	struct meta_walk mw = { &d->meta, 0 };

	if (!strcmp(key, "apiVersion") || !strcmp(key, "kind") ||
	    !strcmp(key, "status"))
		return 0; /* manifest.c read them */
	if (!strcmp(key, "metadata"))
		return walk_fields(w, v, meta_field, &mw);
	if (!strcmp(key, "data"))
		return walk_string_map(w, v, d->secret ? encoded : plain, d);
	if (!d->secret && !strcmp(key, "binaryData"))
		return walk_string_map(w, v, encoded, d);
	if (d->secret && !strcmp(key, "type"))
		return walk_str(w, v, &d->type);
	if (!strcmp(key, "immutable"))
		return walk_bool(w, v, &d->immutable);
	if (d->secret && !strcmp(key, "stringData"))
		return 0; /* after data: see kinds_data_walk */
	return walk_unsupported(w, v);
}

/* stringData wins over data whatever their order in the document */
static int string_data_after(struct walk *w, yaml_node_t *root, struct kdata *d)
{
	for (yaml_node_pair_t *pr = root->data.mapping.pairs.start;
	     pr < root->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = walk_node(w, pr->key);
		if (k->type != YAML_SCALAR_NODE ||
		    strcmp(walk_scalar(k), "stringData"))
			continue;
		walk_push_key(w, "stringData");
		int r = walk_string_map(w, walk_node(w, pr->value), string_data,
					d);
		walk_pop(w);
		return r;
	}
	return 0;
}

/* A Secret's type: what each well-known type must hold */
static int check_type(struct walk *w, yaml_node_t *root, struct kdata *d)
{
	static const struct {
		const char *type, *keys[2];
	} types[] = {
		{ "Opaque", { NULL } },
		{ "kubernetes.io/tls", { "tls.crt", "tls.key" } },
		{ "kubernetes.io/dockerconfigjson", { ".dockerconfigjson" } },
		{ "kubernetes.io/dockercfg", { ".dockercfg" } },
		{ "kubernetes.io/basic-auth", { NULL } },
		{ "kubernetes.io/ssh-auth", { "ssh-privatekey" } },
		{ "bootstrap.kubernetes.io/token", { NULL } },
	};

	if (!d->type)
		d->type = "Opaque";
	for (size_t i = 0; i < sizeof(types) / sizeof(*types); i++) {
		if (strcmp(types[i].type, d->type))
			continue;
		for (size_t k = 0; k < 2 && types[i].keys[k]; k++)
			if (!kdata_get(d, types[i].keys[k]))
				return walk_fail(w, root,
						 "a Secret of type %s needs "
						 "the key %s",
						 d->type, types[i].keys[k]);
		return 0;
	}
	/* a type of the user's own ("example.com/x") holds anything */
	if (strchr(d->type, '/') && strncmp(d->type, "kubernetes.io/", 14))
		return 0;
	return walk_fail(w, root,
			 "type: '%.60s' is not a Secret type keel "
			 "knows",
			 d->type);
}

int kinds_data_walk(struct walk *w, yaml_node_t *root, bool secret, size_t len,
		    struct kdata **out)
{
	size_t size = 2 * len + 4096;
	struct kdata *d = calloc(1, sizeof(*d) + size);
	int r;

	if (!(*out = d))
		return walk_fail(w, root, "out of memory");
	d->secret = secret;
	d->arena_size = size;
	w->arena = d->arena;
	w->arena_size = size;
	w->arena_used = &d->arena_used;
	if ((r = walk_fields(w, root, data_field, d)) ||
	    (secret && (r = string_data_after(w, root, d))))
		return r;
	if ((r = meta_check(w, root, &d->meta)))
		return r;
	return secret ? check_type(w, root, d) : 0;
}

const struct kdata_item *kdata_get(const struct kdata *d, const char *key)
{
	for (size_t i = 0; i < d->n; i++)
		if (!strcmp(d->items[i].key, key))
			return &d->items[i];
	return NULL;
}

static int access_modes(struct walk *w, yaml_node_t *v, struct kpvc *c)
{
	const char *modes[8];
	size_t n;
	int r = walk_strings(w, v, modes, 7, &n);

	if (r)
		return r;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(modes[i], "ReadWriteOnce") &&
		    strcmp(modes[i], "ReadWriteOncePod") &&
		    strcmp(modes[i], "ReadOnlyMany") &&
		    strcmp(modes[i], "ReadWriteMany"))
			return walk_fail(w, v, "'%.40s' is not an access mode",
					 modes[i]);
	}
	c->read_only_many = n == 1 && !strcmp(modes[0], "ReadOnlyMany");
	return 0;
}

/* requests.storage: the size asked for; limits.storage: checked only */
static int storage_field(struct walk *w, const char *key, yaml_node_t *v,
			 void *obj)
{
	uint64_t *q = obj;

	if (!strcmp(key, "storage"))
		return walk_quantity(w, v, false, q);
	return walk_unsupported(w, v);
}

static int pvc_resources(struct walk *w, const char *key, yaml_node_t *v,
			 void *obj)
{
	struct kpvc *c = obj;
	uint64_t limit;

	if (!strcmp(key, "requests"))
		return walk_fields(w, v, storage_field, &c->storage);
	if (!strcmp(key, "limits"))
		return walk_fields(w, v, storage_field, &limit);
	return walk_unsupported(w, v);
}

static int pvc_spec(struct walk *w, const char *key, yaml_node_t *v, void *obj)
{
	struct kpvc *c = obj;
	const char *s;
	int r;

	if (!strcmp(key, "accessModes"))
		return access_modes(w, v, c);
	if (!strcmp(key, "resources"))
		return walk_fields(w, v, pvc_resources, c);
	if (!strcmp(key, "volumeMode")) {
		if ((r = walk_str(w, v, &s)))
			return r;
		return strcmp(s, "Filesystem")
			       ? walk_fail(w, v, "only Filesystem")
			       : 0;
	}
	/* what picks a volume in a cluster: one host has one kind */
	if (!strcmp(key, "storageClassName") || !strcmp(key, "volumeName") ||
	    !strcmp(key, "volumeAttributesClassName"))
		return walk_note(w);
	return walk_unsupported(w, v);
}

static int pvc_field(struct walk *w, const char *key, yaml_node_t *v, void *obj)
{
	struct kpvc *c = obj;
	struct meta_walk mw = { &c->meta, 0 };

	if (!strcmp(key, "apiVersion") || !strcmp(key, "kind") ||
	    !strcmp(key, "status"))
		return 0;
	if (!strcmp(key, "metadata"))
		return walk_fields(w, v, meta_field, &mw);
	if (!strcmp(key, "spec"))
		return walk_fields(w, v, pvc_spec, c);
	return walk_unsupported(w, v);
}

int kinds_pvc_walk(struct walk *w, yaml_node_t *root, struct kpvc **out)
{
	struct kpvc *c = calloc(1, sizeof(*c));
	int r;

	if (!(*out = c))
		return walk_fail(w, root, "out of memory");
	w->arena = c->arena;
	w->arena_size = sizeof(c->arena);
	w->arena_used = &c->arena_used;
	if ((r = walk_fields(w, root, pvc_field, c)) ||
	    (r = meta_check(w, root, &c->meta)))
		return r;
	if (!c->storage)
		return walk_fail(w, root,
				 "spec.resources.requests.storage is missing");
	return 0;
}
