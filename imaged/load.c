// SPDX-License-Identifier: MIT
#include "images.h"

#include <errno.h>
#include <stdio.h>

int image_load(const struct pull_opts *o, const char *path, char *err,
	       size_t errlen)
{
	(void)o;
	snprintf(err, errlen, "%s: load is not built yet", path);
	return -ENOTSUP;
}
