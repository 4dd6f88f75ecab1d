/* SPDX-License-Identifier: MIT */
#ifndef KEEL_REVFETCH_H
#define KEEL_REVFETCH_H

#include "os/channel.h"

/*
 * In the poll's child: the workload revision a believed channel names,
 * taken when this host should (a higher revision than the current and
 * the rejected ones, its rollout wave reached): its file fetched,
 * checked against the channel's sha256 and parsed whole (an error names
 * file, line and field), kept as REV_DIR/<n>.yaml, and handed to the
 * daemon ("workloads apply N"); one that fails its checks is refused
 * ("workloads refused N REASON"). The verdict is WORKLOADS_STATUS_FILE.
 */
void revfetch_offer(const struct channel_workloads *w);

#endif
