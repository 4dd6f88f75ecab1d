// SPDX-License-Identifier: MIT
#include "oci/quantity.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/*
 * resource.Quantity's grammar (k8s.io/apimachinery quantity.go):
 * a signed decimal number and a suffix: binary (Ki Mi Gi Ti Pi Ei),
 * decimal SI (m k M G T P E) or an exponent (e3, E6).
 */
static int quantity(const char *s, uint64_t unit, uint64_t *out)
{
	static const struct {
		const char *suffix;
		uint64_t mul, div;
	} sfx[] = {
		{ "Ki", 1ULL << 10, 1 },
		{ "Mi", 1ULL << 20, 1 },
		{ "Gi", 1ULL << 30, 1 },
		{ "Ti", 1ULL << 40, 1 },
		{ "Pi", 1ULL << 50, 1 },
		{ "Ei", 1ULL << 60, 1 },
		{ "m", 1, 1000 },
		{ "k", 1000ULL, 1 },
		{ "M", 1000000ULL, 1 },
		{ "G", 1000000000ULL, 1 },
		{ "T", 1000000000000ULL, 1 },
		{ "P", 1000000000000000ULL, 1 },
		{ "E", 1000000000000000000ULL, 1 },
		{ "", 1, 1 },
	};
	uint64_t ip = 0, frac = 0, fdiv = 1, mul = 1, div = 1;
	const char *p = s;

	if (*p == '+')
		p++;
	if (!isdigit((unsigned char)*p) &&
	    !(*p == '.' && isdigit((unsigned char)p[1])))
		return -EINVAL;
	for (; isdigit((unsigned char)*p); p++) {
		if (ip > (UINT64_MAX - 9) / 10)
			return -EINVAL;
		ip = ip * 10 + (*p - '0');
	}
	if (*p == '.')
		for (p++; isdigit((unsigned char)*p); p++)
			if (fdiv < 1000000000ULL) {
				frac = frac * 10 + (*p - '0');
				fdiv *= 10;
			}
	if ((*p == 'e' || *p == 'E') && isdigit((unsigned char)p[1])) {
		int e = atoi(p + 1);
		if (e > 18 || strspn(p + 1, "0123456789") != strlen(p + 1))
			return -EINVAL;
		while (e--)
			mul *= 10;
		p += strlen(p);
	} else {
		size_t i;
		for (i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++)
			if (!strcmp(p, sfx[i].suffix))
				break;
		if (i == sizeof(sfx) / sizeof(sfx[0]))
			return -EINVAL;
		mul = sfx[i].mul;
		div = sfx[i].div;
	}
	/* value * mul * unit / div, rounded up, in 128 bits */
	unsigned __int128 whole = (unsigned __int128)ip * fdiv + frac;
	if (whole > ~(unsigned __int128)0 / mul / unit)
		return -EINVAL;
	unsigned __int128 v = whole * mul * unit;
	unsigned __int128 d = (unsigned __int128)div * fdiv;
	v = (v + d - 1) / d;
	if (v > UINT64_MAX)
		return -EINVAL;
	*out = (uint64_t)v;
	return 0;
}

int pod_quantity_bytes(const char *s, uint64_t *out)
{
	return quantity(s, 1, out);
}

int pod_quantity_millis(const char *s, uint64_t *out)
{
	return quantity(s, 1000, out);
}

int pod_capability(const char *name)
{
	/* linux/capability.h, in number order */
	static const char *const caps[] = {
		"CHOWN",
		"DAC_OVERRIDE",
		"DAC_READ_SEARCH",
		"FOWNER",
		"FSETID",
		"KILL",
		"SETGID",
		"SETUID",
		"SETPCAP",
		"LINUX_IMMUTABLE",
		"NET_BIND_SERVICE",
		"NET_BROADCAST",
		"NET_ADMIN",
		"NET_RAW",
		"IPC_LOCK",
		"IPC_OWNER",
		"SYS_MODULE",
		"SYS_RAWIO",
		"SYS_CHROOT",
		"SYS_PTRACE",
		"SYS_PACCT",
		"SYS_ADMIN",
		"SYS_BOOT",
		"SYS_NICE",
		"SYS_RESOURCE",
		"SYS_TIME",
		"SYS_TTY_CONFIG",
		"MKNOD",
		"LEASE",
		"AUDIT_WRITE",
		"AUDIT_CONTROL",
		"SETFCAP",
		"MAC_OVERRIDE",
		"MAC_ADMIN",
		"SYSLOG",
		"WAKE_ALARM",
		"BLOCK_SUSPEND",
		"AUDIT_READ",
		"PERFMON",
		"BPF",
		"CHECKPOINT_RESTORE",
	};

	if (!strncmp(name, "CAP_", 4))
		name += 4;
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
		if (!strcmp(caps[i], name))
			return (int)i;
	return -1;
}
