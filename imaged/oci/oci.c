// SPDX-License-Identifier: MIT
#include "oci/oci.h"
#include "errmsg.h"
#include "oci/json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/*
 * Sizes are int64 in the spec but JSON numbers reach us as doubles. Below
 * 2^53 every integer is exact and no larger text rounds down into the
 * range, so a value here is the one the registry wrote (RFC 7493 2.2).
 */
#define SAFE_INT_MAX 9007199254740991.0

static const char *const media_names[OCI_MEDIA_COUNT] = {
	[OCI_MEDIA_UNKNOWN] = "",
	[OCI_MEDIA_MANIFEST] = OCI_MT_MANIFEST,
	[OCI_MEDIA_INDEX] = OCI_MT_INDEX,
	[OCI_MEDIA_DOCKER_MANIFEST] = OCI_MT_DOCKER_MANIFEST,
	[OCI_MEDIA_DOCKER_LIST] = OCI_MT_DOCKER_LIST,
	[OCI_MEDIA_CONFIG] = OCI_MT_CONFIG,
	[OCI_MEDIA_DOCKER_CONFIG] = OCI_MT_DOCKER_CONFIG,
	[OCI_MEDIA_LAYER_TAR] = OCI_MT_LAYER_TAR,
	[OCI_MEDIA_LAYER_GZIP] = OCI_MT_LAYER_GZIP,
	[OCI_MEDIA_LAYER_ZSTD] = OCI_MT_LAYER_ZSTD,
	[OCI_MEDIA_DOCKER_LAYER_GZIP] = OCI_MT_DOCKER_LAYER_GZIP,
	[OCI_MEDIA_NONDIST_TAR] = OCI_MT_NONDIST_TAR,
	[OCI_MEDIA_NONDIST_GZIP] = OCI_MT_NONDIST_GZIP,
	[OCI_MEDIA_NONDIST_ZSTD] = OCI_MT_NONDIST_ZSTD,
	[OCI_MEDIA_DOCKER_FOREIGN_GZIP] = OCI_MT_DOCKER_FOREIGN_GZIP,
};

const char *oci_media_name(enum oci_media t)
{
	if ((unsigned)t >= OCI_MEDIA_COUNT)
		return "";
	return media_names[t];
}

enum oci_media oci_media_lookup(const char *s)
{
	for (int t = OCI_MEDIA_UNKNOWN + 1; t < OCI_MEDIA_COUNT; t++)
		if (!strcmp(s, media_names[t]))
			return (enum oci_media)t;
	return OCI_MEDIA_UNKNOWN;
}

int oci_layer_compression(enum oci_media t)
{
	switch (t) {
	case OCI_MEDIA_LAYER_TAR:
		return OCI_COMP_NONE;
	case OCI_MEDIA_LAYER_GZIP:
	case OCI_MEDIA_DOCKER_LAYER_GZIP:
		return OCI_COMP_GZIP;
	case OCI_MEDIA_LAYER_ZSTD:
		return OCI_COMP_ZSTD;
	default:
		return -1;
	}
}

bool oci_is_manifest(enum oci_media t)
{
	return t == OCI_MEDIA_MANIFEST || t == OCI_MEDIA_DOCKER_MANIFEST;
}

bool oci_is_index(enum oci_media t)
{
	return t == OCI_MEDIA_INDEX || t == OCI_MEDIA_DOCKER_LIST;
}

static bool is_nondist_type(enum oci_media t)
{
	return t >= OCI_MEDIA_NONDIST_TAR && t <= OCI_MEDIA_DOCKER_FOREIGN_GZIP;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	/* descriptor.md: the sha256 encoding is [a-f0-9]{64}, lowercase only */
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int oci_digest_parse(const char *s, uint8_t out[32])
{
	if (strncmp(s, "sha256:", 7))
		return -EINVAL;
	s += 7;
	for (int i = 0; i < 32; i++) {
		int hi = hexval(s[2 * i]);
		int lo = hi < 0 ? -1 : hexval(s[2 * i + 1]);
		if (lo < 0)
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return s[64] ? -EINVAL : 0;
}

void oci_digest_hex(const uint8_t d[32], char out[65])
{
	static const char hex[] = "0123456789abcdef";

	for (int i = 0; i < 32; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[64] = '\0';
}

void oci_digest_format(const uint8_t d[32], char out[OCI_DIGEST_STR])
{
	memcpy(out, "sha256:", 7);
	oci_digest_hex(d, out + 7);
}

/* Where a parse's complaint goes; the caller puts "manifest: " before it. */
struct ctx {
	char *err;
	size_t errlen;
};

/*
 * An untrusted string fit for an error message: the first 64 bytes, any
 * that would upset a terminal or a log line as '?'.
 */
static const char *shown(const char *s, char buf[68])
{
	size_t i;

	for (i = 0; s[i] && i < 64; i++)
		buf[i] = s[i] >= ' ' && s[i] < 0x7f ? s[i] : '?';
	if (s[i]) {
		memcpy(buf + i, "...", 3);
		i += 3;
	}
	buf[i] = '\0';
	return buf;
}

/* The member called name, or NULL; one named twice is refused. */
static int member(struct ctx *x, const cJSON *o, const char *name,
		  const cJSON **out)
{
	if (json_member(o, name, out))
		return errmsg(x->err, x->errlen, -EINVAL,
			      "\"%s\" appears twice", name);
	return 0;
}

/* "where: " before a message about a member, or nothing at the top. */
static const char *sep(const char *where)
{
	return where[0] ? ": " : "";
}

/* Member name as a string, or NULL if absent or JSON null. */
static int opt_string(struct ctx *x, const char *where, const cJSON *o,
		      const char *name, const char **out)
{
	const cJSON *v;

	*out = NULL;
	if (member(x, o, name, &v))
		return -EINVAL;
	if (!v || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsString(v))
		return errmsg(x->err, x->errlen, -EINVAL,
			      "%s%s\"%s\" is not a string", where, sep(where),
			      name);
	*out = v->valuestring;
	return 0;
}

/*
 * cJSON ends a string at an escaped NUL, so "a\u0000b" would arrive as
 * "a": refuse documents that have one rather than read a shorter string
 * than the one written. Only called on text cJSON has already accepted.
 */
static bool escaped_nul(const char *s, size_t len)
{
	bool in_string = false;

	for (size_t i = 0; i < len; i++) {
		if (!in_string) {
			in_string = s[i] == '"';
		} else if (s[i] == '"') {
			in_string = false;
		} else if (s[i] == '\\' && i + 1 < len) {
			i++;
			if (s[i] == 'u' && len - i > 4 &&
			    !memcmp(s + i + 1, "0000", 4))
				return true;
		}
	}
	return false;
}

static int parse_root(struct ctx *x, const char *json, size_t len, cJSON **root)
{
	int r;

	*root = NULL;
	if (len > OCI_JSON_MAX)
		return errmsg(x->err, x->errlen, -EINVAL,
			      "larger than %d bytes", OCI_JSON_MAX);
	if (memchr(json, '\0', len))
		return errmsg(x->err, x->errlen, -EINVAL,
			      "not a JSON document (NUL byte)");
	if ((r = json_object_parse(json, len, root, x->err, x->errlen)))
		return r;
	if (escaped_nul(json, len))
		return errmsg(x->err, x->errlen, -EINVAL,
			      "a string holds \\u0000");
	return 0;
}

/* Is v a whole number 0..2^53-1? NaN and infinities fail every test. */
static bool safe_size(const cJSON *v, int64_t *out)
{
	if (!cJSON_IsNumber(v))
		return false;
	double d = v->valuedouble;
	if (!(d >= 0 && d <= SAFE_INT_MAX) || d != (double)(int64_t)d)
		return false;
	*out = (int64_t)d;
	return true;
}

/* A descriptor (descriptor.md): mediaType, digest and size, all required. */
static int parse_descriptor(struct ctx *x, const char *where, const cJSON *o,
			    struct oci_descriptor *d)
{
	const char *mt, *digest;
	const cJSON *size;

	if (!cJSON_IsObject(o))
		return errmsg(x->err, x->errlen, -EINVAL, "%s is not an object",
			      where);
	if (opt_string(x, where, o, "mediaType", &mt) ||
	    opt_string(x, where, o, "digest", &digest) ||
	    member(x, o, "size", &size))
		return -EINVAL;
	if (!mt)
		return errmsg(x->err, x->errlen, -EINVAL,
			      "%s has no \"mediaType\"", where);
	if (!digest)
		return errmsg(x->err, x->errlen, -EINVAL,
			      "%s has no \"digest\"", where);
	if (!size)
		return errmsg(x->err, x->errlen, -EINVAL, "%s has no \"size\"",
			      where);
	d->media_type = oci_media_lookup(mt);
	if (oci_digest_parse(digest, d->digest)) {
		/* descriptor.md registers sha512 too; registries use sha256 */
		if (!strncmp(digest, "sha512:", 7))
			return errmsg(x->err, x->errlen, -EINVAL,
				      "%s: only sha256 digests are supported",
				      where);
		return errmsg(x->err, x->errlen, -EINVAL,
			      "%s: \"digest\" is not sha256:<64 lowercase hex>",
			      where);
	}
	if (!safe_size(size, &d->size))
		return errmsg(x->err, x->errlen, -EINVAL,
			      "%s: \"size\" is not a whole number 0..2^53-1",
			      where);
	return 0;
}

/*
 * A short platform string: os, architecture, variant, os.version. Only
 * printable ASCII without spaces; these name things, and end up in
 * messages and comparisons.
 */
static int platform_field(struct ctx *x, const char *where, const cJSON *o,
			  const char *name, char *out, size_t outlen,
			  bool required)
{
	const char *s;

	if (opt_string(x, where, o, name, &s))
		return -EINVAL;
	if (!s || !s[0]) {
		if (required)
			return errmsg(x->err, x->errlen, -EINVAL,
				      "%s%sno \"%s\"", where, sep(where), name);
		return 0;
	}
	if (strlen(s) >= outlen)
		return errmsg(x->err, x->errlen, -EINVAL,
			      "%s%s\"%s\" is longer than %zu bytes", where,
			      sep(where), name, outlen - 1);
	for (const char *c = s; *c; c++)
		if (*c <= ' ' || *c >= 0x7f)
			return errmsg(x->err, x->errlen, -EINVAL,
				      "%s%s\"%s\" is not printable ASCII",
				      where, sep(where), name);
	strcpy(out, s);
	return 0;
}

/*
 * Array member a, found as name under path ("" at the top, or
 * "rootfs."), of at most max entries. A complaint quotes a top-level
 * name and writes a nested one as its path, as the others here do.
 */
static int bounded_array(struct ctx *x, const cJSON *a, const char *path,
			 const char *name, int max)
{
	const char *q = path[0] ? "" : "\"";

	if (!cJSON_IsArray(a))
		return errmsg(x->err, x->errlen, -EINVAL, "no %s%s%s%s array",
			      q, path, name, q);
	if (cJSON_GetArraySize(a) > max)
		return errmsg(x->err, x->errlen, -EINVAL, "more than %d %s%s",
			      max, path, name);
	return 0;
}

static int parse_index(struct ctx *x, const cJSON *root, struct oci_manifest *m)
{
	const cJSON *list;
	char where[48];

	if (member(x, root, "manifests", &list) ||
	    bounded_array(x, list, "", "manifests", OCI_MAX_MANIFESTS))
		return -EINVAL;
	for (const cJSON *e = list->child; e; e = e->next) {
		struct oci_index_entry *ie = &m->manifests[m->n_manifests];
		const cJSON *p;

		snprintf(where, sizeof(where), "manifests[%zu]",
			 m->n_manifests);
		if (parse_descriptor(x, where, e, &ie->desc) ||
		    member(x, e, "platform", &p))
			return -EINVAL;
		m->n_manifests++;
		if (!p || cJSON_IsNull(p))
			continue;
		snprintf(where, sizeof(where), "manifests[%zu].platform",
			 m->n_manifests - 1);
		if (!cJSON_IsObject(p))
			return errmsg(x->err, x->errlen, -EINVAL,
				      "%s is not an object", where);
		/* os.features is for Windows and ignored, as on containerd */
		if (platform_field(x, where, p, "os", ie->platform.os,
				   sizeof(ie->platform.os), true) ||
		    platform_field(x, where, p, "architecture",
				   ie->platform.architecture,
				   sizeof(ie->platform.architecture), true) ||
		    platform_field(x, where, p, "variant", ie->platform.variant,
				   sizeof(ie->platform.variant), false) ||
		    platform_field(x, where, p, "os.version",
				   ie->platform.os_version,
				   sizeof(ie->platform.os_version), false))
			return -EINVAL;
		ie->has_platform = true;
	}
	return 0;
}

static int parse_image_manifest(struct ctx *x, const cJSON *root,
				struct oci_manifest *m)
{
	const cJSON *config, *layers;
	char where[48], b[68];

	if (member(x, root, "config", &config) ||
	    member(x, root, "layers", &layers))
		return -EINVAL;
	if (!config)
		return errmsg(x->err, x->errlen, -EINVAL, "no \"config\"");
	if (parse_descriptor(x, "config", config, &m->config))
		return -EINVAL;
	if (m->config.media_type != OCI_MEDIA_CONFIG &&
	    m->config.media_type != OCI_MEDIA_DOCKER_CONFIG) {
		const cJSON *mt =
			cJSON_GetObjectItemCaseSensitive(config, "mediaType");
		return errmsg(x->err, x->errlen, -EINVAL,
			      "config is \"%s\", not an image config",
			      shown(mt->valuestring, b));
	}
	if (bounded_array(x, layers, "", "layers", OCI_MAX_LAYERS))
		return -EINVAL;
	for (const cJSON *e = layers->child; e; e = e->next) {
		struct oci_descriptor *d = &m->layers[m->n_layers];

		snprintf(where, sizeof(where), "layers[%zu]", m->n_layers);
		if (parse_descriptor(x, where, e, d))
			return -EINVAL;
		m->n_layers++;
		if (oci_layer_compression(d->media_type) >= 0)
			continue;
		if (is_nondist_type(d->media_type))
			return errmsg(x->err, x->errlen, -EINVAL,
				      "%s: non-distributable layer (%s) is "
				      "not supported",
				      where, oci_media_name(d->media_type));
		const cJSON *mt =
			cJSON_GetObjectItemCaseSensitive(e, "mediaType");
		return errmsg(x->err, x->errlen, -EINVAL,
			      "%s: unsupported media type \"%s\"", where,
			      shown(mt->valuestring, b));
	}
	return 0;
}

/* The media type a Content-Type value names, parameters ignored. */
static enum oci_media content_type_media(const char *ct)
{
	size_t n;

	if (!ct)
		return OCI_MEDIA_UNKNOWN;
	ct += strspn(ct, " \t");
	n = strcspn(ct, " \t;");
	/* RFC 9110 section 8.3.1: type and subtype are case-insensitive */
	for (int t = OCI_MEDIA_MANIFEST; t <= OCI_MEDIA_DOCKER_LIST; t++)
		if (strlen(media_names[t]) == n &&
		    !strncasecmp(ct, media_names[t], n))
			return (enum oci_media)t;
	return OCI_MEDIA_UNKNOWN;
}

/* The document's own mediaType, else the server's Content-Type. */
static int manifest_media(struct ctx *x, const cJSON *mt,
			  const char *content_type, struct oci_manifest *m)
{
	char b[68];

	if (!mt || cJSON_IsNull(mt)) {
		m->media_type = content_type_media(content_type);
		return 0;
	}
	if (!cJSON_IsString(mt))
		return errmsg(x->err, x->errlen, -EINVAL,
			      "\"mediaType\" is not a string");
	m->media_type = oci_media_lookup(mt->valuestring);
	if (!oci_is_manifest(m->media_type) && !oci_is_index(m->media_type))
		return errmsg(x->err, x->errlen, -EINVAL,
			      "unsupported media type \"%s\"",
			      shown(mt->valuestring, b));
	return 0;
}

/* Which of the two a document is, by what it says, else by its shape. */
static int manifest_kind(struct ctx *x, const cJSON *root,
			 const char *content_type, struct oci_manifest *m)
{
	const cJSON *ver, *mt, *manifests, *config, *layers;
	int r;

	if ((r = member(x, root, "schemaVersion", &ver)) ||
	    (r = member(x, root, "mediaType", &mt)) ||
	    (r = member(x, root, "manifests", &manifests)) ||
	    (r = member(x, root, "config", &config)) ||
	    (r = member(x, root, "layers", &layers)))
		return r;
	if (!ver)
		return errmsg(x->err, x->errlen, -EINVAL,
			      "no \"schemaVersion\"");
	/* Schema 1 (signed JWS) is deprecated; containerd 2.0 dropped it too */
	if (!cJSON_IsNumber(ver) || ver->valuedouble != 2)
		return errmsg(x->err, x->errlen, -EINVAL,
			      "\"schemaVersion\" is not 2");
	if ((r = manifest_media(x, mt, content_type, m)))
		return r;
	if (oci_is_index(m->media_type))
		m->kind = OCI_KIND_INDEX;
	else if (oci_is_manifest(m->media_type))
		m->kind = OCI_KIND_MANIFEST;
	else if (manifests)
		m->kind = OCI_KIND_INDEX;
	else if (config || layers)
		m->kind = OCI_KIND_MANIFEST;
	if (!m->kind)
		return errmsg(x->err, x->errlen, -EINVAL,
			      "neither an image manifest nor an index");
	/* CVE-2021-41190: one document must not read as both */
	if (m->kind == OCI_KIND_INDEX && (config || layers))
		return errmsg(x->err, x->errlen, -EINVAL,
			      "an index with \"config\" or \"layers\" is "
			      "ambiguous");
	if (m->kind == OCI_KIND_MANIFEST && manifests)
		return errmsg(x->err, x->errlen, -EINVAL,
			      "an image manifest with \"manifests\" is "
			      "ambiguous");
	return 0;
}

int oci_manifest_parse(const char *json, size_t len, const char *content_type,
		       struct oci_manifest *m, char *err, size_t errlen)
{
	struct ctx x = { err, errlen };
	cJSON *root;
	int r;

	memset(m, 0, sizeof(*m));
	r = parse_root(&x, json, len, &root);
	if (!r)
		r = manifest_kind(&x, root, content_type, m);
	if (!r)
		r = m->kind == OCI_KIND_INDEX
			    ? parse_index(&x, root, m)
			    : parse_image_manifest(&x, root, m);
	cJSON_Delete(root);
	if (r) {
		memset(m, 0, sizeof(*m));
		errmsg_prefix(err, errlen, r, "manifest: ");
	}
	return r;
}

/*
 * Arrays of strings into the arena: Env, Entrypoint, Cmd. JSON null or
 * absent is an empty list.
 */
static int string_list(struct ctx *x, struct oci_config *c, const cJSON *o,
		       const char *name, char **out, size_t *n, bool env)
{
	const cJSON *a;

	*n = 0;
	out[0] = NULL;
	if (member(x, o, name, &a))
		return -EINVAL;
	if (!a || cJSON_IsNull(a))
		return 0;
	if (!cJSON_IsArray(a))
		return errmsg(x->err, x->errlen, -EINVAL, "%s is not an array",
			      name);
	if (cJSON_GetArraySize(a) > OCI_CONFIG_ARGS_MAX)
		return errmsg(x->err, x->errlen, -EINVAL,
			      "%s has more than %d entries", name,
			      OCI_CONFIG_ARGS_MAX);
	for (const cJSON *e = a->child; e; e = e->next) {
		if (!cJSON_IsString(e))
			return errmsg(x->err, x->errlen, -EINVAL,
				      "%s[%zu] is not a string", name, *n);
		const char *s = e->valuestring;
		size_t l = strlen(s) + 1;
		/* config.md: Env entries are VARNAME=VARVALUE */
		if (env && (s[0] == '=' || !strchr(s, '=')))
			return errmsg(x->err, x->errlen, -EINVAL,
				      "Env[%zu] is not NAME=value", *n);
		if (l > sizeof(c->strings) - c->strings_used)
			return errmsg(x->err, x->errlen, -EINVAL,
				      "Env, Entrypoint and Cmd exceed %d bytes "
				      "in all",
				      OCI_CONFIG_STRINGS_MAX);
		out[*n] = memcpy(c->strings + c->strings_used, s, l);
		c->strings_used += l;
		out[++*n] = NULL;
	}
	return 0;
}

static int bounded_string(struct ctx *x, const cJSON *o, const char *name,
			  char *out, size_t outlen)
{
	const char *s;

	if (opt_string(x, "", o, name, &s))
		return -EINVAL;
	if (!s)
		return 0;
	if (strlen(s) >= outlen)
		return errmsg(x->err, x->errlen, -EINVAL,
			      "%s is longer than %zu bytes", name, outlen - 1);
	strcpy(out, s);
	return 0;
}

/* Env, Entrypoint, Cmd, WorkingDir and User: what a container runs. */
static int config_process(struct ctx *x, const cJSON *root,
			  struct oci_config *c)
{
	const cJSON *cfg;
	int r;

	if ((r = member(x, root, "config", &cfg)))
		return r;
	if (!cfg || cJSON_IsNull(cfg))
		return 0;
	if (!cJSON_IsObject(cfg))
		return errmsg(x->err, x->errlen, -EINVAL,
			      "\"config\" is not an object");
	if ((r = string_list(x, c, cfg, "Env", c->env, &c->n_env, true)) ||
	    (r = string_list(x, c, cfg, "Entrypoint", c->entrypoint,
			     &c->n_entrypoint, false)) ||
	    (r = string_list(x, c, cfg, "Cmd", c->cmd, &c->n_cmd, false)) ||
	    (r = bounded_string(x, cfg, "WorkingDir", c->working_dir,
				sizeof(c->working_dir))))
		return r;
	return bounded_string(x, cfg, "User", c->user, sizeof(c->user));
}

/* rootfs: the layers' DiffIDs, base first. */
static int config_rootfs(struct ctx *x, const cJSON *root, struct oci_config *c)
{
	const cJSON *rootfs, *type, *ids;
	int r;

	if ((r = member(x, root, "rootfs", &rootfs)))
		return r;
	if (!cJSON_IsObject(rootfs))
		return errmsg(x->err, x->errlen, -EINVAL,
			      "no \"rootfs\" object");
	if ((r = member(x, rootfs, "type", &type)) ||
	    (r = member(x, rootfs, "diff_ids", &ids)))
		return r;
	if (!cJSON_IsString(type) || strcmp(type->valuestring, "layers"))
		return errmsg(x->err, x->errlen, -EINVAL,
			      "rootfs.type is not \"layers\"");
	if ((r = bounded_array(x, ids, "rootfs.", "diff_ids", OCI_MAX_LAYERS)))
		return r;
	for (const cJSON *e = ids->child; e; e = e->next) {
		if (!cJSON_IsString(e) ||
		    oci_digest_parse(e->valuestring,
				     c->diff_ids[c->n_diff_ids]))
			return errmsg(x->err, x->errlen, -EINVAL,
				      "rootfs.diff_ids[%zu] is not "
				      "sha256:<64 lowercase hex>",
				      c->n_diff_ids);
		c->n_diff_ids++;
	}
	return 0;
}

int oci_config_parse(const char *json, size_t len, struct oci_config *c,
		     char *err, size_t errlen)
{
	struct ctx x = { err, errlen };
	cJSON *root;
	int r;

	memset(c, 0, sizeof(*c));
	r = parse_root(&x, json, len, &root);
	/* config.md: architecture and os are required, variant is not */
	if (!r)
		r = platform_field(&x, "", root, "architecture",
				   c->architecture, sizeof(c->architecture),
				   true);
	if (!r)
		r = platform_field(&x, "", root, "os", c->os, sizeof(c->os),
				   true);
	if (!r)
		r = platform_field(&x, "", root, "variant", c->variant,
				   sizeof(c->variant), false);
	if (!r)
		r = config_process(&x, root, c);
	if (!r)
		r = config_rootfs(&x, root, c);
	cJSON_Delete(root);
	if (r) {
		memset(c, 0, sizeof(*c));
		errmsg_prefix(err, errlen, r, "config: ");
	}
	return r;
}
