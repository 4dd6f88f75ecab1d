/* SPDX-License-Identifier: MIT */
#ifndef KEEL_OSREQ_H
#define KEEL_OSREQ_H

#include "imaged_conf.h"

#include <stdbool.h>
#include <sys/types.h>

/*
 * The OS side of the daemon: the boot-time health gate and automatic
 * updates (channel polls) in children of their own, and the `imagectl
 * os status|update|rollback` requests. c must outlive the daemon.
 */
void os_start(const struct imaged_conf *c);

/*
 * An `os ...` or `workloads ...` request answered on fd; false when argv
 * is neither.
 */
bool os_handle(int fd, int argc, char **argv);

/*
 * pid, a child that ended with status, was one of ours (the gate, an
 * install, a workload revision's puller).
 */
bool os_reaped(pid_t pid, int status);

/* ms until os_tick has work (a channel poll), 0 for now, or -1. */
long long os_due_in_ms(void);
void os_tick(void);

#endif
