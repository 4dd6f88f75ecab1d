/* SPDX-License-Identifier: MIT */
#ifndef KEEL_REGCONF_H
#define KEEL_REGCONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * registries.conf: how imaged reaches registries. Global keys, then
 * [host] or [host:port] sections named exactly as the registry part of an
 * image reference. The keys are in imaged/README.md. Pure, for unit tests.
 */

#define REGCONF_FILE "/etc/keel/registries.conf"
#define REGCONF_ESP "/boot/config/registries.conf"

#define REGCONF_MAX_REGISTRIES 32
#define REGCONF_MAX_MIRRORS 4
#define REGCONF_MAX_CAS 8

struct reg_host {
	char name[256]; /* "docker.io", "127.0.0.1:5000" */
	bool insecure; /* plain http:// */
	char username[128], password[256];
	int n_mirrors;
	char mirrors[REGCONF_MAX_MIRRORS][256]; /* "http(s)://host[:port]" */
};

struct regconf {
	int max_parallel; /* layers downloaded at once */
	bool unpack_devices;
	uint64_t max_layer_bytes;
	int n_cas;
	char cas[REGCONF_MAX_CAS][256]; /* PEM files */
	int n_hosts;
	struct reg_host hosts[REGCONF_MAX_REGISTRIES];
};

void regconf_defaults(struct regconf *c);

/*
 * The text of one file over c; a later file's section for a registry
 * replaces an earlier one's. A bad line fails the whole file ("N: reason",
 * N the line number) and leaves c as it was.
 */
int regconf_parse(struct regconf *c, const char *text, char *err,
		  size_t errlen);

/* The section for a registry, or NULL: defaults (https, no mirrors). */
const struct reg_host *regconf_find(const struct regconf *c, const char *name);

#endif
