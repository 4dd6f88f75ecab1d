/* SPDX-License-Identifier: MIT */
#ifndef KEEL_SERVICE_H
#define KEEL_SERVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define SERVICE_NAME_MAX 32
#define SERVICE_EXEC_MAX 256
#define SERVICE_ARGS_MAX 32
#define SERVICE_ENV_MAX 16
#define SERVICE_ENVBUF_MAX 512
#define SERVICE_NEEDS_MAX 8
#define SERVICE_PATH_MAX 128
#define SERVICES_MAX 32

/* Restart delays: 1 s doubling to 60 s, forgotten after 60 s of running. */
#define BACKOFF_FIRST_MS 1000
#define BACKOFF_MAX_MS 60000
#define BACKOFF_RESET_MS 60000

enum restart_policy {
	RESTART_ALWAYS,
	RESTART_ON_FAILURE,
	RESTART_NEVER,
};

enum ready_mode {
	READY_STARTED, /* ready once forked */
	READY_NOTIFY, /* ready once it writes a line to ready_fd */
};

/* The states and what moves a service between them: init/README.md. */
enum service_state {
	SVC_STOPPED, /* not running, nothing scheduled */
	SVC_BLOCKED, /* waiting for the services it needs to be ready */
	SVC_STARTING, /* running, readiness not yet reported */
	SVC_READY, /* running and ready */
	SVC_BACKOFF, /* exited; starts again at restart_at */
	SVC_STOPPING, /* stop signal sent, waiting for it to exit */
	SVC_DONE, /* exited and its policy says stay down */
	SVC_FAILED, /* crash loop, bad dependency, or cannot start */
};

/* One /etc/init/<name>.conf; the format is in init/README.md. */
struct service {
	char name[SERVICE_NAME_MAX];
	char args[SERVICE_EXEC_MAX]; /* exec line, split in place */
	char *argv[SERVICE_ARGS_MAX + 1];
	char user[SERVICE_NAME_MAX];
	char group[SERVICE_NAME_MAX];
	char workdir[SERVICE_PATH_MAX];
	char envbuf[SERVICE_ENVBUF_MAX]; /* KEY=VALUE\0KEY=VALUE\0 */
	size_t envlen;
	int nenv;
	char needs[SERVICE_NEEDS_MAX][SERVICE_NAME_MAX];
	int nneeds;
	enum restart_policy restart;
	enum ready_mode ready;
	int ready_fd;
	bool console; /* stdio on the console tty, as its session */
	char console_tty[16]; /* that tty ("tty0"); "": the primary console */
	bool critical; /* a crash loop reboots the machine */
	bool autostart; /* started at boot, or only by initctl start */
	bool required; /* an OS update is kept only once it is ready */
	int restart_limit; /* crashes in a row before giving up */
	int stop_signal;
	int stop_grace; /* seconds between stop_signal and SIGKILL */
	int oom_score_adj; /* -1000..1000; init itself runs at -900 */

	/* run time, owned by supervise.c; state only by service_set_state */
	enum service_state state;
	pid_t pid; /* > 0 in starting, ready and stopping only */
	unsigned restarts; /* since boot */
	unsigned crashes; /* in a row, reset by a stable run */
	int delay_ms; /* the last restart delay */
	long started_ms; /* monotonic_ms() of the last start */
	long due_ms; /* backoff: when it starts again; stopping: killed */
	bool restart_pending; /* start again once the stop under way ends */
	int log_fd; /* read end of its stdout/stderr pipe, or -1 */
	int ready_pipe; /* read end of its readiness pipe, or -1 */
	char status[48]; /* how it last ended, or why it failed */
};

/*
 * Parse the text of a service file. name is the file name without ".conf".
 * On error returns -EINVAL and writes "line N: reason" to err.
 */
int service_parse(struct service *svc, const char *name, const char *text,
		  char *err, size_t errlen);

/* Whether a service that exited with wait status `status` runs again. */
bool service_should_restart(const struct service *svc, int status);

enum exit_action {
	EXIT_RESTART, /* start again after *delay_ms */
	EXIT_STAY_DOWN, /* the restart policy says no */
	EXIT_CRASH_LOOP, /* restart_limit crashes in a row: give up */
};

/*
 * A running service exited after ran_ms. Updates restarts, crashes and
 * delay_ms by the restart policy and the backoff rules above.
 */
enum exit_action service_exited(struct service *svc, int status, long ran_ms);

/* Delay before restart number `crashes` (1-based). */
int service_backoff_ms(unsigned crashes);

const char *service_state_name(enum service_state s);

/*
 * Whether a service may go from one state to the other. Down (stopped,
 * blocked, backoff, done, failed): it may be started (starting, ready),
 * fail to start (backoff, failed), wait for what it needs (blocked) or
 * be stopped. Starting: ready. Starting or ready: stopping, or it ended
 * (backoff, done, failed, or stopped at shutdown). Stopping: stopped.
 */
bool service_may_go(enum service_state from, enum service_state to);

/*
 * Every change of a service's state goes through here. A change that
 * service_may_go refuses is logged as a bug and refused (-EINVAL); any
 * other is made and logged once, as init/README.md's "States" shows:
 * at err when it failed or could not start, at info otherwise. why is
 * the detail that line needs, by the state it goes to:
 *   stopped            how it ended ("exited with 0"), NULL if not running
 *   blocked            the service it waits for
 *   starting, ready    NULL (ready after starting: its line came)
 *   stopping           NULL
 *   backoff, done      how it ended, or (backoff) why it could not start
 *   failed             how it ended (crash loop), or why it cannot start
 */
int service_set_state(struct service *s, enum service_state to,
		      const char *why);

/*
 * Check the needs of every service: each must name a loaded service, and
 * there must be no cycle. A service failing either is marked SVC_FAILED
 * with the reason in its status. Fills order[] with the indexes of the
 * others, every service after the ones it needs. Returns how many.
 */
int services_order(struct service *table, int n, int *order);

#endif
