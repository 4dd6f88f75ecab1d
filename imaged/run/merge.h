/* SPDX-License-Identifier: MIT */
#ifndef KEEL_MERGE_H
#define KEEL_MERGE_H

#include "oci/oci.h"
#include "oci/pod.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The process a container runs: its image's config merged with the
 * container's spec the way Kubernetes does (concepts/containers,
 * "Define a command and arguments"; the kubelet's env and user rules).
 * Pure, for unit tests.
 */

#define EXEC_ARGS_MAX (2 * OCI_CONFIG_ARGS_MAX)
#define EXEC_ENV_MAX (OCI_CONFIG_ARGS_MAX + POD_ENV_MAX + 1)

struct exec_spec {
	size_t argc, envc;
	const char *argv[EXEC_ARGS_MAX + 1]; /* NULL-terminated */
	const char *env[EXEC_ENV_MAX + 1]; /* "NAME=value", NULL-terminated */
	const char *cwd; /* never NULL */
	/*
	 * The user: numeric when the spec or the image gives numbers;
	 * otherwise user_name (and group_name) for the runtime to look up
	 * in the container's /etc/passwd and /etc/group.
	 */
	bool uid_known, gid_known;
	uint32_t uid, gid;
	const char *user_name, *group_name; /* NULL when numeric or absent */
	/* strings made here: spec env entries, the image's user name */
	size_t strings_used;
	char strings[16384];
};

/*
 * k's process over the image config c. 0, or -EINVAL with err saying why
 * (nothing to run, too many arguments, a bad User in the image).
 */
int exec_merge(const struct pod_container *k, const struct oci_config *c,
	       struct exec_spec *e, char *err, size_t errlen);

#endif
