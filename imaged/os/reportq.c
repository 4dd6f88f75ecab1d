// SPDX-License-Identifier: MIT
#include "os/reportq.h"
#include "errmsg.h"
#include "file.h"
#include "net/http.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NAME_LEN 15 /* "%010u.json" */

static int queued(const struct dirent *e)
{
	const char *n = e->d_name;

	return strlen(n) == NAME_LEN && strspn(n, "0123456789") == 10 &&
	       !strcmp(n + 10, ".json");
}

/* The queue's files, oldest first; the count or -errno (list freed by the
 * caller with free_list). */
static int list(const char *dir, struct dirent ***names)
{
	int n = scandir(dir, names, queued, alphasort);

	if (n < 0 && errno == ENOENT) {
		*names = NULL;
		return 0;
	}
	return n < 0 ? -errno : n;
}

static void free_list(struct dirent **names, int n)
{
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

int reportq_count(const char *dir)
{
	struct dirent **names;
	int n = list(dir, &names);

	if (n > 0)
		free_list(names, n);
	return n < 0 ? 0 : n;
}

int reportq_add(const char *dir, const char *doc, size_t len, int max)
{
	struct dirent **names;
	char path[512];
	unsigned seq = 1;
	int n, r;

	if ((r = mkdir_parents(dir, 0700)))
		return r;
	if ((n = list(dir, &names)) < 0)
		return n;
	if (n)
		seq = strtoul(names[n - 1]->d_name, NULL, 10) + 1;
	/* room for this one: the oldest go */
	for (int i = 0; i < n && n - i >= max; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		unlink(path);
	}
	free_list(names, n);
	snprintf(path, sizeof(path), "%s/%010u.json", dir, seq % 1000000000u);
	return write_atomic(path, doc, len, 0600);
}

/* One report to url: 0 when taken. */
static int send_one(const char *path, const char *url, const char *extra,
		    char *err, size_t errlen)
{
	static char doc[65536 + 1];
	struct http_conn *c = malloc(sizeof(*c));
	ssize_t len = read_text(path, doc, sizeof(doc));
	int r;

	if (!c)
		return errmsg(err, errlen, -ENOMEM, "out of memory");
	if (len < 0) {
		free(c);
		return errmsg_errno(err, errlen, len, -len, "%s", path);
	}
	r = http_post(c, url, extra, doc, len, err, errlen);
	if (!r && c->resp.status / 100 != 2)
		r = errmsg(err, errlen, -EREMOTEIO,
			   "%s answered HTTP status %d", url, c->resp.status);
	free(c);
	return r;
}

int reportq_flush(const char *dir, const char *url, const char *token,
		  char *err, size_t errlen)
{
	char extra[REPORT_TOKEN_MAX + 96], path[512];
	struct dirent **names;
	int n = list(dir, &names), sent = 0, r = 0;

	if (n < 0)
		return errmsg_errno(err, errlen, n, -n, "%s", dir);
	snprintf(extra, sizeof(extra),
		 "Content-Type: application/json\r\n%s%s%s",
		 token[0] ? "Authorization: Bearer " : "", token,
		 token[0] ? "\r\n" : "");
	for (int i = 0; i < n && !r; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		r = send_one(path, url, extra, err, errlen);
		/* (gone meanwhile, dropped as the oldest: sent all the same) */
		if (!r) {
			unlink(path);
			sent++;
		}
	}
	free_list(names, n);
	return r ? r : sent;
}

/* RFC 6750 section 2.1: 1*( ALPHA / DIGIT / "-._~+/" ) *"=" */
static bool b64token(const char *t)
{
	size_t n =
		strspn(t, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			  "0123456789-._~+/");

	return n > 0 && strspn(t + n, "=") == strlen(t + n);
}

int report_token_read(const char *path, char *tok, size_t len)
{
	ssize_t n = read_text(path, tok, len);

	if (n == -ENOENT) {
		tok[0] = '\0';
		return 0;
	}
	if (n < 0) {
		tok[0] = '\0';
		return n;
	}
	while (n > 0 && strchr(" \t\r\n", tok[n - 1]))
		tok[--n] = '\0';
	if ((size_t)n >= len - 1 || !b64token(tok)) {
		memset(tok, 0, len);
		return -EINVAL;
	}
	return 0;
}
