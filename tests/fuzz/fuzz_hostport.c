// SPDX-License-Identifier: MIT
/*
 * pod-add's PORTS comes from a pod manifest, by way of imaged. What is
 * accepted must be written back as text that reads the same (the pod
 * table), and then become a batch that fits its buffer.
 */
#include "hostport.h"
#include "nlmsg.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char buf[NLM_NFT_BUF];
	struct hostport hp[POD_MAX_HOSTPORTS], again[POD_MAX_HOSTPORTS];
	struct nlm_dnat d[POD_MAX_HOSTPORTS];
	char text[1024], back[400], err[256];
	int n, m;

	if (size >= sizeof(text))
		size = sizeof(text) - 1;
	memcpy(text, data, size);
	text[size] = '\0';
	n = hostports_parse(text, hp, err, sizeof(err));
	if (n == -EINVAL)
		return 0;
	if (n < 0)
		__builtin_trap();
	if (n > POD_MAX_HOSTPORTS)
		__builtin_trap();
	hostports_format(hp, n, back, sizeof(back));
	m = hostports_parse(back, again, err, sizeof(err));
	if (m != n)
		__builtin_trap();
	for (int i = 0; i < n; i++) {
		if (again[i].proto != hp[i].proto ||
		    again[i].port != hp[i].port || again[i].to != hp[i].to ||
		    !hp[i].port || !hp[i].to)
			__builtin_trap();
		d[i] = (struct nlm_dnat){ .proto = hp[i].proto,
					  .port = hp[i].port,
					  .to = 0x0200580a,
					  .to_port = hp[i].to };
	}
	if (nlm_nft_pods(buf, 1, 0x0000580a, 16, "keel0", d, n) > sizeof(buf))
		__builtin_trap();
	return 0;
}
