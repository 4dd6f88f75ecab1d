// SPDX-License-Identifier: MIT
#include "pods/podattach.h"
#include "ctlsock.h"
#include "file.h"
#include "oci/pod.h"
#include "pods/detachkeys.h"
#include "pods/podexec.h"
#include "pods/term.h"
#include "run/attach.h"
#include "run/container.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

/* after the input ends, output is shown until it is quiet this long */
#define LINGER_MS 1000

static volatile sig_atomic_t stop;

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

static int fail(const char *fmt, const char *a, const char *b)
{
	fprintf(stderr, "imagectl: attach: ");
	fprintf(stderr, fmt, a, b);
	fputc('\n', stderr);
	return 1;
}

/* The shim's socket of the container, and whether it is a terminal */
static int join(const char *pod, const char *name, bool *tty, int *sock)
{
	char path[CTR_PATH_MAX + 300];
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 10 };
	char buf[CTL_MSG_MAX];

	snprintf(path, sizeof(path), PODS_RUN_DIR "/%s/%s/" ATTACH_DIR, pod,
		 name);
	strcpy(a.sun_path, ATTACH_SOCK);
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	/* by its name in its folder: the whole path may not fit sun_path */
	if (fd < 0 || chdir(path) ||
	    connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		if (errno == ENOENT)
			return fail("container %s of pod %s has stdin disabled "
				    "(attach needs stdin: true in its spec)",
				    name, pod);
		return fail("%s: %s", path, strerror(errno));
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return fail("container %s: %s", name,
			    n ? strerror(errno) : "it ended");
	buf[n] = '\0';
	if (buf[0] != CTL_OK)
		return fail("container %s: %s", name, buf + 1);
	*tty = !strcmp(buf + 1, "tty");
	tv.tv_sec = 0;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	fcntl(fd, F_SETFL, O_NONBLOCK);
	*sock = fd;
	return 0;
}

struct session {
	int fd;
	bool tty, eof, eof_sent, detached;
	struct detach_keys keys;
	char pkt[1 + ATTACH_DATA_MAX + DETACH_KEYS_LEN]; /* one to send */
	size_t len;
};

/* What the shim sent; false once it is gone (the container ended) */
static bool from_shim(struct session *s)
{
	char buf[1 + ATTACH_DATA_MAX + 1];
	ssize_t n = recv(s->fd, buf, sizeof(buf) - 1, 0);

	if (n < 0)
		return errno == EAGAIN || errno == EINTR;
	if (n == 0)
		return false;
	buf[n] = '\0';
	if (buf[0] == ATTACH_OUT)
		return !write_full(1, buf + 1, n - 1);
	if (buf[0] == ATTACH_LOST)
		fprintf(stderr,
			"\r\nimagectl: attach: %s bytes of output skipped: "
			"not read in time (the log has them)\r\n",
			buf + 1);
	return true;
}

/* Our input, into the next packet (less the detach keys for a tty) */
static void from_stdin(struct session *s)
{
	char buf[ATTACH_DATA_MAX];
	ssize_t n = read(0, buf, sizeof(buf));

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	s->pkt[0] = ATTACH_IN;
	if (n <= 0) {
		s->eof = true;
		s->len = 1 + detach_flush(&s->keys, s->pkt + 1);
	} else if (s->tty)
		s->len = 1 + detach_scan(&s->keys, buf, n, s->pkt + 1,
					 &s->detached);
	else {
		memcpy(s->pkt + 1, buf, n);
		s->len = 1 + n;
	}
	if (s->len == 1)
		s->len = 0;
}

static void resize(struct session *s)
{
	struct winsize ws;
	char pkt[1 + sizeof(struct attach_winsize)] = { ATTACH_RESIZE };

	if (!s->tty || !term_resized(&ws))
		return;
	struct attach_winsize w = { .rows = ws.ws_row, .cols = ws.ws_col };
	memcpy(pkt + 1, &w, sizeof(w));
	send(s->fd, pkt, sizeof(pkt), MSG_DONTWAIT | MSG_NOSIGNAL);
}

/*
 * Until the detach keys, the end of our input (and a second of quiet
 * output after it), a signal, or the container's end. Our next input is
 * read only once the last is sent: the shim takes it as the container
 * reads, and nothing piles up on either side.
 */
static void session(struct session *s)
{
	while (!stop && !s->detached) {
		resize(s);
		if (s->eof && !s->len && !s->eof_sent) {
			s->pkt[0] = ATTACH_EOF;
			s->len = 1;
			s->eof_sent = true;
		}
		struct pollfd p[2] = {
			{ .fd = s->eof || s->len ? -1 : 0, .events = POLLIN },
			{ .fd = s->fd,
			  .events = POLLIN | (s->len ? POLLOUT : 0) },
		};
		int n = poll(p, 2, s->eof_sent && !s->len ? LINGER_MS : -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return; /* quiet since the input ended */
		if ((p[1].revents & POLLIN) && !from_shim(s))
			return;
		if (!(p[1].revents & POLLIN) &&
		    (p[1].revents & (POLLHUP | POLLERR)))
			return;
		if ((p[1].revents & POLLOUT) &&
		    send(s->fd, s->pkt, s->len, MSG_DONTWAIT | MSG_NOSIGNAL) >=
			    0)
			s->len = 0;
		if (p[0].revents)
			from_stdin(s);
	}
}

static int run(int fd, bool tty, const char *name)
{
	struct session s = { .fd = fd, .tty = tty };
	struct sigaction sa = { .sa_handler = on_stop };
	struct termios saved;
	bool restore = tty && term_raw(&saved);

	/* no SA_RESTART: each ends the session, the terminal restored */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (tty)
		term_watch_size();
	session(&s);
	/* what came before the detach keys */
	if (s.detached && s.len)
		send(fd, s.pkt, s.len, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (restore)
		term_restore(&saved);
	close(fd);
	if (s.detached)
		fprintf(stderr, "\nimagectl: detached from %s\n", name);
	return 0;
}

int pod_attach_main(int argc, char **argv)
{
	const char *pod = NULL, *ctr = NULL, *ns = "default";
	char key[POD_NAME_MAX + 1], name[256], cwd[CTR_PATH_MAX];
	pid_t pid;

	for (int i = 1; i < argc; i++) {
		/* kubectl's habit: the container's spec says what it has */
		if (!strcmp(argv[i], "-i") || !strcmp(argv[i], "-t") ||
		    !strcmp(argv[i], "-it") || !strcmp(argv[i], "-ti"))
			continue;
		if (!strcmp(argv[i], "-n") && i + 1 < argc)
			ns = argv[++i];
		else if (!strcmp(argv[i], "-c") && i + 1 < argc)
			ctr = argv[++i];
		else if (!pod && argv[i][0] != '-')
			pod = argv[i];
		else
			return fail("unexpected '%s'%s", argv[i], "");
	}
	if (!pod)
		return fail("usage: imagectl attach [-n NS] POD [-c "
			    "CONTAINER]%s%s",
			    "", "");
	if (pod_key(ns, pod, key, sizeof(key)))
		return fail("no pod %s in namespace %s", pod, ns);
	if (pod_pick(PODS_RUN_DIR, key, ctr, "", name, sizeof(name)) ||
	    pod_target(key, name, &pid, cwd, sizeof(cwd)))
		return 1;
	int fd;
	bool tty;
	if (join(key, name, &tty, &fd))
		return 1;
	return run(fd, tty, name);
}
