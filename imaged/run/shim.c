// SPDX-License-Identifier: MIT
#include "run/shim.h"
#include "file.h"
#include "run/attach.h"
#include "run/console.h"
#include "run/container.h"
#include "run/runrecord.h"
#include "run/runtime.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

long long shim_oom_kills(const char *cgroup)
{
	char path[CTR_PATH_MAX + 32], text[1024];
	const char *p;

	snprintf(path, sizeof(path), "%s/memory.events", cgroup);
	if (read_text(path, text, sizeof(text)) < 0 ||
	    !(p = strstr(text, "oom_kill ")))
		return 0;
	return atoll(p + 9);
}

void shim_write_exit(const char *run_dir, const char *cgroup, int status,
		     long long ooms, const char *reason)
{
	char text[600], path[CTR_PATH_MAX + 8];
	int code = 128, sig = 0;
	bool oom = shim_oom_kills(cgroup) > ooms;

	if (reason[0])
		code = 128; /* never started (the kubelet's StartError) */
	else if (WIFEXITED(status))
		code = WEXITSTATUS(status);
	else if (WIFSIGNALED(status)) {
		sig = WTERMSIG(status);
		code = 128 + sig;
	}
	snprintf(text, sizeof(text),
		 "code=%d\nsignal=%d\noom=%d\nfinished=%lld\nreason=%s\n", code,
		 sig, oom && sig == SIGKILL, epoch_ms(), reason);
	snprintf(path, sizeof(path), "%s/exit", run_dir);
	write_atomic(path, text, strlen(text), 0644);
}

/* The log, rotated to .1 beside it when it passes max bytes */
struct ctrlog {
	const char *path;
	long long max, size;
	int fd;
};

static void ctrlog_open(struct ctrlog *l)
{
	struct stat st;

	l->fd = open(l->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	l->size = l->fd >= 0 && !fstat(l->fd, &st) ? st.st_size : 0;
}

static void ctrlog_write(struct ctrlog *l, const char *buf, size_t n)
{
	char old[CTR_PATH_MAX + 4];

	if (l->fd < 0)
		return;
	write_full(l->fd, buf, n);
	l->size += n;
	if (l->size < l->max)
		return;
	snprintf(old, sizeof(old), "%s.1", l->path);
	rename(l->path, old);
	close(l->fd);
	ctrlog_open(l);
}

/*
 * The container's output (its pipe, its terminal's master, or both until
 * the pipe closes at its execve) into the log and to an attached client;
 * the client's input to its stdin. Until no output is left to read:
 * every process of its PID namespace dies with it, so this ends.
 */
static void relay(struct ctrlog *log, struct attach *at, int out, int master)
{
	struct pollfd p[2 + ATTACH_POLL_MAX];
	int src[2] = { out, master };
	char buf[16384];

	while (src[0] >= 0 || src[1] >= 0) {
		size_t n = 0, k;
		for (int i = 0; i < 2; i++)
			if (src[i] >= 0)
				p[n++] = (struct pollfd){ .fd = src[i],
							  .events = POLLIN };
		k = n;
		n += attach_poll(at, p + n);
		if (poll(p, n, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (size_t i = 0; i < k; i++) {
			if (!p[i].revents)
				continue;
			ssize_t got = read(p[i].fd, buf, sizeof(buf));
			if (got < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			/* EOF; or EIO: no process holds the terminal */
			if (got <= 0) {
				src[p[i].fd == src[1]] = -1;
				continue;
			}
			ctrlog_write(log, buf, got);
			attach_output(at, buf, got);
		}
		attach_step(at, p + k, n - k);
	}
}

void shim_watch(const struct shim_run *r)
{
	struct ctrlog log = { .path = r->log, .max = r->log_max };
	struct attach at;
	char reason[256];
	int status = 0, master = -1;

	ctrlog_open(&log);
	/* a terminal's master comes as the container's setup ends */
	if (r->console >= 0) {
		master = console_receive(r->console);
		close(r->console);
	}
	/* the container's setup says why it failed, or closes this by exec */
	ssize_t n = read(r->errp, reason, sizeof(reason) - 1);
	reason[n > 0 ? n : 0] = '\0';
	close(r->errp);
	if (!n)
		run_mark_execd(r->run_dir);
	/* no socket to attach to is the error a client sees */
	if (attach_open(&at, r->run_dir,
			r->open_stdin ? (master >= 0 ? master : r->in) : -1,
			master >= 0, r->stdin_once))
		attach_close(&at);
	relay(&log, &at, r->out, master);
	while (waitpid(r->pid, &status, 0) < 0 && errno == EINTR)
		;
	attach_close(&at);
	shim_write_exit(r->run_dir, r->cgroup, status, r->ooms, reason);
	_exit(0);
}

/* The shim's four fds (out, errp, in, console) closed on exec again */
static void cloexec(const int fds[4])
{
	for (int i = 0; i < 4; i++)
		if (fds[i] >= 0)
			fcntl(fds[i], F_SETFD, FD_CLOEXEC);
}

/* fd as an argument; -1 for none */
static int keep_fd(int fd, char *num, size_t len)
{
	snprintf(num, len, "%d", fd);
	return fd >= 0 ? fcntl(fd, F_SETFD, 0) : 0;
}

void shim_exec(const struct shim_run *r)
{
	char exe[PATH_MAX], nums[8][24];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 16);

	if (n <= 0)
		return;
	exe[n] = '\0';
	char *slash = strrchr(exe, '/');
	if (!slash)
		return;
	strcpy(slash + 1, "keel-shim");
	/* the pipes and the console socket are the shim's to keep */
	if (keep_fd(r->out, nums[3], 24) || keep_fd(r->errp, nums[4], 24) ||
	    keep_fd(r->in, nums[5], 24) || keep_fd(r->console, nums[6], 24))
		goto undo;
	snprintf(nums[0], sizeof(nums[0]), "%lld", r->log_max);
	snprintf(nums[1], sizeof(nums[1]), "%d", (int)r->pid);
	snprintf(nums[2], sizeof(nums[2]), "%lld", r->ooms);
	snprintf(nums[7], sizeof(nums[7]), "%d",
		 r->open_stdin ? 1 + r->stdin_once : 0);
	char *argv[] = { "keel-shim",
			 (char *)r->run_dir,
			 (char *)r->log,
			 nums[0],
			 (char *)r->cgroup,
			 nums[1],
			 nums[2],
			 nums[3],
			 nums[4],
			 nums[5],
			 nums[6],
			 nums[7],
			 NULL };
	char *envp[] = { NULL };
	execve(exe, argv, envp);
undo:
	cloexec((int[]){ r->out, r->errp, r->in, r->console });
}

/* A whole decimal number in [min, max], or min - 1 */
static long long number(const char *s, long long min, long long max)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);

	return errno || end == s || *end || v < min || v > max ? min - 1 : v;
}

int shim_main(int argc, char **argv)
{
	struct shim_run r;

	if (argc != 12) {
		fprintf(stderr, "keel-shim: started by imaged, not by hand\n");
		return 2;
	}
	long long in_stdin = number(argv[11], 0, 2);
	r = (struct shim_run){
		.run_dir = argv[1],
		.log = argv[2],
		.log_max = number(argv[3], 1, 1LL << 40),
		.cgroup = argv[4],
		.pid = (pid_t)number(argv[5], 1, INT_MAX),
		.ooms = number(argv[6], 0, 1LL << 60),
		.out = (int)number(argv[7], 3, 1023),
		.errp = (int)number(argv[8], 3, 1023),
		.in = (int)number(argv[9], -1, 1023),
		.console = (int)number(argv[10], -1, 1023),
		.open_stdin = in_stdin > 0,
		.stdin_once = in_stdin == 2,
	};
	if (r.log_max < 1 || r.pid < 1 || r.ooms < 0 || r.out < 3 ||
	    r.errp < 3 || r.in < -1 || r.console < -1 || in_stdin < 0 ||
	    (r.in >= 0 && r.in < 3) || (r.console >= 0 && r.console < 3)) {
		fprintf(stderr, "keel-shim: bad arguments\n");
		return 2;
	}
	cloexec((int[]){ r.out, r.errp, r.in, r.console });
	shim_watch(&r);
}
