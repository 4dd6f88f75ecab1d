// SPDX-License-Identifier: MIT
#include "pods/pods.h"
#include "log.h"
#include "run/userns.h"
#include "clock.h"
#include "ctlsock.h"
#include "imaged.h"
#include "run/merge.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct pod_rt *pods[PODS_MAX];
size_t n_pods;

static const struct images_ctx *images;
static int ready_fd = -1;
static bool default_host_users = true; /* imaged.conf */

bool pods_default_host_users(void)
{
	return default_host_users;
}

struct pod_rt *pods_find(const char *name)
{
	for (size_t i = 0; i < n_pods; i++)
		if (!strcmp(pods[i]->spec->name, name))
			return pods[i];
	return NULL;
}

static void state_save(const struct ctr_rt *c)
{
	char path[CTR_PATH_MAX + 8], text[256];

	snprintf(text, sizeof(text),
		 "restarts=%d\nhandled=%lld\ndelay=%lld\nnext=%lld\ndone=%d\n",
		 c->restarts, c->handled, (long long)c->bo.delay_ms, c->next_ms,
		 c->done);
	snprintf(path, sizeof(path), "%s/state", c->run_dir);
	write_atomic(path, text, strlen(text), 0644);
}

static long long key(const char *text, const char *k)
{
	size_t n = strlen(k);

	for (const char *l = text; l && *l;
	     l = strchr(l, '\n'), l = l ? l + 1 : l)
		if (!strncmp(l, k, n) && l[n] == '=')
			return atoll(l + n + 1);
	return 0;
}

static void state_load(struct ctr_rt *c)
{
	char path[CTR_PATH_MAX + 8], text[256];

	snprintf(path, sizeof(path), "%s/state", c->run_dir);
	if (read_text(path, text, sizeof(text)) <= 0)
		return;
	c->restarts = key(text, "restarts");
	c->handled = key(text, "handled");
	c->bo.delay_ms = key(text, "delay");
	c->next_ms = key(text, "next");
	c->done = key(text, "done");
}

/*
 * A live run's shim, watched: not every shim is imaged's child (a
 * restarted imaged adopts those of the one before), so its end is seen
 * through a pidfd rather than SIGCHLD.
 */
static void watch(struct ctr_rt *c)
{
	if (c->pidfd < 0 && c->ri.shim > 0)
		c->pidfd = (int)syscall(SYS_pidfd_open, c->ri.shim, 0);
}

static void unwatch(struct ctr_rt *c)
{
	if (c->pidfd >= 0)
		close(c->pidfd);
	c->pidfd = -1;
}

int pods_watch(struct pollfd *fds, int max)
{
	int n = 0;

	for (size_t i = 0; i < n_pods; i++)
		for (size_t j = 0; j < pods[i]->n_ctrs && n < max; j++)
			if (pods[i]->ctrs[j].pidfd >= 0)
				fds[n++] = (struct pollfd){
					.fd = pods[i]->ctrs[j].pidfd,
					.events = POLLIN
				};
	return n;
}

int pods_add(struct pod *spec, const char *file, enum pod_source src)
{
	char text[256];

	if (n_pods == PODS_MAX)
		return -ENOSPC;
	struct pod_rt *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->spec = spec;
	p->source = src;
	snprintf(p->file, sizeof(p->file), "%s", file);
	snprintf(p->dir, sizeof(p->dir), PODS_RUN_DIR "/%s", spec->name);
	for (size_t i = 0; i < spec->n_init + spec->n_containers; i++) {
		struct ctr_rt *c = &p->ctrs[p->n_ctrs++];
		c->is_init = i < spec->n_init;
		c->k = c->is_init ? &spec->init[i]
				  : &spec->containers[i - spec->n_init];
		snprintf(c->run_dir, sizeof(c->run_dir), "%s/%s", p->dir,
			 c->k->name);
		state_load(c); /* a run imaged left behind is adopted */
		run_read(c->run_dir, &c->ri);
		c->pidfd = -1;
		if (c->ri.live)
			watch(c);
	}
	snprintf(text, sizeof(text), "%s/ns", p->dir);
	p->sandbox = !access(text, F_OK);
	snprintf(text, sizeof(text), "%s/stopped", p->dir);
	p->stopped = !access(text, F_OK);
	snprintf(text, sizeof(text), "%s/ip", p->dir);
	if (read_text(text, p->ip, sizeof(p->ip)) < 0)
		p->ip[0] = '\0';
	p->ip[strcspn(p->ip, "\n")] = '\0';
	snprintf(text, sizeof(text), "%s/created", p->dir);
	char num[32];
	p->created = read_text(text, num, sizeof(num)) > 0 ? atoll(num) : 0;
	pods[n_pods++] = p;
	return 0;
}

/* One manifest; a bad one is logged and leaves every other pod be. */
static void load_file(const char *path, enum pod_source src)
{
	static char text[POD_TEXT_MAX + 1];
	char err[512];
	ssize_t n = read_text(path, text, sizeof(text));

	if (n < 0) {
		log_err("unable to read %s: %s; pod not loaded", path,
			strerror((int)-n));
		return;
	}
	struct pod *spec = malloc(sizeof(*spec));
	if (!spec || pod_parse(text, n, path, spec, err, sizeof(err))) {
		log_err("unable to load a pod: %s",
			spec ? err : "out of memory");
		free(spec);
		return;
	}
	struct pod_rt *old = pods_find(spec->name);
	if (old) {
		/* the ESP's config overrides the image's, as for other files */
		log_info("%s: pod %s replaces the one in %s", path, spec->name,
			 old->file);
		pods_remove(old);
	}
	if (pods_add(spec, path, src)) {
		log_err("unable to load a pod from %s: more than %d pods", path,
			PODS_MAX);
		free(spec);
	}
}

static void load_dir(const char *dir, enum pod_source src)
{
	struct dirent **names;
	char path[CTR_PATH_MAX];
	int n = scandir(dir, &names, NULL, alphasort);

	for (int i = 0; i < n; i++) {
		const char *d = names[i]->d_name, *dot = strrchr(d, '.');
		if (d[0] != '.' && dot &&
		    (!strcmp(dot, ".yaml") || !strcmp(dot, ".yml") ||
		     !strcmp(dot, ".json"))) {
			snprintf(path, sizeof(path), "%s/%s", dir, d);
			load_file(path, src);
		}
		free(names[i]);
	}
	if (n >= 0)
		free(names);
}

/* Runs of pods no manifest names any more (deleted while imaged was down) */
static void remove_orphans(void)
{
	DIR *d = opendir(PODS_RUN_DIR);
	struct dirent *e;
	char path[CTR_PATH_MAX + 300];

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || pods_find(e->d_name))
			continue;
		log_info("pod %s has no manifest any more; removing it",
			 e->d_name);
		struct pod ghost = { .name = e->d_name };
		struct pod_rt p = { .spec = &ghost };
		for (size_t i = 0; i < 2 * POD_CONTAINERS_MAX; i++)
			p.ctrs[i].pidfd = -1;
		snprintf(p.dir, sizeof(p.dir), PODS_RUN_DIR "/%.63s",
			 e->d_name);
		DIR *cd = opendir(p.dir);
		struct dirent *ce;
		while (cd && (ce = readdir(cd)) && p.n_ctrs < 32) {
			snprintf(path, sizeof(path), "%s/%s/run", p.dir,
				 ce->d_name);
			if (ce->d_name[0] == '.' || access(path, F_OK))
				continue;
			snprintf(p.ctrs[p.n_ctrs++].run_dir, CTR_PATH_MAX,
				 "%s/%.63s", p.dir, ce->d_name);
		}
		if (cd)
			closedir(cd);
		p.sandbox = true;
		pods_stop(&p);
		pods_remove(&p);
	}
	closedir(d);
}

void pods_init(const struct images_ctx *x, int fd, bool host_users)
{
	images = x;
	default_host_users = host_users;
	ready_fd = fd;
	load_dir(PODS_IMAGE_DIR, SRC_IMAGE);
	load_dir(PODS_ESP_DIR, SRC_ESP);
	load_dir(PODS_APPLIED_DIR, SRC_APPLIED);
	remove_orphans();
	log_info("%zu pods", n_pods);
}

static void ctr_cgroup(const struct pod_rt *p, const struct ctr_rt *c,
		       char *out, size_t len)
{
	snprintf(out, len, PODS_CGROUP "/%s/%s", p->spec->name,
		 c->k ? c->k->name : strrchr(c->run_dir, '/') + 1);
}

/* All its containers at once: a pod's stop takes one grace period. */
void pods_stop(struct pod_rt *p)
{
	char cgs[2 * POD_CONTAINERS_MAX][CTR_PATH_MAX];
	struct run_ref runs[2 * POD_CONTAINERS_MAX];

	for (size_t i = 0; i < p->n_ctrs; i++) {
		ctr_cgroup(p, &p->ctrs[i], cgs[i], sizeof(cgs[i]));
		runs[i] = (struct run_ref){ p->ctrs[i].run_dir, cgs[i] };
	}
	runs_stop(runs, p->n_ctrs, STOP_GRACE_MS);
	for (size_t i = 0; i < p->n_ctrs; i++)
		run_read(p->ctrs[i].run_dir, &p->ctrs[i].ri);
}

static void ignore_reply(char kind, const char *text, void *ctx)
{
	(void)kind;
	(void)text;
	(void)ctx;
}

static void netd_del(const char *name)
{
	char *argv[] = { "pod-del", (char *)name, NULL }, err[200];
	ctl_call("/run/netd.sock", argv, 10, ignore_reply, NULL, err,
		 sizeof(err));
}

/* Out of the table, its runtime state gone (the manifest stays). */
void pods_remove(struct pod_rt *p)
{
	char path[CTR_PATH_MAX + 64];

	for (size_t i = 0; i < p->n_ctrs; i++) {
		ctr_cgroup(p, &p->ctrs[i], path, sizeof(path));
		cgroup_destroy(path);
		unwatch(&p->ctrs[i]);
	}
	snprintf(path, sizeof(path), PODS_CGROUP "/%s", p->spec->name);
	rmdir(path);
	if (p->sandbox && !p->spec->host_network)
		netd_del(p->spec->name);
	if (p->puller > 0)
		kill(p->puller, SIGKILL);
	/* emptyDir tmpfs mounts (medium: Memory) go before their folders */
	snprintf(path, sizeof(path), PODS_VAR_DIR "/%s/volumes", p->spec->name);
	DIR *d = opendir(path);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		char vol[CTR_PATH_MAX + 128];
		snprintf(vol, sizeof(vol), "%s/%.63s", path, e->d_name);
		if (e->d_name[0] != '.')
			umount2(vol, MNT_DETACH);
	}
	if (d)
		closedir(d);
	sandbox_remove(p->dir);
	snprintf(path, sizeof(path), PODS_VAR_DIR "/%s", p->spec->name);
	store_rm_tree(path);
	for (size_t i = 0; i < n_pods; i++)
		if (pods[i] == p) {
			pods[i] = pods[--n_pods];
			free(p->spec);
			free(p);
			return;
		}
}

static void pull_missing(struct pod_rt *p)
{
	pid_t pid = fork();

	if (pid) {
		p->puller = pid > 0 ? pid : 0;
		return;
	}
	char err[1024], path[CTR_PATH_MAX + 16];
	snprintf(path, sizeof(path), "%s/pull.err", p->dir);
	for (size_t i = 0; i < p->n_ctrs; i++) {
		const char *ref = p->ctrs[i].k->image;
		if (images_pull_ref(images, ref, err, sizeof(err))) {
			char text[1100];
			snprintf(text, sizeof(text), "pull %s: %s", ref, err);
			write_atomic(path, text, strlen(text), 0644);
			_exit(1);
		}
	}
	unlink(path);
	_exit(0);
}

void pods_reaped(pid_t pid, int status)
{
	char path[CTR_PATH_MAX + 16];

	for (size_t i = 0; i < n_pods; i++) {
		struct pod_rt *p = pods[i];
		if (p->puller != pid)
			continue;
		p->puller = 0;
		if (WIFEXITED(status) && !WEXITSTATUS(status)) {
			p->error[0] = '\0';
			p->pull_bo.delay_ms = 0;
			return;
		}
		snprintf(path, sizeof(path), "%s/pull.err", p->dir);
		if (read_text(path, p->error, sizeof(p->error)) <= 0)
			snprintf(p->error, sizeof(p->error), "pull failed");
		/* ImagePullBackOff: the kubelet's 10 s doubling to 5 min */
		p->pull_next_ms = boottime_ms() + backoff_next(&p->pull_bo, 0);
		log_err("unable to pull pod %s's images: %s", p->spec->name,
			p->error);
		return;
	}
}

const char *pods_image_user(const char *ref)
{
	struct image_ref r;
	char want[IMAGE_REF_MAX + 1], have[IMAGE_REF_MAX + 1], err[300];

	if (image_ref_parse(ref, &r, err, sizeof(err)))
		return NULL;
	image_ref_format(&r, want, sizeof(want));
	for (size_t i = 0; i < n_pods; i++)
		for (size_t j = 0; j < pods[i]->n_ctrs; j++) {
			image_ref_format(&pods[i]->ctrs[j].k->ref, have,
					 sizeof(have));
			if (!strcmp(want, have))
				return pods[i]->spec->name;
		}
	return NULL;
}

/* Whether each container's image is in the store */
static bool images_present(const struct pod_rt *p)
{
	struct store_image img;
	char name[IMAGE_REF_MAX + 1];

	for (size_t i = 0; i < p->n_ctrs; i++) {
		image_ref_format(&p->ctrs[i].k->ref, name, sizeof(name));
		if (store_image_get(images->store, name, &img))
			return false;
	}
	return true;
}

static void keep_reply(char kind, const char *text, void *ctx)
{
	(void)kind;
	snprintf(ctx, 256, "%s", text);
}

static int netd_add(const struct pod *spec, const char *dir, char *ip,
		    size_t iplen, char *err, size_t errlen)
{
	char netns[CTR_PATH_MAX + 8], answer[256] = "", ports[1024] = "";
	char *argv[] = { "pod-add", (char *)spec->name, netns, ports, NULL };
	size_t used = 0;

	snprintf(netns, sizeof(netns), "%s/ns/net", dir);
	/* hostPort: netd forwards them to the pod ("tcp:8080:80,...") */
	for (int set = 0; set < 2; set++) {
		const struct pod_container *ks =
			set ? spec->containers : spec->init;
		size_t n = set ? spec->n_containers : spec->n_init;
		for (size_t i = 0; i < n; i++)
			for (size_t j = 0; j < ks[i].n_ports; j++) {
				const struct pod_port *pp = &ks[i].ports[j];
				if (pp->host_port && used < sizeof(ports) - 32)
					used += snprintf(
						ports + used,
						sizeof(ports) - used,
						"%s%s:%d:%d", used ? "," : "",
						pp->udp ? "udp" : "tcp",
						pp->host_port,
						pp->container_port);
			}
	}
	if (!used)
		argv[3] = NULL;
	int r = ctl_call("/run/netd.sock", argv, 30, keep_reply, answer, err,
			 errlen);
	if (r) {
		if (r > 0)
			snprintf(err, errlen, "netd: %s", answer);
		return -EIO;
	}
	/* "address 10.88.0.2/16 gateway ..." */
	char fmt[32];
	snprintf(fmt, sizeof(fmt), "address %%%zu[^/ ]", iplen - 1);
	if (sscanf(answer, fmt, ip) != 1)
		ip[0] = '\0';
	return 0;
}

int pods_sandbox_up(const struct pod *spec, const char *dir, bool userns,
		    char *ip, size_t iplen, char *err, size_t errlen)
{
	char text[512], path[CTR_PATH_MAX + 16];
	uint32_t base = 0;
	int r = 0;

	ip[0] = '\0';
	if (userns && (r = userns_pick(PODS_VAR_DIR, spec->name, &base)))
		snprintf(err, errlen, "host ids for its user namespace: %s",
			 r == -ENOSPC ? "every range is taken" : strerror(-r));
	if (!r)
		r = sandbox_create(spec, dir, base, err, errlen);
	if (!r && !spec->host_network)
		r = netd_add(spec, dir, ip, iplen, err, errlen);
	if (r) {
		sandbox_remove(dir);
		return r;
	}
	snprintf(text, sizeof(text),
		 "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost\n"
		 "%s%s%s%s",
		 ip, ip[0] ? "\t" : "", ip[0] ? spec->name : "",
		 ip[0] ? "\n" : "");
	snprintf(path, sizeof(path), "%s/hosts", dir);
	write_atomic(path, text, strlen(text), 0644);
	snprintf(path, sizeof(path), "%s/ip", dir);
	write_atomic(path, ip, strlen(ip), 0644);
	return 0;
}

void pods_sandbox_down(const struct pod *spec, const char *dir)
{
	if (!spec->host_network)
		netd_del(spec->name);
	sandbox_remove(dir);
}

static int sandbox(struct pod_rt *p)
{
	char err[300], text[512], path[CTR_PATH_MAX + 16];
	int r = pods_sandbox_up(p->spec, p->dir,
				pod_user_namespace(p->spec, default_host_users),
				p->ip, sizeof(p->ip), err, sizeof(err));

	if (r) {
		snprintf(p->error, sizeof(p->error), "%s", err);
		return r;
	}
	p->created = epoch_ms();
	snprintf(path, sizeof(path), "%s/created", p->dir);
	snprintf(text, sizeof(text), "%lld", p->created);
	write_atomic(path, text, strlen(text), 0644);
	p->sandbox = true;
	p->error[0] = '\0';
	log_info("pod %s: namespaces ready%s%s", p->spec->name,
		 p->ip[0] ? ", address " : "", p->ip);
	return 0;
}

/*
 * emptyDir with medium Memory: a tmpfs, sizeLimit its size (the kubelet
 * does the same); mounted once, by the first container of the pod.
 */
static int memory_volume(const char *dir, uint64_t size, uint32_t owner,
			 char *err, size_t errlen)
{
	struct stat st, up;
	char parent[CTR_PATH_MAX + 80], opts[96];

	snprintf(parent, sizeof(parent), "%s/..", dir);
	if (stat(dir, &st) || stat(parent, &up))
		return -errno;
	if (st.st_dev != up.st_dev)
		return 0; /* mounted already */
	/*
	 * a pod with its own user namespace: its root's (tmpfs has no
	 * idmapped mounts before Linux 6.3)
	 */
	int n = snprintf(opts, sizeof(opts), "mode=1777,uid=%u,gid=%u", owner,
			 owner);
	if (size)
		snprintf(opts + n, sizeof(opts) - n, ",size=%llu",
			 (unsigned long long)size);
	if (mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV, opts)) {
		snprintf(err, errlen, "emptyDir %.200s: %s", dir,
			 strerror(errno));
		return -errno;
	}
	return 0;
}

int pods_spec(const struct pod *pod, const struct pod_container *k,
	      const char *pod_dir, const char *run_dir, struct ctr_spec *s,
	      struct store_view *v, char *err, size_t errlen)
{
	struct store_image img;
	char name[IMAGE_REF_MAX + 1], snap[CTR_PATH_MAX + 8];
	const char *pn = pod->name, *cn = k->name;
	int r;

	image_ref_format(&k->ref, name, sizeof(name));
	if ((r = store_image_get(images->store, name, &img))) {
		snprintf(err, errlen, "%.200s is not in the store", name);
		return r;
	}
	if ((r = store_view(images->store, &img, v, err, errlen)) ||
	    (r = exec_merge(k, &v->c, &s->e, err, errlen)))
		return r;
	if (!v->m.n_layers) {
		snprintf(err, errlen, "%.200s has no layers", name);
		return -EINVAL;
	}
	/*
	 * Root's alone: what a container made (a setuid file, its secrets)
	 * must not be reachable by a host user, so no one but root passes
	 * this folder. chmod for a host whose older imaged made it 0755.
	 */
	if ((mkdir(PODS_VAR_DIR, 0700) && errno != EEXIST) ||
	    chmod(PODS_VAR_DIR, 0700)) {
		snprintf(err, errlen, "%s: %s", PODS_VAR_DIR, strerror(errno));
		return -errno;
	}
	s->pod = pod;
	s->k = k;
	snprintf(s->run_dir, sizeof(s->run_dir), "%s", run_dir);
	if (pod_dir)
		snprintf(s->ns_dir, sizeof(s->ns_dir), "%s/ns", pod_dir);
	snprintf(s->rootfs, sizeof(s->rootfs), "%s/rootfs", run_dir);
	snprintf(s->upper, sizeof(s->upper), PODS_VAR_DIR "/%s/%s/upper", pn,
		 cn);
	snprintf(s->work, sizeof(s->work), PODS_VAR_DIR "/%s/%s/work", pn, cn);
	snprintf(s->volumes, sizeof(s->volumes), PODS_VAR_DIR "/%s/volumes",
		 pn);
	snprintf(s->cgroup, sizeof(s->cgroup), PODS_CGROUP "/%s/%s", pn, cn);
	/* the sandbox says whether it has a user namespace, and which ids */
	snprintf(snap, sizeof(snap), "%s/user", s->ns_dir);
	if (pod_dir && !access(snap, F_OK) &&
	    (r = userns_recorded(PODS_VAR_DIR, pn, &s->userns_base))) {
		snprintf(err, errlen,
			 "pod %s has a user namespace but no ids "
			 "recorded: %s",
			 pn, strerror(-r));
		return r;
	}
	snprintf(s->log, sizeof(s->log), PODS_LOG_DIR "/%s/%s.log", pn, cn);
	s->log_max = POD_LOG_MAX;
	s->pids_max = POD_PIDS_MAX;
	/* overlayfs: the top layer first */
	size_t used = 0;
	for (size_t i = v->m.n_layers; i-- > 0;) {
		store_snapshot_path(images->store, v->chain[i], snap,
				    sizeof(snap));
		int n = snprintf(s->lower + used, sizeof(s->lower) - used,
				 "%s%s", used ? ":" : "", snap);
		if (n < 0 || (size_t)n >= sizeof(s->lower) - used) {
			snprintf(err, errlen,
				 "%.200s has too many layers for overlayfs",
				 name);
			return -E2BIG;
		}
		used += n;
	}
	/* emptyDir volumes, made once per pod */
	for (size_t i = 0; i < pod->n_volumes; i++)
		if (pod->volumes[i].kind == POD_VOL_EMPTY_DIR) {
			char dir[CTR_PATH_MAX + 64];
			snprintf(dir, sizeof(dir), "%s/%s", s->volumes,
				 pod->volumes[i].name);
			snprintf(snap, sizeof(snap), PODS_VAR_DIR "/%s", pn);
			mkdir(snap, 0700);
			mkdir(s->volumes, 0700);
			mkdir(dir, 0777);
			if (pod->volumes[i].memory &&
			    (r = memory_volume(dir, pod->volumes[i].size_limit,
					       s->userns_base, err, errlen)))
				return r;
			/* an empty folder, so no layer is ever chowned */
			if (!pod->volumes[i].memory && s->userns_base &&
			    chown(dir, s->userns_base, s->userns_base)) {
				snprintf(err, errlen, "emptyDir %.200s: %s",
					 dir, strerror(errno));
				return -errno;
			}
		}
	return 0;
}

/* A run of c: its spec made from the image in the store, then the shim. */
static int start(struct pod_rt *p, struct ctr_rt *c)
{
	struct store_view *v = malloc(sizeof(*v));
	struct ctr_spec *s = calloc(1, sizeof(*s));
	const char *pn = p->spec->name, *cn = c->k->name;
	int r = -ENOMEM;

	c->error[0] = '\0';
	if (!v || !s)
		snprintf(c->error, sizeof(c->error), "out of memory");
	else
		r = pods_spec(p->spec, c->k, p->dir, c->run_dir, s, v, c->error,
			      sizeof(c->error));
	if (!r) {
		pid_t shim = run_start(s, c->error, sizeof(c->error));
		r = shim < 0 ? (int)shim : 0;
		if (!r) {
			log_info("pod %s: started %s (%s)", pn, cn,
				 c->k->image);
			/* the shim writes run soon; until then this is the run */
			memset(&c->ri, 0, sizeof(c->ri));
			c->ri.live = true;
			c->ri.shim = shim;
			c->ri.started = epoch_ms();
			watch(c);
		}
	}
	if (r)
		log_err("unable to start pod %s container %s: %s", pn, cn,
			c->error);
	free(v);
	free(s);
	return r;
}

/* A run that ended: count it, and decide on the next per restartPolicy. */
static void ended(struct pod_rt *p, struct ctr_rt *c)
{
	const struct run_info *ri = &c->ri;
	long long id = ri->started ? ri->started : ri->finished;

	if (c->handled == id)
		return;
	c->handled = id;
	bool killed = ri->signal || ri->oom;
	bool again =
		c->is_init
			? ri->code != 0 && p->spec->restart != POD_RESTART_NEVER
			: restart_wanted(p->spec->restart, ri->code, killed);
	char how[320];
	if (ri->reason[0])
		snprintf(how, sizeof(how), "%s: %s",
			 ri->pid > 0 ? "ended" : "did not start", ri->reason);
	else if (ri->oom)
		snprintf(how, sizeof(how), "was killed: out of memory");
	else if (ri->signal)
		snprintf(how, sizeof(how), "was killed by signal %d",
			 ri->signal);
	else
		snprintf(how, sizeof(how), "exited with %d", ri->code);
	if (p->stopped) {
		log_info("pod %s: %s %s (stopped)", p->spec->name, c->k->name,
			 how);
	} else if (again) {
		int64_t d = backoff_next(&c->bo, ri->finished - ri->started);
		c->next_ms = boottime_ms() + d;
		log_info("pod %s: %s %s; starting again in %lld s",
			 p->spec->name, c->k->name, how, (long long)d / 1000);
	} else {
		c->done = true;
		if (c->is_init && ri->code)
			p->failed = true;
		log_info("pod %s: %s %s", p->spec->name, c->k->name, how);
	}
	state_save(c);
}

/* What the run's files say, or the start this imaged made before them */
static void refresh(struct ctr_rt *c)
{
	struct run_info r;

	run_read(c->run_dir, &r);
	if (!r.live && !r.ended && c->ri.live && !c->ri.pid && c->ri.shim > 0) {
		if (!kill(c->ri.shim, 0))
			return; /* the shim has not written its record yet */
		r = c->ri;
		r.live = false;
		r.ended = true;
		r.code = 128;
		snprintf(r.reason, sizeof(r.reason), "its shim ended early");
	}
	c->ri = r;
	if (!r.live)
		unwatch(c);
}

static void reconcile(struct pod_rt *p)
{
	long long now = boottime_ms();
	char err[300];

	for (size_t i = 0; i < p->n_ctrs; i++) {
		refresh(&p->ctrs[i]);
		if (p->ctrs[i].ri.ended)
			ended(p, &p->ctrs[i]);
	}
	if (p->stopped || p->failed || p->puller)
		return;
	if (!images_present(p)) {
		if (now >= p->pull_next_ms)
			pull_missing(p);
		return;
	}
	if (overlay_ready(err, sizeof(err))) {
		snprintf(p->error, sizeof(p->error), "%s", err);
		return;
	}
	if (!p->sandbox && sandbox(p))
		return;
	for (size_t i = 0; i < p->n_ctrs; i++) {
		struct ctr_rt *c = &p->ctrs[i];
		bool waits = c->ri.live || c->done || now < c->next_ms;
		if (waits) {
			/* init containers: one at a time, each to success */
			if (c->is_init && !c->done)
				return;
			continue;
		}
		if (c->handled)
			c->restarts++;
		c->next_ms = 0;
		if (start(p, c))
			/* tried again as a crash would be */
			c->next_ms = now + backoff_next(&c->bo, 0);
		state_save(c);
		if (c->is_init)
			return;
	}
}

void pods_status(const struct pod_rt *p, char *status, size_t len, int *ready,
		 int *total, int *restarts)
{
	const char *st = NULL;
	int inits = 0, inits_done = 0, completed = 0, failed = 0;

	*ready = *total = *restarts = 0;
	for (size_t i = 0; i < p->n_ctrs; i++) {
		const struct ctr_rt *c = &p->ctrs[i];
		*restarts += c->restarts;
		if (c->is_init) {
			inits++;
			inits_done += c->done && !c->ri.code;
			if (!st && !c->done && c->ri.ended)
				st = "Init:CrashLoopBackOff";
			continue;
		}
		(*total)++;
		*ready += c->ri.live;
		if (c->done) {
			completed += !c->ri.code;
			failed += !!c->ri.code;
		} else if (!c->ri.live && !st && (c->ri.ended || c->error[0]))
			st = c->error[0] ? "CreateContainerError"
			     : c->ri.oom ? "OOMKilled"
					 : "CrashLoopBackOff";
	}
	if (p->stopped)
		snprintf(status, len, "Stopped");
	else if (p->failed)
		snprintf(status, len, "Init:Error");
	else if (p->error[0])
		snprintf(status, len, "%s",
			 p->puller || !images_present(p) ? "ErrImagePull"
							 : "SandboxError");
	else if (p->puller)
		snprintf(status, len, "ContainerCreating");
	else if (inits_done < inits)
		snprintf(status, len, "%s", st ? st : "Init");
	else if (st)
		snprintf(status, len, "%s", st);
	else if (completed + failed == *total && *total)
		snprintf(status, len, failed ? "Error" : "Completed");
	else if (*ready == *total)
		snprintf(status, len, "Running");
	else
		snprintf(status, len, "ContainerCreating");
	if (!strcmp(status, "Init"))
		snprintf(status, len, "Init:%d/%d", inits_done, inits);
}

/* The health gate's half: every pod of the image and the ESP runs. */
static void report_ready(void)
{
	char status[64];
	int ready, total, restarts;

	if (ready_fd < 0)
		return;
	for (size_t i = 0; i < n_pods; i++) {
		if (pods[i]->source == SRC_APPLIED)
			continue;
		pods_status(pods[i], status, sizeof(status), &ready, &total,
			    &restarts);
		if (strcmp(status, "Running") && strcmp(status, "Completed"))
			return;
	}
	log_info("every pod of the image and the ESP runs: ready");
	(void)!write(ready_fd, "ready\n", 6);
	close(ready_fd);
	ready_fd = -1;
}

long long pods_due_in_ms(void)
{
	long long now = boottime_ms(), due = -1;

	for (size_t i = 0; i < n_pods; i++) {
		const struct pod_rt *p = pods[i];
		long long at = -1;
		if (p->stopped || p->failed || p->puller)
			continue;
		/* an error (no sandbox yet, no overlayfs): tried again */
		if (p->error[0])
			at = p->pull_next_ms > now ? p->pull_next_ms
						   : now + 1000;
		for (size_t j = 0; j < p->n_ctrs; j++) {
			const struct ctr_rt *c = &p->ctrs[j];
			if (!c->ri.live && !c->done && c->next_ms > now &&
			    (at < 0 || c->next_ms < at))
				at = c->next_ms;
		}
		if (at >= 0 && (due < 0 || at < due))
			due = at;
	}
	return due < 0 ? -1 : due > now ? due - now : 0;
}

void pods_tick(void)
{
	for (size_t i = 0; i < n_pods; i++)
		reconcile(pods[i]);
	report_ready();
}
