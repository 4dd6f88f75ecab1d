// SPDX-License-Identifier: MIT
/*
 * The time sync's place in netd: which servers the SNTP client (sntp.c)
 * asks, network.conf's `ntp` and every lease's option 42; its sockets,
 * lookups and timer in the loop; and its callbacks, which correct the
 * clock (sysclock.c) and record each sync: the saved time in /var
 * (init's floor for the clock at the next boot) and, once a boot, the
 * marker a service waits for (KEEL_CLOCK_SYNCED).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>
#include "clock.h"
#include "file.h"
#include "log.h"
#include "netd.h"
#include "sysclock.h"

static uint32_t net_seen; /* net_signature() at the last pass */
static bool marked; /* the marker is written */

/* --- the client's callbacks ------------------------------------------ */

static int on_send(struct sntp *c, struct sntp_peer *p, const uint8_t *pkt,
		   size_t len, uint64_t *t1)
{
	(void)c;
	return ntpio_send((struct sockaddr *)&p->addr, p->addrlen, pkt, len,
			  t1);
}

static void on_lookup(struct sntp *c, char (*hosts)[NTP_HOST_MAX], int n)
{
	int r;

	(void)c;
	ntpio_lookup_stop();
	if (!n)
		return;
	r = ntpio_lookup(hosts, n);
	/* the client's timer ends the wait: no address this poll */
	if (r)
		log_warn("unable to look up the NTP servers: %s", strerror(-r));
}

static uint64_t on_random(struct sntp *c)
{
	static uint64_t x;
	uint64_t v;

	(void)c;
	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) == sizeof(v))
		return v;
	/* no entropy yet, early in a boot: a nonce needs to be
	 * unguessable off the path, not secret, so this will do */
	x = x * 6364136223846793005ULL + (uint64_t)sysclock_now_ns();
	return x ^ (x >> 29);
}

static void mark_synced(const char *server)
{
	char path[256], text[NTP_HOST_MAX + 96];
	int r;

	if (marked)
		return;
	snprintf(path, sizeof(path), "%s/time-synced", netd.run_dir);
	snprintf(text, sizeof(text), "%lld %s\n",
		 (long long)(sysclock_now_ns() / 1000000000LL), server);
	r = write_atomic(path, text, strlen(text), 0644);
	if (r) {
		log_warn("unable to write %s: %s", path, strerror(-r));
		return;
	}
	marked = true;
	log_info("time synced%s", sysclock_is_dry_run() ? " (dry run)" : "");
}

static int on_adjust(struct sntp *c, const struct sntp_peer *best,
		     int64_t offset_ns, bool step)
{
	const char *dry = sysclock_is_dry_run() ? " (dry run)" : "";
	char off[32], lbl[NTP_HOST_MAX + 72];
	int r = step ? sysclock_step(offset_ns, c->poll_exp,
				     best->sample.dist_ns)
		     : sysclock_slew(offset_ns, c->poll_exp,
				     best->sample.dist_ns);

	sntp_secs(off, sizeof(off), offset_ns);
	if (r) {
		log_err("unable to %s the clock by %s: %s",
			step ? "step" : "slew", off, strerror(-r));
		return r;
	}
	if (step)
		log_info("ntp: stepped the clock by %s%s", off, dry);
	r = clock_write_file(netd.clock_file, sysclock_now_ns() / 1000000000LL);
	if (r)
		log_warn("unable to save the time in %s: %s", netd.clock_file,
			 strerror(-r));
	mark_synced(sntp_peer_label(best, lbl, sizeof(lbl)));
	return 0;
}

static void on_log(struct sntp *c, bool warn, const char *msg)
{
	(void)c;
	if (warn)
		log_warn("ntp: %s", msg);
	else
		log_info("ntp: %s", msg);
}

static const struct sntp_ops ops = {
	.send = on_send,
	.lookup = on_lookup,
	.adjust = on_adjust,
	.random = on_random,
	.log = on_log,
};

void timesync_init(void)
{
	sntp_init(&netd.sntp, &ops, NULL);
}

/* --- servers and the network ------------------------------------------ */

static void add_host(char (*hosts)[NTP_HOST_MAX], int *n, const char *h)
{
	for (int i = 0; i < *n; i++)
		if (!strcmp(hosts[i], h))
			return;
	if (*n < SNTP_MAX_HOSTS)
		snprintf(hosts[(*n)++], NTP_HOST_MAX, "%s", h);
}

/* network.conf's servers first, then each lease's (option 42). */
static int gather_hosts(char (*hosts)[NTP_HOST_MAX])
{
	char ip[INET_ADDRSTRLEN];
	int n = 0;

	for (int i = 0; i < netd.conf.n_ntp; i++)
		add_host(hosts, &n, netd.conf.ntp[i]);
	for (struct link *l = netd.links; l; l = l->next)
		for (int i = 0; l->dhcp.have_lease && i < l->dhcp.lease.n_ntp;
		     i++)
			add_host(hosts, &n,
				 inet_ntop(AF_INET, &l->dhcp.lease.ntp[i], ip,
					   sizeof(ip)));
	return n;
}

/* FNV-1a over what makes a network usable: links, addresses, DNS. */
static uint32_t fnv(uint32_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n--)
		h = (h ^ *b++) * 16777619u;
	return h;
}

static uint32_t net_signature(void)
{
	uint32_t h = 2166136261u;

	for (struct link *l = netd.links; l; l = l->next) {
		h = fnv(h, &l->index, sizeof(l->index));
		h = fnv(h, &l->carrier, sizeof(l->carrier));
		h = fnv(h, &l->n_addrs, sizeof(l->n_addrs));
		h = fnv(h, &l->n_routes, sizeof(l->n_routes));
		if (l->dhcp.have_lease)
			h = fnv(h, &l->dhcp.lease.addr,
				sizeof(l->dhcp.lease.addr));
	}
	return fnv(h, netd.resolv_last, strlen(netd.resolv_last));
}

void timesync_update(long now)
{
	char hosts[SNTP_MAX_HOSTS][NTP_HOST_MAX];
	uint32_t sig = net_signature();

	sntp_set_hosts(&netd.sntp, hosts, gather_hosts(hosts), now);
	if (sig != net_seen) {
		net_seen = sig;
		sntp_kick(&netd.sntp, now);
	}
}

/* --- the loop's part ---------------------------------------------------- */

int timesync_poll_fds(struct pollfd *pfd)
{
	int n = 0;

	for (int i = 0; i < 2; i++)
		if (netd.ntp_fd[i] >= 0)
			pfd[n++] = (struct pollfd){ .fd = netd.ntp_fd[i],
						    .events = POLLIN };
	if (netd.lookup_fd >= 0)
		pfd[n++] = (struct pollfd){ .fd = netd.lookup_fd,
					    .events = POLLIN };
	return n;
}

static void on_address(const char *host, const struct sockaddr *sa,
		       socklen_t len)
{
	sntp_add_address(&netd.sntp, host, sa, len);
}

static void on_no_address(const char *host, const char *why)
{
	log_warn("ntp: unable to look up %s: %s", host, why);
}

#define RECV_BUDGET 16 /* datagrams read per wake-up */

static void receive(int fd)
{
	uint8_t buf[NTP_PACKET_LEN + 1024]; /* room for extension fields */
	struct sockaddr_storage from;
	socklen_t fromlen;
	uint64_t t4;

	for (int budget = RECV_BUDGET; budget > 0; budget--) {
		ssize_t n =
			ntpio_recv(fd, buf, sizeof(buf), &from, &fromlen, &t4);

		if (n < 0 && n != -EINTR)
			return; /* -EAGAIN; an ICMP error (ECONNREFUSED) is
				 * the server's silence, noticed at timeout */
		if (n >= 0)
			sntp_input(&netd.sntp, (struct sockaddr *)&from,
				   fromlen, buf, (size_t)n, t4, monotonic_ms());
	}
}

void timesync_poll_events(const struct pollfd *pfd, int n)
{
	for (int i = 0; i < n; i++) {
		if (!pfd[i].revents)
			continue;
		if (pfd[i].fd == netd.lookup_fd) {
			if (ntpio_lookup_read(on_address, on_no_address))
				sntp_resolved(&netd.sntp, monotonic_ms());
		} else if (pfd[i].fd == netd.ntp_fd[0] ||
			   pfd[i].fd == netd.ntp_fd[1]) {
			receive(pfd[i].fd);
		}
	}
}

long timesync_next_timer(void)
{
	return netd.sntp.next_ms;
}

void timesync_timers(long now)
{
	sntp_timer(&netd.sntp, now);
}

void timesync_stop(void)
{
	ntpio_lookup_stop();
}
