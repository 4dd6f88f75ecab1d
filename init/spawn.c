// SPDX-License-Identifier: MIT
#include "spawn.h"
#include "cgroup.h"
#include "console.h"
#include "errmsg.h"
#include "file.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int parse_id(const char *s, unsigned *out)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (!*s || *end || v > 0x7fffffff)
		return -EINVAL;
	*out = v;
	return 0;
}

int spawn_creds(const struct service *s, struct creds *c, char *err, size_t len)
{
	unsigned id;

	c->uid = 0;
	c->gid = 0;
	snprintf(c->home, sizeof(c->home), "/root");
	if (s->user[0]) {
		struct passwd *pw = getpwnam(s->user);
		if (pw) {
			c->uid = pw->pw_uid;
			c->gid = pw->pw_gid;
			snprintf(c->home, sizeof(c->home), "%s", pw->pw_dir);
		} else if (parse_id(s->user, &id) == 0) {
			c->uid = c->gid = id;
			snprintf(c->home, sizeof(c->home), "/");
		} else {
			return errmsg(err, len, -ENOENT, "unknown user %s",
				      s->user);
		}
	}
	if (s->group[0]) {
		struct group *gr = getgrnam(s->group);
		if (gr) {
			c->gid = gr->gr_gid;
		} else if (parse_id(s->group, &id) == 0) {
			c->gid = id;
		} else {
			return errmsg(err, len, -ENOENT, "unknown group %s",
				      s->group);
		}
	}
	return 0;
}

static bool env_overridden(const struct service *s, const char *entry)
{
	size_t klen = strcspn(entry, "=") + 1;
	const char *e = s->envbuf;

	for (int i = 0; i < s->nenv; e += strlen(e) + 1, i++)
		if (!strncmp(e, entry, klen))
			return true;
	return false;
}

static void __attribute__((noreturn))
child_exec(const struct service *s, const struct creds *c, int out_fd,
	   int ready_fd)
{
	char *envp[SERVICE_ENV_MAX + 8];
	char home[SERVICE_PATH_MAX + 8], ready[24], tty[64];
	char *base[5];
	int n = 0;

	/* init.log is the parent's to write and rotate */
	log_set_sink(NULL);
	child_signals();
	/* outside its group a service could not be stopped whole */
	int r = cgroup_enter(s->name);
	if (r) {
		log_err("unable to start %s: cannot enter %s/%s: %s", s->name,
			CGROUP_SYSTEM, s->name, strerror(-r));
		_exit(126);
	}

	/* its own, not init's -900 (written whatever it is: init's is inherited) */
	char adj[16];
	snprintf(adj, sizeof(adj), "%d", s->oom_score_adj);
	r = write_text("/proc/self/oom_score_adj", adj);
	if (r)
		log_warn("unable to set oom_score_adj %d for %s: %s",
			 s->oom_score_adj, s->name, strerror(-r));

	if (s->console) {
		if (s->console_tty[0])
			snprintf(tty, sizeof(tty), "/dev/%s", s->console_tty);
		else
			console_tty(tty, sizeof(tty));
		if (attach_tty(tty))
			_exit(126);
	} else {
		setsid();
		int in = open("/dev/null", O_RDONLY);
		if (in >= 0 && in != 0) {
			dup2(in, 0);
			close(in);
		}
		dup2(out_fd, 1);
		dup2(out_fd, 2);
		if (out_fd > 2)
			close(out_fd);
	}
	if (ready_fd >= 0) {
		if (ready_fd != s->ready_fd) {
			dup2(ready_fd, s->ready_fd);
			close(ready_fd);
		} else {
			fcntl(ready_fd, F_SETFD, 0);
		}
	}

	const char *e = s->envbuf;
	for (int i = 0; i < s->nenv; e += strlen(e) + 1, i++)
		envp[n++] = (char *)e;
	snprintf(home, sizeof(home), "HOME=%s", c->home);
	snprintf(ready, sizeof(ready), "READY_FD=%d", s->ready_fd);
	base[0] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
	base[1] = home;
	base[2] = "TERM=linux";
	base[3] = s->ready == READY_NOTIFY ? ready : NULL;
	base[4] = NULL;
	for (int i = 0; base[i]; i++)
		if (!env_overridden(s, base[i]))
			envp[n++] = base[i];
	envp[n] = NULL;

	if (s->user[0] || s->group[0]) {
		if (setgroups(0, NULL) || setgid(c->gid) || setuid(c->uid)) {
			log_err("unable to start %s: cannot switch to uid %u "
				"gid %u: %s",
				s->name, (unsigned)c->uid, (unsigned)c->gid,
				strerror(errno));
			_exit(126);
		}
	}
	if (chdir(s->workdir[0] ? s->workdir : "/")) {
		log_err("unable to start %s: cannot enter workdir %s: %s",
			s->name, s->workdir, strerror(errno));
		_exit(126);
	}
	execve(s->argv[0], s->argv, envp);
	log_err("unable to start %s: %s: %s", s->name, s->argv[0],
		strerror(errno));
	_exit(127);
}

int spawn_service(const struct service *s, const struct creds *c,
		  struct spawned *p, char *err, size_t len)
{
	int out[2] = { -1, -1 }, rdy[2] = { -1, -1 };
	int r = cgroup_create(s->name);

	/* without it the child cannot enter it, and says so */
	if (r)
		log_warn("unable to create cgroup %s/%s: %s", CGROUP_SYSTEM,
			 s->name, strerror(-r));
	if ((!s->console && pipe2(out, O_CLOEXEC)) ||
	    (s->ready == READY_NOTIFY && pipe2(rdy, O_CLOEXEC))) {
		r = errmsg_errno(err, len, -errno, errno, "pipe");
		goto close_pipes;
	}
	p->pid = fork();
	if (p->pid < 0) {
		r = errmsg_errno(err, len, -errno, errno, "fork");
		goto close_pipes;
	}
	if (p->pid == 0)
		child_exec(s, c, out[1], rdy[1]);

	if (out[1] >= 0)
		close(out[1]);
	if (rdy[1] >= 0)
		close(rdy[1]);
	if (out[0] >= 0)
		fcntl(out[0], F_SETFL, O_NONBLOCK);
	if (rdy[0] >= 0)
		fcntl(rdy[0], F_SETFL, O_NONBLOCK);
	p->out_fd = out[0];
	p->ready_fd = rdy[0];
	return 0;
close_pipes:
	for (int i = 0; i < 2; i++) {
		if (out[i] >= 0)
			close(out[i]);
		if (rdy[i] >= 0)
			close(rdy[i]);
	}
	return r;
}
