// SPDX-License-Identifier: MIT
/*
 * netd: brings the links up, gives them addresses (static or DHCPv4),
 * routes and DNS, follows carrier and hot-plug, and gives pods their
 * network. One process, one poll loop, no threads.
 *
 *   netd [--config FILE]... [--state DIR] [--run DIR]   the daemon
 *        [--clock-file FILE] [--clock-dry-run]          (the time sync's)
 *   netd status | reload                               ask the daemon
 *   netd pod-add NAME NETNS [PORTS] | pod-del NAME
 */
#include <getopt.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>
#include "ctlsock.h"
#include "file.h"
#include "log.h"
#include "netd.h"
#include "sysclock.h"

static const char *const default_confs[] = {
	"/var/lib/keel/network.conf", /* set at run time */
	"/boot/config/network.conf", /* set before first boot */
	"/etc/keel/network.conf", /* the image's defaults */
};

#define MAX_CONFS 8
#define EVENT_GROUPS                                             \
	(RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR | \
	 RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE)

static void usage(FILE *f)
{
	fprintf(f, "usage: netd [--config FILE]... [--state DIR] [--run DIR]\n"
		   "            [--clock-file FILE] [--clock-dry-run]\n"
		   "       netd [--run DIR] status | reload\n"
		   "       netd [--run DIR] pod-add NAME NETNS-PATH [PORTS] | "
		   "pod-del NAME\n"
		   "         PORTS: PROTO:HOSTPORT:CONTAINERPORT,... "
		   "(tcp:8080:80,udp:5353:53)\n");
}

static void make_dir(const char *path)
{
	int r = mkdir_parents(path, 0755);

	if (r)
		log_warn("unable to make %s: %s", path, strerror(-r));
}

/* The daemon: each part set up in turn, then the loop until SIGTERM. */
static int run_daemon(void)
{
	int r;

	log_name("netd");
	r = loop_init();
	if (r) {
		log_err("unable to take signals: %s", strerror(-r));
		return 1;
	}
	make_dir(netd.state_dir);
	make_dir(netd.run_dir);
	netd_conf_load(true);
	r = rtnl_open(&netd.req, 0);
	if (!r)
		r = rtnl_open(&netd.events, EVENT_GROUPS);
	if (r) {
		log_err("unable to open an rtnetlink socket: %s", strerror(-r));
		return 1;
	}
	netd.ctl_fd = ctl_listen(netd.sock_path);
	if (netd.ctl_fd < 0)
		log_err("unable to listen on %s: %s", netd.sock_path,
			strerror(-netd.ctl_fd));
	links_scan();
	resolv_update();
	timesync_init();
	r = loop_run();
	timesync_stop();
	return r;
}

/* A request to the daemon: its answer printed, 1 when it says no. */
static int run_client(char **argv)
{
	char err[256];
	int r = ctl_call(netd.sock_path, argv, 30, ctl_print_reply, NULL, err,
			 sizeof(err));

	if (r < 0) {
		fprintf(stderr, "netd: %s\n", err);
		return 2;
	}
	return r;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "state", required_argument, NULL, 's' },
		{ "run", required_argument, NULL, 'r' },
		{ "clock-file", required_argument, NULL, 'k' },
		{ "clock-dry-run", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	static const char *confs[MAX_CONFS];
	static char sock_path[256];
	int n_confs = 0, c;

	netd.conf_paths = default_confs;
	netd.n_conf_paths = 3;
	while ((c = getopt_long(argc, argv, "+c:s:r:k:nh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (n_confs == MAX_CONFS) {
				fprintf(stderr, "netd: at most %d --config\n",
					MAX_CONFS);
				return 2;
			}
			confs[n_confs++] = optarg;
			netd.conf_paths = confs;
			netd.n_conf_paths = n_confs;
			break;
		case 's':
			netd.state_dir = optarg;
			break;
		case 'r':
			netd.run_dir = optarg;
			snprintf(sock_path, sizeof(sock_path), "%s/netd.sock",
				 optarg);
			netd.sock_path = sock_path;
			break;
		case 'k':
			netd.clock_file = optarg;
			break;
		case 'n':
			sysclock_dry_run();
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc)
		return run_client(argv + optind);
	return run_daemon();
}
