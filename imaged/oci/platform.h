/* SPDX-License-Identifier: MIT */
#ifndef KEEL_PLATFORM_H
#define KEEL_PLATFORM_H

#include "oci/oci.h"

/*
 * Platforms: "os/arch[/variant]" as users and indexes name them, and
 * which entry of an index a host pulls. Pure, like oci.h.
 */

/*
 * "os/arch[/variant]" (each part under OCI_PLATFORM_FIELD_MAX bytes) into
 * p's os, architecture and variant ("" when not given). 0, or -EINVAL
 * when there are not at least two parts.
 */
int oci_platform_parse(const char *s, struct oci_platform *p);

/*
 * The entry of index idx to pull on a host of os/arch/variant (variant
 * NULL or "" for the default), or -1 if there is none. See platform.c
 * for the rules; they are containerd's platforms.Only. An entry without
 * a platform is the last resort: the caller must check the config it
 * leads to. A picked entry may itself be an index.
 */
int oci_index_pick(const struct oci_manifest *idx, const char *os,
		   const char *arch, const char *variant);

#endif
