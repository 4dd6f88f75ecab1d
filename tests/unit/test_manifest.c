// SPDX-License-Identifier: MIT
/*
 * Manifests as people write them: several documents and kinds in a
 * file, and the corpus in tests/manifests/, each of which must parse or
 * fail with the error its first line expects ("# expect: ...").
 */
#include "oci/manifest.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CORPUS "tests/manifests"

static struct kobj *objs[MANIFEST_OBJECTS_MAX];
static size_t n;
static char err[600];

static void release(void)
{
	for (size_t i = 0; i < n; i++)
		kobj_free(objs[i]);
	n = 0;
}

static int parse(const char *text, const char *file)
{
	release();
	err[0] = '\0';
	return kobjs_parse(text, strlen(text), file, objs, MANIFEST_OBJECTS_MAX,
			   &n, err, sizeof(err));
}

static const char three[] = "# a comment before anything\n"
			    "apiVersion: v1\n"
			    "kind: ConfigMap\n"
			    "metadata: {name: web.config, namespace: shop}\n"
			    "data: {a: \"1\", b: two}\n"
			    "---\n"
			    "---\n" /* an empty document: skipped */
			    "apiVersion: v1\n"
			    "kind: Secret\n"
			    "metadata: {name: pw}\n"
			    "data: {password: aHVudGVyMg==}\n"
			    "stringData: {password: plain, user: admin}\n"
			    "...\n"
			    "--- # the Deployment\n"
			    "apiVersion: apps/v1\n"
			    "kind: Deployment\n"
			    "metadata: {name: web, labels: {app: web}}\n"
			    "spec:\n"
			    "  replicas: 3\n"
			    "  selector: {matchLabels: {app: web}}\n"
			    "  template:\n"
			    "    metadata: {labels: {app: web, tier: front}}\n"
			    "    spec:\n"
			    "      containers: [{name: web, image: nginx}]\n";

static void test_documents(void **state)
{
	(void)state;
	if (parse(three, "all.yaml"))
		fail_msg("%s", err);
	assert_int_equal(n, 3);
	assert_int_equal(objs[0]->kind, KOBJ_CONFIG_MAP);
	assert_string_equal(objs[0]->meta->name, "web.config");
	assert_string_equal(objs[0]->meta->ns, "shop");
	assert_int_equal(objs[0]->data->n, 2);
	assert_int_equal(objs[1]->kind, KOBJ_SECRET);
	/* stringData over data, as the API server merges them */
	assert_string_equal(kdata_get(objs[1]->data, "password")->value,
			    "plain");
	assert_string_equal(kdata_get(objs[1]->data, "user")->value, "admin");
	assert_string_equal(objs[1]->data->type, "Opaque");
	assert_int_equal(objs[2]->kind, KOBJ_DEPLOYMENT);
	assert_int_equal(objs[2]->wl->replicas, 3);
	assert_int_equal(objs[2]->line, 13);
	assert_non_null(strstr(objs[2]->text, "kind: Deployment"));
	assert_null(strstr(objs[2]->text, "Secret"));
	/* a replica: the template, named */
	struct pod *p = kobj_instance(objs[2], "web-2", err, sizeof(err));
	if (!p)
		fail_msg("%s", err);
	assert_string_equal(p->name, "web-2");
	assert_string_equal(p->key, "web-2");
	/* its own: the workload it came from is gone */
	assert_string_equal(p->ns, "default");
	assert_string_equal(p->meta.ns, "default");
	assert_string_equal(p->meta.labels[1].value, "front");
	free(p);
	/* an error's line is its line in the file */
	char bad[sizeof(three) + 64];
	snprintf(bad, sizeof(bad), "%s      hostIPC: maybe\n", three);
	assert_int_equal(parse(bad, "all.yaml"), -EINVAL);
	assert_string_equal(err, "all.yaml:25: spec.template.spec.hostIPC: "
				 "expected true or false");
	assert_int_equal(n, 0); /* nothing kept of a file with an error */
}

static void test_kinds_refused(void **state)
{
	static const struct {
		const char *text, *why;
	} cases[] = {
		{ "apiVersion: v1\nkind: Service\nmetadata: {name: s}\n",
		  "x.yaml:2: kind: 'Service' is not a kind keel takes" },
		{ "apiVersion: v1\nkind: Deployment\n",
		  "x.yaml:1: apiVersion: 'v1': a Deployment is apps/v1" },
		{ "apiVersion: v1\nmetadata: {name: x}\n",
		  "x.yaml:1: kind is missing" },
		{ "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\n"
		  "data: {k: not-base64!}\n",
		  "x.yaml:4: data.k: not base64" },
		{ "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\n"
		  "type: kubernetes.io/tls\ndata: {tls.crt: YQ==}\n",
		  "a Secret of type kubernetes.io/tls needs the key tls.key" },
		{ "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"
		  "data: {a: x}\nbinaryData: {a: YQ==}\n",
		  "binaryData.a: 'a' given twice" },
		{ "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"
		  "data: {'a/b': x}\n",
		  "data.a/b: not a key" },
		{ "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: "
		  "{name: c}\nspec: {accessModes: [ReadWriteOnce]}\n",
		  "spec.resources.requests.storage is missing" },
		{ "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: "
		  "{name: c}\nspec: {volumeMode: Block}\n",
		  "spec.volumeMode: only Filesystem" },
		{ "apiVersion: batch/v1\nkind: Job\nmetadata: {name: j}\n"
		  "spec:\n  template:\n    spec:\n      containers: [{name: "
		  "c, image: x}]\n",
		  "restartPolicy: a Job's is OnFailure or Never" },
		{ "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n"
		  "spec:\n  selector: {matchLabels: {app: a}}\n  template:\n"
		  "    metadata: {labels: {app: b}}\n    spec:\n      "
		  "containers: [{name: c, image: x}]\n",
		  "spec.selector: the template's labels do not match it" },
		{ "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n"
		  "spec:\n  selector: {matchLabels: {app: a}}\n",
		  "spec.template is missing" },
		{ "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: "
		  "a-name-that-leaves-no-room-for-the-number-of-its-pods-at-"
		  "all}\n",
		  "is not a name" },
		{ "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: "
		  "a-namespace-with-a-long-name}\nspec: {containers: [{name: "
		  "c, image: x}]}\n",
		  "" },
		{ "a: 1\n---\n- b\n", "x.yaml:1: kind is missing" },
		{ "# nothing at all\n", "x.yaml: empty" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		int r = parse(cases[i].text, "x.yaml");
		if (!*cases[i].why ? r != 0
				   : r != -EINVAL || !strstr(err, cases[i].why))
			fail_msg("case %zu: %d '%s' lacks '%s'", i, r, err,
				 cases[i].why);
	}
	/* ns_name longer than a name may be */
	assert_int_equal(parse("apiVersion: v1\nkind: Pod\nmetadata: {name: "
			       "a-pod-with-a-long-name-too-long, namespace: "
			       "a-namespace-with-a-long-name-as-well}\n"
			       "spec: {containers: [{name: c, image: x}]}\n",
			       "x.yaml"),
			 -EINVAL);
	assert_non_null(strstr(err, "namespace and name together"));
}

static void test_workload_defaults(void **state)
{
	(void)state;
	if (parse("apiVersion: batch/v1\nkind: Job\nmetadata: {name: j}\n"
		  "spec:\n  completions: 3\n  template:\n    spec:\n"
		  "      restartPolicy: Never\n"
		  "      containers: [{name: c, image: x}]\n",
		  "j.yaml"))
		fail_msg("%s", err);
	struct workload *wl = objs[0]->wl;
	assert_int_equal(wl->completions, 3);
	assert_int_equal(wl->replicas, 3);
	assert_int_equal(wl->parallelism, 1);
	assert_int_equal(wl->backoff_limit, 6);
	if (parse("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n"
		  "spec:\n  replicas: 4\n  strategy:\n    rollingUpdate:\n"
		  "      maxSurge: 50%\n      maxUnavailable: 25%\n"
		  "  selector: {matchLabels: {app: a}}\n  template:\n"
		  "    metadata: {labels: {app: a}}\n    spec:\n"
		  "      containers: [{name: c, image: x}]\n",
		  "d.yaml"))
		fail_msg("%s", err);
	wl = objs[0]->wl;
	assert_int_equal(wl->max_surge, 2);
	assert_int_equal(wl->max_unavailable, 1);
	uint64_t hash = wl->template_hash;
	/* replicas are not the template: the same hash */
	if (parse("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n"
		  "spec:\n  replicas: 1\n"
		  "  selector: {matchLabels: {app: a}}\n  template:\n"
		  "    metadata: {labels: {app: a}}\n    spec:\n"
		  "      containers: [{name: c, image: x}]\n",
		  "d.yaml"))
		fail_msg("%s", err);
	assert_true(objs[0]->wl->template_hash == hash);
	if (parse("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n"
		  "spec:\n  selector: {matchLabels: {app: a}}\n  template:\n"
		  "    metadata: {labels: {app: a}}\n    spec:\n"
		  "      containers: [{name: c, image: busybox}]\n",
		  "d.yaml"))
		fail_msg("%s", err);
	assert_false(objs[0]->wl->template_hash == hash);
}

static void test_base64(void **state)
{
	static const struct {
		const char *in, *out;
	} ok[] = { { "", "" },
		   { "YQ==", "a" },
		   { "YWI=", "ab" },
		   { "YWJj", "abc" },
		   { "YW\nJj", "abc" } };
	static const char *const bad[] = { "YQ",   "YQ=",  "Y===",
					   "YR==", "@@@@", "YQ==YQ==" };
	char out[16];

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(*ok); i++) {
		long r = kinds_base64(ok[i].in, out, sizeof(out));
		assert_int_equal(r, strlen(ok[i].out));
		assert_memory_equal(out, ok[i].out, r);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		if (kinds_base64(bad[i], out, sizeof(out)) >= 0)
			fail_msg("'%s' taken", bad[i]);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *text = malloc(POD_TEXT_MAX + 1);

	assert_non_null(f);
	*len = fread(text, 1, POD_TEXT_MAX, f);
	text[*len] = '\0';
	fclose(f);
	return text;
}

/* every file of the corpus: parsed, or the error it expects */
static void test_corpus(void **state)
{
	struct dirent **names;
	int count = scandir(CORPUS, &names, NULL, alphasort), files = 0;
	char path[512];
	size_t len;

	(void)state;
	assert_true(count > 0);
	for (int i = 0; i < count; i++) {
		const char *f = names[i]->d_name;
		if (f[0] != '.') {
			snprintf(path, sizeof(path), CORPUS "/%s", f);
			char *text = slurp(path, &len);
			const char *want = !strncmp(text, "# expect: ", 10)
						   ? text + 10
						   : NULL;
			char expect[300] = "";
			if (want)
				snprintf(expect, sizeof(expect), "%.*s",
					 (int)strcspn(want, "\n"), want);
			release();
			int r = kobjs_parse(text, len, f, objs,
					    MANIFEST_OBJECTS_MAX, &n, err,
					    sizeof(err));
			if (!want && r)
				fail_msg("%s: %s", f, err);
			if (want && (!r || !strstr(err, expect)))
				fail_msg("%s: '%s', not '%s'", f,
					 r ? err : "parsed", expect);
			free(text);
			files++;
		}
		free(names[i]);
	}
	free(names);
	release();
	assert_true(files >= 30);
}

/* what the corpus's files are, beyond parsing */
static void test_corpus_shapes(void **state)
{
	size_t len;
	char *text = slurp(CORPUS "/chart-rendered.yaml", &len);

	(void)state;
	release();
	assert_int_equal(kobjs_parse(text, len, "chart-rendered.yaml", objs,
				     MANIFEST_OBJECTS_MAX, &n, err,
				     sizeof(err)),
			 0);
	assert_int_equal(n, 2);
	assert_non_null(strstr(objs[1]->notes, "spec.template.spec.affinity"));
	assert_non_null(strstr(objs[1]->notes, "imagePullSecrets"));
	free(text);
	text = slurp(CORPUS "/node-exporter-daemonset.yaml", &len);
	release();
	assert_int_equal(kobjs_parse(text, len, "ne.yaml", objs,
				     MANIFEST_OBJECTS_MAX, &n, err,
				     sizeof(err)),
			 0);
	assert_true(objs[0]->wl->tmpl->host_pid);
	assert_string_equal(objs[0]->meta->ns, "monitoring");
	free(text);
	release();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_documents),
		cmocka_unit_test(test_kinds_refused),
		cmocka_unit_test(test_workload_defaults),
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_corpus),
		cmocka_unit_test(test_corpus_shapes),
	};
	int r = cmocka_run_group_tests(tests, NULL, NULL);
	release();
	return r;
}
