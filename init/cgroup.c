// SPDX-License-Identifier: MIT
#include "cgroup.h"
#include "file.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void group_path(char *buf, size_t len, const char *name,
		       const char *file)
{
	snprintf(buf, len, CGROUP_SYSTEM "/%s%s%s", name, file ? "/" : "",
		 file ? file : "");
}

int cgroup_setup(void)
{
	if (mkdir(CGROUP_SYSTEM, 0755) && errno != EEXIST)
		return -errno;
	/* Controllers for pods and services, one by one: a missing one
	 * must not keep the others off. */
	static const char *const ctl[] = { "+cpu", "+memory", "+pids" };
	for (size_t i = 0; i < sizeof(ctl) / sizeof(*ctl); i++) {
		write_text(CGROUP_ROOT "/cgroup.subtree_control", ctl[i]);
		write_text(CGROUP_SYSTEM "/cgroup.subtree_control", ctl[i]);
	}
	return 0;
}

int cgroup_create(const char *name)
{
	char path[128];

	group_path(path, sizeof(path), name, NULL);
	if (mkdir(path, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

int cgroup_enter(const char *name)
{
	char path[160];

	group_path(path, sizeof(path), name, "cgroup.procs");
	return write_text(path, "0");
}

int cgroup_kill(const char *name)
{
	char path[160];

	group_path(path, sizeof(path), name, "cgroup.kill");
	return write_text(path, "1");
}

bool cgroup_populated(const char *name)
{
	char path[160], buf[256];

	group_path(path, sizeof(path), name, "cgroup.events");
	return read_text(path, buf, sizeof(buf)) > 0 &&
	       strstr(buf, "populated 1") != NULL;
}

int cgroup_remove(const char *name)
{
	char path[128];

	group_path(path, sizeof(path), name, NULL);
	if (rmdir(path) && errno != ENOENT)
		return -errno;
	return 0;
}
