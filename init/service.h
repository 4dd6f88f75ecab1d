/* SPDX-License-Identifier: MIT */
#ifndef KEEL_SERVICE_H
#define KEEL_SERVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#define SERVICE_NAME_MAX 32
#define SERVICE_EXEC_MAX 256
#define SERVICE_ARGS_MAX 32
#define SERVICES_MAX 32

enum restart_policy {
	RESTART_ALWAYS,
	RESTART_ON_FAILURE,
	RESTART_NEVER,
};

enum service_state {
	SVC_STOPPED, /* not running, nothing scheduled */
	SVC_WAITING, /* restart scheduled at restart_at */
	SVC_RUNNING,
	SVC_STOPPING, /* stop signal sent, waiting for it to exit */
	SVC_FAILED, /* could not start, or exited and policy says stay down */
};

/* One /etc/init/<name>.conf; the format is in init/README.md. */
struct service {
	char name[SERVICE_NAME_MAX];
	char args[SERVICE_EXEC_MAX]; /* exec line, split in place */
	char *argv[SERVICE_ARGS_MAX + 1];
	enum restart_policy restart;
	bool console; /* stdio on the console tty, as its session */
	int stop_signal;
	int stop_grace; /* seconds between stop_signal and SIGKILL */

	enum service_state state;
	pid_t pid;
	unsigned restarts;
	struct timespec restart_at;
};

/*
 * Parse the text of a service file. name is the file name without ".conf".
 * On error returns -EINVAL and writes "line N: reason" to err.
 */
int service_parse(struct service *svc, const char *name, const char *text,
		  char *err, size_t errlen);

/* Whether a service that exited with wait status `status` runs again. */
bool service_should_restart(const struct service *svc, int status);

const char *service_state_name(enum service_state s);

#endif
