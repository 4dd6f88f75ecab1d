// SPDX-License-Identifier: MIT
#include "service.h"
#include "cmdline.h"
#include "errmsg.h"
#include "log.h"
#include "text.h"

#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

static const struct {
	const char *name;
	int sig;
} signals[] = {
	{ "TERM", SIGTERM }, { "INT", SIGINT },	  { "HUP", SIGHUP },
	{ "QUIT", SIGQUIT }, { "KILL", SIGKILL }, { "USR1", SIGUSR1 },
	{ "USR2", SIGUSR2 },
};

static const char *signal_name(int sig)
{
	for (size_t i = 0; i < sizeof(signals) / sizeof(signals[0]); i++)
		if (signals[i].sig == sig)
			return signals[i].name;
	return "?";
}

static int parse_signal(const char *v)
{
	if (!strncmp(v, "SIG", 3))
		v += 3;
	for (size_t i = 0; i < sizeof(signals) / sizeof(signals[0]); i++)
		if (!strcmp(v, signals[i].name))
			return signals[i].sig;
	return -1;
}

/* The yes/no keys and the whole numbers a file may set, by key. */
static const struct {
	const char *key;
	size_t offset;
} flags[] = {
	{ "console", offsetof(struct service, console) },
	{ "critical", offsetof(struct service, critical) },
	{ "autostart", offsetof(struct service, autostart) },
	{ "required", offsetof(struct service, required) },
};

static const struct {
	const char *key;
	size_t offset;
	long min, max;
	const char *unit;
} numbers[] = {
	{ "ready_fd", offsetof(struct service, ready_fd), 3, 63, "" },
	{ "restart_limit", offsetof(struct service, restart_limit), 1, 1000,
	  "" },
	{ "oom_score_adj", offsetof(struct service, oom_score_adj), -1000, 1000,
	  "" },
	{ "stop_grace", offsetof(struct service, stop_grace), 0, 300,
	  " seconds" },
};

static int parse_exec(struct service *svc, const char *val, char *err,
		      size_t len)
{
	if (strlen(val) >= sizeof(svc->args))
		return errmsg(err, len, -EINVAL,
			      "exec line longer than %zu bytes",
			      sizeof(svc->args) - 1);
	strcpy(svc->args, val);
	int argc = split_args(svc->args, svc->argv, SERVICE_ARGS_MAX);
	if (argc == -E2BIG)
		return errmsg(err, len, -EINVAL, "more than %d arguments",
			      SERVICE_ARGS_MAX);
	if (argc < 0)
		return errmsg(err, len, -EINVAL, "unbalanced quote in exec");
	if (argc == 0)
		return errmsg(err, len, -EINVAL, "exec is empty");
	if (svc->argv[0][0] != '/')
		return errmsg(err, len, -EINVAL,
			      "exec must start with an absolute path, not '%s'",
			      svc->argv[0]);
	return 0;
}

static int parse_env(struct service *svc, const char *val, char *err,
		     size_t len)
{
	const char *eq = strchr(val, '=');
	size_t n = strlen(val) + 1;

	if (!eq || eq == val)
		return errmsg(err, len, -EINVAL,
			      "env must be NAME=value, not '%s'", val);
	if (strspn(val, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			"0123456789_") != (size_t)(eq - val))
		return errmsg(err, len, -EINVAL,
			      "env name '%.*s' may only hold letters, digits "
			      "and _",
			      (int)(eq - val), val);
	if (svc->nenv == SERVICE_ENV_MAX ||
	    svc->envlen + n > sizeof(svc->envbuf))
		return errmsg(err, len, -EINVAL,
			      "more environment than %d entries or %zu bytes",
			      SERVICE_ENV_MAX, sizeof(svc->envbuf));
	memcpy(svc->envbuf + svc->envlen, val, n);
	svc->envlen += n;
	svc->nenv++;
	return 0;
}

static int parse_needs(struct service *svc, char *val, char *err, size_t len)
{
	char *save, *tok;

	for (tok = strtok_r(val, " \t,", &save); tok;
	     tok = strtok_r(NULL, " \t,", &save)) {
		if (svc->nneeds == SERVICE_NEEDS_MAX)
			return errmsg(err, len, -EINVAL,
				      "needs more than %d services",
				      SERVICE_NEEDS_MAX);
		if (strlen(tok) >= SERVICE_NAME_MAX)
			return errmsg(err, len, -EINVAL,
				      "needs: name '%s' too long", tok);
		if (!strcmp(tok, svc->name))
			return errmsg(err, len, -EINVAL,
				      "a service cannot need itself");
		strcpy(svc->needs[svc->nneeds++], tok);
	}
	return 0;
}

/* console = <tty>: a console other than the primary one ("tty0"). */
static int parse_console(struct service *svc, const char *val, char *err,
			 size_t len)
{
	size_t n = strlen(val);

	if (strncmp(val, "tty", 3) || n < 4 || n >= sizeof(svc->console_tty) ||
	    strspn(val, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			"0123456789") != n)
		return errmsg(err, len, -EINVAL,
			      "console must be yes, no or a tty's name "
			      "(tty0, ttyS1), not '%s'",
			      val);
	svc->console = true;
	strcpy(svc->console_tty, val);
	return 0;
}

/* user, group, workdir, ready, restart, stop_signal: names and paths. */
static int parse_word(struct service *svc, const char *key, const char *val,
		      char *err, size_t len)
{
	if (!strcmp(key, "user") || !strcmp(key, "group")) {
		char *dst = key[0] == 'u' ? svc->user : svc->group;
		if (!*val || strlen(val) >= SERVICE_NAME_MAX ||
		    strpbrk(val, " \t:/"))
			return errmsg(err, len, -EINVAL,
				      "%s must be a name or number of at most "
				      "%d characters",
				      key, SERVICE_NAME_MAX - 1);
		strcpy(dst, val);
	} else if (!strcmp(key, "workdir")) {
		if (val[0] != '/' || strlen(val) >= sizeof(svc->workdir))
			return errmsg(err, len, -EINVAL,
				      "workdir must be an absolute path "
				      "shorter than %zu bytes",
				      sizeof(svc->workdir));
		strcpy(svc->workdir, val);
	} else if (!strcmp(key, "ready")) {
		if (!strcmp(val, "started"))
			svc->ready = READY_STARTED;
		else if (!strcmp(val, "notify"))
			svc->ready = READY_NOTIFY;
		else
			return errmsg(err, len, -EINVAL,
				      "ready must be started or notify, not "
				      "'%s'",
				      val);
	} else if (!strcmp(key, "restart")) {
		if (!strcmp(val, "always"))
			svc->restart = RESTART_ALWAYS;
		else if (!strcmp(val, "on-failure"))
			svc->restart = RESTART_ON_FAILURE;
		else if (!strcmp(val, "never"))
			svc->restart = RESTART_NEVER;
		else
			return errmsg(err, len, -EINVAL,
				      "restart must be always, on-failure or "
				      "never, not '%s'",
				      val);
	} else if (!strcmp(key, "stop_signal")) {
		int sig = parse_signal(val);
		if (sig < 0)
			return errmsg(err, len, -EINVAL,
				      "unknown stop_signal '%s'", val);
		svc->stop_signal = sig;
	} else {
		return errmsg(err, len, -EINVAL, "unknown key '%s'", key);
	}
	return 0;
}

static int parse_line(struct service *svc, char *line, char *err, size_t len)
{
	char *eq = strchr(line, '=');

	if (!eq)
		return errmsg(err, len, -EINVAL, "expected 'key = value'");
	*eq = '\0';
	char *key = text_trim(line), *val = text_trim(eq + 1);

	if (!strcmp(key, "console") && text_bool(val) < 0)
		return parse_console(svc, val, err, len);
	for (size_t i = 0; i < sizeof(flags) / sizeof(*flags); i++) {
		if (strcmp(key, flags[i].key))
			continue;
		int b = text_bool(val);
		if (b < 0)
			return errmsg(err, len, -EINVAL,
				      "%s must be yes or no, not '%s'", key,
				      val);
		*(bool *)((char *)svc + flags[i].offset) = b;
		return 0;
	}
	for (size_t i = 0; i < sizeof(numbers) / sizeof(*numbers); i++) {
		if (strcmp(key, numbers[i].key))
			continue;
		if (text_range(val, numbers[i].min, numbers[i].max,
			       (int *)((char *)svc + numbers[i].offset)))
			return errmsg(err, len, -EINVAL,
				      "%s must be %ld..%ld%s, not '%s'", key,
				      numbers[i].min, numbers[i].max,
				      numbers[i].unit, val);
		return 0;
	}
	if (!strcmp(key, "exec"))
		return parse_exec(svc, val, err, len);
	if (!strcmp(key, "env"))
		return parse_env(svc, val, err, len);
	if (!strcmp(key, "needs"))
		return parse_needs(svc, val, err, len);
	return parse_word(svc, key, val, err, len);
}

int service_parse(struct service *svc, const char *name, const char *text,
		  char *err, size_t errlen)
{
	char line[SERVICE_EXEC_MAX + 64];
	int lineno = 0;

	memset(svc, 0, sizeof(*svc));
	svc->restart = RESTART_ALWAYS;
	svc->stop_signal = SIGTERM;
	svc->stop_grace = 5;
	svc->ready_fd = 3;
	svc->autostart = true;
	svc->restart_limit = 10;
	svc->pid = -1;
	svc->log_fd = -1;
	svc->ready_pipe = -1;

	if (!*name || strlen(name) >= sizeof(svc->name) ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-_") !=
		    strlen(name))
		return errmsg(err, errlen, -EINVAL,
			      "service name must be 1-%zu of [a-z0-9-_]",
			      sizeof(svc->name) - 1);
	/* /var/log/init.log is init's own */
	if (!strcmp(name, "init"))
		return errmsg(err, errlen, -EINVAL,
			      "the name 'init' is reserved");
	strcpy(svc->name, name);

	while (*text) {
		size_t n = strcspn(text, "\n");
		lineno++;
		if (n >= sizeof(line))
			return errmsg(err, errlen, -EINVAL,
				      "line %d: line longer than %zu bytes",
				      lineno, sizeof(line) - 1);
		memcpy(line, text, n);
		line[n] = '\0';
		text += n;
		if (*text)
			text++;

		char *l = text_trim(line);
		if (!*l || *l == '#')
			continue;
		int r = parse_line(svc, l, err, errlen);
		if (r)
			return errmsg_prefix(err, errlen, r,
					     "line %d: ", lineno);
	}
	if (!svc->argv[0])
		return errmsg(err, errlen, -EINVAL, "no exec line");
	if (svc->console && svc->ready == READY_NOTIFY)
		return errmsg(err, errlen, -EINVAL,
			      "a console service cannot use ready = notify");
	return 0;
}

int service_backoff_ms(unsigned crashes)
{
	long ms = BACKOFF_FIRST_MS;

	for (unsigned i = 1; i < crashes && ms < BACKOFF_MAX_MS; i++)
		ms *= 2;
	return ms > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : (int)ms;
}

enum exit_action service_exited(struct service *svc, int status, long ran_ms)
{
	if (ran_ms >= BACKOFF_RESET_MS)
		svc->crashes = 0;
	if (!service_should_restart(svc, status))
		return EXIT_STAY_DOWN;
	svc->crashes++;
	if (svc->crashes > (unsigned)svc->restart_limit)
		return EXIT_CRASH_LOOP;
	svc->restarts++;
	svc->delay_ms = service_backoff_ms(svc->crashes);
	return EXIT_RESTART;
}

static int find(struct service *t, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(t[i].name, name))
			return i;
	return -1;
}

int services_order(struct service *t, int n, int *order)
{
	/* 0 unvisited, 1 placed, 2 failed; Kahn-style passes, n is small */
	int mark[SERVICES_MAX] = { 0 };
	int count = 0, progress = 1;

	for (int i = 0; i < n; i++)
		for (int j = 0; j < t[i].nneeds && !mark[i]; j++)
			if (find(t, n, t[i].needs[j]) < 0) {
				snprintf(t[i].status, sizeof(t[i].status),
					 "needs unknown service %.24s",
					 t[i].needs[j]);
				service_set_state(&t[i], SVC_FAILED,
						  t[i].status);
				mark[i] = 2;
			}
	while (progress) {
		progress = 0;
		for (int i = 0; i < n; i++) {
			if (mark[i])
				continue;
			int ok = 1;
			for (int j = 0; j < t[i].nneeds && ok; j++) {
				int d = find(t, n, t[i].needs[j]);
				if (mark[d] == 2) {
					snprintf(t[i].status,
						 sizeof(t[i].status),
						 "needs failed service %.24s",
						 t[d].name);
					service_set_state(&t[i], SVC_FAILED,
							  t[i].status);
					mark[i] = 2;
					progress = 1;
					ok = 0;
				} else if (mark[d] != 1) {
					ok = 0;
				}
			}
			if (ok) {
				mark[i] = 1;
				order[count++] = i;
				progress = 1;
			}
		}
	}
	for (int i = 0; i < n; i++)
		if (!mark[i]) {
			snprintf(t[i].status, sizeof(t[i].status),
				 "dependency cycle");
			service_set_state(&t[i], SVC_FAILED, t[i].status);
		}
	return count;
}

bool service_should_restart(const struct service *svc, int status)
{
	switch (svc->restart) {
	case RESTART_ALWAYS:
		return true;
	case RESTART_ON_FAILURE:
		return !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	case RESTART_NEVER:
		return false;
	}
	return false;
}

const char *service_state_name(enum service_state s)
{
	switch (s) {
	case SVC_STOPPED:
		return "stopped";
	case SVC_BLOCKED:
		return "blocked";
	case SVC_STARTING:
		return "starting";
	case SVC_READY:
		return "ready";
	case SVC_BACKOFF:
		return "backoff";
	case SVC_STOPPING:
		return "stopping";
	case SVC_DONE:
		return "done";
	case SVC_FAILED:
		return "failed";
	}
	return "?";
}

static bool down(enum service_state s)
{
	return s == SVC_STOPPED || s == SVC_BLOCKED || s == SVC_BACKOFF ||
	       s == SVC_DONE || s == SVC_FAILED;
}

bool service_may_go(enum service_state from, enum service_state to)
{
	switch (from) {
	case SVC_STOPPED:
	case SVC_BLOCKED:
	case SVC_BACKOFF:
	case SVC_DONE:
	case SVC_FAILED:
		/* blocked or stopped again is no change; backoff or failed
		 * again is another start that could not be made */
		if (to == SVC_BLOCKED || to == SVC_STOPPED)
			return to != from;
		return to == SVC_STARTING || to == SVC_READY ||
		       to == SVC_BACKOFF || to == SVC_FAILED;
	case SVC_STARTING:
		if (to == SVC_READY)
			return true;
		/* fall through */
	case SVC_READY:
		return to == SVC_STOPPING || to == SVC_BACKOFF ||
		       to == SVC_DONE || to == SVC_FAILED || to == SVC_STOPPED;
	case SVC_STOPPING:
		return to == SVC_STOPPED;
	}
	return false;
}

/* The one line a change logs; s->state is the new state already. */
static void log_change(const struct service *s, enum service_state from,
		       const char *why)
{
	const char *n = s->name, *w = why ? why : "?";

	switch (s->state) {
	case SVC_STOPPED:
		if (why)
			log_info("%s: stopped (%s)", n, why);
		else
			log_info("%s: stopped", n);
		break;
	case SVC_BLOCKED:
		log_info("%s: waiting for %s", n, w);
		break;
	case SVC_STARTING:
		log_info("%s: started, pid %d, waiting for readiness", n,
			 (int)s->pid);
		break;
	case SVC_READY:
		if (from == SVC_STARTING)
			log_info("%s: ready", n);
		else
			log_info("%s: started, pid %d", n, (int)s->pid);
		break;
	case SVC_BACKOFF:
		if (down(from))
			log_err("unable to start %s: %s; again in %d ms", n, w,
				s->delay_ms);
		else
			log_info("%s: %s; restart %u in %d ms", n, w,
				 s->restarts, s->delay_ms);
		break;
	case SVC_STOPPING:
		log_info("%s: stopping (SIG%s, killed after %d s)", n,
			 signal_name(s->stop_signal), s->stop_grace);
		break;
	case SVC_DONE:
		log_info("%s: %s; not restarting", n, w);
		break;
	case SVC_FAILED:
		if (down(from))
			log_err("unable to start %s: %s", n, w);
		else
			log_err("%s: %s %u times in a row; giving up", n, w,
				s->crashes);
		break;
	}
}

int service_set_state(struct service *s, enum service_state to, const char *why)
{
	enum service_state from = s->state;

	if (!service_may_go(from, to)) {
		log_err("unable to move %s from %s to %s: not a transition",
			s->name, service_state_name(from),
			service_state_name(to));
		return -EINVAL;
	}
	s->state = to;
	log_change(s, from, why);
	return 0;
}
