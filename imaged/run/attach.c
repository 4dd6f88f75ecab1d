// SPDX-License-Identifier: MIT
#include "run/attach.h"
#include "ctlsock.h"
#include "run/container.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

int attach_open(struct attach *a, const char *run_dir, int in, bool tty,
		bool once)
{
	char path[CTR_PATH_MAX + 16];
	int r = 0;

	*a = (struct attach){ .dfd = -1,
			      .lfd = -1,
			      .client = -1,
			      .in = in,
			      .tty = tty,
			      .once = once };
	if (in < 0)
		return 0;
	if (fcntl(in, F_SETFL, fcntl(in, F_GETFL) | O_NONBLOCK))
		return -errno;
	snprintf(path, sizeof(path), "%s/" ATTACH_DIR, run_dir);
	if (mkdir(path, 0700) && errno != EEXIST)
		return -errno;
	a->dfd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	/* its owner's alone (root's: only root writes in run_dir) */
	if (a->dfd < 0 || fchmod(a->dfd, 0700))
		return -errno;
	/*
	 * bound by its name in the folder: a pod's and a container's name
	 * may make the whole path longer than a socket address holds
	 */
	if (fchdir(a->dfd))
		return -errno;
	a->lfd = ctl_listen(ATTACH_SOCK);
	if (a->lfd < 0)
		r = a->lfd;
	if (chdir("/") && !r)
		r = -errno;
	return r;
}

size_t attach_poll(const struct attach *a, struct pollfd *p)
{
	size_t n = 0;

	if (a->lfd >= 0)
		p[n++] = (struct pollfd){ .fd = a->lfd, .events = POLLIN };
	/* the client's next input only once its last is written */
	if (a->client >= 0 && !a->len)
		p[n++] = (struct pollfd){ .fd = a->client, .events = POLLIN };
	if (a->in >= 0 && a->len)
		p[n++] = (struct pollfd){ .fd = a->in, .events = POLLOUT };
	return n;
}

/* As much of the pending input as stdin takes now */
static void stdin_write(struct attach *a)
{
	while (a->off < a->len) {
		ssize_t n = write(a->in, a->pending + a->off, a->len - a->off);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0)
			break; /* no reader left: the input goes nowhere */
		a->off += n;
	}
	a->off = a->len = 0;
}

/*
 * stdinOnce: the container's stdin ends with its first attach. A pipe is
 * closed; a terminal, which is also the container's output, gets its EOF
 * character (the end of input to a reader of lines).
 */
static void stdin_close(struct attach *a)
{
	struct termios t;

	if (a->in < 0)
		return;
	stdin_write(a);
	if (a->tty) {
		if (!tcgetattr(a->in, &t))
			(void)!write(a->in, &t.c_cc[VEOF], 1);
		return;
	}
	close(a->in);
	a->in = -1;
	a->off = a->len = 0;
}

static void client_end(struct attach *a)
{
	close(a->client);
	a->client = -1;
	a->used = true;
	if (a->once)
		stdin_close(a);
}

static void client_accept(struct attach *a)
{
	int fd = ctl_accept_peer(a->lfd);
	const char *busy = "the container's stdin is attached already (one "
			   "client at a time)";
	const char *once = "the container's stdin was closed when its first "
			   "attach ended (stdinOnce)";

	if (fd < 0)
		return;
	if (a->client >= 0 || (a->once && a->used) || a->in < 0) {
		ctl_send(fd, CTL_ERR, a->client >= 0 ? busy : once);
		close(fd);
		return;
	}
	if (ctl_send(fd, CTL_OK, a->tty ? "tty" : "pipe") ||
	    fcntl(fd, F_SETFL, O_NONBLOCK)) {
		close(fd);
		return;
	}
	a->client = fd;
	a->lost = 0;
}

static void client_read(struct attach *a)
{
	char buf[1 + ATTACH_DATA_MAX];
	struct attach_winsize ws;
	ssize_t n = recv(a->client, buf, sizeof(buf), MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		client_end(a);
		return;
	}
	switch (buf[0]) {
	case ATTACH_IN:
		if (a->in < 0 || n == 1)
			return;
		memcpy(a->pending, buf + 1, n - 1);
		a->off = 0;
		a->len = n - 1;
		stdin_write(a);
		return;
	case ATTACH_RESIZE:
		if (!a->tty || a->in < 0 || n != 1 + sizeof(ws))
			return;
		memcpy(&ws, buf + 1, sizeof(ws));
		struct winsize w = { .ws_row = ws.rows, .ws_col = ws.cols };
		ioctl(a->in, TIOCSWINSZ, &w);
		return;
	case ATTACH_EOF:
		if (a->once)
			stdin_close(a);
		return;
	default: /* not imagectl: gone */
		client_end(a);
	}
}

void attach_step(struct attach *a, const struct pollfd *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!p[i].revents)
			continue;
		if (p[i].fd == a->lfd)
			client_accept(a);
		else if (p[i].fd == a->client)
			client_read(a);
		else if (p[i].fd == a->in)
			stdin_write(a);
	}
}

void attach_output(struct attach *a, const char *buf, size_t n)
{
	char pkt[1 + ATTACH_DATA_MAX];

	if (a->client < 0)
		return;
	/* a client that fell behind hears how much it missed */
	if (a->lost) {
		int len = snprintf(pkt, sizeof(pkt), "%c%llu", ATTACH_LOST,
				   a->lost);
		if (send(a->client, pkt, len, MSG_DONTWAIT | MSG_NOSIGNAL) <
		    0) {
			a->lost += n;
			return;
		}
		a->lost = 0;
	}
	while (n) {
		size_t k = n < ATTACH_DATA_MAX ? n : ATTACH_DATA_MAX;
		pkt[0] = ATTACH_OUT;
		memcpy(pkt + 1, buf, k);
		if (send(a->client, pkt, k + 1, MSG_DONTWAIT | MSG_NOSIGNAL) <
		    0) {
			a->lost += n;
			return;
		}
		buf += k;
		n -= k;
	}
}

void attach_close(struct attach *a)
{
	if (a->dfd >= 0) {
		unlinkat(a->dfd, ATTACH_SOCK, 0);
		close(a->dfd);
	}
	if (a->lfd >= 0)
		close(a->lfd);
	if (a->client >= 0)
		close(a->client);
	if (a->in >= 0 && !a->tty)
		close(a->in);
	a->dfd = a->lfd = a->client = a->in = -1;
}
