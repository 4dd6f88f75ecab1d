// SPDX-License-Identifier: MIT
/*
 * rtnetlink messages as netd reads them: a buffer of messages walked
 * with libmnl's API (netd/mnl.c, the image's copy), each parsed as a
 * link, address or route. The kernel is trusted more than a DHCP
 * server, but a parser that reads past an attribute is a bug anywhere.
 */
#include <assert.h>
#include <linux/rtnetlink.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "nlmsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* netlink buffers are 4-byte aligned; keep the copy exactly sized
	 * so ASan sees any read past its end */
	uint32_t *copy = malloc(size ? size : 1);
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)copy;
	int len = (int)size;

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	while (mnl_nlmsg_ok(nlh, len)) {
		struct nl_link l;
		struct nl_addr a;
		struct nl_route r;

		switch (nlh->nlmsg_type) {
		case RTM_NEWLINK:
		case RTM_DELLINK:
			if (nl_parse_link(nlh, &l) == 0) {
				assert(memchr(l.name, 0, sizeof(l.name)));
				assert(memchr(l.kind, 0, sizeof(l.kind)));
			}
			break;
		case RTM_NEWADDR:
		case RTM_DELADDR:
			if (nl_parse_addr(nlh, &a) == 0)
				assert(a.family == AF_INET ||
				       a.family == AF_INET6);
			break;
		default:
			if (nl_parse_route(nlh, &r) == 0)
				assert(r.plen <=
				       (r.family == AF_INET ? 32 : 128));
			break;
		}
		nlh = mnl_nlmsg_next(nlh, &len);
	}
	free(copy);
	return 0;
}
