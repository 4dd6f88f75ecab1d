// SPDX-License-Identifier: MIT
/*
 * netd: brings the links up, gives them addresses (static or DHCPv4),
 * routes and DNS, follows carrier and hot-plug, and gives pods their
 * network. One process, one poll loop, no threads.
 *
 *   netd [--config FILE]... [--state DIR] [--run DIR]   the daemon
 *   netd status | reload                               ask the daemon
 *   netd pod-add NAME NETNS [PORTS] | pod-del NAME
 */
#include <errno.h>
#include <getopt.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>
#include "clock.h"
#include "ctlsock.h"
#include "log.h"
#include "netd.h"

struct netd netd;

static const char *const default_confs[] = {
	"/var/lib/keel/network.conf", /* set at run time */
	"/boot/config/network.conf", /* set before first boot */
	"/etc/keel/network.conf", /* the image's defaults */
};

#define MAX_CONFS 8
static const char *confs[MAX_CONFS];
static char sock_path[256] = "/run/netd.sock";

static void usage(FILE *f)
{
	fprintf(f, "usage: netd [--config FILE]... [--state DIR] [--run DIR]\n"
		   "       netd [--run DIR] status | reload\n"
		   "       netd [--run DIR] pod-add NAME NETNS-PATH [PORTS] | "
		   "pod-del NAME\n"
		   "         PORTS: PROTO:HOSTPORT:CONTAINERPORT,... "
		   "(tcp:8080:80,udp:5353:53)\n");
}

static int load_conf(int first)
{
	char err[256];
	struct net_conf *c = malloc(sizeof(*c));
	int r;

	if (!c)
		return -1;
	r = net_conf_load(c, netd.conf_paths, netd.n_conf_paths, err,
			  sizeof(err));
	if (r) {
		log_err("%s", err);
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

static void mkdirs(const char *path)
{
	char p[256];

	snprintf(p, sizeof(p), "%s", path);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = 0;
		mkdir(p, 0755);
		*s = '/';
	}
	mkdir(p, 0755);
}

static void tell_ready(void)
{
	const char *missing = NULL;
	long waited;

	if (netd.ready_fd < 0)
		return;
	waited = monotonic_ms() - netd.started_ms;
	if (!links_ready(&missing)) {
		if (waited < (long)netd.conf.ready_timeout_s * 1000)
			return;
		log_warn("ready without %s: no address after %d s", missing,
			 netd.conf.ready_timeout_s);
	} else {
		log_info("ready after %ld ms", waited);
	}
	if (netd.ready_fd > 0) {
		(void)!write(netd.ready_fd, "ready\n", 6);
		close(netd.ready_fd);
	}
	netd.ready_fd = -1;
}

static int on_event(const struct nlmsghdr *nlh, void *ctx)
{
	(void)ctx;
	links_event(nlh);
	return MNL_CB_OK;
}

static void read_events(void)
{
	for (;;) {
		int r = rtnl_read_events(&netd.events, on_event, NULL);

		if (r == -EAGAIN || r == -EWOULDBLOCK)
			return;
		if (r == -ENOBUFS) {
			/* events were dropped: look at every link again */
			log_warn("netlink events overflowed: rescanning links");
			links_scan();
			continue;
		}
		if (r < 0) {
			log_err("netlink events: %s", strerror(-r));
			return;
		}
	}
}

static int run_daemon(void)
{
	struct pollfd pfd[64];
	sigset_t mask;
	int sfd, r;
	const char *env = getenv("READY_FD");

	log_name("netd");
	netd.started_ms = monotonic_ms();
	netd.ready_fd = env ? atoi(env) : 0; /* 0: no one is waiting */
	if (netd.ready_fd <= 0)
		netd.ready_fd = 0;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	mkdirs(netd.state_dir);
	mkdirs(netd.run_dir);
	load_conf(1);
	r = rtnl_open(&netd.req, 0);
	if (!r)
		r = rtnl_open(&netd.events, RTMGRP_LINK | RTMGRP_IPV4_IFADDR |
						    RTMGRP_IPV6_IFADDR |
						    RTMGRP_IPV4_ROUTE |
						    RTMGRP_IPV6_ROUTE);
	if (r) {
		log_err("no rtnetlink socket: %s", strerror(-r));
		return 1;
	}
	netd.ctl_fd = ctl_listen(sock_path);
	if (netd.ctl_fd < 0)
		log_err("cannot listen on %s: %s", sock_path,
			strerror(-netd.ctl_fd));
	links_scan();
	resolv_update();
	tell_ready();
	for (;;) {
		int n = 0, timeout = -1;
		long now = monotonic_ms(), next = links_next_timer();
		int by_fd[64]; /* link index: a link may go in this pass */

		pfd[n++] = (struct pollfd){ .fd = sfd, .events = POLLIN };
		pfd[n++] = (struct pollfd){ .fd = rtnl_fd(&netd.events),
					    .events = POLLIN };
		pfd[n++] =
			(struct pollfd){ .fd = netd.ctl_fd, .events = POLLIN };
		for (struct link *l = netd.links; l && n < 64; l = l->next) {
			if (l->pkt_fd < 0)
				continue;
			by_fd[n] = l->index;
			pfd[n++] = (struct pollfd){ .fd = l->pkt_fd,
						    .events = POLLIN };
		}
		if (next >= 0)
			/* a long lease's T1 is weeks away: wake hourly */
			timeout = next <= now		 ? 0
				  : next - now > 3600000 ? 3600000
							 : (int)(next - now);
		if (netd.ready_fd >= 0) {
			long left = netd.started_ms +
				    (long)netd.conf.ready_timeout_s * 1000 -
				    now;

			if (left < 0)
				left = 0;
			if (timeout < 0 || left < timeout)
				timeout = (int)left;
		}
		if (poll(pfd, (nfds_t)n, timeout) < 0 && errno != EINTR) {
			log_err("poll: %s", strerror(errno));
			return 1;
		}
		if (pfd[0].revents & POLLIN) {
			struct signalfd_siginfo si;

			while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGHUP) {
					log_info("reloading (SIGHUP)");
					if (load_conf(0) == 0)
						links_reconfigure();
					continue;
				}
				log_info("stopping");
				unlink(sock_path);
				return 0;
			}
		}
		if (pfd[1].revents & POLLIN)
			read_events();
		if (pfd[2].revents & POLLIN)
			ctl_handle(netd.ctl_fd);
		for (int i = 3; i < n; i++) {
			struct link *l = link_by_index(by_fd[i]);

			/* POLLERR too: a link set down leaves ENETDOWN on
			 * its socket until a read clears it */
			if (pfd[i].revents && l && l->pkt_fd == pfd[i].fd)
				link_packet(l);
		}
		links_timers(monotonic_ms());
		tell_ready();
	}
}

/* Reload from the control socket: the same as SIGHUP, with the answer. */
int netd_reload(char *err, size_t errlen)
{
	if (load_conf(0)) {
		snprintf(err, errlen,
			 "configuration has errors (see the "
			 "log); keeping the last good one");
		return -1;
	}
	links_reconfigure();
	return 0;
}

static int run_client(int argc, char **argv)
{
	char err[256];
	int r = ctl_call(sock_path, argv, 30, ctl_print_reply, NULL, err,
			 sizeof(err));

	(void)argc;
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
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int n_confs = 0, c;
	static char run_dir[200] = "/run/keel";

	netd.state_dir = "/var/lib/keel/netd";
	netd.run_dir = run_dir;
	while ((c = getopt_long(argc, argv, "+c:s:r:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (n_confs == MAX_CONFS) {
				fprintf(stderr, "netd: at most %d --config\n",
					MAX_CONFS);
				return 2;
			}
			confs[n_confs++] = optarg;
			break;
		case 's':
			netd.state_dir = optarg;
			break;
		case 'r':
			snprintf(run_dir, sizeof(run_dir), "%s", optarg);
			snprintf(sock_path, sizeof(sock_path), "%s/netd.sock",
				 optarg);
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
		return run_client(argc - optind, argv + optind);
	if (n_confs) {
		netd.conf_paths = confs;
		netd.n_conf_paths = n_confs;
	} else {
		netd.conf_paths = default_confs;
		netd.n_conf_paths = 3;
	}
	return run_daemon();
}
