// SPDX-License-Identifier: MIT
#include "os/floor.h"
#include "errmsg.h"
#include "file.h"
#include "os/bundle.h"

#include <errno.h>
#include <string.h>

int floor_read(const char *path, char *v, size_t len)
{
	ssize_t n = read_text(path, v, len);

	if (n == -ENOENT) {
		v[0] = '\0';
		return 0;
	}
	if (n < 0) {
		v[0] = '\0';
		return n;
	}
	v[strcspn(v, "\n")] = '\0';
	return 0;
}

bool floor_allows(const char *floor, const char *version)
{
	return !floor[0] || version_compare(version, floor) >= 0;
}

/* The folder path is in, made if missing. */
static int parent_dir(const char *path)
{
	char dir[256];
	const char *slash = strrchr(path, '/');

	if (!slash || slash == path || (size_t)(slash - path) >= sizeof(dir))
		return 0;
	memcpy(dir, path, slash - path);
	dir[slash - path] = '\0';
	return mkdir_parents(dir, 0700);
}

int floor_raise(const char *path, const char *v)
{
	char cur[BUNDLE_VERSION_MAX + 2], text[BUNDLE_VERSION_MAX + 2];
	int r;

	if (!v[0] || strlen(v) > BUNDLE_VERSION_MAX || strchr(v, '\n'))
		return v[0] ? -EINVAL : 0;
	if ((r = floor_read(path, cur, sizeof(cur))))
		return r;
	if (cur[0] && version_compare(v, cur) <= 0)
		return 0;
	if ((r = parent_dir(path)))
		return r;
	strcpy(text, v);
	strcat(text, "\n");
	return write_atomic(path, text, strlen(text), 0644);
}

int floor_check(const char *path, const char *what, const char *version,
		char *err, size_t errlen)
{
	char floor[BUNDLE_VERSION_MAX + 2];
	int r = floor_read(path, floor, sizeof(floor));

	if (r)
		return errmsg_errno(err, errlen, r, -r,
				    "unable to read the version floor %s",
				    path);
	if (floor_allows(floor, version))
		return 0;
	return errmsg(err, errlen, -EPERM,
		      "%s %s is below the version floor %s (the channel's "
		      "min_version; --force does not go below it)",
		      what, version, floor);
}
