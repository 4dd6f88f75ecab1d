// SPDX-License-Identifier: MIT
/*
 * What the time sync reads and writes, with no client logic: its UDP
 * sockets, and the servers' names looked up in a child process.
 *
 * Why a child: the name must be resolved as the rest of the host
 * resolves names (resolv.conf as netd writes it, /etc/hosts, search
 * domains, musl's rules), and libc's resolver blocks. musl has no
 * getaddrinfo_a, and a DNS client of netd's own would be a second
 * parser of untrusted bytes and a second reading of resolv.conf. So a
 * lookup forks: the child calls getaddrinfo for each name, writes what
 * it finds down a pipe, one record per write (smaller than PIPE_BUF, so
 * never torn), and exits; the pipe is in netd's poll set, and the
 * client's own timer gives up on a child that takes too long. netd's
 * resident set is well under a megabyte, so the fork is cheap, and a
 * lookup happens only when the servers change or a poll has failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>
#include "netd.h"
#include "sysclock.h"

#define ADDRS_PER_NAME 4 /* a pool name: several servers to compare */

/* One answer from the lookup child. */
struct lookup_rec {
	char host[NTP_HOST_MAX];
	int gai_err; /* 0: sa holds an address */
	socklen_t len;
	struct sockaddr_storage sa;
};

static int sock_for(int family)
{
	int *fd = &netd.ntp_fd[family == AF_INET6];

	if (*fd >= 0)
		return *fd;
	/* bound to no port: the kernel's random one, as RFC 9109 asks */
	*fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (*fd < 0)
		return -errno;
	/* the kernel's receive time, not when netd got round to it */
	setsockopt(*fd, SOL_SOCKET, SO_TIMESTAMPNS, &(int){ 1 }, sizeof(int));
	return *fd;
}

int ntpio_send(const struct sockaddr *sa, socklen_t len, const uint8_t *pkt,
	       size_t n, uint64_t *t1)
{
	int fd = sock_for(sa->sa_family);

	if (fd < 0)
		return fd;
	*t1 = ntp_from_unix_ns(sysclock_now_ns());
	if (sendto(fd, pkt, n, 0, sa, len) < 0)
		return -errno;
	return 0;
}

ssize_t ntpio_recv(int fd, uint8_t *buf, size_t len,
		   struct sockaddr_storage *from, socklen_t *fromlen,
		   uint64_t *t4)
{
	char ctrl[CMSG_SPACE(sizeof(struct timespec))];
	struct iovec iov = { buf, len };
	struct msghdr mh = {
		.msg_name = from,
		.msg_namelen = sizeof(*from),
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = ctrl,
		.msg_controllen = sizeof(ctrl),
	};
	int64_t when = 0;
	ssize_t n = recvmsg(fd, &mh, 0);

	if (n < 0)
		return -errno;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm;
	     cm = CMSG_NXTHDR(&mh, cm))
		if (cm->cmsg_level == SOL_SOCKET &&
		    cm->cmsg_type == SO_TIMESTAMPNS) {
			struct timespec ts;

			memcpy(&ts, CMSG_DATA(cm), sizeof(ts));
			when = sysclock_from_kernel_ns(
				ts.tv_sec * 1000000000LL + ts.tv_nsec);
		}
	*t4 = ntp_from_unix_ns(when ? when : sysclock_now_ns());
	*fromlen = mh.msg_namelen;
	return n;
}

/* In the child: each name's addresses (or why none) down fd. */
static void lookup_child(int fd, char (*hosts)[NTP_HOST_MAX], int n)
{
	struct addrinfo hints = {
		.ai_socktype = SOCK_DGRAM,
		.ai_flags = AI_ADDRCONFIG | AI_NUMERICSERV,
	};

	for (int i = 0; i < n; i++) {
		struct lookup_rec rec = { 0 };
		struct addrinfo *res = NULL, *ai;
		char name[NTP_HOST_MAX], port[8];
		uint16_t p;
		int k = 0;

		if (ntp_host_parse(hosts[i], name, sizeof(name), &p))
			continue;
		snprintf(port, sizeof(port), "%u", p);
		snprintf(rec.host, sizeof(rec.host), "%s", hosts[i]);
		rec.gai_err = getaddrinfo(name, port, &hints, &res);
		if (rec.gai_err) {
			(void)!write(fd, &rec, sizeof(rec));
			continue;
		}
		for (ai = res; ai && k < ADDRS_PER_NAME; ai = ai->ai_next) {
			if (ai->ai_addrlen > sizeof(rec.sa))
				continue;
			rec.len = ai->ai_addrlen;
			memcpy(&rec.sa, ai->ai_addr, ai->ai_addrlen);
			(void)!write(fd, &rec, sizeof(rec));
			k++;
		}
		freeaddrinfo(res);
	}
}

int ntpio_lookup(char (*hosts)[NTP_HOST_MAX], int n)
{
	int p[2];
	pid_t pid;

	ntpio_lookup_stop();
	if (pipe2(p, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0) {
		int e = errno;

		close(p[0]);
		close(p[1]);
		return -e;
	}
	if (pid == 0) {
		close(p[0]);
		lookup_child(p[1], hosts, n);
		_exit(0);
	}
	close(p[1]);
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	netd.lookup_fd = p[0];
	netd.lookup_pid = pid;
	return 0;
}

void ntpio_lookup_stop(void)
{
	if (netd.lookup_fd >= 0)
		close(netd.lookup_fd);
	netd.lookup_fd = -1;
	if (netd.lookup_pid > 0) {
		/* SIGKILL: the child has netd's signals blocked */
		kill(netd.lookup_pid, SIGKILL);
		while (waitpid(netd.lookup_pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	netd.lookup_pid = 0;
}

bool ntpio_lookup_read(void (*on_addr)(const char *host,
				       const struct sockaddr *sa,
				       socklen_t len),
		       void (*on_fail)(const char *host, const char *why))
{
	struct lookup_rec rec;
	ssize_t n;

	while ((n = read(netd.lookup_fd, &rec, sizeof(rec))) ==
	       (ssize_t)sizeof(rec)) {
		rec.host[sizeof(rec.host) - 1] = 0;
		if (rec.gai_err)
			on_fail(rec.host, gai_strerror(rec.gai_err));
		else if (rec.len <= sizeof(rec.sa))
			on_addr(rec.host, (struct sockaddr *)&rec.sa, rec.len);
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return false;
	/* the end (or a short record, which only a dying child leaves) */
	ntpio_lookup_stop();
	return true;
}
