// SPDX-License-Identifier: MIT
#include "imagectl.h"
#include "ctlsock.h"
#include "pods/podexec.h"
#include "imaged.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>

static int usage(FILE *f)
{
	fprintf(f, "usage: imagectl [--socket PATH] COMMAND\n"
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
		   "  os report            (the status report this host "
		   "sends now)\n"
		   "  apply -f FILE        (a Pod manifest)\n"
		   "  run [--net=host] [--host-users=false] IMAGE [COMMAND "
		   "[ARG]...]\n"
		   "                       (one container, removed after)\n"
		   "  pods | ps\n"
		   "  describe POD\n"
		   "  delete POD\n"
		   "  stop POD | start POD\n"
		   "  logs [-f] POD [-c CONTAINER]\n"
		   "  exec [-t] [-c CONTAINER] POD -- COMMAND [ARG]...\n");
	return f == stdout ? 0 : 2;
}

static const char *const commands[] = {
	"os", "pull",	  "images", "inspect", "rm",   "prune", "load", "pods",
	"ps", "describe", "apply",  "delete",  "stop", "start", "run",
};

/* imaged runs elsewhere: a file it is to read goes as an absolute path */
static bool takes_file(char **argv, int i)
{
	if (!strcmp(argv[0], "load") || !strcmp(argv[0], "apply"))
		return i == 1;
	return !strcmp(argv[0], "os") && !strcmp(argv[1], "update") && i >= 2 &&
	       argv[i][0] != '-' && !strstr(argv[i], "://");
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
	/* kubectl's spelling */
	if (!strcmp(argv[0], "apply")) {
		if (argc != 3 || strcmp(argv[1], "-f")) {
			fprintf(stderr, "usage: imagectl apply -f FILE\n");
			return 2;
		}
		argv[1] = argv[0];
		argv++;
		argc--;
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
	for (int i = 0; i < argc; i++) {
		req[n] = argv[i];
		if (takes_file(argv, i)) {
			if (!realpath(argv[i], abs[i])) {
				fprintf(stderr, "imagectl: %s: ", argv[i]);
				perror(NULL);
				return 1;
			}
			req[n] = abs[i];
		}
		n++;
	}
	req[n] = NULL;
	int r = ctl_call(sock, req, 600, reply, NULL, err, sizeof(err));
	if (r < 0)
		fprintf(stderr, "imagectl: %s\n", err);
	return r ? 1 : 0;
}
