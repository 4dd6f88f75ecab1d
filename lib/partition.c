// SPDX-License-Identifier: MIT
#include "partition.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int uevent_partname(const char *uevent, char *name, size_t len)
{
	const char *p = uevent;

	while (p && *p) {
		if (!strncmp(p, "PARTNAME=", 9)) {
			const char *v = p + 9;
			size_t n = strcspn(v, "\n");
			if (n >= len)
				return -ENAMETOOLONG;
			memcpy(name, v, n);
			name[n] = '\0';
			return 0;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -ENOENT;
}

static int read_uevent(const char *sysfs_block, const char *dev, char *buf,
		       size_t len)
{
	char path[512];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s/uevent", sysfs_block, dev);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

int partition_find(const char *sysfs_block, const char *spec, char *dev,
		   size_t len)
{
	char uevent[1024], name[128];
	struct dirent *de;
	int found = 0;
	DIR *d;

	if (!strncmp(spec, "/dev/", 5)) {
		const char *want = spec + 5;
		if (!*want || strchr(want, '/'))
			return -EINVAL;
		if (read_uevent(sysfs_block, want, uevent, sizeof(uevent)))
			return -ENOENT;
		if (strlen(want) >= len)
			return -ENAMETOOLONG;
		strcpy(dev, want);
		return 0;
	}
	if (strncmp(spec, "PARTLABEL=", 10) || !spec[10])
		return -EINVAL;

	d = opendir(sysfs_block);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (read_uevent(sysfs_block, de->d_name, uevent,
				sizeof(uevent)))
			continue;
		if (uevent_partname(uevent, name, sizeof(name)))
			continue;
		if (strcmp(name, spec + 10))
			continue;
		if (found++) {
			closedir(d);
			return -EEXIST;
		}
		if (strlen(de->d_name) >= len) {
			closedir(d);
			return -ENAMETOOLONG;
		}
		strcpy(dev, de->d_name);
	}
	closedir(d);
	return found ? 0 : -ENOENT;
}

static int not_dot(const struct dirent *de)
{
	return de->d_name[0] != '.';
}

void partition_list(const char *sysfs_block, char *buf, size_t len)
{
	char uevent[1024], name[128];
	struct dirent **des;
	size_t used = 0;
	/* sorted: sysfs lists devices in no stable order */
	int count = scandir(sysfs_block, &des, not_dot, alphasort);

	buf[0] = '\0';
	for (int i = 0; i < count; i++) {
		const char *dev = des[i]->d_name;
		if (used < len &&
		    !read_uevent(sysfs_block, dev, uevent, sizeof(uevent))) {
			if (uevent_partname(uevent, name, sizeof(name)))
				name[0] = '\0';
			int n = snprintf(buf + used, len - used, "%s%s%s%s%s",
					 used ? " " : "", dev,
					 name[0] ? "(" : "", name,
					 name[0] ? ")" : "");
			if (n < 0 || (size_t)n >= len - used) {
				buf[used] = '\0'; /* no half entries */
				used = len; /* and none after it */
			} else {
				used += n;
			}
		}
		free(des[i]);
	}
	if (count >= 0)
		free(des);
	if (!buf[0])
		snprintf(buf, len, "none");
}
