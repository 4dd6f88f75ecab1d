// SPDX-License-Identifier: MIT
#include "cmdline.h"
#include "text.h"

#include <errno.h>
#include <string.h>

static int set_str(char *dst, size_t len, const char *val)
{
	if (strlen(val) >= len) {
		dst[0] = '\0';
		return -EINVAL;
	}
	strcpy(dst, val);
	return 0;
}

/* One word: key=value with the quotes already removed. 1 if not ours. */
static int apply(struct cmdline *c, const char *key, const char *val)
{
	if (!strcmp(key, "root"))
		return set_str(c->root, sizeof(c->root), val);
	if (!strcmp(key, "rootfstype"))
		return set_str(c->rootfstype, sizeof(c->rootfstype), val);
	if (!strcmp(key, "rootwait"))
		return text_range(val, 0, 3600, &c->rootwait);
	if (!strcmp(key, "keel.slot"))
		return set_str(c->slot, sizeof(c->slot), val);
	if (!strcmp(key, "keel.emergency"))
		return text_range(val, 0, 1, &c->emergency);
	if (!strcmp(key, "keel.data"))
		return set_str(c->data, sizeof(c->data), val);
	if (!strcmp(key, "keel.verity"))
		return set_str(c->verity, sizeof(c->verity), val);
	return 1; /* not ours */
}

int cmdline_parse(const char *text, struct cmdline *c)
{
	char word[256];
	int ret = 0;

	memset(c, 0, sizeof(*c));
	c->rootwait = -1;
	c->emergency = -1;

	while (*text) {
		size_t n = 0;
		bool quoted = false, toolong = false;

		while (*text == ' ' || *text == '\t' || *text == '\n')
			text++;
		if (!*text)
			break;
		for (; *text; text++) {
			if (*text == '"') {
				quoted = !quoted;
				continue;
			}
			if (!quoted &&
			    (*text == ' ' || *text == '\t' || *text == '\n'))
				break;
			if (n + 1 < sizeof(word))
				word[n++] = *text;
			else
				toolong = true;
		}
		word[n] = '\0';

		char *eq = strchr(word, '=');
		if (!eq) {
			/* the kernel's bare rootwait: wait as long as it takes */
			if (!strcmp(word, "rootwait"))
				c->rootwait = ROOTWAIT_FOREVER;
			continue;
		}
		*eq = '\0';
		if (toolong) {
			/* a cut value must not pass for the real one */
			if (apply(c, word, "") != 1)
				ret = -EINVAL;
			continue;
		}
		if (apply(c, word, eq + 1) < 0)
			ret = -EINVAL;
	}
	return ret;
}

int split_args(char *line, char **argv, int max)
{
	int argc = 0;
	char *r = line, *w = line;

	for (;;) {
		while (*r == ' ' || *r == '\t')
			r++;
		if (!*r)
			break;
		if (argc == max)
			return -E2BIG;
		argv[argc++] = w;
		bool quoted = false;
		for (; *r; r++) {
			if (*r == '"') {
				quoted = !quoted;
				continue;
			}
			if (*r == '\\' && r[1]) {
				*w++ = *++r;
				continue;
			}
			if (!quoted && (*r == ' ' || *r == '\t'))
				break;
			*w++ = *r;
		}
		if (quoted)
			return -EINVAL;
		if (*r)
			r++;
		*w++ = '\0';
	}
	argv[argc] = NULL;
	return argc;
}
