// SPDX-License-Identifier: MIT
/*
 * Pod manifests come from files anyone with the ESP in hand can write,
 * and from `imagectl apply -f`. Whatever the bytes, the parser returns:
 * a parsed pod has what the runtime needs (names, images, bounded
 * counts, NULL-terminated argument lists, strings inside the arena), a
 * refused one says why with the file's name.
 */
#include "oci/pod.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static struct pod p;

static void check_string(const char *s)
{
	assert(s >= p.arena && s < p.arena + p.arena_used);
	assert(strlen(s) < (size_t)(p.arena + p.arena_used - s));
}

static void check_container(const struct pod_container *k)
{
	check_string(k->name);
	check_string(k->image);
	assert(k->n_command <= POD_ARGS_MAX && !k->command[k->n_command]);
	assert(k->n_args <= POD_ARGS_MAX && !k->args[k->n_args]);
	for (size_t i = 0; i < k->n_command; i++)
		check_string(k->command[i]);
	for (size_t i = 0; i < k->n_env; i++)
		check_string(k->env[i].name);
	for (size_t i = 0; i < k->n_ports; i++)
		assert(k->ports[i].container_port >= 1 &&
		       k->ports[i].container_port <= 65535);
	for (size_t i = 0; i < k->n_mounts; i++)
		assert(k->mounts[i].path[0] == '/');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512];

	err[0] = 0;
	if (pod_parse((const char *)data, size, "fuzz.yaml", &p, err,
		      sizeof(err))) {
		assert(!strncmp(err, "fuzz.yaml", 9));
		return 0;
	}
	check_string(p.name);
	assert(p.n_containers >= 1 && p.n_containers <= POD_CONTAINERS_MAX);
	assert(p.n_init <= POD_CONTAINERS_MAX);
	for (size_t i = 0; i < p.n_containers; i++)
		check_container(&p.containers[i]);
	for (size_t i = 0; i < p.n_init; i++)
		check_container(&p.init[i]);
	for (size_t i = 0; i < p.n_volumes; i++) {
		check_string(p.volumes[i].name);
		assert(p.volumes[i].kind);
	}
	return 0;
}
