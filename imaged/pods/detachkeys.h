/* SPDX-License-Identifier: MIT */
#ifndef KEEL_DETACHKEYS_H
#define KEEL_DETACHKEYS_H

#include <stdbool.h>
#include <stddef.h>

/*
 * imagectl attach's detach keys in what the user types into a terminal
 * container: Ctrl-P Ctrl-Q, docker's and podman's default. The keys are
 * not passed on; a Ctrl-P that another key follows is, with that key. A
 * Ctrl-P at the end of one read is held until the next says which.
 */
#define DETACH_KEYS "\x10\x11"
#define DETACH_KEYS_LEN 2

struct detach_keys {
	size_t held; /* how many of the keys the last read ended with */
};

/*
 * in less the detach keys into out (room for n + DETACH_KEYS_LEN - 1
 * bytes); the bytes put there. *detached is set when the keys were
 * typed: out has what came before them, and the rest of in is not for
 * the container.
 */
size_t detach_scan(struct detach_keys *d, const char *in, size_t n, char *out,
		   bool *detached);

/* What was held back, into out (room for DETACH_KEYS_LEN), at the end. */
size_t detach_flush(struct detach_keys *d, char *out);

#endif
