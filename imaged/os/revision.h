/* SPDX-License-Identifier: MIT */
#ifndef KEEL_REVISION_H
#define KEEL_REVISION_H

#include "imaged_conf.h"

#include <stdbool.h>
#include <sys/types.h>

/*
 * A workload revision applied as one transaction, in the daemon (it
 * owns the pods): the file the poll fetched and checked (os/revfetch.c)
 * is read and checked against the other origins' objects, every image
 * it needs pulled (in a child: nothing changes until all are in the
 * store), then the objects the channel manages replaced at once
 * (pods/podset.c), and its pods given workload_timeout to be ready. Then
 * the revision is recorded, or the one before it put back and this one
 * rejected here. REV_STATE's "applying" marks the window between: a
 * daemon that starts and finds it goes back to the current revision.
 */

/* At the daemon's start: the marker resolved. c outlives the daemon. */
void revision_start(const struct imaged_conf *c);

/* The running revision's file, for pods_init, or NULL (none). */
const char *revision_file(void);

/*
 * revision_start went back from one cut off: the containers running now
 * (an imaged restarted without a reboot) may be of either revision.
 */
bool revision_cut_off(void);

/*
 * "workloads status" (imagectl), "workloads apply N" and "workloads
 * refused N REASON" (the poll's child).
 */
bool revision_handle(int fd, int argc, char **argv);

/* pid was the transaction's puller. */
bool revision_reaped(pid_t pid, int status);

long long revision_due_in_ms(void);
void revision_tick(void);

#endif
