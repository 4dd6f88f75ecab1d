/* SPDX-License-Identifier: MIT */
#ifndef KEEL_CONTROL_H
#define KEEL_CONTROL_H

#include "shutdown.h"

/*
 * initctl talks to PID 1 over a SOCK_SEQPACKET socket, root only. A
 * request is one packet "<verb>[ <service>]"; the answer is one packet,
 * "0" or "1" (ok or error) followed by text for the user.
 */
#define CONTROL_SOCKET "/run/init.sock"
#define CONTROL_MSG_MAX 8192

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
