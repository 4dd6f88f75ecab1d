// SPDX-License-Identifier: MIT
#include "control.h"
#include "config.h"
#include "log.h"
#include "supervise.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

static struct sockaddr_un control_addr(void)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", CONTROL_SOCKET);
	return a;
}

int control_open(void)
{
	struct sockaddr_un a = control_addr();
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK,
			0);

	if (fd < 0)
		return -errno;
	unlink(a.sun_path);
	/* root only: the mode is the first gate, SO_PEERCRED the second */
	mode_t old = umask(0077);
	int r = bind(fd, (struct sockaddr *)&a, sizeof(a));
	umask(old);
	if (!r)
		r = chmod(a.sun_path, 0600);
	if (r || listen(fd, 8)) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

static void reply(int fd, int ok, const char *text, size_t len)
{
	static char out[CONTROL_MSG_MAX];

	if (len > sizeof(out) - 1)
		len = sizeof(out) - 1;
	out[0] = ok ? '0' : '1';
	memcpy(out + 1, text, len);
	send(fd, out, len + 1, MSG_NOSIGNAL);
}

static void __attribute__((noreturn)) debug_hang(void)
{
	/* Test images only: wedge the main loop so the watchdog fires. */
	log_err("debug: main loop hanging on request");
	for (;;)
		pause();
}

enum shutdown_kind control_handle(int lfd)
{
	static char status[CONTROL_MSG_MAX - 1];
	char req[128], msg[160];
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	struct timeval tv = { .tv_usec = 200000 };
	enum shutdown_kind how = SHUTDOWN_NONE;
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		return SHUTDOWN_NONE;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) ||
	    cred.uid != 0) {
		snprintf(msg, sizeof(msg), "permission denied: root only");
		reply(fd, 0, msg, strlen(msg));
		goto out;
	}
	/* a client that connects and says nothing must not stall PID 1 */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	ssize_t n = recv(fd, req, sizeof(req) - 1, 0);
	if (n <= 0)
		goto out;
	req[n] = '\0';

	char *arg = strchr(req, ' ');
	if (arg)
		*arg++ = '\0';
	if (!strcmp(req, "status") && !arg) {
		size_t len = services_status(status, sizeof(status));
		reply(fd, 1, status, len);
	} else if ((!strcmp(req, "start") || !strcmp(req, "stop") ||
		    !strcmp(req, "restart")) &&
		   arg && *arg) {
		int r = service_control(req, arg, msg, sizeof(msg));
		reply(fd, r == 0, msg, strlen(msg));
	} else if (!arg && (how = shutdown_for_name(req)) != SHUTDOWN_NONE) {
		snprintf(msg, sizeof(msg), "%s: going down", req);
		reply(fd, 1, msg, strlen(msg));
	} else if (CONFIG_KEEL_INIT_DEBUG_HOOKS && !strcmp(req, "debug-hang")) {
		snprintf(msg, sizeof(msg), "hanging");
		reply(fd, 1, msg, strlen(msg));
		close(fd);
		debug_hang();
	} else {
		snprintf(msg, sizeof(msg), "unknown request '%s%s%s'", req,
			 arg ? " " : "", arg ? arg : "");
		reply(fd, 0, msg, strlen(msg));
	}
out:
	close(fd);
	return how;
}

static int usage(void)
{
	fprintf(stderr, "usage: initctl status\n"
			"       initctl start|stop|restart <service>\n"
			"       initctl reboot|poweroff|halt\n");
	return 2;
}

int initctl_main(int argc, char **argv)
{
	static char buf[CONTROL_MSG_MAX + 1];
	struct sockaddr_un a = control_addr();
	char req[128];
	int fd;

	if (argc < 2 || argc > 3 || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "--help"))
		return usage();
	snprintf(req, sizeof(req), "%s%s%s", argv[1], argc == 3 ? " " : "",
		 argc == 3 ? argv[2] : "");

	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	/* a wedged or departing init must not hang the caller */
	struct timeval tv = { .tv_sec = 10 };
	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		fprintf(stderr, "initctl: unable to connect to %s: %s\n",
			CONTROL_SOCKET, strerror(errno));
		return 1;
	}
	if (send(fd, req, strlen(req), 0) < 0) {
		fprintf(stderr, "initctl: unable to send: %s\n",
			strerror(errno));
		return 1;
	}
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
	close(fd);
	if (n <= 0) {
		fprintf(stderr, "initctl: no answer from init\n");
		return 1;
	}
	buf[n] = '\0';
	fprintf(buf[0] == '0' ? stdout : stderr, "%s%s", buf + 1,
		n > 1 && buf[n - 1] != '\n' ? "\n" : "");
	return buf[0] == '0' ? 0 : 1;
}
