/* SPDX-License-Identifier: MIT */
#ifndef KEEL_POD_H
#define KEEL_POD_H

#include "oci/ref.h"
#include "oci/yamlwalk.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Kubernetes Pod manifests (core/v1 Pod), the subset keel runs, as YAML
 * or JSON. What a user writes for one keel host runs unchanged on a
 * cluster; what keel cannot honour is an error naming the field, never
 * silently dropped, and what only a cluster means (scheduling, service
 * accounts) is accepted and noted. The subset is in imaged/README.md,
 * "Pod manifests".
 *
 * Pure (text in, struct out) for unit tests and the fuzzer: the input is
 * untrusted. Strings point into the pod's own arena.
 */

#define POD_NAME_MAX 63 /* an RFC 1123 label, as Kubernetes names are */
#define POD_CONTAINERS_MAX 16 /* init and regular, each */
#define POD_ARGS_MAX 64 /* command, args */
#define POD_HANDLER_ARGS_MAX 16 /* a probe's or hook's command */
#define POD_ENV_MAX 128
#define POD_ENV_FROM_MAX 16
#define POD_PORTS_MAX 16
#define POD_MOUNTS_MAX 32
#define POD_VOLUMES_MAX 32
#define POD_SOURCES_MAX 64 /* configMap, secret, downwardAPI: in all */
#define POD_ITEMS_MAX 256 /* their items, in all */
#define POD_IMAGE_VOLUMES_MAX 4
#define POD_CAPS_MAX 64
#define POD_LABELS_MAX 64 /* labels, annotations: each */
#define POD_HEADERS_MAX 8
#define POD_GROUPS_MAX 16 /* supplementalGroups */
#define POD_SYSCTLS_MAX 16
#define POD_DNS_MAX 8 /* nameservers, searches, options: each */
#define POD_ALIASES_MAX 16 /* hostAliases, and names of each */
#define POD_TEXT_MAX (1 << 20) /* a manifest, in bytes */
#define POD_ARENA 65536 /* all its strings together */
#define POD_NOTES_MAX 512 /* the cluster-only fields ignored, listed */

enum pod_restart {
	POD_RESTART_ALWAYS,
	POD_RESTART_ON_FAILURE,
	POD_RESTART_NEVER,
};

struct pod_kv {
	const char *key, *value;
};

/* metadata: what every kind has */
struct pod_meta {
	const char *name, *ns; /* ns "default" when not given */
	size_t n_labels, n_annotations;
	struct pod_kv labels[POD_LABELS_MAX];
	struct pod_kv annotations[POD_LABELS_MAX];
};

enum pod_env_from {
	POD_ENV_VALUE, /* value, or "" */
	POD_ENV_CONFIG_MAP, /* valueFrom.configMapKeyRef: obj, key */
	POD_ENV_SECRET, /* valueFrom.secretKeyRef: obj, key */
	POD_ENV_FIELD, /* valueFrom.fieldRef: key is the fieldPath */
	POD_ENV_RESOURCE, /* resourceFieldRef: key, value the divisor */
};

struct pod_env {
	const char *name, *value;
	const char *obj, *key;
	unsigned char from; /* enum pod_env_from */
	bool optional;
};

/* envFrom: every key of a ConfigMap or Secret, with a prefix */
struct pod_env_source {
	bool secret;
	const char *name, *prefix;
	bool optional;
};

struct pod_port {
	int container_port; /* 1-65535 */
	int host_port; /* 0: none */
	bool udp;
	const char *name; /* or NULL */
};

struct pod_mount {
	const char *name; /* a volume of the pod */
	const char *path; /* absolute, in the container */
	const char *sub_path; /* or NULL: relative, no '..' */
	bool read_only;
};

/* A probe's or a lifecycle hook's action */
enum pod_handler_kind {
	POD_HANDLER_NONE,
	POD_HANDLER_EXEC,
	POD_HANDLER_HTTP,
	POD_HANDLER_TCP,
	POD_HANDLER_SLEEP,
};

struct pod_handler {
	enum pod_handler_kind kind;
	size_t n_command;
	const char *command[POD_HANDLER_ARGS_MAX + 1]; /* exec */
	const char *path; /* httpGet; "/" when not given */
	const char *host; /* an address, or NULL: the pod's */
	const char *port_name; /* the port as written by name, or NULL */
	int port; /* httpGet, tcpSocket: resolved from port_name */
	size_t n_headers;
	struct pod_kv headers[POD_HEADERS_MAX];
	long sleep_s; /* sleep.seconds */
};

/* The kubelet's defaults, filled in by the parser */
struct pod_probe {
	struct pod_handler h; /* kind NONE: no probe */
	int initial_delay_s, period_s, timeout_s;
	int success_threshold, failure_threshold;
	long grace_s; /* terminationGracePeriodSeconds; -1: the pod's */
};

enum pod_seccomp {
	POD_SECCOMP_UNSET, /* the pod's, or RuntimeDefault */
	POD_SECCOMP_RUNTIME_DEFAULT,
	POD_SECCOMP_UNCONFINED,
	POD_SECCOMP_LOCALHOST, /* seccomp_profile in /etc/keel/seccomp/ */
};

/* runAsUser, runAsGroup, runAsNonRoot, seccompProfile: as written */
struct pod_sec {
	bool has_user, has_group, has_non_root;
	uint32_t run_as_user, run_as_group;
	bool run_as_non_root;
	enum pod_seccomp seccomp;
	const char *seccomp_profile; /* Localhost: a file's name */
};

struct pod_container {
	const char *name;
	const char *image; /* as written; parsed below */
	struct image_ref ref;
	size_t n_command, n_args, n_env, n_env_from, n_ports, n_mounts;
	const char *command[POD_ARGS_MAX + 1]; /* NULL-terminated */
	const char *args[POD_ARGS_MAX + 1];
	struct pod_env env[POD_ENV_MAX];
	struct pod_env_source env_from[POD_ENV_FROM_MAX];
	const char *working_dir; /* NULL: the image's */
	struct pod_port ports[POD_PORTS_MAX];
	uint64_t cpu_millis; /* limits.cpu; 0: none */
	uint64_t memory_bytes; /* limits.memory; 0: none */
	uint64_t cpu_request, memory_request; /* for resourceFieldRef */
	uint64_t ephemeral_bytes; /* limits.ephemeral-storage; 0: none */
	/* securityContext: as written, then in effect (the pod's merged) */
	struct pod_sec sec;
	bool has_user, has_group;
	uint32_t run_as_user, run_as_group;
	bool run_as_non_root;
	bool privileged, read_only_root;
	uint64_t caps_add, caps_drop; /* bit n: capability n */
	bool drop_all; /* drop: [ALL] */
	enum pod_seccomp seccomp; /* never UNSET once parsed */
	const char *seccomp_profile;
	struct pod_mount mounts[POD_MOUNTS_MAX];
	struct pod_probe liveness, readiness, startup;
	struct pod_handler post_start, pre_stop;
	bool open_stdin, stdin_once_, tty; /* stdin, stdinOnce, tty */
	bool sidecar; /* an init container with restartPolicy: Always */
};

enum pod_volume_kind {
	POD_VOL_HOST_PATH = 1,
	POD_VOL_EMPTY_DIR,
	POD_VOL_CONFIG_MAP,
	POD_VOL_SECRET,
	POD_VOL_DOWNWARD_API,
	POD_VOL_PROJECTED,
	POD_VOL_PVC,
	POD_VOL_IMAGE,
};

/* A file of a configMap, secret or downwardAPI volume */
struct pod_item {
	const char *key; /* the object's key, or downwardAPI's fieldPath */
	const char *path; /* relative, no '..' */
	int mode; /* -1: the volume's defaultMode */
};

/* A configMap, secret or downwardAPI: a volume's, or projected's one */
struct pod_source {
	enum pod_volume_kind kind; /* CONFIG_MAP, SECRET, DOWNWARD_API */
	const char *obj; /* the object's name */
	bool optional;
	size_t item0, n_items; /* in pod->items; none: every key */
};

struct pod_volume {
	const char *name;
	enum pod_volume_kind kind;
	const char *host_path; /* POD_VOL_HOST_PATH */
	const char
		*host_path_type; /* "", "Directory", "DirectoryOrCreate", ... */
	bool memory; /* emptyDir medium: Memory */
	uint64_t size_limit; /* emptyDir sizeLimit in bytes; 0: none */
	size_t src0, n_srcs; /* in pod->sources: configMap ... projected */
	int default_mode; /* of their files: 0644, or as given */
	const char *claim; /* persistentVolumeClaim.claimName */
	bool read_only; /* persistentVolumeClaim.readOnly */
	int image; /* POD_VOL_IMAGE: its index in pod->image_refs */
};

struct pod_host_alias {
	const char *ip;
	size_t n_names;
	const char *names[POD_ALIASES_MAX];
};

enum pod_dns_policy {
	POD_DNS_DEFAULT, /* the host's resolv.conf (ClusterFirst too) */
	POD_DNS_NONE, /* dnsConfig alone */
};

struct pod {
	const char *name;
	const char *ns; /* "default" when not given */
	/* name, or <ns>_<name>: its folders, cgroup, netd's name */
	char key[POD_NAME_MAX + 1];
	char instance[POD_NAME_MAX + 1]; /* a template's pod: its name */
	struct pod_meta meta;
	enum pod_restart restart;
	bool host_network, host_pid, host_ipc, share_pid;
	bool has_host_users, host_users; /* spec.hostUsers, when given */
	long grace_s; /* terminationGracePeriodSeconds; -1: keel's 10 */
	/*
	 * The pod's securityContext: runAsUser, runAsGroup, runAsNonRoot and
	 * seccompProfile are merged into each container that does not say
	 * (in pod_parse); the rest belongs to the pod alone.
	 */
	struct pod_sec sec;
	bool has_fs_group, fs_group_on_mismatch;
	uint32_t fs_group;
	size_t n_groups, n_sysctls;
	uint32_t groups[POD_GROUPS_MAX]; /* supplementalGroups */
	struct pod_kv sysctls[POD_SYSCTLS_MAX];
	/* dnsPolicy, dnsConfig, hostAliases, hostname, subdomain */
	enum pod_dns_policy dns;
	size_t n_nameservers, n_searches, n_dns_options, n_aliases;
	const char *nameservers[POD_DNS_MAX], *searches[POD_DNS_MAX];
	struct pod_kv dns_options[POD_DNS_MAX];
	struct pod_host_alias aliases[POD_ALIASES_MAX];
	const char *hostname, *subdomain;
	size_t n_init, n_containers, n_volumes, n_sources, n_items;
	size_t n_image_refs;
	struct pod_container init[POD_CONTAINERS_MAX];
	struct pod_container containers[POD_CONTAINERS_MAX];
	struct pod_volume volumes[POD_VOLUMES_MAX];
	struct pod_source sources[POD_SOURCES_MAX];
	struct pod_item items[POD_ITEMS_MAX];
	struct image_ref image_refs[POD_IMAGE_VOLUMES_MAX];
	/* the cluster-only fields it had, ignored: "spec.nodeSelector, ..." */
	char notes[POD_NOTES_MAX];
	size_t arena_used;
	char arena[POD_ARENA];
};

/*
 * The manifest in text[0..len) (from file, named in errors) into *p: one
 * Pod document. 0, or -EINVAL with err as "file:line: field: reason",
 * e.g. "web.yaml:12: spec.containers[0].resources.limits.gpu: not
 * supported by keel". (manifest.h reads files of several documents and
 * kinds, into pods it callocs: pages a pod does not use stay untouched.)
 */
int pod_parse(const char *text, size_t len, const char *file, struct pod *p,
	      char *err, size_t errlen);

/* For the kinds with a pod template (workload.c): the walk's parts. */
int pod_walk(struct walk *w, yaml_node_t *root, struct pod *p);
int pod_walk_spec(struct walk *w, yaml_node_t *v, struct pod *p);
/* After the walk: name, namespace, key, securityContext merged, checks */
int pod_finish(struct walk *w, yaml_node_t *root, struct pod *p);
/* libyaml's own complaint, "file:line: problem context": -EINVAL */
int pod_not_yaml(const yaml_parser_t *parser, const char *file, int line0,
		 char *err, size_t errlen);

/* A hostPath volume; a privileged container (init ones too). */
bool pod_has_host_path(const struct pod *p);
bool pod_is_privileged(const struct pod *p);

/*
 * Whether the pod's containers run in a user namespace of their own:
 * hostUsers: false says so; without hostUsers, default_host_users
 * (imaged.conf) false says so for every pod that needs no host ids (not
 * privileged, no hostNetwork, no hostPID, no hostPath).
 */
bool pod_user_namespace(const struct pod *p, bool default_host_users);

/* The volume of that name, or NULL. */
const struct pod_volume *pod_volume(const struct pod *p, const char *name);

/*
 * key = name in the default namespace, <ns>_<name> in another; -EINVAL
 * when that is longer than POD_NAME_MAX ('_' is in no name: unique).
 */
int pod_key(const char *ns, const char *name, char *key, size_t len);

#endif
