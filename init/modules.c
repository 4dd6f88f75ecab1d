// SPDX-License-Identifier: MIT
#include "modules.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int modules_load_list(const char *text, module_loader load, void *ctx)
{
	char path[256];
	int failed = 0;

	while (*text) {
		size_t n = strcspn(text, "\n");
		const char *line = text;

		text += n;
		if (*text)
			text++;
		while (n && (line[n - 1] == ' ' || line[n - 1] == '\r'))
			n--;
		if (!n || line[0] == '#')
			continue;
		if (n >= sizeof(path)) {
			failed++;
			continue;
		}
		memcpy(path, line, n);
		path[n] = '\0';
		int r = load(path, ctx);
		if (r && r != -ENODEV)
			failed++;
	}
	return failed;
}

int module_load_file(const char *path, void *ctx)
{
	const char *name = strrchr(path, '/');
	int fd, ret = 0;

	(void)ctx;
	name = name ? name + 1 : path;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		log_err("unable to load module %s: %s: %s", name, path,
			strerror(-ret));
		return ret;
	}
	/*
	 * ENODEV: for a CPU feature or a device this machine lacks
	 * (crc32c-intel without SSE4.2, a softdep's choice): not a failure
	 */
	if (syscall(SYS_finit_module, fd, "", 0) && errno != EEXIST) {
		ret = -errno;
		if (ret != -ENODEV)
			log_err("unable to load module %s: %s", name,
				strerror(-ret));
	}
	close(fd);
	return ret;
}
