// SPDX-License-Identifier: MIT
#include "pods/handler.h"
#include "pods/enter.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

bool handler_busy(const struct probe_rt *pr)
{
	return pr->busy;
}

bool handler_due(const struct probe_rt *pr, long long now)
{
	return pr->busy && (now >= pr->deadline_ms || pr->status != -1 ||
			    (pr->fd >= 0 && pods_fired(pr->fd)) ||
			    (pr->out >= 0 && pods_fired(pr->out)));
}

void handler_cancel(struct probe_rt *pr)
{
	if (pr->fd >= 0)
		close(pr->fd);
	if (pr->out >= 0)
		close(pr->out);
	/* reaped later by the daemon, as any child */
	if (pr->pid > 0)
		kill(pr->pid, SIGKILL);
	pr->fd = pr->out = -1;
	pr->pid = 0;
	pr->busy = false;
}

static bool done(struct probe_rt *pr, bool ok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The try is over: ok, or why not */
static bool done(struct probe_rt *pr, bool ok, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(pr->why, sizeof(pr->why), fmt, ap);
	va_end(ap);
	handler_cancel(pr);
	pr->ok = ok;
	return true;
}

/* The address a probe goes to: host, the pod's IP, or loopback */
static int address(const struct pod_rt *p, const struct pod_handler *h,
		   struct sockaddr_storage *ss, socklen_t *len)
{
	const char *host = h->host				? h->host
			   : p->ip[0] && !p->spec->host_network ? p->ip
								: "127.0.0.1";
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)h->port);
		*len = sizeof(*in);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)h->port);
		*len = sizeof(*in6);
		return 0;
	}
	return -EINVAL;
}

static void launch_socket(struct pod_rt *p, const struct pod_handler *h,
			  struct probe_rt *pr)
{
	struct sockaddr_storage ss;
	socklen_t len;

	if (address(p, h, &ss, &len)) {
		done(pr, false, "host %s is not an address",
		     h->host ? h->host : "?");
		return;
	}
	pr->fd = socket(ss.ss_family,
			SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (pr->fd < 0 || (connect(pr->fd, (struct sockaddr *)&ss, len) &&
			   errno != EINPROGRESS))
		done(pr, false, "dial tcp port %d: %s", h->port,
		     strerror(errno));
}

/* Where the container runs its processes: its run file's cwd= */
static void run_cwd(const struct ctr_rt *c, char *cwd, size_t len)
{
	char path[CTR_PATH_MAX + 8], text[4096];
	const char *at;

	snprintf(path, sizeof(path), "%s/run", c->run_dir);
	if (read_text(path, text, sizeof(text)) > 0 &&
	    (at = strstr(text, "cwd=")))
		snprintf(cwd, len, "%.*s", (int)strcspn(at + 4, "\n"), at + 4);
	else
		snprintf(cwd, len, "/");
}

/* The child: into the container (its PID namespace is ours already) */
static void exec_child(const struct ctr_entry *e, const char *cwd,
		       const struct pod_handler *h, int out)
{
	char err[600];
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

	setsid();
	if (null < 0 || dup2(null, 0) < 0 || dup2(out, 1) < 0 ||
	    dup2(out, 2) < 0)
		_exit(126);
	if (enter_join(e, false, err, sizeof(err))) {
		dprintf(2, "%s\n", err);
		_exit(126);
	}
	enter_exec(e, cwd, (char **)h->command);
}

/*
 * A process in the container: imaged enters its PID namespace for the
 * fork alone (setns of a PID namespace moves only children), so the
 * command is the one process a try costs, inside the container.
 */
static void launch_exec(struct ctr_rt *c, const struct pod_handler *h,
			struct probe_rt *pr)
{
	static int own_pidns = -1;
	struct ctr_entry e;
	char err[600], cwd[CTR_PATH_MAX];
	int out[2];

	if (own_pidns < 0)
		own_pidns = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
	run_cwd(c, cwd, sizeof(cwd));
	if (c->ri.pid <= 0 ||
	    enter_open(c->ri.pid, c->run_dir, &e, err, sizeof(err))) {
		done(pr, false, "the container is not running");
		return;
	}
	if (pipe2(out, O_CLOEXEC) || setns(e.fds[ENTER_PID], CLONE_NEWPID)) {
		enter_close(&e);
		done(pr, false, "exec: %s", strerror(errno));
		return;
	}
	pid_t pid = fork();
	if (!pid)
		exec_child(&e, cwd, h, out[1]);
	setns(own_pidns, CLONE_NEWPID);
	enter_close(&e);
	close(out[1]);
	if (pid < 0) {
		close(out[0]);
		done(pr, false, "fork: %s", strerror(errno));
		return;
	}
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	pr->pid = pid;
	pr->out = out[0];
	pr->status = -1;
}

void handler_launch(struct pod_rt *p, struct ctr_rt *c,
		    const struct pod_handler *h, struct probe_rt *pr,
		    int timeout_s, long long now)
{
	handler_cancel(pr);
	pr->busy = true;
	pr->sent = false;
	pr->got = 0;
	pr->buf[0] = '\0';
	pr->ok = false;
	pr->why[0] = '\0';
	pr->status = -1;
	pr->deadline_ms = now + timeout_s * 1000LL;
	switch (h->kind) {
	case POD_HANDLER_HTTP:
	case POD_HANDLER_TCP:
		launch_socket(p, h, pr);
		break;
	case POD_HANDLER_EXEC:
		launch_exec(c, h, pr);
		break;
	case POD_HANDLER_SLEEP:
		pr->deadline_ms = now + h->sleep_s * 1000;
		break;
	case POD_HANDLER_NONE:
		done(pr, true, "nothing to do");
		break;
	}
}

/* What the process said, kept up to the buffer's size */
static void drain(struct probe_rt *pr)
{
	char scrap[512];
	ssize_t n;

	while (pr->out >= 0) {
		size_t room = sizeof(pr->buf) - 1 - pr->got;
		n = read(pr->out, room ? pr->buf + pr->got : scrap,
			 room ? room : sizeof(scrap));
		if (n <= 0)
			break;
		if (room) {
			pr->got += (size_t)n;
			pr->buf[pr->got] = '\0';
		}
	}
}

static bool exec_progress(struct probe_rt *pr, long long now)
{
	drain(pr);
	if (pr->status == -1) {
		if (now < pr->deadline_ms)
			return false;
		return done(pr, false, "command timed out");
	}
	pr->buf[strcspn(pr->buf, "\n")] = '\0';
	if (WIFEXITED(pr->status) && !WEXITSTATUS(pr->status))
		return done(pr, true, "%s", "");
	char out[sizeof(pr->buf)];
	snprintf(out, sizeof(out), "%s", pr->buf);
	if (WIFEXITED(pr->status))
		return done(pr, false, "command exited with %d%s%s",
			    WEXITSTATUS(pr->status), out[0] ? ": " : "", out);
	return done(pr, false, "command killed by signal %d",
		    WTERMSIG(pr->status));
}

/* A connect that finished: 0, or its errno */
static int connected(int fd, bool *ready)
{
	struct pollfd pf = { .fd = fd, .events = POLLOUT };
	int e = 0;
	socklen_t len = sizeof(e);

	*ready = poll(&pf, 1, 0) == 1;
	if (!*ready)
		return 0;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len))
		e = errno;
	return e;
}

static void http_request(struct probe_rt *pr, const struct pod_handler *h)
{
	char req[1024];
	bool host = false; /* a Host of the user's replaces ours */
	int n;

	for (size_t i = 0; i < h->n_headers; i++)
		host |= !strcasecmp(h->headers[i].key, "Host");
	n = snprintf(req, sizeof(req),
		     "GET %s HTTP/1.1\r\n%s%s%s"
		     "User-Agent: kube-probe/1.30\r\nAccept: */*\r\n"
		     "Connection: close\r\n",
		     h->path, host ? "" : "Host: ",
		     host      ? ""
		     : h->host ? h->host
			       : "localhost",
		     host ? "" : "\r\n");

	for (size_t i = 0; i < h->n_headers && n > 0 && n < (int)sizeof(req);
	     i++)
		n += snprintf(req + n, sizeof(req) - n, "%s: %s\r\n",
			      h->headers[i].key, h->headers[i].value);
	if (n > 0 && n < (int)sizeof(req))
		n += snprintf(req + n, sizeof(req) - n, "\r\n");
	if (n <= 0 || n >= (int)sizeof(req) ||
	    send(pr->fd, req, (size_t)n, MSG_NOSIGNAL) != n)
		done(pr, false, "the request could not be sent");
	pr->sent = true;
}

/* The status line is all a probe reads: 200-399 is success */
static bool http_answer(struct probe_rt *pr)
{
	ssize_t n = recv(pr->fd, pr->buf + pr->got,
			 sizeof(pr->buf) - 1 - pr->got, 0);
	int code;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return false;
	if (n > 0) {
		pr->got += (size_t)n;
		pr->buf[pr->got] = '\0';
	}
	bool line = strchr(pr->buf, '\n') || pr->got == sizeof(pr->buf) - 1;
	if (n > 0 && !line)
		return false;
	if (sscanf(pr->buf, "HTTP/1.%*d %d", &code) != 1)
		return done(pr, false, "the answer is not HTTP");
	if (code >= 200 && code < 400)
		return done(pr, true, "%s", "");
	return done(pr, false, "HTTP probe failed with statuscode: %d", code);
}

static bool socket_progress(struct probe_rt *pr, const struct pod_handler *h,
			    long long now)
{
	bool ready = true;
	int e = pr->sent ? 0 : connected(pr->fd, &ready);

	if (e)
		return done(pr, false, "dial tcp port %d: %s", h->port,
			    strerror(e));
	if (ready && !pr->sent && h->kind == POD_HANDLER_TCP)
		return done(pr, true, "%s", "");
	if (ready && !pr->sent)
		http_request(pr, h);
	if (pr->busy && pr->sent && http_answer(pr))
		return true;
	if (pr->busy && now >= pr->deadline_ms)
		return done(pr, false, "%s port %d: timeout awaiting %s",
			    h->kind == POD_HANDLER_TCP ? "dial tcp" : "Get",
			    h->port, pr->sent ? "response" : "connection");
	return !pr->busy;
}

bool handler_progress(struct probe_rt *pr, const struct pod_handler *h,
		      long long now)
{
	if (!pr->busy)
		return true;
	switch (h->kind) {
	case POD_HANDLER_HTTP:
	case POD_HANDLER_TCP:
		return socket_progress(pr, h, now);
	case POD_HANDLER_EXEC:
		return exec_progress(pr, now);
	case POD_HANDLER_SLEEP:
		return now >= pr->deadline_ms ? done(pr, true, "%s", "")
					      : false;
	case POD_HANDLER_NONE:
		break;
	}
	return done(pr, true, "%s", "");
}

int handler_watch(const struct probe_rt *pr, struct pollfd *fds, int max)
{
	int n = 0;

	if (!pr->busy)
		return 0;
	if (pr->fd >= 0 && n < max)
		fds[n++] = (struct pollfd){ .fd = pr->fd,
					    .events = pr->sent ? POLLIN
							       : POLLOUT };
	if (pr->out >= 0 && n < max)
		fds[n++] = (struct pollfd){ .fd = pr->out, .events = POLLIN };
	return n;
}

bool handler_reaped(struct probe_rt *pr, pid_t pid, int status)
{
	if (!pr->busy || pr->pid != pid)
		return false;
	pr->status = status;
	pr->pid = 0;
	return true;
}

void handler_wait(struct probe_rt *pr, int ms)
{
	struct pollfd fds[2];
	int n = handler_watch(pr, fds, 2), st;

	if (pr->pid > 0 && waitpid(pr->pid, &st, WNOHANG) == pr->pid) {
		handler_reaped(pr, pr->pid, st);
		return;
	}
	if (n)
		poll(fds, n, ms);
	else
		usleep(ms * 1000);
	if (pr->pid > 0 && waitpid(pr->pid, &st, WNOHANG) == pr->pid)
		handler_reaped(pr, pr->pid, st);
}
