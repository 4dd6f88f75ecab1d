// SPDX-License-Identifier: MIT
#include "imaged.h"

#include <string.h>

/* One binary: imaged the daemon, and imagectl (a link to it). */
int main(int argc, char **argv)
{
	const char *name = strrchr(argv[0], '/');

	name = name ? name + 1 : argv[0];
	if (!strcmp(name, "imagectl"))
		return imagectl_main(argc, argv);
	return imaged_main(argc, argv);
}
