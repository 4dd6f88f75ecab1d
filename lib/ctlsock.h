/* SPDX-License-Identifier: MIT */
#ifndef KEEL_CTLSOCK_H
#define KEEL_CTLSOCK_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Control sockets (/run/init.sock, /run/imaged.sock, /run/netd.sock):
 * SOCK_SEQPACKET, root only (mode 0600, then SO_PEERCRED), and the
 * host's own processes only: a peer in a pod's cgroup or in another PID
 * or mount namespace is refused, whatever its uid. A request is one packet, its
 * words separated by NUL bytes. The answer is packets, each a kind byte
 * then text: CTL_MORE for a progress line, then one CTL_OK or CTL_ERR
 * that ends it.
 */
#define CTL_MSG_MAX 8192
#define CTL_ARGS_MAX 8
#define CTL_OK '0'
#define CTL_ERR '1'
#define CTL_MORE '.'

/* The pods' cgroup tree (imaged's PODS_CGROUP, as /proc/PID/cgroup names it) */
#define CTL_PODS_CGROUP "/pods"

/*
 * Why the process pid may not use a control socket (a pod's, or in
 * namespaces other than ours), or NULL when it may.
 */
const char *ctl_peer_refused(pid_t pid);

/* Bind and listen, non-blocking; returns the listening fd or -errno. */
int ctl_listen(const char *path);

/*
 * Accept one client and read its request into req, split into argv
 * (argv[*argc] = NULL). Returns the connected fd, blocking, to answer
 * with ctl_send; or -errno, the client answered or dropped here: -EACCES
 * for one that is not root or is refused by ctl_peer_refused (logged,
 * with its pid), -EAGAIN for one that says nothing within a second,
 * -ENODATA for one that hangs up first, accept's error for none at all.
 */
int ctl_accept(int lfd, char *req, size_t reqlen, char **argv, int *argc);

/*
 * Accept one client, checked as ctl_accept checks it (root, the host's
 * own): its fd (blocking, close-on-exec), or -errno as ctl_accept's.
 * For a socket that speaks more than one request and its answer.
 */
int ctl_accept_peer(int lfd);

/* One answer packet; 0 or -errno (the client may have gone). */
int ctl_send(int fd, char kind, const char *text);
int ctl_sendf(int fd, char kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Send argv as a request and pass every answer packet to on_reply until
 * the final one. timeout_s bounds the wait for each packet (0: none).
 * Returns 0 for CTL_OK, 1 for CTL_ERR, or -errno when the server could
 * not be reached or went away (err says which).
 */
typedef void (*ctl_reply_fn)(char kind, const char *text, void *ctx);
int ctl_call(const char *path, char *const argv[], int timeout_s,
	     ctl_reply_fn on_reply, void *ctx, char *err, size_t errlen);

/* An on_reply that prints text to stdout (ok, more) or stderr (error). */
void ctl_print_reply(char kind, const char *text, void *ctx);

#endif
