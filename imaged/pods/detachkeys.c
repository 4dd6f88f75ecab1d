// SPDX-License-Identifier: MIT
#include "pods/detachkeys.h"

#include <string.h>

size_t detach_flush(struct detach_keys *d, char *out)
{
	size_t n = d->held;

	memcpy(out, DETACH_KEYS, n);
	d->held = 0;
	return n;
}

size_t detach_scan(struct detach_keys *d, const char *in, size_t n, char *out,
		   bool *detached)
{
	size_t o = 0;

	*detached = false;
	for (size_t i = 0; i < n; i++) {
		if (in[i] == DETACH_KEYS[d->held]) {
			if (++d->held < DETACH_KEYS_LEN)
				continue;
			d->held = 0;
			*detached = true;
			return o;
		}
		/* not the keys after all: what was held is the user's */
		o += detach_flush(d, out + o);
		if (in[i] == DETACH_KEYS[0])
			d->held = 1;
		else
			out[o++] = in[i];
	}
	return o;
}
