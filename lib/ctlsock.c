// SPDX-License-Identifier: MIT
#include "ctlsock.h"
#include "file.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

static int ctl_addr(const char *path, struct sockaddr_un *a)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(a->sun_path))
		return -ENAMETOOLONG;
	strcpy(a->sun_path, path);
	return 0;
}

int ctl_listen(const char *path)
{
	struct sockaddr_un a;
	int r = ctl_addr(path, &a);

	if (r)
		return r;
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK,
			0);
	if (fd < 0)
		return -errno;
	unlink(path);
	/* root only: the mode is the first gate, SO_PEERCRED the second */
	mode_t old = umask(0077);
	r = bind(fd, (struct sockaddr *)&a, sizeof(a));
	umask(old);
	if (!r)
		r = chmod(path, 0600);
	if (r || listen(fd, 8)) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

int ctl_send(int fd, char kind, const char *text)
{
	char out[CTL_MSG_MAX];
	size_t len = strlen(text);

	if (len > sizeof(out) - 1)
		len = sizeof(out) - 1;
	out[0] = kind;
	memcpy(out + 1, text, len);
	return send(fd, out, len + 1, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

int ctl_sendf(int fd, char kind, const char *fmt, ...)
{
	char text[CTL_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	return ctl_send(fd, kind, text);
}

/* The peer's namespace of kind ("mnt", "pid") is ours. */
static bool same_ns(pid_t pid, const char *kind)
{
	char path[64];
	struct stat mine, theirs;

	snprintf(path, sizeof(path), "/proc/self/ns/%s", kind);
	if (stat(path, &mine))
		return false;
	snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, kind);
	return !stat(path, &theirs) && mine.st_dev == theirs.st_dev &&
	       mine.st_ino == theirs.st_ino;
}

const char *ctl_peer_refused(pid_t pid)
{
	static char why[160];
	char path[64], text[512];

	/* 0: a peer in a PID namespace ours cannot see */
	if (pid <= 0)
		return "it is in another PID namespace";
	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	if (read_text(path, text, sizeof(text)) < 0)
		return "its cgroup cannot be read";
	/* cgroup v2's line is "0::/path" (v1's name their controllers) */
	const char *cg =
		!strncmp(text, "0::", 3) ? text : strstr(text, "\n0::");
	cg = cg ? cg + 3 + (*cg == '\n') : "";
	size_t len = strcspn(cg, "\n"), pods = strlen(CTL_PODS_CGROUP);
	if (len >= pods && !strncmp(cg, CTL_PODS_CGROUP, pods) &&
	    (len == pods || cg[pods] == '/')) {
		snprintf(why, sizeof(why), "it runs in a pod (cgroup %.*s)",
			 (int)(len > 100 ? 100 : len), cg);
		return why;
	}
	if (!same_ns(pid, "pid"))
		return "it is in another PID namespace";
	if (!same_ns(pid, "mnt"))
		return "it is in another mount namespace";
	return NULL;
}

/*
 * The answer to a client that may not ask. A close over unread data
 * would reset the connection, and the client would see that rather than
 * the answer: what it sent is taken off unread, and what it sends from
 * now on fails at its end (EPIPE) instead of being queued.
 */
static void refuse(int fd, const char *why)
{
	char scratch[CTL_MSG_MAX];

	shutdown(fd, SHUT_RD);
	while (recv(fd, scratch, sizeof(scratch), MSG_DONTWAIT) > 0)
		;
	ctl_send(fd, CTL_ERR, why);
	close(fd);
}

int ctl_accept_peer(int lfd)
{
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) ||
	    cred.uid != 0) {
		refuse(fd, "permission denied: root only");
		return -EACCES;
	}
	/*
	 * Root in a container is root too, and a hostPath of /run hands it
	 * the socket: only the host's own processes are heard. Nothing of
	 * the request has been read yet.
	 */
	const char *why = ctl_peer_refused(cred.pid);
	if (why) {
		log_warn("refused a control request from pid %d: %s",
			 (int)cred.pid, why);
		refuse(fd, "permission denied: only the host's own processes "
			   "may use this socket");
		return -EACCES;
	}
	return fd;
}

int ctl_accept(int lfd, char *req, size_t reqlen, char **argv, int *argc)
{
	/* a second: a root client on a loaded box (a TCG guest, a busy
	 * edge device) can be descheduled between connect and send */
	struct timeval tv = { .tv_sec = 1 };
	int fd = ctl_accept_peer(lfd);

	if (fd < 0)
		return fd;
	/* a client that connects and says nothing must not stall us */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	ssize_t n = recv(fd, req, reqlen - 1, 0);
	if (n <= 0) {
		int e = n < 0 ? errno : ENODATA;

		close(fd);
		return -e;
	}
	req[n] = '\0';
	*argc = 0;
	for (char *w = req; w < req + n && *argc < CTL_ARGS_MAX;
	     w += strlen(w) + 1)
		argv[(*argc)++] = w;
	argv[*argc] = NULL;
	return fd;
}

int ctl_call(const char *path, char *const argv[], int timeout_s,
	     ctl_reply_fn on_reply, void *ctx, char *err, size_t errlen)
{
	static char buf[CTL_MSG_MAX + 1];
	char req[CTL_MSG_MAX];
	size_t len = 0;
	struct sockaddr_un a;
	int fd, r;

	for (int i = 0; argv[i]; i++) {
		size_t l = strlen(argv[i]) + 1;
		if (len + l > sizeof(req)) {
			snprintf(err, errlen, "request too long");
			return -E2BIG;
		}
		memcpy(req + len, argv[i], l);
		len += l;
	}
	if ((r = ctl_addr(path, &a)))
		return r;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		r = -errno;
		snprintf(err, errlen, "unable to connect to %s: %s", path,
			 strerror(errno));
		goto out;
	}
	/* a wedged or departing server must not hang the caller */
	struct timeval tv = { .tv_sec = timeout_s };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (send(fd, req, len > 0 ? len - 1 : 0, 0) < 0) {
		r = -errno;
		snprintf(err, errlen, "unable to send to %s: %s", path,
			 strerror(errno));
		goto out;
	}
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
		if (n <= 0) {
			r = n < 0 ? -errno : -EPIPE;
			snprintf(err, errlen, "%s: %s", path,
				 n < 0 ? "no answer in time"
				       : "closed without an answer");
			goto out;
		}
		buf[n] = '\0';
		on_reply(buf[0], buf + 1, ctx);
		if (buf[0] != CTL_MORE) {
			r = buf[0] == CTL_OK ? 0 : 1;
			goto out;
		}
	}
out:
	if (fd >= 0)
		close(fd);
	return r;
}

void ctl_print_reply(char kind, const char *text, void *ctx)
{
	size_t len = strlen(text);
	FILE *f = kind == CTL_ERR ? stderr : stdout;

	(void)ctx;
	if (len)
		fprintf(f, "%s%s", text, text[len - 1] != '\n' ? "\n" : "");
	fflush(f);
}
