// SPDX-License-Identifier: MIT
/*
 * The service table: sized at start, no heap in steady state. Each
 * service runs as the leader of its own process group, so stopping it
 * reaches the children it forked too.
 */
#include "supervise.h"
#include "log.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>

/* A crashing service waits this long before it runs again. */
#define RESTART_DELAY_MS 1000

static struct service table[SERVICES_MAX];
static int count;

static int conf_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int services_load(const char *dir)
{
	static char names[SERVICES_MAX][SERVICE_NAME_MAX + 8];
	static char text[4096];
	char *sorted[SERVICES_MAX];
	char path[256], err[160];
	struct dirent *de;
	int n = 0;
	DIR *d = opendir(dir);

	if (!d) {
		log_err("unable to read %s: %s", dir, strerror(errno));
		return -errno;
	}
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		if (len < 6 || strcmp(de->d_name + len - 5, ".conf"))
			continue;
		if (n == SERVICES_MAX) {
			log_err("more than %d services in %s; ignoring %s",
				SERVICES_MAX, dir, de->d_name);
			continue;
		}
		if (len >= sizeof(names[0])) {
			log_err("unable to load %s/%s: name too long", dir,
				de->d_name);
			continue;
		}
		strcpy(names[n], de->d_name);
		sorted[n] = names[n];
		n++;
	}
	closedir(d);
	qsort(sorted, n, sizeof(*sorted), conf_cmp);

	count = 0;
	for (int i = 0; i < n; i++) {
		char name[SERVICE_NAME_MAX + 8];
		snprintf(path, sizeof(path), "%s/%s", dir, sorted[i]);
		ssize_t r = read_text(path, text, sizeof(text));
		if (r < 0) {
			log_err("unable to read %s: %s", path, strerror(-r));
			continue;
		}
		if ((size_t)r == sizeof(text) - 1) {
			log_err("unable to load %s: larger than %zu bytes",
				path, sizeof(text) - 1);
			continue;
		}
		snprintf(name, sizeof(name), "%s", sorted[i]);
		name[strlen(name) - 5] = '\0';
		if (service_parse(&table[count], name, text, err,
				  sizeof(err))) {
			log_err("unable to load %s: %s", path, err);
			continue;
		}
		count++;
	}
	return count;
}

static void timespec_add_ms(struct timespec *t, int ms)
{
	t->tv_sec += ms / 1000;
	t->tv_nsec += (long)(ms % 1000) * 1000000;
	if (t->tv_nsec >= 1000000000) {
		t->tv_sec++;
		t->tv_nsec -= 1000000000;
	}
}

static void child_exec(struct service *s)
{
	static char *const envp[] = {
		"PATH=/usr/sbin:/usr/bin:/sbin:/bin",
		"HOME=/root",
		"TERM=linux",
		NULL,
	};
	char tty[64];
	sigset_t none;

	for (int sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	if (s->console) {
		console_tty(tty, sizeof(tty));
		if (attach_tty(tty))
			_exit(126);
	} else {
		setsid();
		int in = open("/dev/null", O_RDONLY);
		int out = open("/dev/console", O_WRONLY | O_NOCTTY);
		if (in >= 0)
			dup2(in, 0);
		if (out >= 0) {
			dup2(out, 1);
			dup2(out, 2);
		}
	}
	chdir("/");
	execve(s->argv[0], s->argv, envp);
	log_err("unable to start %s: %s: %s", s->name, s->argv[0],
		strerror(errno));
	_exit(127);
}

static void service_start(struct service *s)
{
	pid_t pid = fork();

	if (pid < 0) {
		log_err("unable to start %s: fork: %s", s->name,
			strerror(errno));
		s->state = SVC_WAITING;
		clock_gettime(CLOCK_MONOTONIC, &s->restart_at);
		timespec_add_ms(&s->restart_at, RESTART_DELAY_MS);
		return;
	}
	if (pid == 0)
		child_exec(s);
	s->pid = pid;
	s->state = SVC_RUNNING;
	log_info("%s: started, pid %d", s->name, pid);
}

void services_start_all(void)
{
	for (int i = 0; i < count; i++)
		service_start(&table[i]);
}

static struct service *by_pid(pid_t pid)
{
	for (int i = 0; i < count; i++)
		if (table[i].pid == pid)
			return &table[i];
	return NULL;
}

static void describe_exit(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exited with %d", WEXITSTATUS(status));
	else
		snprintf(buf, len, "killed by signal %d", WTERMSIG(status));
}

void services_reap(void)
{
	char how[48];
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		struct service *s = by_pid(pid);
		if (!s)
			continue; /* an orphan re-parented to us */
		s->pid = -1;
		describe_exit(status, how, sizeof(how));
		if (s->state == SVC_STOPPING) {
			s->state = SVC_STOPPED;
			log_info("%s: stopped (%s)", s->name, how);
		} else if (service_should_restart(s, status)) {
			s->state = SVC_WAITING;
			s->restarts++;
			clock_gettime(CLOCK_MONOTONIC, &s->restart_at);
			timespec_add_ms(&s->restart_at, RESTART_DELAY_MS);
			log_info("%s: %s; restarting in %d ms", s->name, how,
				 RESTART_DELAY_MS);
		} else {
			s->state = SVC_FAILED;
			log_info("%s: %s; not restarting", s->name, how);
		}
	}
}

static long ms_until(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (t->tv_sec - now.tv_sec) * 1000 +
	       (t->tv_nsec - now.tv_nsec) / 1000000;
}

void services_tick(void)
{
	for (int i = 0; i < count; i++)
		if (table[i].state == SVC_WAITING &&
		    ms_until(&table[i].restart_at) <= 0)
			service_start(&table[i]);
}

int services_timeout_ms(void)
{
	long best = -1;

	for (int i = 0; i < count; i++) {
		if (table[i].state != SVC_WAITING)
			continue;
		long ms = ms_until(&table[i].restart_at);
		if (ms < 0)
			ms = 0;
		if (best < 0 || ms < best)
			best = ms;
	}
	return best > 60000 ? 60000 : (int)best;
}

static bool any_stopping(void)
{
	for (int i = 0; i < count; i++)
		if (table[i].state == SVC_STOPPING)
			return true;
	return false;
}

void services_stop_all(void)
{
	int grace = 0;

	for (int i = count - 1; i >= 0; i--) {
		struct service *s = &table[i];
		if (s->state == SVC_WAITING || s->state == SVC_FAILED)
			s->state = SVC_STOPPED;
		if (s->state != SVC_RUNNING)
			continue;
		s->state = SVC_STOPPING;
		kill(-s->pid, s->stop_signal);
		kill(s->pid, s->stop_signal);
		if (s->stop_grace > grace)
			grace = s->stop_grace;
	}
	/* Poll rather than sleep: most services exit at once. */
	for (int t = 0; t < grace * 20 && any_stopping(); t++) {
		usleep(50000);
		services_reap();
	}
	for (int i = 0; i < count; i++) {
		struct service *s = &table[i];
		if (s->state != SVC_STOPPING)
			continue;
		log_warn("%s: still running after %d s; killing it", s->name,
			 s->stop_grace);
		kill(-s->pid, SIGKILL);
		kill(s->pid, SIGKILL);
	}
	for (int t = 0; t < 40 && any_stopping(); t++) {
		usleep(50000);
		services_reap();
	}
}
