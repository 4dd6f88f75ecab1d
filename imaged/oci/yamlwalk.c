// SPDX-License-Identifier: MIT
#include "oci/yamlwalk.h"

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
	return errmsg_prefix(w->err, w->errlen, code, "%s:%lu: %s%s", w->file,
			     n ? (unsigned long)n->start_mark.line + 1 : 0UL,
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

static bool plain_number_or_bool(const yaml_node_t *n)
{
	if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	const char *s = walk_scalar(n);
	char *end;
	if (!strcmp(s, "true") || !strcmp(s, "false") || !strcmp(s, "True") ||
	    !strcmp(s, "False") || !strcmp(s, "TRUE") || !strcmp(s, "FALSE"))
		return true;
	if (!*s)
		return false;
	strtod(s, &end);
	return !*end;
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

int walk_name(struct walk *w, const yaml_node_t *n, const char **out)
{
	int r = walk_str(w, n, out);

	if (!r && !walk_dns_label(*out, 63))
		return walk_fail(w, n,
				 "'%.70s' is not a name: lowercase letters, "
				 "digits and '-', at most 63, starting and "
				 "ending alphanumeric",
				 *out);
	return r;
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
