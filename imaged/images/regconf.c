// SPDX-License-Identifier: MIT
#include "images/regconf.h"
#include "errmsg.h"
#include "text.h"
#include "store/unpack.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void regconf_defaults(struct regconf *c)
{
	memset(c, 0, sizeof(*c));
	c->max_parallel = 3;
	c->max_layer_bytes = UNPACK_MAX_BYTES;
}

const struct reg_host *regconf_find(const struct regconf *c, const char *name)
{
	for (int i = 0; i < c->n_hosts; i++)
		if (!strcmp(c->hosts[i].name, name))
			return &c->hosts[i];
	return NULL;
}

static int put(char *dst, size_t size, const char *val)
{
	if (!*val || strlen(val) >= size)
		return -EINVAL;
	strcpy(dst, val);
	return 0;
}

/* A mirror is a scheme, a host and maybe a port: nothing after. */
static bool mirror_ok(const char *v)
{
	const char *h = !strncmp(v, "http://", 7)    ? v + 7
			: !strncmp(v, "https://", 8) ? v + 8
						     : NULL;
	if (!h || !*h)
		return false;
	for (; *h; h++)
		if (!isalnum((unsigned char)*h) && !strchr(".-:[]", *h))
			return false;
	return true;
}

/*
 * A key outside any section, and one of a registry's section, below: 0,
 * -EINVAL for a bad value, -ENOENT for a key that is not known there.
 */
static int global_key(struct regconf *c, const char *key, const char *val)
{
	int b, n;

	if (!strcmp(key, "ca")) {
		if (c->n_cas == REGCONF_MAX_CAS || val[0] != '/')
			return -EINVAL;
		return put(c->cas[c->n_cas++], sizeof(c->cas[0]), val);
	} else if (!strcmp(key, "max_parallel")) {
		if (text_range(val, 1, 16, &n))
			return -EINVAL;
		c->max_parallel = n;
	} else if (!strcmp(key, "unpack_devices")) {
		if ((b = text_bool(val)) < 0)
			return -EINVAL;
		c->unpack_devices = b;
	} else if (!strcmp(key, "max_layer_bytes")) {
		char *end;
		unsigned long long v = strtoull(val, &end, 10);
		if (!isdigit((unsigned char)*val) || *end || v < 4096)
			return -EINVAL;
		c->max_layer_bytes = v;
	} else {
		return -ENOENT;
	}
	return 0;
}

static int host_key(struct reg_host *h, const char *key, const char *val)
{
	int b;

	if (!strcmp(key, "insecure")) {
		if ((b = text_bool(val)) < 0)
			return -EINVAL;
		h->insecure = b;
	} else if (!strcmp(key, "username")) {
		return put(h->username, sizeof(h->username), val);
	} else if (!strcmp(key, "password")) {
		return put(h->password, sizeof(h->password), val);
	} else if (!strcmp(key, "mirror")) {
		if (h->n_mirrors == REGCONF_MAX_MIRRORS || !mirror_ok(val))
			return -EINVAL;
		return put(h->mirrors[h->n_mirrors++], sizeof(h->mirrors[0]),
			   val);
	} else {
		return -ENOENT;
	}
	return 0;
}

static int parse_line(struct regconf *c, struct reg_host **sec, char *line,
		      char *why, size_t whylen)
{
	char *s = text_trim(line);

	if (*s == '[') {
		size_t n = strlen(s);
		if (n < 3 || s[n - 1] != ']')
			return errmsg(why, whylen, -EINVAL,
				      "expected '[registry]'");
		s[n - 1] = '\0';
		s++;
		for (char *p = s; *p; p++)
			if (!isalnum((unsigned char)*p) && !strchr(".-:[]", *p))
				return errmsg(why, whylen, -EINVAL,
					      "'%.60s' is not a registry host",
					      s);
		/* a later section for the same registry starts it afresh */
		struct reg_host *h = (struct reg_host *)regconf_find(c, s);
		if (!h) {
			if (c->n_hosts == REGCONF_MAX_REGISTRIES)
				return errmsg(why, whylen, -EINVAL,
					      "too many registries");
			h = &c->hosts[c->n_hosts++];
		}
		memset(h, 0, sizeof(*h));
		if (put(h->name, sizeof(h->name), s))
			return errmsg(why, whylen, -EINVAL,
				      "registry name too long");
		*sec = h;
		return 0;
	}
	char *eq = strchr(s, '=');
	if (!eq)
		return errmsg(why, whylen, -EINVAL, "expected 'key = value'");
	*eq = '\0';
	char *key = text_trim(s), *val = text_trim(eq + 1);
	int r = *sec ? host_key(*sec, key, val) : global_key(c, key, val);
	if (r == -ENOENT)
		return errmsg(why, whylen, -EINVAL, "unknown key '%.40s'%s",
			      key, *sec ? " in a registry section" : "");
	if (r)
		return errmsg(why, whylen, -EINVAL, "bad value for %s", key);
	return 0;
}

int regconf_parse(struct regconf *c, const char *text, char *err, size_t errlen)
{
	struct regconf *tmp = malloc(sizeof(*tmp));
	struct reg_host *sec = NULL;
	char line[1024], why[128];
	int lineno = 0, r = 0;

	if (!tmp)
		return errmsg(err, errlen, -ENOMEM, "out of memory");
	*tmp = *c;
	for (const char *p = text; *p && !r;) {
		size_t n = strcspn(p, "\n");
		lineno++;
		if (n >= sizeof(line)) {
			r = errmsg(err, errlen, -EINVAL, "%d: line too long",
				   lineno);
			break;
		}
		memcpy(line, p, n);
		line[n] = '\0';
		p += n + (p[n] == '\n');
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		if (!*text_trim(line))
			continue;
		if ((r = parse_line(tmp, &sec, line, why, sizeof(why))))
			errmsg(err, errlen, r, "%d: %s", lineno, why);
	}
	if (!r)
		*c = *tmp;
	free(tmp);
	return r;
}
