// SPDX-License-Identifier: MIT
#include "os/fault.h"
#include "config.h"
#include "file.h"
#include "imaged.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/reboot.h>
#include <unistd.h>

void fault_point(const char *step)
{
	char want[64];

	if (!CONFIG_KEEL_IMAGED_FAULTS)
		return;
	if (read_text(FAULT_FILE, want, sizeof(want)) < 0)
		return;
	want[strcspn(want, "\n")] = '\0';
	if (strcmp(want, step))
		return;
	/* the console, not stderr: the log pipe would die with us */
	int fd = open("/dev/console", O_WRONLY | O_NOCTTY | O_CLOEXEC);
	if (fd >= 0) {
		dprintf(fd, "imaged: fault point '%s': power cut\n", step);
		close(fd);
	}
	reboot(RB_AUTOBOOT); /* no sync: as if the power went */
}
