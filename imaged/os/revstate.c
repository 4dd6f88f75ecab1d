// SPDX-License-Identifier: MIT
#include "os/revstate.h"
#include "errmsg.h"
#include "file.h"
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A revision number: 1 and up, or 0 for none. */
static int revision(const char *v, long long *out)
{
	char *end;
	long long n;

	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno || end == v || *end || n < 0)
		return -EINVAL;
	*out = n;
	return 0;
}

static int text_field(char *dst, size_t len, const char *v)
{
	if (strlen(v) >= len)
		return -EINVAL;
	strcpy(dst, v);
	return 0;
}

static int field(struct rev_state *st, const char *key, const char *v)
{
	if (!strcmp(key, "current"))
		return revision(v, &st->current);
	if (!strcmp(key, "applying"))
		return revision(v, &st->applying);
	if (!strcmp(key, "rejected"))
		return revision(v, &st->rejected);
	if (!strcmp(key, "outcome"))
		return text_field(st->outcome, sizeof(st->outcome), v);
	if (!strcmp(key, "at"))
		return text_field(st->at, sizeof(st->at), v);
	if (!strcmp(key, "reason"))
		return text_field(st->reason, sizeof(st->reason), v);
	return 0; /* a newer imaged's key: skipped */
}

int rev_state_parse(struct rev_state *st, const char *text, char *err,
		    size_t errlen)
{
	char line[REV_REASON_MAX + 32];
	int lineno = 0;

	memset(st, 0, sizeof(*st));
	for (const char *p = text; *p;) {
		size_t n = strcspn(p, "\n");
		lineno++;
		if (n >= sizeof(line))
			return errmsg(err, errlen, -EINVAL,
				      "line %d: longer than %zu bytes", lineno,
				      sizeof(line) - 1);
		memcpy(line, p, n);
		line[n] = '\0';
		p += n + (p[n] == '\n');
		if (!line[0])
			continue;
		char *sp = strchr(line, ' ');
		if (!sp || field(st, (*sp = '\0', line), sp + 1))
			return errmsg(err, errlen, -EINVAL,
				      "line %d: not 'key value' of a known "
				      "form",
				      lineno);
	}
	return 0;
}

int rev_state_format(const struct rev_state *st, char *out, size_t len)
{
	int n = snprintf(out, len,
			 "current %lld\napplying %lld\nrejected %lld\n",
			 st->current, st->applying, st->rejected);

	if (st->outcome[0] && n >= 0 && (size_t)n < len)
		n += snprintf(out + n, len - n, "outcome %s\nat %s\n",
			      st->outcome, st->at[0] ? st->at : "-");
	/* one line: a reason never breaks the file */
	if (st->reason[0] && n >= 0 && (size_t)n < len) {
		int m = snprintf(out + n, len - n, "reason %s\n", st->reason);
		for (int i = n + 7; m > 0 && i < n + m - 1 && (size_t)i < len;
		     i++)
			if (out[i] == '\n')
				out[i] = ' ';
		n += m;
	}
	return n < 0 || (size_t)n >= len ? -ENOSPC : n;
}

enum rev_verdict rev_wanted(const struct rev_state *st, long long rev,
			    int rollout, int slot)
{
	if (rev <= st->current)
		return REV_CURRENT;
	if (rev <= st->rejected)
		return REV_REJECTED;
	if (st->applying)
		return REV_BUSY;
	if (slot >= rollout)
		return REV_WAITS;
	return REV_TAKE;
}

bool rev_text_empty(const char *text, size_t len)
{
	for (size_t i = 0; i < len;) {
		size_t e = i;
		while (e < len && text[e] != '\n')
			e++;
		size_t s = i;
		while (s < e &&
		       (text[s] == ' ' || text[s] == '\t' || text[s] == '\r'))
			s++;
		bool blank = s == e || text[s] == '#' ||
			     (e - s >= 3 && !strncmp(text + s, "---", 3) &&
			      (e - s == 3 || text[s + 3] == ' ' ||
			       text[s + 3] == '\r'));
		if (!blank)
			return false;
		i = e + 1;
	}
	return true;
}

void rev_file(long long rev, char *out, size_t len)
{
	snprintf(out, len, REV_DIR "/%lld.yaml", rev);
}

void rev_state_load(struct rev_state *st)
{
	char text[2048], err[128];
	ssize_t n = read_text(REV_STATE, text, sizeof(text));

	memset(st, 0, sizeof(*st));
	if (n == -ENOENT)
		return;
	if (n < 0)
		log_err("unable to read %s: %s", REV_STATE, strerror((int)-n));
	else if (rev_state_parse(st, text, err, sizeof(err)))
		log_err("unable to read %s: %s", REV_STATE, err);
}

int rev_state_save(const struct rev_state *st)
{
	char text[2048];
	int n = rev_state_format(st, text, sizeof(text));

	if (n < 0)
		return n;
	mkdir_parents(REV_DIR, 0700);
	return write_atomic(REV_STATE, text, (size_t)n, 0600);
}
