// SPDX-License-Identifier: MIT
#include "run/merge.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct pod *p;
static struct oci_config *c;
static struct exec_spec *e;
static char err[512];

/* A pod with one container from spec (the lines under `containers: -`). */
static void pod(const char *container)
{
	char text[4096];

	snprintf(text, sizeof(text),
		 "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n"
		 "  containers:\n  - name: c\n    image: busybox\n%s",
		 container);
	if (pod_parse(text, strlen(text), "t.yaml", p, err, sizeof(err)))
		fail_msg("%s", err);
}

static void config(const char *json)
{
	if (oci_config_parse(json, strlen(json), c, err, sizeof(err)))
		fail_msg("%s", err);
}

static const char image[] =
	"{\"architecture\": \"amd64\", \"os\": \"linux\", \"config\": {"
	"\"Entrypoint\": [\"/entry\", \"-v\"], \"Cmd\": [\"serve\", "
	"\"--port=80\"],"
	"\"Env\": [\"PATH=/bin\", \"MODE=image\", \"KEEP=1\"],"
	"\"WorkingDir\": \"/app\", \"User\": \"www:staff\"},"
	"\"rootfs\": {\"type\": \"layers\", \"diff_ids\": []}}";

static void assert_argv(const char *const *want)
{
	size_t n = 0;

	for (; want[n]; n++) {
		assert_non_null(e->argv[n]);
		assert_string_equal(e->argv[n], want[n]);
	}
	assert_int_equal(e->argc, n);
	assert_null(e->argv[n]);
}

/* concepts/containers: the four cases of command and args */
static void test_command_args(void **state)
{
	(void)state;
	config(image);
	pod("");
	assert_int_equal(exec_merge(&p->containers[0], c, e, err, sizeof(err)),
			 0);
	assert_argv((const char *const[]){ "/entry", "-v", "serve", "--port=80",
					   NULL });
	pod("    command: [/bin/sh]\n");
	exec_merge(&p->containers[0], c, e, err, sizeof(err));
	assert_argv((const char *const[]){ "/bin/sh", NULL });
	pod("    args: [debug]\n");
	exec_merge(&p->containers[0], c, e, err, sizeof(err));
	assert_argv((const char *const[]){ "/entry", "-v", "debug", NULL });
	pod("    command: [/bin/echo]\n    args: [a, b]\n");
	exec_merge(&p->containers[0], c, e, err, sizeof(err));
	assert_argv((const char *const[]){ "/bin/echo", "a", "b", NULL });

	/* nothing to run at all */
	config("{\"architecture\": \"amd64\", \"os\": \"linux\", "
	       "\"rootfs\": {\"type\": \"layers\", \"diff_ids\": []}}");
	pod("    args: []\n");
	assert_int_equal(exec_merge(&p->containers[0], c, e, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "nothing to run"));
}

static void test_env_cwd_user(void **state)
{
	(void)state;
	config(image);
	pod("    env:\n    - {name: MODE, value: spec}\n"
	    "    - {name: NEW, value: \"a=b\"}\n");
	assert_int_equal(exec_merge(&p->containers[0], c, e, err, sizeof(err)),
			 0);
	/* the spec's value replaces the image's, in the image's place */
	assert_int_equal(e->envc, 4);
	assert_string_equal(e->env[0], "PATH=/bin");
	assert_string_equal(e->env[1], "MODE=spec");
	assert_string_equal(e->env[2], "KEEP=1");
	assert_string_equal(e->env[3], "NEW=a=b");
	assert_null(e->env[4]);
	assert_string_equal(e->cwd, "/app");
	/* names are the runtime's to look up in the rootfs */
	assert_false(e->uid_known);
	assert_string_equal(e->user_name, "www");
	assert_string_equal(e->group_name, "staff");

	pod("    workingDir: /work\n    securityContext:\n"
	    "      runAsUser: 1000\n      runAsGroup: 2000\n");
	exec_merge(&p->containers[0], c, e, err, sizeof(err));
	assert_string_equal(e->cwd, "/work");
	assert_true(e->uid_known && e->gid_known);
	assert_int_equal(e->uid, 1000);
	assert_int_equal(e->gid, 2000);
	assert_null(e->user_name);
	assert_null(e->group_name);

	/* no PATH anywhere: the kubelet's default; no user: root */
	config("{\"architecture\": \"amd64\", \"os\": \"linux\", \"config\": "
	       "{\"Cmd\": [\"x\"], \"User\": \"\"}, "
	       "\"rootfs\": {\"type\": \"layers\", \"diff_ids\": []}}");
	pod("");
	exec_merge(&p->containers[0], c, e, err, sizeof(err));
	assert_string_equal(e->env[0], "PATH=/usr/local/sbin:/usr/local/bin:"
				       "/usr/sbin:/usr/bin:/sbin:/bin");
	assert_string_equal(e->cwd, "/");
	assert_true(e->uid_known);
	assert_int_equal(e->uid, 0);

	config("{\"architecture\": \"amd64\", \"os\": \"linux\", \"config\": "
	       "{\"Cmd\": [\"x\"], \"User\": \"1001:\"}, "
	       "\"rootfs\": {\"type\": \"layers\", \"diff_ids\": []}}");
	assert_int_equal(exec_merge(&p->containers[0], c, e, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "User '1001:' is malformed"));
}

int main(void)
{
	p = malloc(sizeof(*p));
	c = malloc(sizeof(*c));
	e = malloc(sizeof(*e));
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_command_args),
		cmocka_unit_test(test_env_cwd_user),
	};
	int r = cmocka_run_group_tests(tests, NULL, NULL);
	free(p);
	free(c);
	free(e);
	return r;
}
