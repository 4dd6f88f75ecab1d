/* SPDX-License-Identifier: MIT */
#ifndef KEEL_SUPERVISE_H
#define KEEL_SUPERVISE_H

#include "service.h"

#define SERVICE_DIR "/etc/init"

/* Read every <dir>/<name>.conf; a bad file is logged and skipped. */
int services_load(const char *dir);

void services_start_all(void);

/* Reap every exited child; schedule restarts by each service's policy. */
void services_reap(void);

/* Start services whose restart time has come. */
void services_tick(void);

/* Milliseconds until the next scheduled restart, -1 for none. */
int services_timeout_ms(void);

/* Stop signal to each running service, grace, then SIGKILL. */
void services_stop_all(void);

#endif
