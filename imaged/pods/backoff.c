// SPDX-License-Identifier: MIT
#include "pods/backoff.h"
#include "oci/pod.h"

int64_t backoff_next(struct backoff *b, int64_t ran_ms)
{
	if (!b->delay_ms || ran_ms >= BACKOFF_RESET_MS)
		b->delay_ms = BACKOFF_FIRST_MS;
	else if (b->delay_ms < BACKOFF_MAX_MS)
		b->delay_ms = b->delay_ms * 2 > BACKOFF_MAX_MS
				      ? BACKOFF_MAX_MS
				      : b->delay_ms * 2;
	return b->delay_ms;
}

bool restart_wanted(int policy, int exit_code, bool killed)
{
	switch (policy) {
	case POD_RESTART_ALWAYS:
		return true;
	case POD_RESTART_ON_FAILURE:
		return killed || exit_code != 0;
	default:
		return false;
	}
}
