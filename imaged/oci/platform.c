// SPDX-License-Identifier: MIT
#include "oci/platform.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int oci_platform_parse(const char *s, struct oci_platform *p)
{
	memset(p, 0, sizeof(*p));
	/* the widths are OCI_PLATFORM_FIELD_MAX - 1 */
	if (sscanf(s, "%31[^/]/%31[^/]/%31s", p->os, p->architecture,
		   p->variant) < 2)
		return -EINVAL;
	return 0;
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
			return -ENAMETOOLONG;
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
		return -ENAMETOOLONG;
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

		if (!oci_is_manifest(ie->desc.media_type) &&
		    !oci_is_index(ie->desc.media_type))
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
