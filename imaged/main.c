// SPDX-License-Identifier: MIT
#include "daemon.h"
#include "imagectl.h"
#include "pods/pause.h"
#include "run/shim.h"

#include <string.h>

/*
 * One binary, four programs by the name it is started as: imaged the
 * daemon, imagectl (a link to it), keel-shim (a hard link: each
 * container's watcher, a program of its own name so that pidof imaged
 * finds the daemon alone) and keel-pause (keel-shim's file started as
 * that: pid 1 of a pod that shares its PID namespace).
 */
int main(int argc, char **argv)
{
	const char *name = strrchr(argv[0], '/');

	name = name ? name + 1 : argv[0];
	if (!strcmp(name, "imagectl"))
		return imagectl_main(argc, argv);
	if (!strcmp(name, "keel-shim"))
		return shim_main(argc, argv);
	if (!strcmp(name, "keel-pause"))
		return pods_pause_main();
	return imaged_main(argc, argv);
}
