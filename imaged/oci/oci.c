// SPDX-License-Identifier: MIT
#include "oci/oci.h"

#include <cJSON.h>
#include <errno.h>
#include <stdarg.h>
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

static bool is_manifest_type(enum oci_media t)
{
	return t == OCI_MEDIA_MANIFEST || t == OCI_MEDIA_DOCKER_MANIFEST;
}

static bool is_index_type(enum oci_media t)
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
		return -1;
	s += 7;
	for (int i = 0; i < 32; i++) {
		int hi = hexval(s[2 * i]);
		int lo = hi < 0 ? -1 : hexval(s[2 * i + 1]);
		if (lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return s[64] ? -1 : 0;
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

/* Where a parse is and where its complaint goes. */
struct ctx {
	const char *what; /* "manifest", "config": the message's prefix */
	char *err;
	size_t errlen;
};

static int fail(struct ctx *x, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fail(struct ctx *x, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(x->err, x->errlen, "%s: %s", x->what, msg);
	return -EINVAL;
}

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

/*
 * The member called name, or NULL. cJSON would hand back the first of
 * two same-named members where Go's encoding/json, which wrote and will
 * read most of these documents elsewhere, takes the last: a duplicate
 * could make one digest mean two things, so it is refused (RFC 8259
 * section 4 leaves duplicates to the reader).
 */
static int member(struct ctx *x, const cJSON *o, const char *name,
		  const cJSON **out)
{
	const cJSON *found = NULL;

	*out = NULL;
	for (const cJSON *c = o->child; c; c = c->next) {
		if (!c->string || strcmp(c->string, name))
			continue;
		if (found)
			return fail(x, "\"%s\" appears twice", name);
		found = c;
	}
	*out = found;
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
		return fail(x, "%s%s\"%s\" is not a string", where, sep(where),
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
	*root = NULL;
	if (len > OCI_JSON_MAX)
		return fail(x, "larger than %d bytes", OCI_JSON_MAX);
	if (memchr(json, '\0', len))
		return fail(x, "not a JSON document (NUL byte)");
	/*
	 * cJSON stops after the value; anything but whitespace after it is
	 * refused, as Go's json.Unmarshal does (RFC 8259 section 2).
	 */
	const char *end = NULL;
	*root = cJSON_ParseWithLengthOpts(json, len, &end, false);
	if (!cJSON_IsObject(*root))
		return fail(x, "not a JSON object");
	for (; end < json + len; end++)
		if (*end != ' ' && *end != '\t' && *end != '\r' && *end != '\n')
			return fail(x, "not a JSON object (text after it)");
	if (escaped_nul(json, len))
		return fail(x, "a string holds \\u0000");
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
		return fail(x, "%s is not an object", where);
	if (opt_string(x, where, o, "mediaType", &mt) ||
	    opt_string(x, where, o, "digest", &digest) ||
	    member(x, o, "size", &size))
		return -EINVAL;
	if (!mt)
		return fail(x, "%s has no \"mediaType\"", where);
	if (!digest)
		return fail(x, "%s has no \"digest\"", where);
	if (!size)
		return fail(x, "%s has no \"size\"", where);
	d->media_type = oci_media_lookup(mt);
	if (oci_digest_parse(digest, d->digest)) {
		/* descriptor.md registers sha512 too; registries use sha256 */
		if (!strncmp(digest, "sha512:", 7))
			return fail(x, "%s: only sha256 digests are supported",
				    where);
		return fail(x,
			    "%s: \"digest\" is not sha256:<64 lowercase hex>",
			    where);
	}
	if (!safe_size(size, &d->size))
		return fail(x, "%s: \"size\" is not a whole number 0..2^53-1",
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
			return fail(x, "%s%sno \"%s\"", where, sep(where),
				    name);
		return 0;
	}
	if (strlen(s) >= outlen)
		return fail(x, "%s%s\"%s\" is longer than %zu bytes", where,
			    sep(where), name, outlen - 1);
	for (const char *c = s; *c; c++)
		if (*c <= ' ' || *c >= 0x7f)
			return fail(x, "%s%s\"%s\" is not printable ASCII",
				    where, sep(where), name);
	strcpy(out, s);
	return 0;
}

static int parse_index(struct ctx *x, const cJSON *root, struct oci_manifest *m)
{
	const cJSON *list;
	char where[48];

	if (member(x, root, "manifests", &list))
		return -EINVAL;
	if (!cJSON_IsArray(list))
		return fail(x, "no \"manifests\" array");
	if (cJSON_GetArraySize(list) > OCI_MAX_MANIFESTS)
		return fail(x, "more than %d manifests", OCI_MAX_MANIFESTS);
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
			return fail(x, "%s is not an object", where);
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
		return fail(x, "no \"config\"");
	if (parse_descriptor(x, "config", config, &m->config))
		return -EINVAL;
	if (m->config.media_type != OCI_MEDIA_CONFIG &&
	    m->config.media_type != OCI_MEDIA_DOCKER_CONFIG) {
		const cJSON *mt =
			cJSON_GetObjectItemCaseSensitive(config, "mediaType");
		return fail(x, "config is \"%s\", not an image config",
			    shown(mt->valuestring, b));
	}
	if (!cJSON_IsArray(layers))
		return fail(x, "no \"layers\" array");
	if (cJSON_GetArraySize(layers) > OCI_MAX_LAYERS)
		return fail(x, "more than %d layers", OCI_MAX_LAYERS);
	for (const cJSON *e = layers->child; e; e = e->next) {
		struct oci_descriptor *d = &m->layers[m->n_layers];

		snprintf(where, sizeof(where), "layers[%zu]", m->n_layers);
		if (parse_descriptor(x, where, e, d))
			return -EINVAL;
		m->n_layers++;
		if (oci_layer_compression(d->media_type) >= 0)
			continue;
		if (is_nondist_type(d->media_type))
			return fail(x,
				    "%s: non-distributable layer (%s) is "
				    "not supported",
				    where, oci_media_name(d->media_type));
		const cJSON *mt =
			cJSON_GetObjectItemCaseSensitive(e, "mediaType");
		return fail(x, "%s: unsupported media type \"%s\"", where,
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

int oci_manifest_parse(const char *json, size_t len, const char *content_type,
		       struct oci_manifest *m, char *err, size_t errlen)
{
	struct ctx x = { "manifest", err, errlen };
	const cJSON *ver, *mt, *manifests, *config, *layers;
	cJSON *root;
	char b[68];
	int ret = -EINVAL;

	memset(m, 0, sizeof(*m));
	if (parse_root(&x, json, len, &root))
		goto out;
	if (member(&x, root, "schemaVersion", &ver) ||
	    member(&x, root, "mediaType", &mt) ||
	    member(&x, root, "manifests", &manifests) ||
	    member(&x, root, "config", &config) ||
	    member(&x, root, "layers", &layers))
		goto out;
	if (!ver) {
		fail(&x, "no \"schemaVersion\"");
		goto out;
	}
	/* Schema 1 (signed JWS) is deprecated; containerd 2.0 dropped it too */
	if (!cJSON_IsNumber(ver) || ver->valuedouble != 2) {
		fail(&x, "\"schemaVersion\" is not 2");
		goto out;
	}

	if (mt && !cJSON_IsNull(mt)) {
		if (!cJSON_IsString(mt)) {
			fail(&x, "\"mediaType\" is not a string");
			goto out;
		}
		m->media_type = oci_media_lookup(mt->valuestring);
		if (!is_manifest_type(m->media_type) &&
		    !is_index_type(m->media_type)) {
			fail(&x, "unsupported media type \"%s\"",
			     shown(mt->valuestring, b));
			goto out;
		}
	} else {
		m->media_type = content_type_media(content_type);
	}
	if (is_index_type(m->media_type))
		m->kind = OCI_KIND_INDEX;
	else if (is_manifest_type(m->media_type))
		m->kind = OCI_KIND_MANIFEST;
	else if (manifests)
		m->kind = OCI_KIND_INDEX;
	else if (config || layers)
		m->kind = OCI_KIND_MANIFEST;
	if (!m->kind) {
		fail(&x, "neither an image manifest nor an index");
		goto out;
	}

	/* CVE-2021-41190: one document must not read as both */
	if (m->kind == OCI_KIND_INDEX && (config || layers)) {
		fail(&x, "an index with \"config\" or \"layers\" is ambiguous");
		goto out;
	}
	if (m->kind == OCI_KIND_MANIFEST && manifests) {
		fail(&x, "an image manifest with \"manifests\" is ambiguous");
		goto out;
	}
	if (m->kind == OCI_KIND_INDEX)
		ret = parse_index(&x, root, m);
	else
		ret = parse_image_manifest(&x, root, m);
out:
	cJSON_Delete(root);
	if (ret)
		memset(m, 0, sizeof(*m));
	return ret;
}

/*
 * Platform matching, after containerd's platforms package (database.go
 * normalizeArch, compare.go platformVector and Only), which docker and
 * nerdctl share:
 *
 *  - os, architecture and variant compare lowercased, after these
 *    normalisations, applied to the host and to every entry alike:
 *      x86_64, x86-64 -> amd64 (variant v1 -> none)
 *      i386 -> 386 (variant dropped)
 *      aarch64 -> arm64; arm64 variant 8 or v8 -> none, so an entry
 *        without a variant and one with v8 are the same thing
 *      armhf -> arm/v7, armel -> arm/v6; arm without a variant, or
 *        with 7 -> v7; 5, 6, 8 -> v5, v6, v8
 *      macos -> darwin
 *  - os must be equal; os.version and os.features play no part outside
 *    Windows.
 *  - The host accepts, best first: its own arch and variant; then older
 *    variants of its arch (amd64/vN: vN-1 .. v1; arm/vN: vN-1 .. v5;
 *    arm64/v8.N: v8.N-1 .. v8; arm64/v9.N: v9.N-1 .. v9, then
 *    v8.N+5 .. v8, as v9.0 forked from v8.5); last the 32-bit arch the
 *    kernel can run in compat mode (amd64: 386; arm64: arm/v8 .. v5).
 *    That last step needs IA32_EMULATION or COMPAT and, on arm64, a CPU
 *    with AArch32 at EL0; containerd takes it regardless, and so do we,
 *    only when the index has nothing native.
 *  - Entries with os or architecture "unknown" are skipped: buildkit's
 *    attestation manifests look like that. So are entries whose media
 *    type is not a manifest or index.
 *  - An entry without a platform matches anything, after every entry
 *    that matched by platform (containerd sorts them last, then checks
 *    the config).
 *  - Among equally good entries the first in the index wins.
 */
struct plat {
	char os[OCI_PLATFORM_FIELD_MAX];
	char arch[OCI_PLATFORM_FIELD_MAX];
	char variant[OCI_PLATFORM_FIELD_MAX];
};

static int lower_copy(char *out, size_t outlen, const char *s)
{
	size_t i;

	if (!s)
		s = "";
	for (i = 0; s[i]; i++) {
		if (i + 1 >= outlen)
			return -1;
		out[i] = s[i] >= 'A' && s[i] <= 'Z' ? s[i] - 'A' + 'a' : s[i];
	}
	out[i] = '\0';
	return 0;
}

static int normalise(struct plat *p, const char *os, const char *arch,
		     const char *variant)
{
	if (lower_copy(p->os, sizeof(p->os), os) ||
	    lower_copy(p->arch, sizeof(p->arch), arch) ||
	    lower_copy(p->variant, sizeof(p->variant), variant))
		return -1;
	if (!strcmp(p->os, "macos"))
		strcpy(p->os, "darwin");

	char *a = p->arch, *v = p->variant;
	if (!strcmp(a, "i386")) {
		strcpy(a, "386");
		v[0] = '\0';
	} else if (!strcmp(a, "x86_64") || !strcmp(a, "x86-64") ||
		   !strcmp(a, "amd64")) {
		strcpy(a, "amd64");
		if (!strcmp(v, "v1"))
			v[0] = '\0';
	} else if (!strcmp(a, "aarch64") || !strcmp(a, "arm64")) {
		strcpy(a, "arm64");
		if (!strcmp(v, "8") || !strcmp(v, "v8"))
			v[0] = '\0';
	} else if (!strcmp(a, "armhf")) {
		strcpy(a, "arm");
		strcpy(v, "v7");
	} else if (!strcmp(a, "armel")) {
		strcpy(a, "arm");
		strcpy(v, "v6");
	} else if (!strcmp(a, "arm")) {
		if (!v[0] || !strcmp(v, "7"))
			strcpy(v, "v7");
		else if (!strcmp(v, "5") || !strcmp(v, "6") || !strcmp(v, "8"))
			snprintf(v, sizeof(p->variant), "v%c", v[0]);
	}
	return 0;
}

/* "vN" -> N for one digit, or -1: no variant in use has two. */
static int vnum(const char *v)
{
	if (v[0] != 'v' || v[1] < '0' || v[1] > '9' || v[2])
		return -1;
	return v[1] - '0';
}

#define MAX_CANDS 40

struct cands {
	int n;
	struct {
		const char *arch;
		char variant[OCI_PLATFORM_FIELD_MAX];
	} c[MAX_CANDS];
};

static void add(struct cands *cs, const char *arch, const char *variant)
{
	if (cs->n == MAX_CANDS)
		return;
	cs->c[cs->n].arch = arch;
	/* both come from a struct plat, or are short literals */
	strcpy(cs->c[cs->n].variant, variant);
	cs->n++;
}

static void arm_fallbacks(struct cands *cs, int from)
{
	char v[16];

	for (int n = from; n >= 5; n--) {
		snprintf(v, sizeof(v), "v%d", n);
		add(cs, "arm", v);
	}
}

/* arm64 v8.N: v8.N-1 .. v8.1, then v8 (which normalises to none). */
static void arm64_v8_fallbacks(struct cands *cs, int minor)
{
	char v[16];

	for (int n = minor - 1; n >= 1; n--) {
		snprintf(v, sizeof(v), "v8.%d", n);
		add(cs, "arm64", v);
	}
	add(cs, "arm64", "");
}

static void host_cands(struct cands *cs, const struct plat *h)
{
	const char *v = h->variant;
	char buf[16];
	int n;

	cs->n = 0;
	add(cs, h->arch, v);
	if (!strcmp(h->arch, "amd64")) {
		n = vnum(v);
		if (n > 1) {
			for (n--; n >= 2; n--) {
				snprintf(buf, sizeof(buf), "v%d", n);
				add(cs, "amd64", buf);
			}
			add(cs, "amd64", ""); /* v1 */
		}
		add(cs, "386", "");
	} else if (!strcmp(h->arch, "arm")) {
		n = vnum(v);
		if (n > 5)
			arm_fallbacks(cs, n - 1);
	} else if (!strcmp(h->arch, "arm64")) {
		/* "v8.N" / "v9.N" with a single-digit N, as containerd reads */
		if ((!strncmp(v, "v8.", 3) || !strncmp(v, "v9.", 3)) &&
		    v[3] >= '0' && v[3] <= '9' && !v[4]) {
			int minor = v[3] - '0';
			if (v[1] == '9') {
				for (n = minor - 1; n >= 1; n--) {
					snprintf(buf, sizeof(buf), "v9.%d", n);
					add(cs, "arm64", buf);
				}
				if (minor > 0)
					add(cs, "arm64", "v9");
				snprintf(buf, sizeof(buf), "v8.%d", minor + 5);
				add(cs, "arm64", buf);
				minor += 5;
			}
			arm64_v8_fallbacks(cs, minor);
		} else if (!strcmp(v, "v9")) {
			add(cs, "arm64", "v8.5");
			arm64_v8_fallbacks(cs, 5);
		}
		arm_fallbacks(cs, 8);
	}
}

int oci_index_pick(const struct oci_manifest *idx, const char *os,
		   const char *arch, const char *variant)
{
	struct plat host, e;
	struct cands cs;
	int best = -1, best_rank = MAX_CANDS + 1;

	if (idx->kind != OCI_KIND_INDEX || !os || !arch ||
	    normalise(&host, os, arch, variant))
		return -1;
	host_cands(&cs, &host);
	for (size_t i = 0; i < idx->n_manifests && i < OCI_MAX_MANIFESTS; i++) {
		const struct oci_index_entry *ie = &idx->manifests[i];
		const struct oci_platform *p = &ie->platform;
		int rank = -1;

		if (!is_manifest_type(ie->desc.media_type) &&
		    !is_index_type(ie->desc.media_type))
			continue;
		if (!ie->has_platform) {
			rank = MAX_CANDS;
		} else {
			if (normalise(&e, p->os, p->architecture, p->variant) ||
			    !strcmp(e.os, "unknown") ||
			    !strcmp(e.arch, "unknown") || strcmp(e.os, host.os))
				continue;
			for (int c = 0; c < cs.n && rank < 0; c++)
				if (!strcmp(e.arch, cs.c[c].arch) &&
				    !strcmp(e.variant, cs.c[c].variant))
					rank = c;
		}
		if (rank >= 0 && rank < best_rank) {
			best = (int)i;
			best_rank = rank;
		}
	}
	return best;
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
		return fail(x, "%s is not an array", name);
	if (cJSON_GetArraySize(a) > OCI_CONFIG_ARGS_MAX)
		return fail(x, "%s has more than %d entries", name,
			    OCI_CONFIG_ARGS_MAX);
	for (const cJSON *e = a->child; e; e = e->next) {
		if (!cJSON_IsString(e))
			return fail(x, "%s[%zu] is not a string", name, *n);
		const char *s = e->valuestring;
		size_t l = strlen(s) + 1;
		/* config.md: Env entries are VARNAME=VARVALUE */
		if (env && (s[0] == '=' || !strchr(s, '=')))
			return fail(x, "Env[%zu] is not NAME=value", *n);
		if (l > sizeof(c->strings) - c->strings_used)
			return fail(x,
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
		return fail(x, "%s is longer than %zu bytes", name, outlen - 1);
	strcpy(out, s);
	return 0;
}

int oci_config_parse(const char *json, size_t len, struct oci_config *c,
		     char *err, size_t errlen)
{
	struct ctx x = { "config", err, errlen };
	const cJSON *cfg, *rootfs, *type, *ids;
	cJSON *root;
	int ret = -EINVAL;

	memset(c, 0, sizeof(*c));
	if (parse_root(&x, json, len, &root))
		goto out;
	/* config.md: architecture and os are required, variant is not */
	if (platform_field(&x, "", root, "architecture", c->architecture,
			   sizeof(c->architecture), true) ||
	    platform_field(&x, "", root, "os", c->os, sizeof(c->os), true) ||
	    platform_field(&x, "", root, "variant", c->variant,
			   sizeof(c->variant), false))
		goto out;

	if (member(&x, root, "config", &cfg))
		goto out;
	if (cfg && !cJSON_IsNull(cfg)) {
		if (!cJSON_IsObject(cfg)) {
			fail(&x, "\"config\" is not an object");
			goto out;
		}
		if (string_list(&x, c, cfg, "Env", c->env, &c->n_env, true) ||
		    string_list(&x, c, cfg, "Entrypoint", c->entrypoint,
				&c->n_entrypoint, false) ||
		    string_list(&x, c, cfg, "Cmd", c->cmd, &c->n_cmd, false) ||
		    bounded_string(&x, cfg, "WorkingDir", c->working_dir,
				   sizeof(c->working_dir)) ||
		    bounded_string(&x, cfg, "User", c->user, sizeof(c->user)))
			goto out;
	}

	if (member(&x, root, "rootfs", &rootfs))
		goto out;
	if (!cJSON_IsObject(rootfs)) {
		fail(&x, "no \"rootfs\" object");
		goto out;
	}
	if (member(&x, rootfs, "type", &type) ||
	    member(&x, rootfs, "diff_ids", &ids))
		goto out;
	if (!cJSON_IsString(type) || strcmp(type->valuestring, "layers")) {
		fail(&x, "rootfs.type is not \"layers\"");
		goto out;
	}
	if (!cJSON_IsArray(ids)) {
		fail(&x, "no rootfs.diff_ids array");
		goto out;
	}
	if (cJSON_GetArraySize(ids) > OCI_MAX_LAYERS) {
		fail(&x, "more than %d rootfs.diff_ids", OCI_MAX_LAYERS);
		goto out;
	}
	for (const cJSON *e = ids->child; e; e = e->next) {
		if (!cJSON_IsString(e) ||
		    oci_digest_parse(e->valuestring,
				     c->diff_ids[c->n_diff_ids])) {
			fail(&x,
			     "rootfs.diff_ids[%zu] is not sha256:<64 lowercase "
			     "hex>",
			     c->n_diff_ids);
			goto out;
		}
		c->n_diff_ids++;
	}
	ret = 0;
out:
	cJSON_Delete(root);
	if (ret)
		memset(c, 0, sizeof(*c));
	return ret;
}
