// SPDX-License-Identifier: MIT
#include "pods/pause.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

int pods_pause_main(void)
{
	sigset_t all;

	prctl(PR_SET_NAME, "keel-pause", 0, 0, 0);
	/* pid 1 of its namespace: only SIGKILL from outside ends it */
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	for (int fd = 0; fd < 1024; fd++)
		close(fd);
	for (;;)
		if (wait(NULL) < 0)
			pause();
}
