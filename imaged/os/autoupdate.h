/* SPDX-License-Identifier: MIT */
#ifndef KEEL_AUTOUPDATE_H
#define KEEL_AUTOUPDATE_H

#include "imaged_conf.h"

/* One poll of channel_url; installs what it offers. */
void autoupdate_poll(const struct imaged_conf *c);

#endif
