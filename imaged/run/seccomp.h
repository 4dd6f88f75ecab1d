/* SPDX-License-Identifier: MIT */
#ifndef KEEL_SECCOMP_H
#define KEEL_SECCOMP_H

#include <linux/filter.h>
#include <stddef.h>

/*
 * The seccomp filter a container runs under: the effect of Docker's default
 * profile for a container with Docker's default capabilities, as classic
 * BPF built here (no libseccomp). README.md, "Seccomp", says what it
 * refuses and where it differs from Docker's.
 *
 * A privileged container runs without it: the caller just does not
 * install it. Setting PR_SET_NO_NEW_PRIVS first (or holding CAP_SYS_ADMIN)
 * is the caller's job too.
 */

/*
 * Room for the program (about a hundred instructions), with some to spare;
 * the kernel takes up to BPF_MAXINSNS (4096).
 */
#define SECCOMP_PROG_MAX 512

/*
 * Build the program into out (max instructions), its length in *n. Pure:
 * the unit tests check it. 0, or -E2BIG if it does not fit, or -ERANGE if
 * a jump would not reach (a bug).
 */
int seccomp_default_program(struct sock_filter *out, size_t max, size_t *n);

/* Build the program and install it on the calling thread: 0 or -errno. */
int seccomp_install_default(void);

/* Install n instructions of f on the calling thread: 0 or -errno. */
int seccomp_install(const struct sock_filter *f, size_t n);

#endif
