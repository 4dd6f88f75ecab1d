/* SPDX-License-Identifier: MIT */
#ifndef KEEL_POD_H
#define KEEL_POD_H

#include "oci/ref.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Kubernetes Pod manifests (core/v1 Pod), the subset keel runs, as YAML
 * or JSON. What a user writes for one keel host runs unchanged on a
 * cluster; what keel cannot honour is an error naming the field, never
 * silently dropped. The subset is in imaged/README.md, "Pod manifests".
 *
 * Pure (text in, struct out) for unit tests and the fuzzer: the input is
 * untrusted. Strings point into the pod's own arena.
 */

#define POD_NAME_MAX 63 /* an RFC 1123 label, as Kubernetes names are */
#define POD_CONTAINERS_MAX 16 /* init and regular, each */
#define POD_ARGS_MAX 64 /* command, args */
#define POD_ENV_MAX 128
#define POD_PORTS_MAX 16
#define POD_MOUNTS_MAX 32
#define POD_VOLUMES_MAX 32
#define POD_CAPS_MAX 64
#define POD_TEXT_MAX (1 << 20) /* a manifest, in bytes */
#define POD_ARENA 65536 /* all its strings together */

enum pod_restart {
	POD_RESTART_ALWAYS,
	POD_RESTART_ON_FAILURE,
	POD_RESTART_NEVER,
};

struct pod_env {
	const char *name, *value;
};

struct pod_port {
	int container_port; /* 1-65535 */
	int host_port; /* 0: none */
	bool udp;
};

struct pod_mount {
	const char *name; /* a volume of the pod */
	const char *path; /* absolute, in the container */
	bool read_only;
};

struct pod_container {
	const char *name;
	const char *image; /* as written; parsed below */
	struct image_ref ref;
	size_t n_command, n_args, n_env, n_ports, n_mounts;
	const char *command[POD_ARGS_MAX + 1]; /* NULL-terminated */
	const char *args[POD_ARGS_MAX + 1];
	struct pod_env env[POD_ENV_MAX];
	const char *working_dir; /* NULL: the image's */
	struct pod_port ports[POD_PORTS_MAX];
	uint64_t cpu_millis; /* limits.cpu; 0: none */
	uint64_t memory_bytes; /* limits.memory; 0: none */
	/* securityContext */
	bool has_user, has_group;
	uint32_t run_as_user, run_as_group;
	bool privileged, read_only_root;
	uint64_t caps_add, caps_drop; /* bit n: capability n */
	bool drop_all; /* drop: [ALL] */
	struct pod_mount mounts[POD_MOUNTS_MAX];
};

enum pod_volume_kind {
	POD_VOL_HOST_PATH = 1,
	POD_VOL_EMPTY_DIR,
};

struct pod_volume {
	const char *name;
	enum pod_volume_kind kind;
	const char *host_path; /* POD_VOL_HOST_PATH */
	const char
		*host_path_type; /* "", "Directory", "DirectoryOrCreate", ... */
	bool memory; /* emptyDir medium: Memory */
	uint64_t size_limit; /* emptyDir sizeLimit in bytes; 0: none */
};

struct pod {
	const char *name;
	enum pod_restart restart;
	bool host_network;
	bool has_host_users, host_users; /* spec.hostUsers, when given */
	size_t n_init, n_containers, n_volumes;
	struct pod_container init[POD_CONTAINERS_MAX];
	struct pod_container containers[POD_CONTAINERS_MAX];
	struct pod_volume volumes[POD_VOLUMES_MAX];
	size_t arena_used;
	char arena[POD_ARENA];
};

/*
 * The manifest in text[0..len) (from file, named in errors) into *p: 0,
 * or -EINVAL with err as "file:line: field: reason", e.g.
 * "web.yaml:12: spec.containers[0].resources.limits.gpu: not supported".
 */
int pod_parse(const char *text, size_t len, const char *file, struct pod *p,
	      char *err, size_t errlen);

/* A hostPath volume; a privileged container (init ones too). */
bool pod_has_host_path(const struct pod *p);
bool pod_is_privileged(const struct pod *p);

/*
 * Whether the pod's containers run in a user namespace of their own:
 * hostUsers: false says so; without hostUsers, default_host_users
 * (imaged.conf) false says so for every pod that needs no host ids (not
 * privileged, no hostNetwork, no hostPath).
 */
bool pod_user_namespace(const struct pod *p, bool default_host_users);

#endif
