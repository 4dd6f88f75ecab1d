// SPDX-License-Identifier: MIT
#include "run/shim.h"
#include "file.h"
#include "run/container.h"
#include "run/runtime.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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

void shim_watch(const struct shim_run *r)
{
	struct ctrlog log = { .path = r->log, .max = r->log_max };
	char reason[256], buf[16384];
	int status = 0;

	ctrlog_open(&log);
	/* the container's setup says why it failed, or closes this by exec */
	ssize_t n = read(r->errp, reason, sizeof(reason) - 1);
	reason[n > 0 ? n : 0] = '\0';
	close(r->errp);
	/* every process of its PID namespace dies with it, so this ends */
	while ((n = read(r->out, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		ctrlog_write(&log, buf, n);
	}
	while (waitpid(r->pid, &status, 0) < 0 && errno == EINTR)
		;
	shim_write_exit(r->run_dir, r->cgroup, status, r->ooms, reason);
	_exit(0);
}

void shim_exec(const struct shim_run *r)
{
	char exe[PATH_MAX], nums[5][24];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 16);

	if (n <= 0)
		return;
	exe[n] = '\0';
	char *slash = strrchr(exe, '/');
	if (!slash)
		return;
	strcpy(slash + 1, "keel-shim");
	/* the two pipes are the shim's to keep through the exec */
	if (fcntl(r->out, F_SETFD, 0) || fcntl(r->errp, F_SETFD, 0))
		return;
	snprintf(nums[0], sizeof(nums[0]), "%lld", r->log_max);
	snprintf(nums[1], sizeof(nums[1]), "%d", (int)r->pid);
	snprintf(nums[2], sizeof(nums[2]), "%lld", r->ooms);
	snprintf(nums[3], sizeof(nums[3]), "%d", r->out);
	snprintf(nums[4], sizeof(nums[4]), "%d", r->errp);
	char *argv[] = { "keel-shim",	    (char *)r->run_dir,
			 (char *)r->log,    nums[0],
			 (char *)r->cgroup, nums[1],
			 nums[2],	    nums[3],
			 nums[4],	    NULL };
	char *envp[] = { NULL };
	execve(exe, argv, envp);
	fcntl(r->out, F_SETFD, FD_CLOEXEC);
	fcntl(r->errp, F_SETFD, FD_CLOEXEC);
}

/* A whole decimal number in [min, max], or -1 */
static long long number(const char *s, long long min, long long max)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);

	return errno || end == s || *end || v < min || v > max ? -1 : v;
}

int shim_main(int argc, char **argv)
{
	struct shim_run r;

	if (argc != 9) {
		fprintf(stderr, "keel-shim: started by imaged, not by hand\n");
		return 2;
	}
	r = (struct shim_run){
		.run_dir = argv[1],
		.log = argv[2],
		.log_max = number(argv[3], 1, 1LL << 40),
		.cgroup = argv[4],
		.pid = (pid_t)number(argv[5], 1, INT_MAX),
		.ooms = number(argv[6], 0, 1LL << 60),
		.out = (int)number(argv[7], 3, 1023),
		.errp = (int)number(argv[8], 3, 1023),
	};
	if (r.log_max < 0 || r.pid < 0 || r.ooms < 0 || r.out < 0 ||
	    r.errp < 0) {
		fprintf(stderr, "keel-shim: bad arguments\n");
		return 2;
	}
	fcntl(r.out, F_SETFD, FD_CLOEXEC);
	fcntl(r.errp, F_SETFD, FD_CLOEXEC);
	shim_watch(&r);
}
