// SPDX-License-Identifier: MIT
/*
 * The service table: sized at start, no heap in steady state. Each service
 * runs in its own cgroup and session; its stdout and stderr come back to
 * us through a pipe and go to /var/log/<name>.log. A service's state
 * changes only through service_set_state (service.c): here are the events
 * that ask for a change (a start or stop request, an exit, a readiness
 * line) and service_step, what time does in each state.
 */
#include "supervise.h"
#include "cgroup.h"
#include "config.h"
#include "errmsg.h"
#include "file.h"
#include "log.h"
#include "logfile.h"
#include "spawn.h"
#include "util.h"
#include "watchdog.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static struct service table[SERVICES_MAX];
static struct logfile logs[SERVICES_MAX];
static bool in_order[SERVICES_MAX]; /* false: failed its dependency check */
static bool stopping_all; /* shutdown: exits are stops, not crashes */
static int order[SERVICES_MAX];
static int count, ordered;

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
			log_err("unable to load %s/%s: more than %d services",
				dir, de->d_name, SERVICES_MAX);
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
	/* a service that fails this is failed now, and says why */
	ordered = services_order(table, count, order);
	for (int i = 0; i < ordered; i++)
		in_order[order[i]] = true;
	return count;
}

/* --- starting and stopping ---------------------------------------------- */

static struct service *by_name(const char *name)
{
	for (int i = 0; i < count; i++)
		if (!strcmp(table[i].name, name))
			return &table[i];
	return NULL;
}

/* The first service s needs that is not ready, or NULL. */
static const char *waiting_for(const struct service *s)
{
	for (int i = 0; i < s->nneeds; i++) {
		struct service *d = by_name(s->needs[i]);
		if (d && d->state != SVC_READY)
			return d->name;
	}
	return NULL;
}

/* Start s now: starting or ready, or backoff or failed when it cannot. */
static void service_start(struct service *s)
{
	struct spawned p;
	struct creds c;
	char why[64];

	if (spawn_creds(s, &c, why, sizeof(why))) {
		snprintf(s->status, sizeof(s->status), "%s", why);
		service_set_state(s, SVC_FAILED, why);
		return;
	}
	if (spawn_service(s, &c, &p, why, sizeof(why))) {
		s->delay_ms = BACKOFF_FIRST_MS;
		s->due_ms = monotonic_ms() + s->delay_ms;
		service_set_state(s, SVC_BACKOFF, why);
		return;
	}
	s->pid = p.pid;
	s->log_fd = p.out_fd;
	s->ready_pipe = p.ready_fd;
	s->status[0] = '\0';
	s->started_ms = monotonic_ms();
	service_set_state(
		s, s->ready == READY_NOTIFY ? SVC_STARTING : SVC_READY, NULL);
}

/* s is asked to run: started now if what it needs is ready, else blocked. */
static void service_want(struct service *s)
{
	const char *wait = waiting_for(s);

	if (!wait)
		service_start(s);
	else if (s->state != SVC_BLOCKED)
		service_set_state(s, SVC_BLOCKED, wait);
}

/* Its stop signal now; its cgroup killed once stop_grace runs out. */
static void service_stop(struct service *s)
{
	if (s->state == SVC_STOPPING)
		return;
	service_set_state(s, SVC_STOPPING, NULL);
	kill(s->pid, s->stop_signal);
	s->due_ms = monotonic_ms() + s->stop_grace * 1000L;
}

void services_start_all(void)
{
	for (int i = 0; i < ordered; i++)
		if (table[order[i]].autostart)
			service_want(&table[order[i]]);
}

/* Append a service's output; say so on the console when lines drop. */
static void log_output(int i, const char *buf, size_t len)
{
	unsigned long before = logs[i].dropped;

	if (logfile_write(&logs[i], buf, len) && before == 0)
		log_warn("unable to write %s: %s; dropping its log lines",
			 logs[i].path, strerror(logs[i].last_errno));
}

/* --- exits ------------------------------------------------------------- */

static void drain(struct service *s)
{
	char buf[4096];
	ssize_t n;
	int idx = s - table;

	if (s->log_fd < 0)
		return;
	/* bounded: leftovers of a dead service may still be writing */
	for (int k = 0; k < 16 && (n = read(s->log_fd, buf, sizeof(buf))) > 0;
	     k++)
		log_output(idx, buf, n);
}

static void close_pipes(struct service *s)
{
	drain(s);
	/* the next run opens its log by name again: a log removed while the
	 * service is down is not kept alive, and its blocks come back */
	logfile_close(&logs[s - table]);
	if (s->log_fd >= 0)
		close(s->log_fd);
	if (s->ready_pipe >= 0)
		close(s->ready_pipe);
	s->log_fd = s->ready_pipe = -1;
}

static void describe_exit(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exited with %d", WEXITSTATUS(status));
	else
		snprintf(buf, len, "killed by signal %d", WTERMSIG(status));
}

/* Returns -ENOTRECOVERABLE when a critical service gave up. */
static int service_ended(struct service *s, int status)
{
	long ran = monotonic_ms() - s->started_ms;
	char how[40];

	s->pid = -1;
	/* whatever it left behind in its group goes with it */
	if (cgroup_populated(s->name))
		cgroup_kill(s->name);
	close_pipes(s);
	describe_exit(status, how, sizeof(how));

	if (stopping_all) {
		service_set_state(s, SVC_STOPPED, how);
		return 0;
	}
	if (s->state == SVC_STOPPING) {
		snprintf(s->status, sizeof(s->status), "stopped, %s", how);
		service_set_state(s, SVC_STOPPED, how);
		if (s->restart_pending) {
			s->restart_pending = false;
			service_want(s);
		}
		return 0;
	}
	switch (service_exited(s, status, ran)) {
	case EXIT_RESTART:
		snprintf(s->status, sizeof(s->status), "%s", how);
		s->due_ms = monotonic_ms() + s->delay_ms;
		service_set_state(s, SVC_BACKOFF, how);
		break;
	case EXIT_STAY_DOWN:
		snprintf(s->status, sizeof(s->status), "%s", how);
		service_set_state(s, SVC_DONE, how);
		break;
	case EXIT_CRASH_LOOP:
		snprintf(s->status, sizeof(s->status), "crash loop: %s", how);
		service_set_state(s, SVC_FAILED, how);
		if (s->critical)
			return -ENOTRECOVERABLE;
		break;
	}
	return 0;
}

int services_reap(char *err, size_t len)
{
	int status, r = 0;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (int i = 0; i < count; i++)
			if (table[i].pid == pid) {
				if (service_ended(&table[i], status) && !r)
					r = errmsg(err, len, -ENOTRECOVERABLE,
						   "%s is critical",
						   table[i].name);
				break;
			}
		/* else: an orphan re-parented to us, now reaped */
	}
	return r;
}

/* --- time -------------------------------------------------------------- */

/* Stopping took longer than its grace: kill what is left of it. */
static void stop_overdue(struct service *s, long now)
{
	if (s->pid > 0 || cgroup_populated(s->name)) {
		log_warn("%s: still running after %d s; killing it", s->name,
			 s->stop_grace);
		cgroup_kill(s->name);
		if (s->pid > 0)
			kill(s->pid, SIGKILL);
	}
	/* never a deadline in the past: poll would spin */
	s->due_ms = now + 60000;
}

/* What time does to a service, state by state; events do the rest. */
static void service_step(struct service *s, long now)
{
	switch (s->state) {
	case SVC_BLOCKED:
		if (!waiting_for(s))
			service_start(s);
		break;
	case SVC_BACKOFF:
		if (s->due_ms <= now)
			service_start(s);
		break;
	case SVC_STOPPING:
		if (s->due_ms <= now)
			stop_overdue(s, now);
		break;
	case SVC_STOPPED:
	case SVC_STARTING:
	case SVC_READY:
	case SVC_DONE:
	case SVC_FAILED:
		break; /* only an event moves these */
	}
}

void services_tick(void)
{
	long now = monotonic_ms();

	/* in dependency order: what starts ready unblocks the next at once */
	for (int k = 0; k < ordered; k++)
		service_step(&table[order[k]], now);
}

int services_timeout_ms(void)
{
	long best = -1, now = monotonic_ms();

	for (int i = 0; i < count; i++) {
		if (table[i].state != SVC_BACKOFF &&
		    table[i].state != SVC_STOPPING)
			continue;
		long ms = table[i].due_ms - now;
		if (ms < 0)
			ms = 0;
		if (best < 0 || ms < best)
			best = ms;
	}
	return best > 60000 ? 60000 : (int)best;
}

bool services_settled(void)
{
	for (int i = 0; i < count; i++)
		if (table[i].state == SVC_BLOCKED ||
		    table[i].state == SVC_STARTING)
			return false;
	return true;
}

/* --- pipes ------------------------------------------------------------- */

void services_logs_open(const char *dir)
{
	char path[96];

	for (int i = 0; i < count; i++) {
		snprintf(path, sizeof(path), "%s/%s.log", dir, table[i].name);
		logfile_init(&logs[i], path,
			     (long)CONFIG_KEEL_LOG_SIZE_KB * 1024,
			     CONFIG_KEEL_LOG_KEEP);
	}
}

int services_pollfds(struct pollfd *fds, int max)
{
	int n = 0;

	for (int i = 0; i < count && n < max; i++) {
		if (table[i].log_fd >= 0 && n < max)
			fds[n++] =
				(struct pollfd){ table[i].log_fd, POLLIN, 0 };
		if (table[i].ready_pipe >= 0 && n < max)
			fds[n++] = (struct pollfd){ table[i].ready_pipe, POLLIN,
						    0 };
	}
	return n;
}

static void read_ready(struct service *s)
{
	char buf[64];
	ssize_t n = read(s->ready_pipe, buf, sizeof(buf));

	if (n < 0 && errno == EAGAIN)
		return;
	if (n > 0 && memchr(buf, '\n', n)) {
		if (s->state == SVC_STARTING)
			service_set_state(s, SVC_READY, NULL);
	} else if (n > 0) {
		return; /* a partial line: readiness is the newline */
	} else if (s->state == SVC_STARTING) {
		log_warn(
			"%s: closed its readiness fd without a line; not ready",
			s->name);
	}
	if (n <= 0 || s->state == SVC_READY) {
		close(s->ready_pipe);
		s->ready_pipe = -1;
	}
}

void services_io(const struct pollfd *fds, int n)
{
	char buf[4096];

	for (int k = 0; k < n; k++) {
		if (!fds[k].revents)
			continue;
		for (int i = 0; i < count; i++) {
			struct service *s = &table[i];
			if (fds[k].fd == s->ready_pipe) {
				read_ready(s);
			} else if (fds[k].fd == s->log_fd) {
				ssize_t r = read(s->log_fd, buf, sizeof(buf));
				if (r > 0) {
					log_output(i, buf, r);
				} else if (r == 0 || (errno != EAGAIN &&
						      errno != EINTR)) {
					close(s->log_fd);
					s->log_fd = -1;
				}
			}
		}
	}
}

/* --- control ----------------------------------------------------------- */

int service_control(const char *verb, const char *name, char *msg, size_t len)
{
	struct service *s = by_name(name);
	bool stop = !strcmp(verb, "stop"), start = !strcmp(verb, "start");

	if (!s)
		return errmsg(msg, len, -ENOENT, "no service named '%s'", name);
	if (!stop && !start && strcmp(verb, "restart"))
		return errmsg(msg, len, -EINVAL, "unknown command '%s'", verb);
	if (!in_order[s - table] && !stop)
		return errmsg(msg, len, -EINVAL, "%s cannot start: %s", name,
			      s->status);
	bool running = s->pid > 0;

	if (stop) {
		s->restart_pending = false;
		if (running)
			service_stop(s);
		else if (s->state != SVC_STOPPED)
			service_set_state(s, SVC_STOPPED, NULL);
		snprintf(msg, len, "%s: %s", name,
			 running ? "stopping" : "stopped");
		return 0;
	}
	if (start && running && s->state != SVC_STOPPING) {
		snprintf(msg, len, "%s: already running", name);
		return 0;
	}
	/* restart: a stop first; the exit starts it again */
	if (running)
		service_stop(s);
	s->crashes = 0;
	if (s->state == SVC_STOPPING)
		s->restart_pending = true;
	else
		service_want(s);
	snprintf(msg, len, "%s: starting", name);
	return 0;
}

static void fmt_duration(char *buf, size_t len, long ms)
{
	long s = ms / 1000;

	if (s < 60)
		snprintf(buf, len, "%lds", s);
	else if (s < 3600)
		snprintf(buf, len, "%ldm%02lds", s / 60, s % 60);
	else
		snprintf(buf, len, "%ldh%02ldm", s / 3600, s / 60 % 60);
}

size_t services_status(char *buf, size_t len)
{
	size_t used = 0;
	long now = monotonic_ms();
	int n;

	n = snprintf(buf, len, "%-16s %-9s %6s %8s %8s  %s\n", "SERVICE",
		     "STATE", "PID", "RESTARTS", "UPTIME", "NOTE");
	used = n > 0 && (size_t)n < len ? (size_t)n : 0;
	for (int i = 0; i < count && used < len; i++) {
		struct service *s = &table[i];
		char pid[16] = "-", up[16] = "-", note[96];
		if (s->pid > 0) {
			snprintf(pid, sizeof(pid), "%d", s->pid);
			fmt_duration(up, sizeof(up), now - s->started_ms);
		}
		const char *wait =
			s->state == SVC_BLOCKED ? waiting_for(s) : NULL;
		if (s->state == SVC_BACKOFF)
			snprintf(note, sizeof(note),
				 "%s; restart in %ld ms (delay %d ms)",
				 s->status, s->due_ms - now, s->delay_ms);
		else if (wait)
			snprintf(note, sizeof(note), "waiting for %s (%s)",
				 wait,
				 service_state_name(by_name(wait)->state));
		else
			snprintf(note, sizeof(note), "%s", s->status);
		if (logs[i].dropped_total)
			snprintf(note + strlen(note),
				 sizeof(note) - strlen(note),
				 "%slog: %lu lines dropped",
				 note[0] ? "; " : "", logs[i].dropped_total);
		n = snprintf(buf + used, len - used,
			     "%-16s %-9s %6s %8u %8s  %s\n", s->name,
			     service_state_name(s->state), pid, s->restarts, up,
			     note);
		if (n < 0 || (size_t)n >= len - used)
			break;
		used += n;
	}
	return used;
}

static char degraded[640];

void services_set_degraded(const char *why)
{
	snprintf(degraded, sizeof(degraded), "%s", why);
}

const char *services_degraded(void)
{
	return degraded[0] ? degraded : NULL;
}

/* "not ready: <what>" in buf; returns how many are not (0: buf empty). */
static int not_ready(char *buf, size_t len)
{
	size_t used = 0;
	int missing = 0;

	buf[0] = '\0';
	for (int i = 0; i < count; i++) {
		const struct service *s = &table[i];
		if (!s->required || s->state == SVC_READY ||
		    (s->state == SVC_DONE &&
		     !strcmp(s->status, "exited with 0")))
			continue;
		int n = snprintf(buf + used, len - used, "%s%s is %s%s%s",
				 missing ? "; " : "not ready: ", s->name,
				 service_state_name(s->state),
				 s->status[0] ? ", " : "", s->status);
		missing++;
		if (n < 0 || (size_t)n >= len - used)
			break;
		used += n;
	}
	if (!missing && !services_settled()) {
		snprintf(buf, len, "not ready: services still starting");
		missing++;
	}
	return missing;
}

int services_health(char *buf, size_t len)
{
	size_t used = 0;

	if (degraded[0]) {
		/* the boot went on without something: never healthy */
		int n = snprintf(buf, len, "degraded: %s; ", degraded);
		used = n < 0 ? 0 : (size_t)n < len ? (size_t)n : len - 1;
	}
	int missing = not_ready(buf + used, len - used);
	if (!missing)
		snprintf(buf + used, len - used, "%s",
			 degraded[0] ? "services ready" : "ready");
	return missing || degraded[0] ? -EAGAIN : 0;
}

/* --- shutdown ---------------------------------------------------------- */

/* Keep every service's output flowing: a full pipe would block a
 * service in the middle of its clean exit. */
static void drain_all(void)
{
	for (int i = 0; i < count; i++)
		drain(&table[i]);
}

static void wait_gone(struct service *s, long until)
{
	while (monotonic_ms() < until) {
		/* a slow stop is not a hang: keep the watchdog fed */
		watchdog_tick();
		drain_all();
		services_reap(NULL, 0); /* shutting down already */
		if (s->pid <= 0 && !cgroup_populated(s->name))
			return;
		usleep(20000);
	}
}

static void kill_service(struct service *s, long until)
{
	cgroup_kill(s->name);
	if (s->pid > 0)
		kill(s->pid, SIGKILL);
	wait_gone(s, until);
}

void services_stop_all(void)
{
	long deadline = monotonic_ms() + SHUTDOWN_STOP_MAX_MS;

	stopping_all = true;
	/* the services nothing needs go first: reverse start order */
	for (int k = ordered - 1; k >= 0; k--) {
		struct service *s = &table[order[k]];
		if (s->pid <= 0 && !cgroup_populated(s->name)) {
			/* nothing may start it now */
			if (s->state == SVC_BLOCKED || s->state == SVC_BACKOFF)
				service_set_state(s, SVC_STOPPED, NULL);
			continue;
		}
		if (s->pid > 0)
			service_stop(s);
		long until = monotonic_ms() + s->stop_grace * 1000L;
		wait_gone(s, until < deadline ? until : deadline);
		if (s->pid > 0 || cgroup_populated(s->name)) {
			log_warn("%s: still running after %d s; killing it",
				 s->name, s->stop_grace);
			kill_service(s, monotonic_ms() + 2000);
		}
		close_pipes(s);
		cgroup_remove(s->name);
	}
	for (int i = 0; i < count; i++)
		logfile_close(&logs[i]);
}
