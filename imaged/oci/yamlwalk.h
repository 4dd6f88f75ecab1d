/* SPDX-License-Identifier: MIT */
#ifndef KEEL_YAMLWALK_H
#define KEEL_YAMLWALK_H

#include "errmsg.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <yaml.h>

/*
 * A strict walk over a YAML (or JSON) document as Kubernetes decodes
 * one: every key is known to its caller or an error, a key given twice
 * is an error, and a number where a string goes is an error (quote it),
 * not the string "80". The walk keeps where it is
 * ("spec.containers[1].image"), so every complaint names the file, the
 * line and the field, as kubectl's strict decoding does. Pure, for
 * untrusted input; every kind keel reads is walked with it.
 */

#define WALK_DEPTH 24 /* deeper than any field keel knows */

struct walk {
	yaml_document_t *doc;
	const char *file; /* named in errors */
	char *err;
	size_t errlen;
	/* strings kept: the caller's arena */
	char *arena;
	size_t arena_size, *arena_used;
	int line0; /* lines of the file before the document */
	/* the fields noted (cluster-only, ignored): "spec.nodeSelector, ..." */
	char *notes;
	size_t noteslen;
	/* where the walk is: formatted only for an error */
	size_t depth;
	struct {
		const char *key; /* NULL: an index */
		size_t index;
	} path[WALK_DEPTH];
};

/*
 * The complaint at node n (NULL: the document), as "file:line: field:
 * why": returns -EINVAL.
 */
#define walk_fail(w, n, ...) \
	walk_at((w), (n), errmsg((w)->err, (w)->errlen, -EINVAL, __VA_ARGS__))
/* err (made by errmsg) with the file, line and field in front: code. */
int walk_at(struct walk *w, const yaml_node_t *n, int code);

/* The field path as text ("spec.containers[0]"), "" at the top. */
void walk_path(const struct walk *w, char *out, size_t len);
void walk_push_key(struct walk *w, const char *key);
void walk_push_index(struct walk *w, size_t i);
void walk_pop(struct walk *w);

yaml_node_t *walk_node(const struct walk *w, int id);
const char *walk_scalar(const yaml_node_t *n);
/* A plain (unquoted) scalar YAML reads as null: "", ~, null. */
bool walk_is_null(const yaml_node_t *n);
/* s kept in the arena, or NULL (the walk has failed, at n). */
char *walk_keep(struct walk *w, const yaml_node_t *n, const char *s);

/* Typed values; each 0 or -EINVAL with the error made. */
int walk_str(struct walk *w, const yaml_node_t *n, const char **out);
int walk_bool(struct walk *w, const yaml_node_t *n, bool *out);
int walk_int(struct walk *w, const yaml_node_t *n, long min, long max,
	     long *out);
/* A Kubernetes name: an RFC 1123 label of at most max. */
int walk_name(struct walk *w, const yaml_node_t *n, size_t max,
	      const char **out);
/* An RFC 1123 subdomain (ConfigMap, Secret, claim names): 253. */
int walk_subdomain(struct walk *w, const yaml_node_t *n, const char **out);
/* A quantity (resource.Quantity) in bytes or millis (mul 1000) */
int walk_quantity(struct walk *w, const yaml_node_t *n, bool millis,
		  uint64_t *out);
int walk_map(struct walk *w, const yaml_node_t *n);
int walk_seq(struct walk *w, const yaml_node_t *n, size_t max);
size_t walk_seq_len(const yaml_node_t *n);

/* A field keel does not know: an error naming it. */
int walk_unsupported(struct walk *w, const yaml_node_t *v);
/* A field only a cluster means: accepted, its path noted. 0. */
int walk_note(struct walk *w);
/* A hash of the subtree at n (FNV-1a over its structure and scalars). */
uint64_t walk_hash(const struct walk *w, const yaml_node_t *n);

/* Each key of mapping n through fn, its path pushed. */
typedef int (*walk_field_fn)(struct walk *w, const char *key, yaml_node_t *v,
			     void *obj);
int walk_fields(struct walk *w, yaml_node_t *n, walk_field_fn fn, void *obj);
/* Each key of mapping n, with its value a string, through fn. */
typedef int (*walk_pair_fn)(struct walk *w, yaml_node_t *k, const char *key,
			    const char *value, void *obj);
int walk_string_map(struct walk *w, yaml_node_t *n, walk_pair_fn fn, void *obj);
/* A list of mappings, each into its own slot (slot_size apart) via fn. */
int walk_list(struct walk *w, yaml_node_t *v, size_t max, void *slots,
	      size_t slot_size, size_t *count, walk_field_fn fn);
/* A list of strings into out (max, then NULL), *count of them. */
int walk_strings(struct walk *w, yaml_node_t *n, const char **out, size_t max,
		 size_t *count);

/* An RFC 1123 label of at most max, as Kubernetes names most things */
bool walk_dns_label(const char *s, size_t max);
/* An RFC 1123 subdomain: labels joined by dots, at most 253 */
bool walk_dns_subdomain(const char *s);

#endif
