// SPDX-License-Identifier: MIT
#include "run/merge.h"
#include "errmsg.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int add_arg(struct exec_spec *e, const char *a, char *err, size_t errlen)
{
	if (e->argc == EXEC_ARGS_MAX)
		return errmsg(err, errlen, -EINVAL, "more than %d arguments",
			      EXEC_ARGS_MAX);
	e->argv[e->argc++] = a;
	e->argv[e->argc] = NULL;
	return 0;
}

/* A variable's name: what comes before the first '=' */
static size_t name_len(const char *kv)
{
	return strcspn(kv, "=");
}

/* Set NAME=value, replacing an earlier NAME (the spec's win over the image's) */
static int set_env(struct exec_spec *e, const char *kv, char *err,
		   size_t errlen)
{
	size_t n = name_len(kv);

	for (size_t i = 0; i < e->envc; i++)
		if (name_len(e->env[i]) == n && !strncmp(e->env[i], kv, n)) {
			e->env[i] = kv;
			return 0;
		}
	if (e->envc == EXEC_ENV_MAX)
		return errmsg(err, errlen, -EINVAL,
			      "more than %d environment variables",
			      EXEC_ENV_MAX);
	e->env[e->envc++] = kv;
	e->env[e->envc] = NULL;
	return 0;
}

static const char *join_env(struct exec_spec *e, const struct pod_env *v)
{
	size_t len = strlen(v->name) + 1 + strlen(v->value ? v->value : "") + 1;

	if (e->strings_used + len > sizeof(e->strings))
		return NULL;
	char *s = e->strings + e->strings_used;
	snprintf(s, len, "%s=%s", v->name, v->value ? v->value : "");
	e->strings_used += len;
	return s;
}

static bool numeric(const char *s, uint32_t *out)
{
	char *end;

	if (!isdigit((unsigned char)*s))
		return false;
	unsigned long v = strtoul(s, &end, 10);
	if (*end || v > 0x7fffffffUL)
		return false;
	*out = (uint32_t)v;
	return true;
}

/*
 * config.md, "User": "user", "uid", "user:group", "uid:gid", "uid:group",
 * "user:gid". Names are kept for the runtime to look up in the rootfs.
 */
static int image_user(struct exec_spec *e, const char *user, char *err,
		      size_t errlen)
{
	const char *colon = strchr(user, ':');
	size_t ul = colon ? (size_t)(colon - user) : strlen(user);

	if (!*user)
		return 0;
	if (!ul || (colon && !colon[1]) || ul >= 128)
		return errmsg(err, errlen, -EINVAL,
			      "image config User '%.60s' is malformed", user);
	char u[128];
	memcpy(u, user, ul);
	u[ul] = '\0';
	if (numeric(u, &e->uid)) {
		e->uid_known = true;
	} else {
		if (e->strings_used + ul + 1 > sizeof(e->strings))
			return errmsg(err, errlen, -EINVAL,
				      "environment too large");
		char *name = e->strings + e->strings_used;
		memcpy(name, u, ul + 1);
		e->strings_used += ul + 1;
		e->user_name = name;
	}
	if (colon) {
		if (numeric(colon + 1, &e->gid))
			e->gid_known = true;
		else
			e->group_name = colon + 1;
	}
	return 0;
}

int exec_merge(const struct pod_container *k, const struct oci_config *c,
	       struct exec_spec *e, char *err, size_t errlen)
{
	int r = 0;

	memset(e, 0, sizeof(*e));
	/*
	 * command replaces the image's Entrypoint and, without args, its
	 * Cmd too; args alone replace only Cmd.
	 */
	if (k->n_command) {
		for (size_t i = 0; !r && i < k->n_command; i++)
			r = add_arg(e, k->command[i], err, errlen);
	} else {
		for (size_t i = 0; !r && i < c->n_entrypoint; i++)
			r = add_arg(e, c->entrypoint[i], err, errlen);
	}
	if (k->n_args) {
		for (size_t i = 0; !r && i < k->n_args; i++)
			r = add_arg(e, k->args[i], err, errlen);
	} else if (!k->n_command) {
		for (size_t i = 0; !r && i < c->n_cmd; i++)
			r = add_arg(e, c->cmd[i], err, errlen);
	}
	if (!r && !e->argc)
		return errmsg(
			err, errlen, -EINVAL,
			"nothing to run: the image has no Entrypoint or Cmd "
			"and the container no command");
	for (size_t i = 0; !r && i < c->n_env; i++)
		r = set_env(e, c->env[i], err, errlen);
	for (size_t i = 0; !r && i < k->n_env; i++) {
		const char *kv = join_env(e, &k->env[i]);
		if (!kv)
			return errmsg(err, errlen, -EINVAL,
				      "environment too large");
		r = set_env(e, kv, err, errlen);
	}
	/* the kubelet's default, when neither sets one */
	bool has_path = false;
	for (size_t i = 0; i < e->envc; i++)
		has_path |= !strncmp(e->env[i], "PATH=", 5);
	if (!r && !has_path)
		r = set_env(e,
			    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:"
			    "/usr/bin:/sbin:/bin",
			    err, errlen);
	if (r)
		return r;
	e->cwd = k->working_dir	     ? k->working_dir
		 : c->working_dir[0] ? c->working_dir
				     : "/";
	if ((r = image_user(e, c->user, err, errlen)))
		return r;
	/* runAsUser and runAsGroup win over the image's User */
	if (k->has_user) {
		e->uid = k->run_as_user;
		e->uid_known = true;
		e->user_name = NULL;
	}
	if (k->has_group) {
		e->gid = k->run_as_group;
		e->gid_known = true;
		e->group_name = NULL;
	}
	if (!e->uid_known && !e->user_name) {
		e->uid = 0;
		e->uid_known = true;
	}
	return 0;
}
