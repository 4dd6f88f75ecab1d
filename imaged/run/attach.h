/* SPDX-License-Identifier: MIT */
#ifndef KEEL_ATTACH_H
#define KEEL_ATTACH_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>

/*
 * The shim's side of `imagectl attach`, for a container with stdin: a
 * socket, run_dir/attach/sock (the folder root's alone, the socket mode
 * 0600, and each client checked as control sockets check theirs), that
 * one client at a time joins to write to the container's stdin and
 * read its output. The shim holds stdin (a pipe, or the pty's master),
 * so it outlives imaged and every client.
 *
 * SOCK_SEQPACKET; every packet a kind byte, then its bytes. First the
 * shim says CTL_OK "tty" or "pipe", or CTL_ERR and why (then closes).
 * Client to shim: ATTACH_IN (bytes for stdin), ATTACH_RESIZE (struct
 * attach_winsize), ATTACH_EOF (its input ended). Shim to client:
 * ATTACH_OUT (output), ATTACH_LOST (decimal: output bytes the client was
 * too slow for, dropped). The shim closes when the container ends.
 *
 * Nothing grows: the shim reads a client's next packet only once its
 * last is written to stdin, and never waits for a client; output a
 * client's socket has no room for is dropped for it (the log has it).
 */
#define ATTACH_DIR "attach"
#define ATTACH_SOCK "sock"
#define ATTACH_DATA_MAX 16384
#define ATTACH_IN 'i'
#define ATTACH_RESIZE 'w'
#define ATTACH_EOF 'e'
#define ATTACH_OUT 'o'
#define ATTACH_LOST 'l'

struct attach_winsize {
	unsigned short rows, cols;
};

struct attach {
	int dfd, lfd, client; /* the socket's folder, it, its client; or -1 */
	int in; /* the container's stdin: a pipe or the pty master; or -1 */
	bool tty, once, used; /* stdinOnce, and an attach has ended */
	char pending[ATTACH_DATA_MAX]; /* a client's input not yet written */
	size_t off, len;
	unsigned long long lost; /* output dropped since the client's last */
};

/*
 * Listen in run_dir for stdin in (-1: none, no socket); tty: in is the
 * pty's master. 0 or -errno.
 */
int attach_open(struct attach *a, const char *run_dir, int in, bool tty,
		bool once);

/* The fds to poll, into p (room for ATTACH_POLL_MAX): how many. */
#define ATTACH_POLL_MAX 3
size_t attach_poll(const struct attach *a, struct pollfd *p);

/* After poll: what p says is ready (p as attach_poll filled it). */
void attach_step(struct attach *a, const struct pollfd *p, size_t n);

/* The container's output, to the client if one is attached. */
void attach_output(struct attach *a, const char *buf, size_t n);

/* The socket gone, the client told: the container has ended. */
void attach_close(struct attach *a);

#endif
