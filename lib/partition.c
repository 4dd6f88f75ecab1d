// SPDX-License-Identifier: MIT
#include "partition.h"
#include "file.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int uevent_value(const char *uevent, const char *key, char *val, size_t len)
{
	size_t klen = strlen(key);
	const char *p = uevent;

	while (p && *p) {
		if (!strncmp(p, key, klen) && p[klen] == '=') {
			const char *v = p + klen + 1;
			size_t n = strcspn(v, "\n");
			if (n >= len)
				return -ENAMETOOLONG;
			memcpy(val, v, n);
			val[n] = '\0';
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

	snprintf(path, sizeof(path), "%s/%s/uevent", sysfs_block, dev);
	n = read_text(path, buf, len);
	return n < 0 ? (int)n : 0;
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
		if (uevent_value(uevent, "PARTNAME", name, sizeof(name)))
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
			if (uevent_value(uevent, "PARTNAME", name,
					 sizeof(name)))
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
