/* SPDX-License-Identifier: MIT */
#ifndef KEEL_NETD_HOSTPORT_H
#define KEEL_NETD_HOSTPORT_H

#include <stddef.h>
#include <stdint.h>

/*
 * A pod's host ports (Kubernetes hostPort), as imaged asks for them in
 * pod-add and as netd keeps them in its pod table:
 *
 *   tcp:8080:80,udp:5353:53      PROTO:HOSTPORT:CONTAINERPORT, ...
 */
#define POD_MAX_HOSTPORTS 16

struct hostport {
	uint8_t proto; /* IPPROTO_TCP or IPPROTO_UDP */
	uint16_t port; /* on the host */
	uint16_t to; /* in the pod */
};

/*
 * Parse text (NULL or "" is no ports) into out, POD_MAX_HOSTPORTS long.
 * Returns the count, or -EINVAL with err naming the bad item.
 */
int hostports_parse(const char *text, struct hostport *out, char *err,
		    size_t errlen);

/* The text hostports_parse reads back; "" for none. */
void hostports_format(const struct hostport *hp, int n, char *out,
		      size_t outlen);

/* "tcp" or "udp" */
const char *hostport_proto(uint8_t proto);

#endif
