/* SPDX-License-Identifier: MIT */
#ifndef KEEL_CONSOLE_H
#define KEEL_CONSOLE_H

/*
 * Terminals for containers: a pty pair from the devpts that /dev/ptmx
 * is in the caller's view (the container's own, once its root is
 * mounted), and the master handed from the container's side to its shim
 * over a unix socket, as runc's console socket does.
 */

/* A new pty, unlocked: 0, or -errno (both fds close-on-exec). */
int pty_open(int *master, int *slave);

/*
 * The container's side, just before execve: a pty of its devpts as its
 * controlling terminal (in a session of its own) and fds 0, 1 and 2;
 * the master sent on sock. 0 or -errno.
 */
int console_setup(int sock);

/* The shim's side: the master sent on sock, or -errno (-ENODATA: none). */
int console_receive(int sock);

#endif
