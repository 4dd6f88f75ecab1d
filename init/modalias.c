// SPDX-License-Identifier: MIT
#include "modalias.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

#define PATTERN_MAX 256
#define DEPS_MAX 64

/* The next line of text: its start and length; text moves past it. */
static const char *next_line(const char **text, size_t *n)
{
	const char *line = *text;

	*n = strcspn(line, "\n");
	*text = line + *n + (line[*n] ? 1 : 0);
	return line;
}

/* The next blank-separated word in [*p, end): start and length. */
static size_t next_word(const char **p, const char *end, const char **word)
{
	const char *s = *p;

	while (s < end && (*s == ' ' || *s == '\t' || *s == '\r'))
		s++;
	*word = s;
	while (s < end && *s != ' ' && *s != '\t' && *s != '\r')
		s++;
	*p = s;
	return (size_t)(s - *word);
}

bool modalias_valid(const char *modalias)
{
	size_t n = strlen(modalias);
	const char *colon = strchr(modalias, ':');

	if (n == 0 || n >= PATTERN_MAX || !colon || colon == modalias)
		return false;
	for (const char *c = modalias; *c; c++)
		if (*c <= ' ' || *c > '~')
			return false;
	return true;
}

/*
 * The literal start of a pattern (before its first wildcard) must match
 * before fnmatch runs: most lines name another vendor or bus, and a
 * board's candidates have about a thousand lines a device is tried on.
 */
static bool pattern_matches(const char *pattern, const char *modalias)
{
	size_t lit = strcspn(pattern, "*?[\\");

	if (strncmp(pattern, modalias, lit))
		return false;
	return fnmatch(pattern, modalias, 0) == 0;
}

int modalias_match(const char *alias_text, const char *modalias,
		   modalias_found found, void *ctx)
{
	char pattern[PATTERN_MAX], module[MODULE_NAME_MAX];
	const char *word;
	int matches = 0;

	while (*alias_text) {
		size_t n;
		const char *line = next_line(&alias_text, &n), *end = line + n;
		const char *p = line;
		size_t w = next_word(&p, end, &word);

		if (w != 5 || memcmp(word, "alias", 5))
			continue;
		w = next_word(&p, end, &word);
		if (!w || w >= sizeof(pattern))
			continue;
		memcpy(pattern, word, w);
		pattern[w] = '\0';
		w = next_word(&p, end, &word);
		if (!w || w >= sizeof(module))
			continue;
		memcpy(module, word, w);
		module[w] = '\0';
		if (!pattern_matches(pattern, modalias))
			continue;
		matches++;
		int r = found(module, ctx);
		if (r)
			return r;
	}
	return matches;
}

int module_name_of(const char *path, char *name, size_t len)
{
	const char *base = strrchr(path, '/');
	size_t n;

	base = base ? base + 1 : path;
	n = strcspn(base, ".");
	if (n == 0 || n >= len)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		name[i] = base[i] == '-' ? '_' : base[i];
	name[n] = '\0';
	return 0;
}

static bool same_module(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if (*a != *b &&
		    !((*a == '-' || *a == '_') && (*b == '-' || *b == '_')))
			return false;
	return *a == *b;
}

/* step() for a word of the line, as a NUL-terminated path. */
static int step_word(const char *word, size_t w, moddep_step step, void *ctx)
{
	char path[MODULE_PATH_MAX];

	if (w >= sizeof(path))
		return -EINVAL;
	memcpy(path, word, w);
	path[w] = '\0';
	return step(path, ctx);
}

int moddep_load_order(const char *dep_text, const char *name, moddep_step step,
		      void *ctx)
{
	char path[MODULE_PATH_MAX], mod[MODULE_NAME_MAX];

	while (*dep_text) {
		size_t n;
		const char *line = next_line(&dep_text, &n), *end = line + n;
		const char *colon = memchr(line, ':', n);

		if (!colon || colon == line ||
		    (size_t)(colon - line) >= sizeof(path))
			continue;
		memcpy(path, line, colon - line);
		path[colon - line] = '\0';
		if (module_name_of(path, mod, sizeof(mod)) ||
		    !same_module(mod, name))
			continue;

		const char *deps[DEPS_MAX], *p = colon + 1, *word;
		size_t lens[DEPS_MAX];
		int ndeps = 0;
		size_t w;
		while ((w = next_word(&p, end, &word)) > 0) {
			if (ndeps == DEPS_MAX)
				return -EINVAL;
			deps[ndeps] = word;
			lens[ndeps++] = w;
		}
		while (ndeps-- > 0) {
			int r = step_word(deps[ndeps], lens[ndeps], step, ctx);
			if (r)
				return r;
		}
		return step(path, ctx);
	}
	return -ENOENT;
}

const char *uevent_modalias(const char *msg, size_t len)
{
	const char *modalias = NULL;
	bool add = false;
	size_t i = 0;

	/* the kernel's header, "add@/devices/...": libudev's differ */
	if (!len || !memchr(msg, '@', strnlen(msg, len)))
		return NULL;
	while (i < len) {
		const char *field = msg + i;
		size_t n = strnlen(field, len - i);
		if (i + n == len)
			break; /* not NUL-terminated: not a field */
		if (n == 10 && !memcmp(field, "ACTION=add", 10))
			add = true;
		else if (n > 9 && !memcmp(field, "MODALIAS=", 9))
			modalias = field + 9;
		i += n + 1;
	}
	return add && modalias && modalias_valid(modalias) ? modalias : NULL;
}
