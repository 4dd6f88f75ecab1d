// SPDX-License-Identifier: MIT
/*
 * keel's init: one binary, two stages. In the initramfs (a ramfs or tmpfs
 * root) it is stage 1, which finds and mounts the real root; on the real
 * root it is stage 2, PID 1 for the life of the system.
 */
#include "control.h"
#include "stages.h"

#include <linux/magic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>

static bool on_initramfs(void)
{
	struct statfs st;

	if (statfs("/", &st))
		return false;
	return st.f_type == RAMFS_MAGIC || st.f_type == TMPFS_MAGIC;
}

int main(int argc, char **argv)
{
	const char *base = strrchr(argv[0], '/');

	base = base ? base + 1 : argv[0];
	if (!strcmp(base, "initctl"))
		return initctl_main(argc, argv);
	if (getpid() != 1) {
		fprintf(stderr,
			"%s: keel init must run as PID 1 (the kernel starts "
			"it)\n",
			argv[0]);
		return 1;
	}
	if (on_initramfs())
		stage1();
	stage2();
}
