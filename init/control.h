/* SPDX-License-Identifier: MIT */
#ifndef KEEL_CONTROL_H
#define KEEL_CONTROL_H

#include "shutdown.h"

/*
 * initctl talks to PID 1 over a control socket (lib/ctlsock.h). A
 * request is "<verb>[ <service>]"; the answer is one packet.
 */
#define CONTROL_SOCKET "/run/init.sock"

/* Bind and listen; returns the listening fd or -errno. */
int control_open(void);

/*
 * Answer one client on the listening fd. Returns the shutdown the client
 * asked for, or SHUTDOWN_NONE.
 */
enum shutdown_kind control_handle(int listen_fd);

/* The initctl command: `initctl status`, `initctl stop <svc>`, ... */
int initctl_main(int argc, char **argv);

#endif
