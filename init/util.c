// SPDX-License-Identifier: MIT
#include "util.h"
#include "clock.h"
#include "hwprobe.h"
#include "log.h"
#include "partition.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

double boot_seconds(void)
{
	return boottime_ms() / 1e3;
}

int partition_wait(const char *spec, int wait_s, char *dev, size_t len)
{
	double until = boot_seconds() + wait_s;
	int r;

	/* a disk controller's driver may be what adds the disk */
	while ((r = partition_find("/sys/class/block", spec, dev, len)) ==
		       -ENOENT &&
	       boot_seconds() < until)
		hwprobe_wait(20);
	return r;
}

int mount_at(const char *src, const char *target, const char *type,
	     unsigned long flags, const char *data)
{
	if (mkdir(target, 0755) && errno != EEXIST && errno != EROFS) {
		int e = errno;
		log_err("unable to create %s: %s", target, strerror(e));
		return -e;
	}
	if (mount(src, target, type, flags, data)) {
		int e = errno;
		log_err("unable to mount %s (%s) on %s: %s", src,
			type ? type : "move", target, strerror(e));
		return -e;
	}
	return 0;
}

bool is_mountpoint(const char *path)
{
	char parent[512];
	struct stat a, b;

	snprintf(parent, sizeof(parent), "%s/..", path);
	if (stat(path, &a) || stat(parent, &b))
		return false;
	return a.st_dev != b.st_dev || a.st_ino == b.st_ino;
}

void child_signals(void)
{
	sigset_t none;

	for (int sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

static int run(char *const argv[], bool quiet)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		child_signals();
		if (quiet) {
			int null = open("/dev/null", O_RDWR);
			if (null >= 0) {
				dup2(null, 1);
				dup2(null, 2);
			}
		}
		execv(argv[0], argv);
		log_err("unable to run %s: %s", argv[0], strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

int run_wait(char *const argv[])
{
	return run(argv, false);
}

int run_quiet(char *const argv[])
{
	return run(argv, true);
}

int attach_tty(const char *path)
{
	int fd;

	setsid();
	fd = open(path, O_RDWR | O_NOCTTY);
	if (fd < 0)
		return -errno;
	/* Job control needs a controlling tty; /dev/console cannot be one. */
	ioctl(fd, TIOCSCTTY, 1);
	dup2(fd, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	if (fd > 2)
		close(fd);
	return 0;
}
