/* SPDX-License-Identifier: MIT */
#ifndef KEEL_SUPERVISE_H
#define KEEL_SUPERVISE_H

#include "service.h"

#include <poll.h>
#include <stdbool.h>

#define SERVICE_DIR "/etc/init"

/*
 * Shutdown gives services their stop_grace one after another, but all of
 * them together no more than this; the rest are killed at once.
 */
#define SHUTDOWN_STOP_MAX_MS 90000

/* Read every <dir>/<name>.conf; a bad file is logged and skipped. */
int services_load(const char *dir);

/* Log files <dir>/<name>.log for every loaded service. */
void services_logs_open(const char *dir);

/* Start everything, each once the services it needs are ready. */
void services_start_all(void);

/*
 * Reap every exited child; restart services by their policy. Returns 0,
 * or -ENOTRECOVERABLE when a critical service gave up (err: "<name> is
 * critical"): the caller takes the machine down.
 */
int services_reap(char *err, size_t len);

/* Start what is due: unblocked services, restarts; kill late stoppers. */
void services_tick(void);

/* Milliseconds until services_tick has work, -1 for none. */
int services_timeout_ms(void);

/* True once no service is waiting to start or to become ready. */
bool services_settled(void);

/* The service pipes (output, readiness) to poll, and their handling. */
int services_pollfds(struct pollfd *fds, int max);
void services_io(const struct pollfd *fds, int n);

/* "start", "stop" or "restart" a service by name; msg says what. */
int service_control(const char *verb, const char *name, char *msg, size_t len);

/* A table of every service for initctl status; returns its length. */
size_t services_status(char *buf, size_t len);

/*
 * Whether the services an OS update depends on are up: init has settled
 * and every `required` service is ready (or, for a oneshot, exited 0).
 * 0 with "ready", or -EAGAIN with what is not, in buf.
 */
int services_health(char *buf, size_t len);

/*
 * The boot went on without something it needs (the data partition):
 * health says "degraded: <why>" and fails until the next boot.
 */
void services_set_degraded(const char *why);
/* The reason, or NULL. */
const char *services_degraded(void);

/* Stop in reverse dependency order: stop signal, grace, cgroup kill. */
void services_stop_all(void);

#endif
