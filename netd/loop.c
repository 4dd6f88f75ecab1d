// SPDX-License-Identifier: MIT
/*
 * netd's one loop: poll over the signals (a signalfd), link events,
 * netd.sock, the time sync's sockets and name lookup, and each DHCP
 * client's packet socket, with the nearest DHCP or time sync timer and
 * the readiness deadline as its timeout. Signals only wake it: SIGHUP
 * reloads, SIGTERM and SIGINT stop it.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>
#include "clock.h"
#include "log.h"
#include "netd.h"

#define MAX_POLL 64
/* signals, events, netd.sock; then the time sync's, then the links' */
#define FIXED_FDS 3

static int sig_fd = -1;
static int ready_fd; /* init's READY_FD: 0 none, -1 once told */
static long started_ms;

int loop_init(void)
{
	const char *env = getenv("READY_FD");
	sigset_t mask;

	started_ms = monotonic_ms();
	ready_fd = env ? atoi(env) : 0; /* 0: no one is waiting */
	if (ready_fd < 0)
		ready_fd = 0;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	sig_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	return sig_fd < 0 ? -errno : 0;
}

/*
 * The ready line to init, once: when every required interface has an
 * address, or at ready_timeout without them.
 */
static void tell_ready(void)
{
	const char *missing = NULL;
	long waited;

	if (ready_fd < 0)
		return;
	waited = monotonic_ms() - started_ms;
	if (!links_ready(&missing)) {
		if (waited < (long)netd.conf.ready_timeout_s * 1000)
			return;
		log_warn("ready without %s: no address after %d s", missing,
			 netd.conf.ready_timeout_s);
	} else {
		log_info("ready after %ld ms", waited);
	}
	if (ready_fd > 0) {
		(void)!write(ready_fd, "ready\n", 6);
		close(ready_fd);
	}
	ready_fd = -1;
}

/* Until the next DHCP or time sync timer or the readiness deadline;
 * -1: none. */
static int timeout_ms(long now)
{
	long next = links_next_timer(), ntp = timesync_next_timer();
	int timeout = -1;

	if (ntp >= 0 && (next < 0 || ntp < next))
		next = ntp;
	if (next >= 0)
		/* a long lease's T1 is weeks away: wake hourly */
		timeout = next <= now		 ? 0
			  : next - now > 3600000 ? 3600000
						 : (int)(next - now);
	if (ready_fd >= 0) {
		long left = started_ms +
			    (long)netd.conf.ready_timeout_s * 1000 - now;

		if (left < 0)
			left = 0;
		if (timeout < 0 || left < timeout)
			timeout = (int)left;
	}
	return timeout;
}

/* SIGHUP reloads; SIGTERM and SIGINT: true, netd stops. */
static bool read_signals(void)
{
	struct signalfd_siginfo si;

	while (read(sig_fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			log_info("reloading (SIGHUP)");
			links_reload(NULL, 0);
			continue;
		}
		log_info("stopping");
		unlink(netd.sock_path);
		return true;
	}
	return false;
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
			log_err("unable to read link events: %s", strerror(-r));
			return;
		}
	}
}

int loop_run(void)
{
	struct pollfd pfd[MAX_POLL];
	int link_of[MAX_POLL]; /* by index: a link may go in this pass */

	tell_ready();
	for (;;) {
		int n = 0, n_time;

		/* the servers as links and leases now have them: a change
		 * polls at once (and may open a socket to poll below) */
		timesync_update(monotonic_ms());

		pfd[n++] = (struct pollfd){ .fd = sig_fd, .events = POLLIN };
		pfd[n++] = (struct pollfd){ .fd = rtnl_fd(&netd.events),
					    .events = POLLIN };
		pfd[n++] =
			(struct pollfd){ .fd = netd.ctl_fd, .events = POLLIN };
		n_time = timesync_poll_fds(pfd + n);
		n += n_time;
		for (struct link *l = netd.links; l && n < MAX_POLL;
		     l = l->next) {
			if (l->pkt_fd < 0)
				continue;
			link_of[n] = l->index;
			pfd[n++] = (struct pollfd){ .fd = l->pkt_fd,
						    .events = POLLIN };
		}
		if (poll(pfd, (nfds_t)n, timeout_ms(monotonic_ms())) < 0 &&
		    errno != EINTR) {
			log_err("unable to wait for events: %s",
				strerror(errno));
			return 1;
		}
		if ((pfd[0].revents & POLLIN) && read_signals())
			return 0;
		if (pfd[1].revents & POLLIN)
			read_events();
		if (pfd[2].revents & POLLIN)
			ctl_handle(netd.ctl_fd);
		timesync_poll_events(pfd + FIXED_FDS, n_time);
		for (int i = FIXED_FDS + n_time; i < n; i++) {
			struct link *l = link_by_index(link_of[i]);

			/* POLLERR too: a link set down leaves ENETDOWN on
			 * its socket until a read clears it */
			if (pfd[i].revents && l && l->pkt_fd == pfd[i].fd)
				link_receive(l);
		}
		links_timers(monotonic_ms());
		timesync_timers(monotonic_ms());
		tell_ready();
	}
}
