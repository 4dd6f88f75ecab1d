// SPDX-License-Identifier: MIT
#include "imagectl.h"
#include "ctlsock.h"
#include "pods/podattach.h"
#include "pods/podexec.h"
#include "imaged.h"
#include "file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>

static int usage(FILE *f)
{
	fprintf(f,
		"usage: imagectl [--socket PATH] COMMAND\n"
		"  pull [--platform os/arch[/variant]] IMAGE\n"
		"  images\n"
		"  inspect IMAGE\n"
		"  rm IMAGE\n"
		"  prune\n"
		"  load FILE            (docker save or OCI layout tar)\n"
		"  os status\n"
		"  os update [--force] [--reboot|--no-reboot] "
		"[--no-verify-after-write]\n"
		"            <bundle file|http(s):// URL>\n"
		"  os rollback [--no-reboot]\n"
		"  os report            (the status report this host sends "
		"now)\n"
		"  workloads status     (the channel's workload revision: its "
		"pods,\n"
		"                       the last outcome and why)\n"
		"  apply -f FILE|- [--dry-run]   (Kubernetes manifests: Pod,\n"
		"                       Deployment, DaemonSet, Job, "
		"ConfigMap,\n"
		"                       Secret, PersistentVolumeClaim)\n"
		"  delete -f FILE|-     (what the file made)\n"
		"  run [--net=host] [--host-users=false] IMAGE [COMMAND "
		"[ARG]...]\n"
		"                       (one container, removed after)\n"
		"  pods | ps [-A]\n"
		"  get KIND [NAME] [-o yaml|json]  (pods, deployments, "
		"daemonsets,\n"
		"                       jobs, configmaps, secrets, pvc)\n"
		"  describe [KIND] NAME\n"
		"  delete [KIND] NAME | KIND/NAME\n"
		"  stop POD | start POD\n"
		"  rollout restart deployment/NAME|daemonset/NAME\n"
		"  logs [-f] POD [-c CONTAINER]\n"
		"  exec [-t] [-c CONTAINER] POD -- COMMAND [ARG]...\n"
		"  attach POD [-c CONTAINER]  (its stdin and output; detach: "
		"Ctrl-P Ctrl-Q\n"
		"                       or the end of input)\n"
		"  (objects of a namespace: -n NS; of every one: -A)\n");
	return f == stdout ? 0 : 2;
}

static const char *const commands[] = {
	"os",	"pull",	 "images", "inspect",  "rm",	  "prune",
	"load", "pods",	 "ps",	   "describe", "apply",	  "delete",
	"stop", "start", "run",	   "get",      "rollout", "workloads",
};

/* imaged runs elsewhere: a file it is to read goes as an absolute path */
static bool takes_file(char **argv, int i)
{
	if (!strcmp(argv[0], "load"))
		return i == 1;
	if ((!strcmp(argv[0], "apply") || !strcmp(argv[0], "delete")) && i > 1)
		return !strcmp(argv[i - 1], "-f") && strcmp(argv[i], "-");
	return !strcmp(argv[0], "os") && !strcmp(argv[1], "update") && i >= 2 &&
	       argv[i][0] != '-' && !strstr(argv[i], "://");
}

/*
 * -f -: standard input into a file of imaged's run folder (root's
 * alone), which goes as the file; named "-" in errors, as kubectl does.
 */
static int stdin_file(char *path, size_t len)
{
	char buf[65536];
	ssize_t n;
	size_t total = 0;

	snprintf(path, len, IMAGED_RUN_DIR "/stdin.%d.yaml", (int)getpid());
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	while ((n = read(0, buf, sizeof(buf))) > 0 &&
	       (total += (size_t)n) <= (1 << 20))
		if (write_full(fd, buf, (size_t)n)) {
			n = -1;
			break;
		}
	close(fd);
	return n < 0 ? -EIO : 0;
}

static void reply(char kind, const char *text, void *ctx)
{
	if (kind != CTL_ERR) {
		ctl_print_reply(kind, text, ctx);
		return;
	}
	fprintf(stderr, "imagectl: %s\n", text);
}

int imagectl_main(int argc, char **argv)
{
	char *req[CTL_ARGS_MAX + 1], abs[CTL_ARGS_MAX][PATH_MAX], err[256];
	const char *sock = getenv("IMAGED_SOCKET");
	int n = 0;

	argv++;
	argc--;
	if (argc >= 2 && !strcmp(argv[0], "--socket")) {
		sock = argv[1];
		argv += 2;
		argc -= 2;
	}
	if (!sock || !*sock)
		sock = IMAGED_SOCKET;
	if (argc < 1 || !strcmp(argv[0], "-h") || !strcmp(argv[0], "--help"))
		return usage(argc < 1 ? stderr : stdout);
	/* root on this host: these need no daemon */
	if (!strcmp(argv[0], "logs"))
		return pod_logs_main(argc, argv);
	if (!strcmp(argv[0], "exec"))
		return pod_exec_main(argc, argv);
	if (!strcmp(argv[0], "attach"))
		return pod_attach_main(argc, argv);
	if (!strcmp(argv[0], "apply")) {
		bool f = false;
		for (int i = 1; i + 1 < argc; i++)
			f |= !strcmp(argv[i], "-f");
		if (!f) {
			fprintf(stderr, "usage: imagectl apply -f FILE|- "
					"[--dry-run]\n");
			return 2;
		}
	}
	bool known = false;
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		known |= !strcmp(argv[0], commands[i]);
	if (!known || (!strcmp(argv[0], "os") && argc < 2)) {
		fprintf(stderr, "imagectl: unknown command '%s'\n", argv[0]);
		return usage(stderr);
	}
	if (argc > CTL_ARGS_MAX) {
		fprintf(stderr, "imagectl: too many arguments\n");
		return 2;
	}
	char in[PATH_MAX] = "";
	for (int i = 0; i < argc && n < CTL_ARGS_MAX; i++) {
		req[n++] = argv[i];
		bool dash = i > 0 && !strcmp(argv[i - 1], "-f") &&
			    !strcmp(argv[i], "-");
		if (dash && stdin_file(in, sizeof(in))) {
			fprintf(stderr, "imagectl: standard input: %s\n",
				strerror(errno));
			return 1;
		}
		if (dash)
			req[n - 1] = in;
		if (takes_file(argv, i) && !realpath(argv[i], abs[i])) {
			fprintf(stderr, "imagectl: %s: ", argv[i]);
			perror(NULL);
			return 1;
		}
		if (takes_file(argv, i))
			req[n - 1] = abs[i];
		/* apply's and delete's errors name the file as it was given */
		bool named =
			!strcmp(argv[0], "apply") || !strcmp(argv[0], "delete");
		if ((dash || (takes_file(argv, i) && named)) &&
		    n < CTL_ARGS_MAX)
			req[n++] = argv[i];
	}
	req[n] = NULL;
	int r = ctl_call(sock, req, 600, reply, NULL, err, sizeof(err));
	if (in[0])
		unlink(in);
	if (r < 0)
		fprintf(stderr, "imagectl: %s\n", err);
	return r ? 1 : 0;
}
