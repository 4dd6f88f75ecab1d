// SPDX-License-Identifier: MIT
/*
 * The address of each link's last lease, in <state>/lease-<mac>, so that
 * after a restart or a reboot netd asks for it again (INIT-REBOOT, RFC
 * 2131 section 3.2). Keyed by MAC, not name: a USB NIC may come back
 * under another name. Written only when the address changes, not on every
 * renewal, to spare flash.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "file.h"
#include "log.h"
#include "netd.h"

static void lease_path(const struct link *l, char *path, size_t len)
{
	snprintf(path, len, "%s/lease-%02x%02x%02x%02x%02x%02x", netd.state_dir,
		 l->mac[0], l->mac[1], l->mac[2], l->mac[3], l->mac[4],
		 l->mac[5]);
}

uint32_t lease_load(const struct link *l)
{
	char path[256], text[128], *nl;
	struct in_addr a;

	lease_path(l, path, sizeof(path));
	if (read_text(path, text, sizeof(text)) < 0)
		return 0;
	if (strncmp(text, "address ", 8))
		return 0;
	nl = strchr(text, '\n');
	if (nl)
		*nl = 0;
	if (inet_pton(AF_INET, text + 8, &a) != 1)
		return 0;
	return a.s_addr;
}

void lease_save(const struct link *l)
{
	char path[256], text[128];
	int r;

	if (lease_load(l) == l->dhcp.lease.addr)
		return;
	lease_path(l, path, sizeof(path));
	snprintf(text, sizeof(text), "address %s\n",
		 inet_ntoa((struct in_addr){ l->dhcp.lease.addr }));
	r = write_atomic(path, text, strlen(text), 0644);
	if (r)
		log_warn("unable to remember the lease of %s in %s: %s",
			 l->name, path, strerror(-r));
}

void lease_forget(const struct link *l)
{
	char path[256];

	lease_path(l, path, sizeof(path));
	unlink(path);
}
