// SPDX-License-Identifier: MIT
#include "imaged_conf.h"
#include "file.h"
#include "imaged.h"
#include "log.h"
#include "text.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

void conf_defaults(struct imaged_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->update_tries = 3;
	c->health_timeout = 300;
	c->update_reboot = true;
	c->poll_interval = 3600;
	c->report_interval = 3600;
	c->default_host_users = true;
	c->update_stall_timeout = 120;
	c->verify_after_write = true;
	c->workload_timeout = 300;
}

/* The keys that are a whole number in a range */
static int *int_key(struct imaged_conf *c, const char *key, int *lo, int *hi)
{
	const struct {
		const char *key;
		size_t off;
		int lo, hi;
	} keys[] = {
		{ "update_tries", offsetof(struct imaged_conf, update_tries), 1,
		  9 },
		{ "health_timeout",
		  offsetof(struct imaged_conf, health_timeout), 1, 86400 },
		{ "report_interval",
		  offsetof(struct imaged_conf, report_interval), 60, 604800 },
		{ "poll_interval", offsetof(struct imaged_conf, poll_interval),
		  10, 604800 },
		{ "update_stall_timeout",
		  offsetof(struct imaged_conf, update_stall_timeout), 5,
		  86400 },
		{ "workload_timeout",
		  offsetof(struct imaged_conf, workload_timeout), 5, 86400 },
	};

	for (size_t i = 0; i < sizeof(keys) / sizeof(*keys); i++)
		if (!strcmp(key, keys[i].key)) {
			*lo = keys[i].lo;
			*hi = keys[i].hi;
			return (int *)((char *)c + keys[i].off);
		}
	return NULL;
}

/* An http(s):// URL (or, with file, a file:/// one), or "" for none. */
static int url_set(char *dst, size_t len, const char *val, bool file)
{
	if (strlen(val) >= len || (*val && strncmp(val, "http://", 7) &&
				   strncmp(val, "https://", 8) &&
				   (!file || strncmp(val, "file:///", 8))))
		return -EINVAL;
	strcpy(dst, val);
	return 0;
}

static int conf_line(struct imaged_conf *c, char *line, char *why,
		     size_t whylen)
{
	char *eq = strchr(line, '=');
	int b;

	if (!eq) {
		snprintf(why, whylen, "expected 'key = value'");
		return -EINVAL;
	}
	*eq = '\0';
	char *key = text_trim(line), *val = text_trim(eq + 1);
	int lo, hi, *n = int_key(c, key, &lo, &hi);

	if (n) {
		if (text_range(val, lo, hi, n))
			goto bad;
	} else if (!strcmp(key, "health_command")) {
		if (strlen(val) >= sizeof(c->health_command))
			goto bad;
		strcpy(c->health_command, val);
	} else if (!strcmp(key, "update_reboot")) {
		if ((b = text_bool(val)) < 0)
			goto bad;
		c->update_reboot = b;
	} else if (!strcmp(key, "reboot_window")) {
		int h1, m1, h2, m2, n = -1;
		if (sscanf(val, "%2d:%2d-%2d:%2d%n", &h1, &m1, &h2, &m2, &n) !=
			    4 ||
		    n != (int)strlen(val) || h1 > 23 || h2 > 23 || m1 > 59 ||
		    m2 > 59 || h1 < 0 || h2 < 0 || m1 < 0 || m2 < 0)
			goto bad;
		c->window_start = h1 * 60 + m1;
		c->window_end = h2 * 60 + m2;
	} else if (!strcmp(key, "channel_url")) {
		if (url_set(c->channel_url, sizeof(c->channel_url), val, true))
			goto bad;
	} else if (!strcmp(key, "report_url")) {
		if (url_set(c->report_url, sizeof(c->report_url), val, false))
			goto bad;
	} else if (!strcmp(key, "default_host_users")) {
		if ((b = text_bool(val)) < 0)
			goto bad;
		c->default_host_users = b;
	} else if (!strcmp(key, "verify_after_write")) {
		if ((b = text_bool(val)) < 0)
			goto bad;
		c->verify_after_write = b;
	} else {
		snprintf(why, whylen, "unknown key '%.40s'", key);
		return -EINVAL;
	}
	return 0;
bad:
	snprintf(why, whylen, "bad value '%.60s' for %s", val, key);
	return -EINVAL;
}

int conf_parse(struct imaged_conf *c, const char *text, char *err,
	       size_t errlen)
{
	struct imaged_conf tmp = *c;
	char line[512], why[128];
	int lineno = 0;

	for (const char *p = text; *p;) {
		size_t n = strcspn(p, "\n");
		lineno++;
		if (n >= sizeof(line)) {
			snprintf(err, errlen, "line %d: longer than %zu bytes",
				 lineno, sizeof(line) - 1);
			return -EINVAL;
		}
		memcpy(line, p, n);
		line[n] = '\0';
		p += n + (p[n] == '\n');
		char *l = text_trim(line);
		if (!*l || *l == '#')
			continue;
		if (conf_line(&tmp, l, why, sizeof(why))) {
			snprintf(err, errlen, "line %d: %s", lineno, why);
			return -EINVAL;
		}
	}
	*c = tmp;
	return 0;
}

long window_wait_s(int start_min, int end_min, long now_s)
{
	long start = start_min * 60L, end = end_min * 60L, day = 86400;

	if (start == end)
		return 0;
	bool inside = start < end ? now_s >= start && now_s < end
				  : now_s >= start || now_s < end;
	if (inside)
		return 0;
	return (start - now_s + day) % day;
}

void conf_load(struct imaged_conf *c)
{
	const char *paths[] = { IMAGED_CONF, ESP_UPDATE_CONF };
	char text[8192], err[160];

	conf_defaults(c);
	for (int i = 0; i < 2; i++) {
		long n = read_text(paths[i], text, sizeof(text));
		if (n == -ENOENT)
			continue;
		if (n < 0)
			log_warn("unable to read %s: %s; ignored", paths[i],
				 strerror(-n));
		else if (conf_parse(c, text, err, sizeof(err)))
			log_err("unable to use %s: %s; the whole file is "
				"ignored",
				paths[i], err);
	}
}
