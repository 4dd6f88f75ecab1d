// SPDX-License-Identifier: MIT
#include "run/runrecord.h"
#include "file.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define STOP_POLL_MS 50
#define SHIM_HANG_MS 5000 /* past the grace: the shim itself hangs */

static long long field(const char *text, const char *key)
{
	char k[32];
	const char *p;

	snprintf(k, sizeof(k), "\n%s=", key);
	if (!strncmp(text, k + 1, strlen(k + 1)))
		return atoll(text + strlen(k + 1));
	p = strstr(text, k);
	return p ? atoll(p + strlen(k)) : 0;
}

void run_read(const char *run_dir, struct run_info *r)
{
	char path[1024], text[1024];
	const char *p;

	memset(r, 0, sizeof(*r));
	snprintf(path, sizeof(path), "%s/run", run_dir);
	if (read_text(path, text, sizeof(text)) > 0) {
		r->live = true;
		r->pid = field(text, "pid");
		r->shim = field(text, "shim");
		r->started = field(text, "started");
	}
	snprintf(path, sizeof(path), "%s/exit", run_dir);
	if (read_text(path, text, sizeof(text)) > 0) {
		r->ended = true;
		r->live = false;
		r->code = field(text, "code");
		r->signal = field(text, "signal");
		r->oom = field(text, "oom");
		r->finished = field(text, "finished");
		if ((p = strstr(text, "reason=")))
			snprintf(r->reason, sizeof(r->reason), "%.*s",
				 (int)strcspn(p + 7, "\n"), p + 7);
		return;
	}
	/* a shim killed outright leaves no record: the run is over */
	if (r->live && r->shim > 0 && kill(r->shim, 0) && errno == ESRCH) {
		/* no one would keep its log or see its end: it goes too */
		if (r->pid > 0)
			kill(r->pid, SIGKILL);
		r->live = false;
		r->ended = true;
		r->code = 128;
		snprintf(r->reason, sizeof(r->reason),
			 "its shim died; the container was killed");
	}
}

bool run_execd(const char *run_dir)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/" RUN_EXECD, run_dir);
	return !access(path, F_OK);
}

void run_mark_execd(const char *run_dir)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/" RUN_EXECD, run_dir);
	write_atomic(path, "", 0, 0644);
}

static void kill_cgroup(const char *cgroup)
{
	char path[1024];
	int fd;

	snprintf(path, sizeof(path), "%s/cgroup.kill", cgroup);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		write_full(fd, "1", 1);
		close(fd);
	}
}

void runs_stop(const struct run_ref *runs, size_t n, long grace_ms)
{
	struct run_info r;
	bool killed = false;

	for (size_t i = 0; i < n; i++) {
		run_read(runs[i].run_dir, &r);
		if (r.live && r.pid > 0)
			kill(r.pid, SIGTERM);
	}
	for (long t = 0;; t += STOP_POLL_MS) {
		bool live = false, kill_now = !killed && t >= grace_ms,
		     hung = t > grace_ms + SHIM_HANG_MS;

		for (size_t i = 0; i < n; i++) {
			run_read(runs[i].run_dir, &r);
			if (!r.live)
				continue;
			live = true;
			if (kill_now)
				kill_cgroup(runs[i].cgroup);
			if (hung && r.shim > 0)
				kill(r.shim, SIGKILL);
		}
		killed |= kill_now;
		if (!live || hung)
			return;
		usleep(STOP_POLL_MS * 1000);
	}
}
