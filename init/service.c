// SPDX-License-Identifier: MIT
#include "service.h"
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

static int parse_bool(const char *v)
{
	if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "1"))
		return 1;
	if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "0"))
		return 0;
	return -1;
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	char *e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
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
	char *key = trim(line), *val = trim(eq + 1);

	if (!strcmp(key, "exec")) {
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
	} else if (!strcmp(key, "console")) {
		int b = parse_bool(val);
		if (b < 0)
			FAIL("console must be yes or no, not '%s'", val);
		svc->console = b;
	} else if (!strcmp(key, "stop_signal")) {
		int sig = parse_signal(val);
		if (sig < 0)
			FAIL("unknown stop_signal '%s'", val);
		svc->stop_signal = sig;
	} else if (!strcmp(key, "stop_grace")) {
		char *end;
		long v = strtol(val, &end, 10);
		if (end == val || *end || v < 0 || v > 300)
			FAIL("stop_grace must be 0..300 seconds, not '%s'",
			     val);
		svc->stop_grace = (int)v;
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
	svc->pid = -1;

	if (!*name || strlen(name) >= sizeof(svc->name) ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-_") !=
		    strlen(name)) {
		snprintf(err, errlen,
			 "service name must be 1-%zu of [a-z0-9-_]",
			 sizeof(svc->name) - 1);
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

		char *l = trim(line);
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
	return 0;
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
	case SVC_WAITING:
		return "waiting";
	case SVC_RUNNING:
		return "running";
	case SVC_STOPPING:
		return "stopping";
	case SVC_FAILED:
		return "failed";
	}
	return "?";
}
