// SPDX-License-Identifier: MIT
#include "ctlsock.h"
#include "imaged.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int usage(FILE *f)
{
	fprintf(f, "usage: imagectl os status\n"
		   "       imagectl os update [--force] [--reboot|--no-reboot] "
		   "<bundle file|http(s):// URL>\n"
		   "       imagectl os rollback [--no-reboot]\n");
	return f == stdout ? 0 : 2;
}

int imagectl_main(int argc, char **argv)
{
	char *req[CTL_ARGS_MAX + 1], abs[PATH_MAX], err[256];
	int n = 0;

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))
		return usage(argc < 2 ? stderr : stdout);
	if (strcmp(argv[1], "os") || argc < 3) {
		fprintf(stderr,
			"imagectl: '%s' is not a command here yet; "
			"only 'os' (updates) is built\n",
			argv[1]);
		return usage(stderr);
	}
	if (argc > CTL_ARGS_MAX + 1) {
		fprintf(stderr, "imagectl: too many arguments\n");
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		req[n] = argv[i];
		/* imaged runs elsewhere: give it an absolute path */
		if (i >= 3 && !strcmp(argv[2], "update") && argv[i][0] != '-' &&
		    !strstr(argv[i], "://")) {
			if (!realpath(argv[i], abs)) {
				fprintf(stderr, "imagectl: %s: ", argv[i]);
				perror(NULL);
				return 1;
			}
			req[n] = abs;
		}
		n++;
	}
	req[n] = NULL;
	int r = ctl_call(IMAGED_SOCKET, req, 600, ctl_print_reply, NULL, err,
			 sizeof(err));
	if (r < 0)
		fprintf(stderr, "imagectl: %s\n", err);
	return r ? 1 : 0;
}
