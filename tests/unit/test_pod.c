// SPDX-License-Identifier: MIT
#include "oci/pod.h"
#include "oci/quantity.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct pod *p;
static char err[512];

static int parse(const char *text)
{
	err[0] = 0;
	return pod_parse(text, strlen(text), "web.yaml", p, err, sizeof(err));
}

static const char full[] =
	"apiVersion: v1\n"
	"kind: Pod\n"
	"metadata:\n"
	"  name: web\n"
	"spec:\n"
	"  restartPolicy: OnFailure\n"
	"  hostNetwork: false\n"
	"  initContainers:\n"
	"  - name: setup\n"
	"    image: busybox:1.36\n"
	"    command: [sh, -c, 'echo hi > /data/index.html']\n"
	"    volumeMounts:\n"
	"    - {name: data, mountPath: /data}\n"
	"  containers:\n"
	"  - name: httpd\n"
	"    image: ghcr.io/org/httpd@sha256:"
	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"
	"    imagePullPolicy: IfNotPresent\n"
	"    command: [\"httpd\"]\n"
	"    args: [\"-f\", \"-p\", \"8080\"]\n"
	"    workingDir: /srv\n"
	"    env:\n"
	"    - name: GREETING\n"
	"      value: \"hello: world\"\n"
	"    - name: EMPTY\n"
	"      value: \"\"\n"
	"    ports:\n"
	"    - containerPort: 8080\n"
	"      hostPort: 80\n"
	"      protocol: TCP\n"
	"      name: http\n"
	"    - containerPort: 53\n"
	"      protocol: UDP\n"
	"    resources:\n"
	"      requests: {cpu: 100m, memory: 64Mi}\n"
	"      limits:\n"
	"        cpu: 500m\n"
	"        memory: 128Mi\n"
	"    securityContext:\n"
	"      runAsUser: 1000\n"
	"      runAsGroup: 1000\n"
	"      readOnlyRootFilesystem: true\n"
	"      allowPrivilegeEscalation: false\n"
	"      capabilities:\n"
	"        drop: [ALL]\n"
	"        add: [NET_BIND_SERVICE, CAP_CHOWN]\n"
	"    volumeMounts:\n"
	"    - name: data\n"
	"      mountPath: /srv/www\n"
	"      readOnly: true\n"
	"    - name: scratch\n"
	"      mountPath: /tmp\n"
	"  volumes:\n"
	"  - name: data\n"
	"    hostPath:\n"
	"      path: /var/lib/web\n"
	"      type: DirectoryOrCreate\n"
	"  - name: scratch\n"
	"    emptyDir:\n"
	"      medium: Memory\n"
	"      sizeLimit: 1Gi\n";

static void test_full(void **state)
{
	(void)state;
	if (parse(full))
		fail_msg("%s", err);
	assert_string_equal(p->name, "web");
	assert_int_equal(p->restart, POD_RESTART_ON_FAILURE);
	assert_false(p->host_network);
	assert_int_equal(p->n_init, 1);
	assert_string_equal(p->init[0].command[2],
			    "echo hi > /data/index.html");
	assert_null(p->init[0].command[3]);
	assert_string_equal(p->init[0].ref.domain, "docker.io");
	assert_string_equal(p->init[0].ref.path, "library/busybox");
	assert_int_equal(p->n_containers, 1);
	struct pod_container *k = &p->containers[0];
	assert_string_equal(k->name, "httpd");
	assert_string_equal(k->ref.domain, "ghcr.io");
	assert_true(k->ref.digest[0]);
	assert_int_equal(k->n_command, 1);
	assert_int_equal(k->n_args, 3);
	assert_string_equal(k->args[2], "8080");
	assert_string_equal(k->working_dir, "/srv");
	assert_int_equal(k->n_env, 2);
	assert_string_equal(k->env[0].value, "hello: world");
	assert_string_equal(k->env[1].value, "");
	assert_int_equal(k->n_ports, 2);
	assert_int_equal(k->ports[0].container_port, 8080);
	assert_int_equal(k->ports[0].host_port, 80);
	assert_false(k->ports[0].udp);
	assert_true(k->ports[1].udp);
	assert_int_equal(k->cpu_millis, 500);
	assert_int_equal(k->memory_bytes, 128 << 20);
	assert_true(k->has_user && k->has_group);
	assert_int_equal(k->run_as_user, 1000);
	assert_true(k->read_only_root);
	assert_false(k->privileged);
	assert_true(k->drop_all);
	assert_int_equal(k->caps_add, (1ULL << 10) | 1ULL);
	assert_int_equal(k->n_mounts, 2);
	assert_true(k->mounts[0].read_only);
	assert_int_equal(p->n_volumes, 2);
	assert_int_equal(p->volumes[0].kind, POD_VOL_HOST_PATH);
	assert_string_equal(p->volumes[0].host_path, "/var/lib/web");
	assert_string_equal(p->volumes[0].host_path_type, "DirectoryOrCreate");
	assert_int_equal(p->volumes[1].kind, POD_VOL_EMPTY_DIR);
	assert_true(p->volumes[1].memory);
	assert_int_equal(p->volumes[1].size_limit, 1ULL << 30);
}

/* kubectl's JSON form of the same is a YAML flow document */
static void test_json_and_defaults(void **state)
{
	(void)state;
	if (parse("{\"apiVersion\": \"v1\", \"kind\": \"Pod\",\n"
		  " \"metadata\": {\"name\": \"one\"},\n"
		  " \"spec\": {\"hostNetwork\": true, \"containers\": [\n"
		  "   {\"name\": \"c\", \"image\": \"nginx\"}]}}\n"))
		fail_msg("%s", err);
	assert_string_equal(p->name, "one");
	assert_true(p->host_network);
	assert_int_equal(p->restart, POD_RESTART_ALWAYS);
	assert_string_equal(p->containers[0].ref.path, "library/nginx");
	assert_string_equal(p->containers[0].ref.tag, "latest");
	assert_null(p->containers[0].working_dir);
	assert_int_equal(p->containers[0].memory_bytes, 0);
}

#define HEAD "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n"
#define C0 "  containers:\n  - name: c\n    image: nginx\n"

static void test_errors(void **state)
{
	static const struct {
		const char *text, *why;
	} cases[] = {
		{ HEAD C0 "    resources:\n      limits:\n        gpu: 1\n",
		  "web.yaml:11: spec.containers[0].resources.limits.gpu: not "
		  "supported by keel" },
		{ HEAD C0 "  ephemeralContainers: []\n",
		  "web.yaml:9: spec.ephemeralContainers: not supported" },
		{ HEAD C0 "    command: [sleep, 10]\n",
		  "spec.containers[0].command[1]: expected a string, got 10 "
		  "(quote it)" },
		{ HEAD C0 "    env:\n    - name: A\n      valueFrom: {}\n",
		  "spec.containers[0].env[0].valueFrom: configMapKeyRef, "
		  "secretKeyRef, fieldRef or resourceFieldRef is needed" },
		{ HEAD C0 "    env:\n    - name: A\n      valueFrom:\n"
			  "        fieldRef: {fieldPath: metadata.uid}\n",
		  "'metadata.uid' is not a field keel gives" },
		{ "apiVersion: v1\nkind: Pod\nmetadata:\n  generateName: "
		  "web-\n",
		  "web.yaml:4: metadata.generateName: not supported by keel" },
		{ "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  "
		  "labels: {app: 1}\n",
		  "metadata.labels.app: expected a string, got 1 (quote it)" },
		{ "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  "
		  "labels: {'a b': x}\n",
		  "metadata.labels.a b: not a label name" },
		{ HEAD C0 "    livenessProbe:\n      httpGet: {port: http}\n",
		  "spec.containers[0].livenessProbe: the container has no port "
		  "named 'http'" },
		{ HEAD C0 "    livenessProbe:\n      tcpSocket: {port: 80}\n"
			  "      successThreshold: 2\n",
		  "livenessProbe.successThreshold: must be 1" },
		{ HEAD C0 "    readinessProbe:\n      grpc: {port: 80}\n",
		  "readinessProbe.grpc: not supported by keel" },
		{ HEAD C0 "    readinessProbe: {periodSeconds: 2}\n",
		  "readinessProbe: exec, httpGet or tcpSocket is needed" },
		{ HEAD C0 "    securityContext:\n      seccompProfile: {type: "
			  "Localhost, localhostProfile: /etc/passwd}\n",
		  "web.yaml:10: spec.containers[0].securityContext."
		  "seccompProfile.localhostProfile: a file's name in "
		  "/etc/keel/seccomp/ (relative, no '..' component)" },
		{ HEAD C0 "  securityContext:\n    seccompProfile: {type: "
			  "Localhost, localhostProfile: a/../../x.json}\n",
		  "web.yaml:10: spec.securityContext.seccompProfile."
		  "localhostProfile: a file's name in /etc/keel/seccomp/" },
		{ HEAD C0 "  securityContext:\n    seccompProfile: {type: "
			  "Localhost, localhostProfile: ''}\n",
		  "web.yaml:10: spec.securityContext.seccompProfile."
		  "localhostProfile: a file's name" },
		{ HEAD C0 "  securityContext:\n    seccompProfile: {type: "
			  "Localhost, localhostProfile: dir/}\n",
		  "localhostProfile: a file's name" },
		{ HEAD C0 "  securityContext:\n    seccompProfile: {type: "
			  "Localhost}\n",
		  "spec.securityContext.seccompProfile: localhostProfile goes "
		  "with type Localhost, and only with it" },
		{ HEAD C0 "  securityContext:\n    seccompProfile: {type: "
			  "RuntimeDefault, localhostProfile: x.json}\n",
		  "localhostProfile goes with type Localhost" },
		{ HEAD C0 "    securityContext:\n      seLinuxOptions: {}\n",
		  "seLinuxOptions: not supported by keel (it has no SELinux" },
		{ HEAD C0 "  securityContext:\n    sysctls:\n    - {name: "
			  "kernel.panic, value: \"1\"}\n",
		  "'kernel.panic' is not one of the safe" },
		{ HEAD C0 "  hostNetwork: true\n  securityContext:\n    "
			  "sysctls:\n    - {name: net.ipv4.tcp_syncookies, "
			  "value: \"1\"}\n",
		  "would be the host's" },
		{ HEAD C0 "  hostPID: true\n  shareProcessNamespace: true\n",
		  "shareProcessNamespace cannot go with hostPID" },
		{ HEAD C0 "    restartPolicy: Always\n",
		  "spec.containers[0].restartPolicy: only an init container" },
		{ HEAD C0 "  volumes:\n  - name: v\n    secret: {name: x}\n",
		  "spec.volumes[0].secret.name: not supported" },
		{ HEAD C0 "  volumes:\n  - name: v\n    projected:\n      "
			  "sources:\n      - serviceAccountToken: {path: t}\n",
		  "serviceAccountToken: not supported by keel" },
		{ HEAD C0 "    ports:\n    - containerPort: \"80\"\n",
		  "spec.containers[0].ports[0].containerPort: expected a whole "
		  "number" },
		{ HEAD C0 "    ports:\n    - containerPort: 70000\n",
		  "from 1 to 65535" },
		{ HEAD C0 "  restartPolicy: Sometimes\n",
		  "spec.restartPolicy: Always, OnFailure or Never" },
		{ HEAD C0 "  hostNetwork: yes\n",
		  "spec.hostNetwork: expected true or false" },
		{ HEAD C0 "    resources: {limits: {memory: 12 parsecs}}\n",
		  "is not a memory quantity" },
		{ HEAD C0 "    resources: {limits: {cpu: -1}}\n",
		  "is not a CPU quantity" },
		{ HEAD C0 "    volumeMounts:\n    - {name: x, mountPath: /x}\n",
		  "spec.containers[0].volumeMounts[0]: no volume 'x'" },
		{ HEAD C0 "    volumeMounts:\n    - {name: x, mountPath: "
			  "/a/../b}\n",
		  "is not an absolute path without '..'" },
		{ HEAD C0 "  - name: c\n    image: busybox\n",
		  "spec.containers[1]: the name 'c' is taken" },
		{ HEAD C0 "    securityContext: {allowPrivilegeEscalation: "
			  "true}\n",
		  "keel always sets no_new_privs" },
		{ HEAD C0 "    securityContext:\n      capabilities: {add: "
			  "[FLY]}\n",
		  "'FLY' is not a capability" },
		{ HEAD C0 "    image: busybox\n", "'image' given twice" },
		{ HEAD "  containers: []\n",
		  "spec.containers is missing or empty" },
		{ "apiVersion: v1\nkind: Pod\nspec:\n" C0,
		  "metadata.name is missing" },
		{ "apiVersion: apps/v1\nkind: Deployment\n",
		  "web.yaml:1: apiVersion: 'apps/v1': keel runs v1 Pods only" },
		{ "apiVersion: v1\nkind: Pod\nmetadata:\n  name: Web_1\n",
		  "metadata.name: 'Web_1' is not a name" },
		{ HEAD "  containers:\n  - name: c\n    image: \"BAD REF\"\n",
		  "spec.containers[0].image: image reference" },
		{ HEAD C0 "---\n" HEAD C0, "more than one document" },
		{ HEAD C0 "  volumes:\n  - name: v\n",
		  "hostPath or emptyDir is "
		  "needed" },
		{ HEAD C0
		  "  volumes:\n  - name: v\n    hostPath: {path: rel}\n",
		  "spec.volumes[0].hostPath.path: not an absolute path" },
		{ HEAD C0 "  volumes:\n  - name: v\n    emptyDir: {}\n    "
			  "hostPath: {path: /x}\n",
		  "a volume has one source" },
		{ HEAD C0 "    ports:\n    - {containerPort: 1, hostPort: 8}\n"
			  "  - name: d\n    image: nginx\n    ports:\n    - "
			  "{containerPort: 2, hostPort: 8}\n",
		  "hostPort 8 is taken" },
		{ HEAD C0 "  hostUsers: false\n  hostPID: true\n",
		  "spec.hostUsers: false cannot go with hostPID" },
		{ HEAD C0 "  hostUsers: false\n  hostNetwork: true\n",
		  "spec.hostUsers: false cannot go with hostNetwork" },
		{ HEAD C0 "  hostUsers: false\n  volumes:\n  - name: v\n    "
			  "hostPath: {path: /x}\n",
		  "cannot go with a hostPath volume" },
		{ HEAD C0 "    securityContext: {privileged: true}\n"
			  "  hostUsers: false\n",
		  "cannot go with a privileged container" },
		{ HEAD C0 "  hostUsers: nope\n",
		  "spec.hostUsers: expected true or false" },
		{ "key: [unclosed\n", "web.yaml:2: " },
		{ "- a\n- b\n", "expected a mapping" },
		{ "", "web.yaml: empty" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r = parse(cases[i].text);
		if (r != -EINVAL || !strstr(err, cases[i].why))
			fail_msg("case %zu: %d '%s' lacks '%s'", i, r, err,
				 cases[i].why);
	}
}

/* What only a cluster means is accepted, and noted once */
static void test_cluster_only(void **state)
{
	(void)state;
	if (parse(HEAD C0 "  nodeSelector: {disk: ssd}\n"
			  "  tolerations: [{key: a, operator: Exists}]\n"
			  "  serviceAccountName: web\n"
			  "  imagePullSecrets: [{name: regcred}]\n"
			  "  dnsPolicy: ClusterFirst\n"))
		fail_msg("%s", err);
	assert_string_equal(p->notes,
			    "spec.nodeSelector, spec.tolerations, "
			    "spec.serviceAccountName, spec.imagePullSecrets, "
			    "spec.dnsPolicy");
	/* what kubectl get -o yaml gives back is taken as it is */
	if (parse("apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n"
		  "  namespace: shop\n  uid: 1d2c\n  resourceVersion: \"7\"\n"
		  "  creationTimestamp: \"2024-01-01T00:00:00Z\"\n"
		  "  generation: 2\n  managedFields: [{manager: kubectl}]\n"
		  "  labels:\n    app.kubernetes.io/name: web\n    tier: \"\"\n"
		  "  annotations: {note: \"any text: at all\"}\n"
		  "spec:\n" C0
		  "    terminationMessagePath: /dev/termination-log\n"
		  "    terminationMessagePolicy: File\n"
		  "  terminationGracePeriodSeconds: 30\n"
		  "status: {phase: Running, podIP: 10.1.2.3}\n"))
		fail_msg("%s", err);
	assert_string_equal(p->ns, "shop");
	assert_string_equal(p->key, "shop_web");
	assert_int_equal(p->meta.n_labels, 2);
	assert_string_equal(p->meta.labels[0].key, "app.kubernetes.io/name");
	assert_string_equal(p->meta.annotations[0].value, "any text: at all");
	assert_int_equal(p->grace_s, 30);
	assert_string_equal(p->notes, "");
	/* the default namespace keeps the name alone */
	if (parse(HEAD C0))
		fail_msg("%s", err);
	assert_string_equal(p->ns, "default");
	assert_string_equal(p->key, "web");
}

/* Probes, hooks and securityContext: the kubelet's defaults, merged */
static void test_probes_and_security(void **state)
{
	(void)state;
	if (parse(HEAD
		  "  securityContext:\n    runAsUser: 1000\n"
		  "    runAsNonRoot: true\n    fsGroup: 2000\n"
		  "    supplementalGroups: [3000]\n"
		  "    seccompProfile: {type: RuntimeDefault}\n"
		  "  containers:\n  - name: c\n    image: nginx\n"
		  "    ports: [{containerPort: 8080, name: http}]\n"
		  "    securityContext:\n      runAsUser: 1001\n"
		  "      seccompProfile: {type: Unconfined}\n"
		  "    livenessProbe:\n      httpGet:\n        path: /healthz\n"
		  "        port: http\n        httpHeaders:\n"
		  "        - {name: X-Probe, value: yes-please}\n"
		  "      periodSeconds: 2\n"
		  "    readinessProbe:\n      exec: {command: [cat, /ready]}\n"
		  "    startupProbe:\n      tcpSocket: {port: 8080}\n"
		  "      failureThreshold: 30\n"
		  "    lifecycle:\n      preStop: {sleep: {seconds: 5}}\n"
		  "      postStart: {exec: {command: [touch, /started]}}\n"))
		fail_msg("%s", err);
	struct pod_container *k = &p->containers[0];
	assert_int_equal(k->liveness.h.kind, POD_HANDLER_HTTP);
	assert_int_equal(k->liveness.h.port, 8080);
	assert_string_equal(k->liveness.h.path, "/healthz");
	assert_string_equal(k->liveness.h.headers[0].value, "yes-please");
	assert_int_equal(k->liveness.period_s, 2);
	assert_int_equal(k->liveness.timeout_s, 1);
	assert_int_equal(k->liveness.failure_threshold, 3);
	assert_int_equal(k->readiness.h.kind, POD_HANDLER_EXEC);
	assert_int_equal(k->readiness.period_s, 10);
	assert_int_equal(k->startup.failure_threshold, 30);
	assert_int_equal(k->pre_stop.kind, POD_HANDLER_SLEEP);
	assert_int_equal(k->pre_stop.sleep_s, 5);
	assert_int_equal(k->post_start.n_command, 2);
	/* the container's runAsUser wins; runAsNonRoot is the pod's */
	assert_int_equal(k->run_as_user, 1001);
	assert_true(k->run_as_non_root);
	assert_int_equal(k->seccomp, POD_SECCOMP_UNCONFINED);
	assert_true(p->has_fs_group);
	assert_int_equal(p->fs_group, 2000);
	assert_int_equal(p->groups[0], 3000);
	/*
	 * Localhost: the pod's profile for a container that says nothing,
	 * the container's own over it; a name with dots that are not a
	 * ".." component is a name
	 */
	if (parse(HEAD "  securityContext:\n    seccompProfile:\n"
		       "      type: Localhost\n"
		       "      localhostProfile: profiles/a..b.json\n"
		       "  containers:\n  - name: c\n    image: nginx\n"
		       "  - name: d\n    image: nginx\n    securityContext:\n"
		       "      seccompProfile: {type: Localhost, "
		       "localhostProfile: d.json}\n"
		       "  - name: e\n    image: nginx\n    securityContext:\n"
		       "      seccompProfile: {type: RuntimeDefault}\n"))
		fail_msg("%s", err);
	assert_int_equal(p->containers[0].seccomp, POD_SECCOMP_LOCALHOST);
	assert_string_equal(p->containers[0].seccomp_profile,
			    "profiles/a..b.json");
	assert_int_equal(p->containers[1].seccomp, POD_SECCOMP_LOCALHOST);
	assert_string_equal(p->containers[1].seccomp_profile, "d.json");
	assert_int_equal(p->containers[2].seccomp, POD_SECCOMP_RUNTIME_DEFAULT);
	assert_null(p->containers[2].seccomp_profile);
}

/*
 * Who gets a user namespace: hostUsers says; without it, the host's
 * default, and only for a pod that needs no host ids.
 */
static void test_user_namespace(void **state)
{
	static const struct {
		const char *spec;
		bool by_default, with_false_default;
	} cases[] = {
		{ "", false, true },
		{ "  hostUsers: false\n", true, true },
		{ "  hostUsers: true\n", false, false },
		{ "  hostNetwork: true\n", false, false },
		{ "  volumes:\n  - name: v\n    hostPath: {path: /x}\n", false,
		  false },
		{ "  volumes:\n  - name: v\n    emptyDir: {}\n", false, true },
		{ "  hostPID: true\n", false, false },
		{ "    securityContext: {privileged: true}\n", false, false },
	};
	char text[512];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		snprintf(text, sizeof(text), HEAD C0 "%s", cases[i].spec);
		if (parse(text))
			fail_msg("case %zu: %s", i, err);
		if (pod_user_namespace(p, true) != cases[i].by_default ||
		    pod_user_namespace(p, false) != cases[i].with_false_default)
			fail_msg("case %zu: %d %d", i,
				 pod_user_namespace(p, true),
				 pod_user_namespace(p, false));
	}
}

static void test_quantities(void **state)
{
	static const struct {
		const char *s;
		uint64_t bytes; /* 0: refused */
	} b[] = {
		{ "128Mi", 128ULL << 20 },
		{ "1G", 1000000000ULL },
		{ "0.5Gi", 1ULL << 29 },
		{ "1e3", 1000 },
		{ "1E6", 1000000 },
		{ "4096", 4096 },
		{ "1.5k", 1500 },
		{ "+2Ki", 2048 },
		{ "1Ei", 1ULL << 60 },
		{ "15Ei", 15ULL << 60 },
		{ "16Ei", 0 },
		{ "-1Mi", 0 },
		{ "1Xi", 0 },
		{ "", 0 },
		{ "Mi", 0 },
		{ "1e19", 0 },
		{ "99999999999999999999", 0 },
	};
	uint64_t v;

	(void)state;
	for (size_t i = 0; i < sizeof(b) / sizeof(b[0]); i++) {
		int r = pod_quantity_bytes(b[i].s, &v);
		if (b[i].bytes ? r || v != b[i].bytes : !r)
			fail_msg("'%s': %d %llu", b[i].s, r,
				 (unsigned long long)v);
	}
	assert_int_equal(pod_quantity_millis("500m", &v), 0);
	assert_int_equal(v, 500);
	assert_int_equal(pod_quantity_millis("0.5", &v), 0);
	assert_int_equal(v, 500);
	assert_int_equal(pod_quantity_millis("2", &v), 0);
	assert_int_equal(v, 2000);
	/* rounded up, never to nothing */
	assert_int_equal(pod_quantity_millis("0.0001", &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(pod_capability("NET_ADMIN"), 12);
	assert_int_equal(pod_capability("CAP_SYS_ADMIN"), 21);
	assert_int_equal(pod_capability("CHECKPOINT_RESTORE"), 40);
	assert_int_equal(pod_capability("net_admin"), -1);
}

int main(void)
{
	p = malloc(sizeof(*p));
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_json_and_defaults),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_quantities),
		cmocka_unit_test(test_user_namespace),
		cmocka_unit_test(test_cluster_only),
		cmocka_unit_test(test_probes_and_security),
	};
	int r = cmocka_run_group_tests(tests, NULL, NULL);
	free(p);
	return r;
}
