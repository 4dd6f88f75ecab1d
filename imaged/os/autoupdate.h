/* SPDX-License-Identifier: MIT */
#ifndef KEEL_AUTOUPDATE_H
#define KEEL_AUTOUPDATE_H

#include "imaged_conf.h"

/* One poll of channel_url; installs what it offers. */
void autoupdate_poll(const struct imaged_conf *c);

/*
 * A whole small document at url (http://, https:// with the host's CAs,
 * or file://) into buf: its length, or -errno with err set (-EFBIG past
 * max - 1 bytes).
 */
long autoupdate_fetch(const char *url, char *buf, size_t max, char *err,
		      size_t errlen);

#endif
