// SPDX-License-Identifier: MIT
/*
 * netd's state, one of it, and the configuration it runs with. Here
 * only what every part reads: this file calls nothing of netd's but the
 * configuration parser, so no part below the loop calls back up.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "clock.h"
#include "log.h"
#include "netd.h"

struct netd netd = {
	.state_dir = "/var/lib/keel/netd",
	.run_dir = "/run/keel",
	.sock_path = "/run/netd.sock",
	.ctl_fd = -1,
	.clock_file = KEEL_CLOCK_FILE,
	.ntp_fd = { -1, -1 },
	.lookup_fd = -1,
};

int netd_conf_load(bool first)
{
	char err[256];
	struct net_conf *c = malloc(sizeof(*c)); /* 30 KB */
	int r = -ENOMEM;

	if (c)
		r = net_conf_load(c, netd.conf_paths, netd.n_conf_paths, err,
				  sizeof(err));
	else
		strcpy(err, strerror(ENOMEM));
	if (r) {
		log_err("unable to load the configuration: %s", err);
		log_err("keeping the %s configuration",
			first ? "default" : "last good");
		if (first)
			net_conf_default(&netd.conf);
	} else {
		netd.conf = *c;
		log_info("configuration from %s", netd.conf.source);
	}
	free(c);
	return r;
}
