// SPDX-License-Identifier: MIT
/*
 * Host ports: the PORTS argument of pod-add, checked strictly (it becomes
 * DNAT rules), and written back the same way into the pod table.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include "errmsg.h"
#include "hostport.h"

const char *hostport_proto(uint8_t proto)
{
	return proto == IPPROTO_UDP ? "udp" : "tcp";
}

/* 1-65535 in decimal, nothing else: no sign, no spaces, no hex. 0,
 * -EINVAL or -ERANGE. */
static int port_num(const char *s, size_t len, uint16_t *out)
{
	unsigned v = 0;

	if (!len || len > 5)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v < 1 || v > 65535)
		return -ERANGE;
	*out = (uint16_t)v;
	return 0;
}

/* One PROTO:HOSTPORT:CONTAINERPORT of len bytes; 0, or -EINVAL with err. */
static int parse_item(const char *s, size_t len, struct hostport *hp, char *err,
		      size_t errlen)
{
	const char *c1 = memchr(s, ':', len), *c2, *end = s + len;
	int ilen = len > 40 ? 40 : (int)len;

	c2 = c1 ? memchr(c1 + 1, ':', (size_t)(end - c1 - 1)) : NULL;
	if (!c1 || !c2 || memchr(c2 + 1, ':', (size_t)(end - c2 - 1)))
		return errmsg(err, errlen, -EINVAL,
			      "bad host port '%.*s': want "
			      "PROTO:HOSTPORT:CONTAINERPORT, like tcp:8080:80",
			      ilen, s);
	if (c1 - s == 3 && !memcmp(s, "tcp", 3))
		hp->proto = IPPROTO_TCP;
	else if (c1 - s == 3 && !memcmp(s, "udp", 3))
		hp->proto = IPPROTO_UDP;
	else
		return errmsg(
			err, errlen, -EINVAL,
			"bad host port '%.*s': protocol must be tcp or udp",
			ilen, s);
	if (port_num(c1 + 1, (size_t)(c2 - c1 - 1), &hp->port) ||
	    port_num(c2 + 1, (size_t)(end - c2 - 1), &hp->to))
		return errmsg(err, errlen, -EINVAL,
			      "bad host port '%.*s': ports must be 1-65535",
			      ilen, s);
	return 0;
}

int hostports_parse(const char *text, struct hostport *out, char *err,
		    size_t errlen)
{
	int n = 0;

	if (!text || !*text)
		return 0;
	for (const char *s = text;;) {
		const char *comma = strchr(s, ',');
		size_t len = comma ? (size_t)(comma - s) : strlen(s);

		if (!len)
			return errmsg(err, errlen, -EINVAL,
				      "bad host ports '%.40s': an empty item",
				      text);
		if (n == POD_MAX_HOSTPORTS)
			return errmsg(err, errlen, -EINVAL,
				      "more than %d host ports",
				      POD_MAX_HOSTPORTS);
		if (parse_item(s, len, &out[n], err, errlen))
			return -EINVAL;
		for (int i = 0; i < n; i++)
			if (out[i].proto == out[n].proto &&
			    out[i].port == out[n].port)
				return errmsg(err, errlen, -EINVAL,
					      "host port %s/%u is given twice",
					      hostport_proto(out[n].proto),
					      out[n].port);
		n++;
		if (!comma)
			return n;
		s = comma + 1;
	}
}

void hostports_format(const struct hostport *hp, int n, char *out,
		      size_t outlen)
{
	size_t off = 0;

	out[0] = '\0';
	for (int i = 0; i < n && off < outlen; i++) {
		int w = snprintf(out + off, outlen - off, "%s%s:%u:%u",
				 i ? "," : "", hostport_proto(hp[i].proto),
				 hp[i].port, hp[i].to);

		if (w < 0)
			break;
		off += (size_t)w;
	}
}
