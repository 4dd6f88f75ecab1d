// SPDX-License-Identifier: MIT
#include "oci/yamlwalk.h"
#include "oci/quantity.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void walk_path(const struct walk *w, char *out, size_t len)
{
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = 0; i < w->depth && used < len; i++) {
		int n = w->path[i].key
				? snprintf(out + used, len - used, "%s%.60s",
					   used ? "." : "", w->path[i].key)
				: snprintf(out + used, len - used, "[%zu]",
					   w->path[i].index);
		if (n < 0)
			break;
		used += (size_t)n;
	}
}

int walk_at(struct walk *w, const yaml_node_t *n, int code)
{
	char path[400];

	walk_path(w, path, sizeof(path));
	return errmsg_prefix(
		w->err, w->errlen, code, "%s:%lu: %s%s", w->file,
		n ? (unsigned long)(n->start_mark.line + 1 + w->line0) : 0UL,
		path, path[0] ? ": " : "");
}

/* past WALK_DEPTH the path stops growing: errors name the field above */
void walk_push_key(struct walk *w, const char *key)
{
	if (w->depth < WALK_DEPTH)
		w->path[w->depth].key = key;
	w->depth++;
}

void walk_push_index(struct walk *w, size_t i)
{
	if (w->depth < WALK_DEPTH) {
		w->path[w->depth].key = NULL;
		w->path[w->depth].index = i;
	}
	w->depth++;
}

void walk_pop(struct walk *w)
{
	w->depth--;
}

yaml_node_t *walk_node(const struct walk *w, int id)
{
	return yaml_document_get_node(w->doc, id);
}

const char *walk_scalar(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

bool walk_is_null(const yaml_node_t *n)
{
	if (n->type != YAML_SCALAR_NODE ||
	    n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	const char *s = walk_scalar(n);
	return !*s || !strcmp(s, "~") || !strcmp(s, "null") ||
	       !strcmp(s, "Null") || !strcmp(s, "NULL");
}

static bool one_of(const char *s, const char *const *words)
{
	for (; *words; words++)
		if (!strcmp(s, *words))
			return true;
	return false;
}

/* digits, with '_' between them as YAML 1.1 allows */
static const char *digits(const char *s, const char *set)
{
	const char *start = s;

	while (*s && (strchr(set, *s) || (*s == '_' && s > start)))
		s++;
	return s;
}

/*
 * What a plain scalar is to kubectl's YAML 1.1 reader if not a string: a
 * number (1, -2.5, 1e3, 0x1f, 0o17, .inf) or a bool (true, yes, on, y).
 */
static bool plain_number_or_bool(const yaml_node_t *n)
{
	static const char *const words[] = {
		"true",	 "True", "TRUE", "false", "False", "FALSE", "yes",
		"Yes",	 "YES",	 "no",	 "No",	  "NO",	   "on",    "On",
		"ON",	 "off",	 "Off",	 "OFF",	  "y",	   "Y",	    "n",
		"N",	 ".inf", ".Inf", ".INF",  "-.inf", "-.Inf", "-.INF",
		"+.inf", ".nan", ".NaN", ".NAN",  NULL
	};
	const char *s = walk_scalar(n), *p;
	const char *dec = "0123456789";

	if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE || !*s)
		return false;
	if (one_of(s, words))
		return true;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'o') && s[2])
		return !*digits(s + 2, s[1] == 'x' ? "0123456789abcdefABCDEF"
						   : "01234567");
	p = s + (*s == '-' || *s == '+');
	const char *q = digits(p, dec);
	if (*q == '.')
		q = digits(q + 1, dec);
	if (q == p || (q == p + 1 && *p == '.'))
		return false;
	if (*q == 'e' || *q == 'E') {
		q++;
		q += *q == '-' || *q == '+';
		const char *e = digits(q, dec);
		if (e == q)
			return false;
		q = e;
	}
	return !*q;
}

char *walk_keep(struct walk *w, const yaml_node_t *n, const char *s)
{
	size_t len = strlen(s) + 1;

	if (*w->arena_used + len > w->arena_size) {
		walk_fail(w, n, "the manifest's strings exceed %zu bytes",
			  w->arena_size);
		return NULL;
	}
	char *d = w->arena + *w->arena_used;
	memcpy(d, s, len);
	*w->arena_used += len;
	return d;
}

int walk_str(struct walk *w, const yaml_node_t *n, const char **out)
{
	if (n->type != YAML_SCALAR_NODE || walk_is_null(n))
		return walk_fail(w, n, "expected a string");
	if (plain_number_or_bool(n))
		return walk_fail(w, n, "expected a string, got %s (quote it)",
				 walk_scalar(n));
	if (strlen(walk_scalar(n)) != n->data.scalar.length)
		return walk_fail(w, n, "a NUL byte in a string");
	*out = walk_keep(w, n, walk_scalar(n));
	return *out ? 0 : -EINVAL;
}

int walk_bool(struct walk *w, const yaml_node_t *n, bool *out)
{
	const char *s = n->type == YAML_SCALAR_NODE ? walk_scalar(n) : "";

	if (n->type == YAML_SCALAR_NODE &&
	    n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
		if (!strcmp(s, "true") || !strcmp(s, "True") ||
		    !strcmp(s, "TRUE")) {
			*out = true;
			return 0;
		}
		if (!strcmp(s, "false") || !strcmp(s, "False") ||
		    !strcmp(s, "FALSE")) {
			*out = false;
			return 0;
		}
	}
	return walk_fail(w, n, "expected true or false");
}

int walk_int(struct walk *w, const yaml_node_t *n, long min, long max,
	     long *out)
{
	const char *s = n->type == YAML_SCALAR_NODE ? walk_scalar(n) : "";
	char *end;

	if (n->type != YAML_SCALAR_NODE ||
	    n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE ||
	    !isdigit((unsigned char)*s) || strlen(s) > 10)
		return walk_fail(w, n, "expected a whole number");
	long v = strtol(s, &end, 10);
	if (*end || v < min || v > max)
		return walk_fail(w, n,
				 "expected a whole number from %ld to %ld", min,
				 max);
	*out = v;
	return 0;
}

bool walk_dns_label(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (!n || n > max || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (; *s; s++)
		if (!(islower((unsigned char)*s) ||
		      isdigit((unsigned char)*s) || *s == '-'))
			return false;
	return true;
}

int walk_name(struct walk *w, const yaml_node_t *n, size_t max,
	      const char **out)
{
	int r = walk_str(w, n, out);

	if (!r && !walk_dns_label(*out, max))
		return walk_fail(w, n,
				 "'%.70s' is not a name: lowercase letters, "
				 "digits and '-', at most %zu, starting and "
				 "ending alphanumeric",
				 *out, max);
	return r;
}

bool walk_dns_subdomain(const char *s)
{
	char label[254];
	size_t n = strlen(s);

	if (!n || n > 253)
		return false;
	for (const char *p = s;; p += strcspn(p, ".") + 1) {
		size_t l = strcspn(p, ".");
		memcpy(label, p, l);
		label[l] = '\0';
		if (!walk_dns_label(label, 63))
			return false;
		if (!p[l])
			return true;
	}
}

int walk_subdomain(struct walk *w, const yaml_node_t *n, const char **out)
{
	int r = walk_str(w, n, out);

	if (!r && !walk_dns_subdomain(*out))
		return walk_fail(w, n,
				 "'%.70s' is not a name: lowercase letters, "
				 "digits, '-' and '.', at most 253",
				 *out);
	return r;
}

int walk_quantity(struct walk *w, const yaml_node_t *n, bool millis,
		  uint64_t *out)
{
	/* a quantity may be written as a number: 2, 0.5 */
	if (n->type != YAML_SCALAR_NODE || walk_is_null(n))
		return walk_fail(w, n, "expected a quantity");
	if ((millis ? pod_quantity_millis : pod_quantity_bytes)(walk_scalar(n),
								out))
		return walk_fail(w, n,
				 "'%.30s' is not a quantity (128Mi, 1G, 500m)",
				 walk_scalar(n));
	return 0;
}

int walk_map(struct walk *w, const yaml_node_t *n)
{
	if (n->type != YAML_MAPPING_NODE)
		return walk_fail(w, n, "expected a mapping");
	return 0;
}

size_t walk_seq_len(const yaml_node_t *n)
{
	return n->data.sequence.items.top - n->data.sequence.items.start;
}

int walk_seq(struct walk *w, const yaml_node_t *n, size_t max)
{
	if (n->type != YAML_SEQUENCE_NODE)
		return walk_fail(w, n, "expected a list");
	if (walk_seq_len(n) > max)
		return walk_fail(w, n, "more than %zu entries", max);
	return 0;
}

int walk_note(struct walk *w)
{
	char path[200];
	size_t used = w->notes ? strlen(w->notes) : 0;

	if (!w->notes || used + 1 >= w->noteslen)
		return 0;
	walk_path(w, path, sizeof(path));
	snprintf(w->notes + used, w->noteslen - used, "%s%s", used ? ", " : "",
		 path);
	return 0;
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	for (const unsigned char *c = p; n--; c++)
		h = (h ^ *c) * 0x100000001b3ULL;
	return h;
}

uint64_t walk_hash(const struct walk *w, const yaml_node_t *n)
{
	uint64_t h = fnv(0xcbf29ce484222325ULL, &n->type, sizeof(n->type));

	if (n->type == YAML_SCALAR_NODE)
		return fnv(h, n->data.scalar.value, n->data.scalar.length);
	if (n->type == YAML_SEQUENCE_NODE) {
		for (yaml_node_item_t *it = n->data.sequence.items.start;
		     it < n->data.sequence.items.top; it++) {
			uint64_t c = walk_hash(w, walk_node(w, *it));
			h = fnv(h, &c, sizeof(c));
		}
		return h;
	}
	for (yaml_node_pair_t *pr = n->data.mapping.pairs.start;
	     pr < n->data.mapping.pairs.top; pr++) {
		uint64_t k = walk_hash(w, walk_node(w, pr->key));
		uint64_t v = walk_hash(w, walk_node(w, pr->value));
		h = fnv(h, &k, sizeof(k));
		h = fnv(h, &v, sizeof(v));
	}
	return h;
}

int walk_unsupported(struct walk *w, const yaml_node_t *v)
{
	return walk_fail(w, v,
			 "not supported by keel (its Pod subset: "
			 "imaged/README.md)");
}

/* A key seen twice is an error, as kubectl's strict decoding has it. */
int walk_fields(struct walk *w, yaml_node_t *n, walk_field_fn fn, void *obj)
{
	int r = walk_map(w, n);

	for (yaml_node_pair_t *pr = n->data.mapping.pairs.start;
	     !r && pr < n->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = walk_node(w, pr->key),
			    *v = walk_node(w, pr->value);
		if (k->type != YAML_SCALAR_NODE)
			return walk_fail(w, k, "a key that is not a string");
		for (yaml_node_pair_t *q = n->data.mapping.pairs.start; q < pr;
		     q++) {
			yaml_node_t *qk = walk_node(w, q->key);
			if (qk->type == YAML_SCALAR_NODE &&
			    !strcmp(walk_scalar(qk), walk_scalar(k)))
				return walk_fail(w, k, "'%.60s' given twice",
						 walk_scalar(k));
		}
		walk_push_key(w, walk_scalar(k));
		r = fn(w, walk_scalar(k), v, obj);
		walk_pop(w);
	}
	return r;
}

struct pair_ctx {
	walk_pair_fn fn;
	void *obj;
};

static int pair(struct walk *w, const char *key, yaml_node_t *v, void *obj)
{
	struct pair_ctx *pc = obj;
	const char *value = "", *kept = walk_keep(w, v, key);
	/* null is "", as Kubernetes decodes it into a map of strings */
	int r = !kept ? -EINVAL : walk_is_null(v) ? 0 : walk_str(w, v, &value);

	return r ? r : pc->fn(w, v, kept, value, pc->obj);
}

int walk_string_map(struct walk *w, yaml_node_t *n, walk_pair_fn fn, void *obj)
{
	struct pair_ctx pc = { fn, obj };

	return walk_fields(w, n, pair, &pc);
}

int walk_list(struct walk *w, yaml_node_t *v, size_t max, void *slots,
	      size_t slot_size, size_t *count, walk_field_fn fn)
{
	int r = walk_seq(w, v, max);

	*count = 0;
	for (yaml_node_item_t *it = v->data.sequence.items.start;
	     !r && it < v->data.sequence.items.top; it++) {
		walk_push_index(w, *count);
		r = walk_fields(w, walk_node(w, *it), fn,
				(char *)slots + slot_size * (*count)++);
		walk_pop(w);
	}
	return r;
}

int walk_strings(struct walk *w, yaml_node_t *n, const char **out, size_t max,
		 size_t *count)
{
	int r = walk_seq(w, n, max);

	*count = 0;
	for (yaml_node_item_t *it = n->data.sequence.items.start;
	     !r && it < n->data.sequence.items.top; it++) {
		walk_push_index(w, *count);
		r = walk_str(w, walk_node(w, *it), &out[(*count)++]);
		walk_pop(w);
	}
	out[*count] = NULL;
	return r;
}
