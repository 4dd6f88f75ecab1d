// SPDX-License-Identifier: MIT
#include "images/images.h"
#include "errmsg.h"
#include "log.h"
#include "images/load.h"
#include "ctlsock.h"
#include "images/pull.h"
#include "net/tls.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * imagectl's image requests, daemon side. Pulls, loads and prunes run in
 * a child process each (the socket keeps answering); the rest is quick
 * and answered in place.
 */

/* registries.conf is read per request, so an edit needs no restart. */
static void regconf_load(const struct images_ctx *x, struct regconf *c)
{
	const char *paths[] = { REGCONF_FILE, REGCONF_ESP };
	char *text = malloc(65536), err[200];
	int n = 2;

	regconf_defaults(c);
	if (x->regconf_path) {
		paths[0] = x->regconf_path;
		n = 1;
	}
	for (int i = 0; text && i < n; i++) {
		ssize_t len = read_text(paths[i], text, 65536);
		if (len == -ENOENT)
			continue;
		if (len < 0)
			log_warn("unable to read %s: %s; ignored", paths[i],
				 strerror((int)-len));
		else if (regconf_parse(c, text, err, sizeof(err)))
			log_err("unable to use %s:%s; the whole file is "
				"ignored",
				paths[i], err);
	}
	free(text);
}

static int parse_name(int fd, const char *s, char name[IMAGE_REF_MAX + 1])
{
	char err[300];
	int r = image_ref_canonical(s, name, err, sizeof(err));

	if (r)
		ctl_send(fd, CTL_ERR, err);
	return r;
}

static void do_pull(const struct images_ctx *x, int fd, int argc, char **argv)
{
	const char *platform = NULL, *ref = NULL;
	char name[IMAGE_REF_MAX + 1], err[1024];
	struct regconf *rc = malloc(sizeof(*rc));

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--platform") && i + 1 < argc)
			platform = argv[++i];
		else if (!ref && argv[i][0] != '-')
			ref = argv[i];
		else {
			ctl_sendf(fd, CTL_ERR, "pull: unexpected '%s'",
				  argv[i]);
			_exit(1);
		}
	}
	if (!ref || !rc) {
		ctl_send(fd, CTL_ERR, "pull: which image?");
		_exit(1);
	}
	regconf_load(x, rc);
	for (int i = 0; i < rc->n_cas; i++) {
		if (access(rc->cas[i], R_OK))
			log_warn("unable to read the CA file %s: %s",
				 rc->cas[i], strerror(errno));
		tls_anchors_add_file(rc->cas[i]);
	}
	struct progress p = { .fd = fd };
	struct pull_opts o = { .rc = rc,
			       .s = x->store,
			       .platform = platform,
			       .p = &p,
			       .token_dir = x->token_dir };
	int r = image_pull(&o, ref, name, err, sizeof(err));
	if (r) {
		log_err("unable to pull %s: %s", ref, err);
		ctl_send(fd, CTL_ERR, err);
		_exit(1);
	}
	struct store_image img = { 0 };
	store_image_get(x->store, name, &img);
	log_info("pulled %s %s", name, img.digest);
	ctl_sendf(fd, CTL_OK, "pulled %s %s", name, img.digest);
	_exit(0);
}

static void do_images(const struct images_ctx *x, int fd)
{
	struct store_image *imgs;
	struct store_view *v = malloc(sizeof(*v));
	char err[300];
	size_t n;
	int r = store_images(x->store, &imgs, &n);

	if (r || !v) {
		ctl_sendf(fd, CTL_ERR, "index.json: %s",
			  strerror(r ? -r : ENOMEM));
		free(v);
		return;
	}
	ctl_sendf(fd, CTL_MORE, "%-50s %-19s %10s", "IMAGE", "DIGEST", "SIZE");
	for (size_t i = 0; i < n; i++) {
		unsigned long long size = 0;
		if (!store_view(x->store, &imgs[i], v, err, sizeof(err)))
			for (size_t l = 0; l < v->m.n_layers; l++)
				size += v->m.layers[l].size;
		ctl_sendf(fd, CTL_MORE, "%-50s %.19s %8.1fMB", imgs[i].name,
			  imgs[i].digest, size / 1e6);
	}
	ctl_send(fd, CTL_OK, "");
	free(imgs);
	free(v);
}

/* JSON, one layer per packet: a packet holds 8 KiB, an image more. */
static void do_inspect(const struct images_ctx *x, int fd, const char *ref)
{
	char name[IMAGE_REF_MAX + 1], err[400], d[OCI_DIGEST_STR];
	char c[OCI_DIGEST_STR], path[700];
	struct store_image img;
	struct store_view *v;

	if (parse_name(fd, ref, name))
		return;
	if (store_image_get(x->store, name, &img)) {
		ctl_sendf(fd, CTL_ERR, "no image %s (imagectl images)", name);
		return;
	}
	if (!(v = malloc(sizeof(*v))) ||
	    store_view(x->store, &img, v, err, sizeof(err))) {
		ctl_send(fd, CTL_ERR, v ? err : "out of memory");
		free(v);
		return;
	}
	unsigned long long size = v->m.config.size;
	for (size_t l = 0; l < v->m.n_layers; l++)
		size += v->m.layers[l].size;
	oci_digest_format(v->m.config.digest, c);
	ctl_sendf(fd, CTL_MORE,
		  "{\"name\": \"%s\", \"digest\": \"%s\", \"index_digest\": "
		  "%s%s%s, \"config\": \"%s\", \"platform\": \"%s\", "
		  "\"size\": %llu, \"layers\": [",
		  img.name, img.digest, img.index_digest[0] ? "\"" : "",
		  img.index_digest[0] ? img.index_digest : "null",
		  img.index_digest[0] ? "\"" : "", c, img.platform, size);
	for (size_t l = 0; l < v->m.n_layers; l++) {
		char diff[OCI_DIGEST_STR], chain[OCI_DIGEST_STR];
		oci_digest_format(v->m.layers[l].digest, d);
		oci_digest_format(v->c.diff_ids[l], diff);
		oci_digest_format(v->chain[l], chain);
		store_snapshot_path(x->store, v->chain[l], path, sizeof(path));
		ctl_sendf(fd, CTL_MORE,
			  "  {\"digest\": \"%s\", \"mediaType\": \"%s\", "
			  "\"size\": %lld, \"diff_id\": \"%s\", \"chain_id\": "
			  "\"%s\", \"snapshot\": \"%s\"}%s",
			  d, oci_media_name(v->m.layers[l].media_type),
			  (long long)v->m.layers[l].size, diff, chain, path,
			  l + 1 < v->m.n_layers ? "," : "");
	}
	ctl_send(fd, CTL_OK, "]}");
	free(v);
}

static void do_rm(const struct images_ctx *x, int fd, const char *ref)
{
	char name[IMAGE_REF_MAX + 1];

	if (parse_name(fd, ref, name))
		return;
	int r = store_image_remove(x->store, name);
	if (r == -ENOENT)
		ctl_sendf(fd, CTL_ERR, "no image %s (imagectl images)", name);
	else if (r)
		ctl_sendf(fd, CTL_ERR, "index.json: %s", strerror(-r));
	else
		ctl_sendf(fd, CTL_OK,
			  "removed %s (imagectl prune frees its space)", name);
}

static void do_prune(const struct images_ctx *x, int fd)
{
	struct prune_stats st;
	char err[300];

	if (store_prune(x->store, &st, err, sizeof(err))) {
		ctl_send(fd, CTL_ERR, err);
		_exit(1);
	}
	log_info("prune: removed %u blobs, %u snapshots, %llu bytes freed",
		 st.blobs, st.snapshots, st.bytes);
	ctl_sendf(fd, CTL_OK,
		  "removed %u blobs, %u snapshots, %llu bytes freed", st.blobs,
		  st.snapshots, st.bytes);
	_exit(0);
}

static void do_load(const struct images_ctx *x, int fd, int argc, char **argv)
{
	struct regconf rc;
	char err[1024];

	if (argc != 2) {
		ctl_send(fd, CTL_ERR, "load: which file?");
		_exit(1);
	}
	regconf_load(x, &rc);
	struct progress p = { .fd = fd };
	struct pull_opts o = { .rc = &rc, .s = x->store, .p = &p };
	if (image_load(&o, argv[1], err, sizeof(err))) {
		log_err("unable to load %s: %s", argv[1], err);
		ctl_send(fd, CTL_ERR, err);
		_exit(1);
	}
	ctl_send(fd, CTL_OK, "");
	_exit(0);
}

bool images_handle(const struct images_ctx *x, int fd, int argc, char **argv,
		   pid_t *child)
{
	const char *cmd = argv[0];
	bool forked = !strcmp(cmd, "pull") || !strcmp(cmd, "prune") ||
		      !strcmp(cmd, "load");

	if (!forked && strcmp(cmd, "images") && strcmp(cmd, "inspect") &&
	    strcmp(cmd, "rm"))
		return false;
	if (forked) {
		pid_t pid = fork();
		if (pid < 0) {
			ctl_sendf(fd, CTL_ERR, "fork: %s", strerror(errno));
			return true;
		}
		if (pid) {
			*child = pid;
			return true;
		}
		if (!strcmp(cmd, "pull"))
			do_pull(x, fd, argc, argv);
		else if (!strcmp(cmd, "prune"))
			do_prune(x, fd);
		else
			do_load(x, fd, argc, argv);
		_exit(0);
	}
	if (!strcmp(cmd, "images") && argc == 1)
		do_images(x, fd);
	else if (!strcmp(cmd, "inspect") && argc == 2)
		do_inspect(x, fd, argv[1]);
	else if (!strcmp(cmd, "rm") && argc == 2)
		do_rm(x, fd, argv[1]);
	else
		ctl_sendf(fd, CTL_ERR, "usage: imagectl %s%s", cmd,
			  strcmp(cmd, "images") ? " IMAGE" : "");
	return true;
}

int images_pull_ref(const struct images_ctx *x, const char *ref, char *err,
		    size_t errlen)
{
	char name[IMAGE_REF_MAX + 1];
	struct regconf *rc = malloc(sizeof(*rc));

	if (!rc)
		return errmsg(err, errlen, -ENOMEM, "out of memory");
	regconf_load(x, rc);
	for (int i = 0; i < rc->n_cas; i++)
		tls_anchors_add_file(rc->cas[i]);
	struct progress p = { .fd = -1 };
	struct pull_opts o = {
		.rc = rc, .s = x->store, .p = &p, .token_dir = x->token_dir
	};
	int r = image_pull(&o, ref, name, err, errlen);
	if (!r)
		log_info("pulled %s for a pod", name);
	free(rc);
	return r;
}

void images_preload(const struct images_ctx *x, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	struct regconf rc;
	char path[800], err[1024];

	if (!d)
		return;
	regconf_load(x, &rc);
	struct progress p = { .fd = -1 };
	struct pull_opts o = { .rc = &rc, .s = x->store, .p = &p };
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (image_load(&o, path, err, sizeof(err))) {
			/* kept: the next start tries again */
			log_err("unable to preload %s: %s", path, err);
			continue;
		}
		log_info("preloaded %s", path);
		unlink(path);
	}
	closedir(d);
}
