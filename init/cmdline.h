/* SPDX-License-Identifier: MIT */
#ifndef KEEL_CMDLINE_H
#define KEEL_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>

#include <limits.h>

/* A bare "rootwait" word, as the kernel reads it: no time limit. */
#define ROOTWAIT_FOREVER INT_MAX

/* What init takes from the kernel command line. */
struct cmdline {
	char root[128]; /* root=PARTLABEL=root-a or root=/dev/vda2 */
	char rootfstype[32]; /* rootfstype=squashfs */
	int rootwait; /* rootwait=SECONDS, -1 when not given */
	char slot[8]; /* keel.slot=a */
	int emergency; /* keel.emergency=0|1, -1 when not given */
	char data[128]; /* keel.data=PARTLABEL=data */
	char verity[96]; /* keel.verity=<root hash>:<data blocks> */
};

/*
 * Parse a command line as the kernel splits it: words separated by spaces,
 * double quotes keep spaces inside a value. Unknown words are ignored, as
 * they belong to the kernel or other programs. Returns 0, or -EINVAL for a
 * value that is malformed or too long (the field is then left empty).
 */
int cmdline_parse(const char *text, struct cmdline *out);

/* Split an exec line into argv in place. Returns argc or -E2BIG/-EINVAL. */
int split_args(char *line, char **argv, int max);

#endif
