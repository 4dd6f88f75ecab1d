// SPDX-License-Identifier: MIT
#include "service.h"
#include "text.h"
#include "cmdline.h"

#include <ctype.h>
#include <errno.h>
#include <signal.h>
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

static int parse_signal(const char *v)
{
	if (!strncmp(v, "SIG", 3))
		v += 3;
	for (size_t i = 0; i < sizeof(signals) / sizeof(signals[0]); i++)
		if (!strcmp(v, signals[i].name))
			return signals[i].sig;
	return -1;
}

#define FAIL(...)                                                     \
	do {                                                          \
		int n_ = snprintf(err, errlen, "line %d: ", lineno);  \
		if (n_ > 0 && (size_t)n_ < errlen)                    \
			snprintf(err + n_, errlen - n_, __VA_ARGS__); \
		return -EINVAL;                                       \
	} while (0)

static int parse_line(struct service *svc, char *line, int lineno, char *err,
		      size_t errlen)
{
	char *eq = strchr(line, '=');
	if (!eq)
		FAIL("expected 'key = value'");
	*eq = '\0';
	char *key = text_trim(line), *val = text_trim(eq + 1);

	bool *flag = !strcmp(key, "console")	 ? &svc->console
		     : !strcmp(key, "critical")	 ? &svc->critical
		     : !strcmp(key, "autostart") ? &svc->autostart
		     : !strcmp(key, "required")	 ? &svc->required
						 : NULL;
	if (flag) {
		int b = text_bool(val);
		if (b < 0)
			FAIL("%s must be yes or no, not '%s'", key, val);
		*flag = b;
	} else if (!strcmp(key, "exec")) {
		if (strlen(val) >= sizeof(svc->args))
			FAIL("exec line longer than %zu bytes",
			     sizeof(svc->args) - 1);
		strcpy(svc->args, val);
		int argc = split_args(svc->args, svc->argv, SERVICE_ARGS_MAX);
		if (argc == -E2BIG)
			FAIL("more than %d arguments", SERVICE_ARGS_MAX);
		if (argc < 0)
			FAIL("unbalanced quote in exec");
		if (argc == 0)
			FAIL("exec is empty");
		if (svc->argv[0][0] != '/')
			FAIL("exec must start with an absolute path, not '%s'",
			     svc->argv[0]);
	} else if (!strcmp(key, "user") || !strcmp(key, "group")) {
		char *dst = key[0] == 'u' ? svc->user : svc->group;
		if (!*val || strlen(val) >= SERVICE_NAME_MAX ||
		    strpbrk(val, " \t:/"))
			FAIL("%s must be a name or number of at most %d "
			     "characters",
			     key, SERVICE_NAME_MAX - 1);
		strcpy(dst, val);
	} else if (!strcmp(key, "workdir")) {
		if (val[0] != '/' || strlen(val) >= sizeof(svc->workdir))
			FAIL("workdir must be an absolute path shorter than "
			     "%zu bytes",
			     sizeof(svc->workdir));
		strcpy(svc->workdir, val);
	} else if (!strcmp(key, "env")) {
		char *eq2 = strchr(val, '=');
		size_t len = strlen(val) + 1;
		if (!eq2 || eq2 == val)
			FAIL("env must be NAME=value, not '%s'", val);
		if (strspn(val, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrst"
				"uvwxyz0123456789_") != (size_t)(eq2 - val))
			FAIL("env name '%.*s' may only hold letters, digits "
			     "and _",
			     (int)(eq2 - val), val);
		if (svc->nenv == SERVICE_ENV_MAX ||
		    svc->envlen + len > sizeof(svc->envbuf))
			FAIL("more environment than %d entries or %zu bytes",
			     SERVICE_ENV_MAX, sizeof(svc->envbuf));
		memcpy(svc->envbuf + svc->envlen, val, len);
		svc->envlen += len;
		svc->nenv++;
	} else if (!strcmp(key, "needs")) {
		char *save, *tok;
		for (tok = strtok_r(val, " \t,", &save); tok;
		     tok = strtok_r(NULL, " \t,", &save)) {
			if (svc->nneeds == SERVICE_NEEDS_MAX)
				FAIL("needs more than %d services",
				     SERVICE_NEEDS_MAX);
			if (strlen(tok) >= SERVICE_NAME_MAX)
				FAIL("needs: name '%s' too long", tok);
			if (!strcmp(tok, svc->name))
				FAIL("a service cannot need itself");
			strcpy(svc->needs[svc->nneeds++], tok);
		}
	} else if (!strcmp(key, "ready")) {
		if (!strcmp(val, "started"))
			svc->ready = READY_STARTED;
		else if (!strcmp(val, "notify"))
			svc->ready = READY_NOTIFY;
		else
			FAIL("ready must be started or notify, not '%s'", val);
	} else if (!strcmp(key, "ready_fd")) {
		if (text_range(val, 3, 63, &svc->ready_fd))
			FAIL("ready_fd must be 3..63, not '%s'", val);
	} else if (!strcmp(key, "restart_limit")) {
		if (text_range(val, 1, 1000, &svc->restart_limit))
			FAIL("restart_limit must be 1..1000, not '%s'", val);
	} else if (!strcmp(key, "restart")) {
		if (!strcmp(val, "always"))
			svc->restart = RESTART_ALWAYS;
		else if (!strcmp(val, "on-failure"))
			svc->restart = RESTART_ON_FAILURE;
		else if (!strcmp(val, "never"))
			svc->restart = RESTART_NEVER;
		else
			FAIL("restart must be always, on-failure or never, not "
			     "'%s'",
			     val);
	} else if (!strcmp(key, "stop_signal")) {
		int sig = parse_signal(val);
		if (sig < 0)
			FAIL("unknown stop_signal '%s'", val);
		svc->stop_signal = sig;
	} else if (!strcmp(key, "oom_score_adj")) {
		if (text_range(val, -1000, 1000, &svc->oom_score_adj))
			FAIL("oom_score_adj must be -1000..1000, not '%s'",
			     val);
	} else if (!strcmp(key, "stop_grace")) {
		if (text_range(val, 0, 300, &svc->stop_grace))
			FAIL("stop_grace must be 0..300 seconds, not '%s'",
			     val);
	} else {
		FAIL("unknown key '%s'", key);
	}
	return 0;
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
		    strlen(name)) {
		snprintf(err, errlen,
			 "service name must be 1-%zu of [a-z0-9-_]",
			 sizeof(svc->name) - 1);
		return -EINVAL;
	}
	if (!strcmp(name, "init")) {
		/* /var/log/init.log is init's own */
		snprintf(err, errlen, "the name 'init' is reserved");
		return -EINVAL;
	}
	strcpy(svc->name, name);

	while (*text) {
		size_t n = strcspn(text, "\n");
		lineno++;
		if (n >= sizeof(line))
			FAIL("line longer than %zu bytes", sizeof(line) - 1);
		memcpy(line, text, n);
		line[n] = '\0';
		text += n;
		if (*text)
			text++;

		char *l = text_trim(line);
		if (!*l || *l == '#')
			continue;
		int r = parse_line(svc, l, lineno, err, errlen);
		if (r)
			return r;
	}
	if (!svc->argv[0]) {
		snprintf(err, errlen, "no exec line");
		return -EINVAL;
	}
	if (svc->console && svc->ready == READY_NOTIFY) {
		snprintf(err, errlen,
			 "a console service cannot use ready = notify");
		return -EINVAL;
	}
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
		for (int j = 0; j < t[i].nneeds; j++)
			if (find(t, n, t[i].needs[j]) < 0) {
				snprintf(t[i].status, sizeof(t[i].status),
					 "needs unknown service %.24s",
					 t[i].needs[j]);
				t[i].state = SVC_FAILED;
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
					t[i].state = SVC_FAILED;
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
			t[i].state = SVC_FAILED;
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
