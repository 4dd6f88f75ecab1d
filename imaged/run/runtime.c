// SPDX-License-Identifier: MIT
#include "run/runtime.h"
#include "errmsg.h"
#include "run/shim.h"
#include "log.h"
#include "ctlsock.h"
#include "imaged.h"
#include "store/store.h"
#include "run/userns.h"
#include "pods/pause.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define POD_MODULES "/lib/modules/pods.list"

long long epoch_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static int put(const char *dir, const char *file, const char *text)
{
	char path[CTR_PATH_MAX + 64];
	int fd, r = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_CLOEXEC | O_TRUNC | O_CREAT, 0644);
	if (fd < 0)
		return -errno;
	r = write_full(fd, text, strlen(text));
	close(fd);
	return r;
}

int overlay_ready(char *err, size_t errlen)
{
	char text[4096], *line;

	if (read_text("/proc/filesystems", text, sizeof(text)) > 0 &&
	    strstr(text, "\toverlay\n"))
		return 0;
	if (read_text(POD_MODULES, text, sizeof(text)) < 0)
		return errmsg(err, errlen, -ENOENT,
			      "overlayfs is not in this kernel and %s is "
			      "missing",
			      POD_MODULES);
	for (line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		const char *base = strrchr(line, '/');
		if (!base || strcmp(base, "/overlay.ko"))
			continue;
		int fd = open(line, O_RDONLY | O_CLOEXEC);
		if (fd < 0 ||
		    (syscall(SYS_finit_module, fd, "", 0) && errno != EEXIST)) {
			int e = errno;
			if (fd >= 0)
				close(fd);
			return errmsg_errno(err, errlen, -e, e, "load %s",
					    line);
		}
		close(fd);
		return 0;
	}
	return errmsg(err, errlen, -ENOENT,
		      "overlayfs is not in this kernel nor in %s", POD_MODULES);
}

static void cgroup_write(const char *dir, const char *file, const char *text)
{
	int r = put(dir, file, text);

	if (r && strcmp(file, "memory.swap.max"))
		log_warn("unable to write %s/%s: %s", dir, file, strerror(-r));
}

/* Controllers for the containers below: pods/, then pods/<pod>/ */
static int cgroup_prepare(const struct ctr_spec *s)
{
	char pod[CTR_PATH_MAX];
	char *slash;
	int r;

	snprintf(pod, sizeof(pod), "%s", s->cgroup);
	slash = strrchr(pod, '/');
	*slash = '\0';
	if ((r = mkdir_parents(pod, 0755)))
		return r;
	put(PODS_CGROUP, "cgroup.subtree_control", "+cpu +memory +pids");
	put(pod, "cgroup.subtree_control", "+cpu +memory +pids");
	if (mkdir(s->cgroup, 0755) && errno != EEXIST)
		return -errno;
	/* what a run before left behind goes now */
	put(s->cgroup, "cgroup.kill", "1");
	return 0;
}

/* Kubernetes' limits as cgroup v2 files (the kubelet's cgroup v2 mapping) */
static void cgroup_limits(const struct ctr_spec *s)
{
	char v[64];
	const struct pod_container *k = s->k;

	if (k->cpu_millis) {
		/* a period of 100 ms, quota in proportion */
		snprintf(v, sizeof(v), "%llu 100000",
			 (unsigned long long)(k->cpu_millis * 100 < 1000
						      ? 1000
						      : k->cpu_millis * 100));
		cgroup_write(s->cgroup, "cpu.max", v);
	} else
		cgroup_write(s->cgroup, "cpu.max", "max 100000");
	if (k->memory_bytes) {
		snprintf(v, sizeof(v), "%llu",
			 (unsigned long long)k->memory_bytes);
		cgroup_write(s->cgroup, "memory.max", v);
	} else
		cgroup_write(s->cgroup, "memory.max", "max");
	cgroup_write(s->cgroup, "memory.swap.max", "0");
	/* an OOM kill takes the whole container, not one of its processes */
	cgroup_write(s->cgroup, "memory.oom.group", "1");
	snprintf(v, sizeof(v), "%ld", s->pids_max);
	cgroup_write(s->cgroup, "pids.max", s->pids_max > 0 ? v : "max");
}

void cgroup_destroy(const char *path)
{
	put(path, "cgroup.kill", "1");
	/* the kill is asynchronous: rmdir succeeds once it has landed */
	for (int i = 0; i < 100 && rmdir(path) && errno == EBUSY; i++)
		usleep(20000);
}

static int join_ns(const char *ns_dir, const char *name, int type)
{
	char path[CTR_PATH_MAX + 16];
	int fd, r;

	snprintf(path, sizeof(path), "%s/%s", ns_dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = setns(fd, type) ? -errno : 0;
	close(fd);
	return r;
}

/* The shim leaves imaged behind: its cgroup, session, files, signals. */
static void shim_detach(void)
{
	/* out of imaged's service cgroup, which dies with imaged */
	mkdir(SHIMS_CGROUP, 0755);
	put(SHIMS_CGROUP, "cgroup.procs", "0");
	setsid();
	/* none of imaged's files: its socket, its log pipe, its readiness */
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	for (int fd = 0; fd < 3 && null >= 0; fd++)
		dup2(null, fd);
	if (syscall(SYS_close_range, 3, ~0U, 0))
		for (int fd = 3; fd < 1024; fd++)
			close(fd);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, SIG_IGN); /* the container is stopped, not its shim */
}

/*
 * What the container needs before it starts: a fresh writable layer (as
 * a restarted container gets), its cgroup with the pod's limits, the
 * folder of its log. 0, or -errno with reason saying why.
 */
static int shim_prepare(const struct ctr_spec *s, char *reason, size_t len)
{
	char path[CTR_PATH_MAX + 8];
	int r;

	snprintf(path, sizeof(path), "%s/exit", s->run_dir);
	unlink(path);
	store_rm_tree(s->upper);
	store_rm_tree(s->work);
	r = mkdir_parents(s->upper, 0755);
	if (!r)
		r = mkdir_parents(s->work, 0755);
	if (!r)
		r = mkdir_parents(s->rootfs, 0755);
	/* the root's own folder is the container root's */
	if (!r && s->userns_base &&
	    chown(s->upper, s->userns_base, s->userns_base))
		r = -errno;
	if (r)
		return errmsg_errno(reason, len, r, -r, "%.200s", s->upper);
	if ((r = cgroup_prepare(s)))
		return errmsg_errno(reason, len, r, -r, "cgroup %.200s",
				    s->cgroup);
	cgroup_limits(s);
	snprintf(path, sizeof(path), "%s", s->log);
	*strrchr(path, '/') = '\0';
	mkdir_parents(path, 0755);
	return 0;
}

/*
 * The pod's shared namespaces (a lone run, imagectl run, has the host's
 * network and an IPC namespace of its own), and a PID namespace for the
 * container, its first child. 0 or -errno.
 */
static int shim_namespaces(const struct ctr_spec *s)
{
	int r;

	if (s->ns_dir[0]) {
		r = s->pod->host_ipc ? 0
				     : join_ns(s->ns_dir, "ipc", CLONE_NEWIPC);
		if (!r && !s->pod->host_network)
			r = join_ns(s->ns_dir, "uts", CLONE_NEWUTS);
		if (!r && !s->pod->host_network)
			r = join_ns(s->ns_dir, "net", CLONE_NEWNET);
	} else
		r = unshare(CLONE_NEWIPC) ? -errno : 0;
	/*
	 * its own PID namespace; the pod's with shareProcessNamespace (its
	 * pause holds it), the host's with hostPID
	 */
	if (!r && s->pod->share_pid && s->ns_dir[0])
		r = join_ns(s->ns_dir, "pid", CLONE_NEWPID);
	else if (!r && !s->pod->host_pid && unshare(CLONE_NEWPID))
		r = -errno;
	return r;
}

/*
 * The shim's child: into the container's cgroup and new mount and cgroup
 * namespaces, output to the out pipe and stdin from in (or /dev/null),
 * then the container's own setup (its terminal from console) and
 * execve. Whatever stops it is written to errp. Never returns.
 */
static void container_child(const struct ctr_spec *s, int out, int errp, int in,
			    int console)
{
	char err[512];
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	/* what the shim ignores, the container must not (an ignored
	 * signal stays ignored through execve) */
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (int sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	/* a pod is what the OOM killer takes first, not imaged's -900 */
	write_text("/proc/self/oom_score_adj", "0");
	int r = put(s->cgroup, "cgroup.procs", "0");
	if (r)
		errmsg_errno(err, sizeof(err), r, -r, "join %.400s", s->cgroup);
	else if (unshare(CLONE_NEWNS | CLONE_NEWCGROUP))
		errmsg_errno(err, sizeof(err), -errno, errno, "unshare");
	else if (dup2(in >= 0 ? in : null, 0) < 0 || dup2(out, 1) < 0 ||
		 dup2(out, 2) < 0)
		errmsg_errno(err, sizeof(err), -errno, errno, "stdio");
	else
		ctr_setup_and_exec(s, console, err, sizeof(err));
	write_full(errp, err, strlen(err));
	_exit(127);
}

/*
 * stdin and tty: a pipe for stdin, the shim holding its write end, or a
 * socket the container's terminal comes back on (console.h). Each end
 * -1 when not asked for; 0 or -errno.
 */
static int shim_stdio(const struct ctr_spec *s, int in[2], int console[2])
{
	in[0] = in[1] = console[0] = console[1] = -1;
	if (s->k->tty)
		return socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
				  console)
			       ? -errno
			       : 0;
	if (s->k->open_stdin)
		return pipe2(in, O_CLOEXEC) ? -errno : 0;
	return 0;
}

/*
 * The shim's first half, a fork of imaged: the container's cgroup,
 * layer and namespaces, then the container itself; then the shim
 * becomes keel-shim (shim.c) to watch it. Never returns.
 */
static void shim(const struct ctr_spec *s)
{
	prctl(PR_SET_NAME, "keel-shim", 0, 0, 0);
	char reason[256] = "", path[CTR_PATH_MAX + 8], text[256];
	int out[2], errp[2], in[2], console[2], r;

	shim_detach();
	if (shim_prepare(s, reason, sizeof(reason)))
		goto ended;
	if (pipe2(out, O_CLOEXEC) || pipe2(errp, O_CLOEXEC) ||
	    (r = shim_stdio(s, in, console))) {
		errmsg_errno(reason, sizeof(reason), -errno, errno, "pipe");
		goto ended;
	}
	if ((r = shim_namespaces(s))) {
		errmsg_errno(reason, sizeof(reason), r, -r,
			     "the pod's namespaces");
		goto ended;
	}
	long long ooms = shim_oom_kills(s->cgroup);
	pid_t pid = fork();
	if (pid < 0) {
		errmsg_errno(reason, sizeof(reason), -errno, errno, "fork");
		goto ended;
	}
	if (!pid)
		container_child(s, out[1], errp[1], in[0], console[1]);
	close(out[1]);
	close(errp[1]);
	if (in[0] >= 0)
		close(in[0]);
	if (console[1] >= 0)
		close(console[1]);
	snprintf(text, sizeof(text), "pid=%d\nshim=%d\nstarted=%lld\ncwd=%s\n",
		 pid, getpid(), epoch_ms(), s->e.cwd[0] ? s->e.cwd : "/");
	snprintf(path, sizeof(path), "%s/run", s->run_dir);
	write_atomic(path, text, strlen(text), 0644);

	struct shim_run watch = {
		.run_dir = s->run_dir,
		.log = s->log,
		.cgroup = s->cgroup,
		.log_max = s->log_max,
		.ooms = ooms,
		.pid = pid,
		.out = out[0],
		.errp = errp[0],
		.in = in[1],
		.console = console[0],
		.open_stdin = s->k->open_stdin,
		.stdin_once = s->k->stdin_once_,
	};
	shim_exec(&watch);
	shim_watch(&watch); /* no keel-shim beside imaged: the same, here */
ended:
	shim_write_exit(s->run_dir, s->cgroup, 0, 0, reason);
	_exit(0);
}

pid_t run_start(const struct ctr_spec *s, char *err, size_t errlen)
{
	char path[CTR_PATH_MAX + 8];
	int r = mkdir_parents(s->run_dir, 0755);

	if (r)
		return errmsg_errno(err, errlen, r, -r, "%s", s->run_dir);
	snprintf(path, sizeof(path), "%s/run", s->run_dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/exit", s->run_dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/" RUN_EXECD, s->run_dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/" CTR_SECCOMP_FILE, s->run_dir);
	if (!s->seccomp || s->k->privileged)
		unlink(path);
	else if ((r = write_atomic(path, s->seccomp->f,
				   s->seccomp->n * sizeof(*s->seccomp->f),
				   0600)))
		return errmsg_errno(err, errlen, r, -r, "%s", path);
	pid_t pid = fork();
	if (pid < 0)
		return errmsg_errno(err, errlen, -errno, errno, "fork");
	if (!pid)
		shim(s);
	return pid;
}

/* ns_dir/<name>: a bind mount of the holder's namespace */
static int pin(const char *ns_dir, pid_t holder, const char *name)
{
	char src[64], dst[CTR_PATH_MAX + 16];
	int fd;

	snprintf(src, sizeof(src), "/proc/%d/ns/%s", holder, name);
	snprintf(dst, sizeof(dst), "%s/%s", ns_dir, name);
	fd = open(dst, O_WRONLY | O_CREAT | O_CLOEXEC, 0444);
	if (fd < 0)
		return -errno;
	close(fd);
	return mount(src, dst, NULL, MS_BIND, NULL) ? -errno : 0;
}

/* /proc/<pid>/<file>: "0 <base> USERNS_SIZE" */
static int write_map(pid_t pid, const char *file, uint32_t base)
{
	char path[64], map[64];

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	userns_map(base, map, sizeof(map));
	return write_text(path, map);
}

/*
 * The holder: a child that makes the pod's namespaces and waits while
 * they are pinned. With a user namespace that comes first, and the
 * others are made inside it, so they belong to it: container root then
 * holds CAP_NET_BIND_SERVICE and CAP_NET_RAW in its own network
 * namespace, and nothing in the host's. Each step's errno (0: done)
 * goes back on up; it waits on go for its id maps.
 */
/* A pod's safe sysctls, in its new namespaces: 0 or an errno */
static int sysctls(const struct pod *p)
{
	char path[256];

	for (size_t i = 0; i < p->n_sysctls; i++) {
		int n = snprintf(path, sizeof(path), "/proc/sys/%s",
				 p->sysctls[i].key);
		for (char *c = path + 10; n > 0 && *c; c++)
			if (*c == '.')
				*c = '/';
		if (write_text(path, p->sysctls[i].value))
			return errno ? errno : EIO;
	}
	return 0;
}

/*
 * shareProcessNamespace: a process that is pid 1 of the pod's PID
 * namespace for as long as the pod is, reaping what ends in it (the
 * kubelet's pause). keel-shim's file under the name keel-pause, so it
 * is no imaged to pidof; the loop itself if that cannot be.
 */
static void pause_main(void)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 16);
	char *slash = n > 0 ? (exe[n] = '\0', strrchr(exe, '/')) : NULL;
	char *argv[] = { "keel-pause", NULL }, *envp[] = { NULL };

	setsid();
	if (slash) {
		strcpy(slash + 1, "keel-shim");
		execve(exe, argv, envp);
	}
	pods_pause_main();
}

static void holder_main(const struct pod *p, int flags, bool userns, int up,
			int go)
{
	const char *host = p->hostname ? p->hostname : p->name;
	char c = 0;

	if (userns) {
		c = unshare(CLONE_NEWUSER) ? (char)errno : 0;
		if (write(up, &c, 1) != 1 || c || read(go, &c, 1) != 1)
			_exit(1);
	}
	if (unshare(flags) ||
	    (!p->host_network && sethostname(host, strlen(host))))
		c = (char)errno;
	if (!c)
		c = (char)sysctls(p);
	pid_t pid1 = 0;
	if (!c && (flags & CLONE_NEWPID) && (pid1 = fork()) == 0)
		pause_main();
	if (pid1 < 0)
		c = (char)errno;
	(void)!write(up, &c, 1);
	(void)!write(up, &pid1, sizeof(pid1));
	pause(); /* until the namespaces are pinned */
	_exit(0);
}

/*
 * The pause: its PID namespace pinned, its process out of imaged's
 * cgroup into the pod's (pods/<key>/pause), its pid kept.
 */
static int pause_keep(const struct pod *p, const char *pod_dir,
		      const char *ns_dir, pid_t pid1)
{
	char cg[CTR_PATH_MAX], num[24];
	int r = pin(ns_dir, pid1, "pid");

	snprintf(cg, sizeof(cg), PODS_CGROUP "/%s/pause", p->key);
	snprintf(num, sizeof(num), "%d", (int)pid1);
	if (!r && (r = mkdir_parents(cg, 0755)) == 0)
		r = put(cg, "cgroup.procs", num);
	if (!r)
		r = put(pod_dir, "pause", num);
	if (r)
		kill(pid1, SIGKILL);
	return r;
}

/* The holder's answer to one step: 0 or -errno. */
static int holder_step(int up)
{
	char c = 1;

	if (read(up, &c, 1) != 1)
		return -EIO;
	return -(int)(unsigned char)c;
}

int sandbox_create(const struct pod *p, const char *pod_dir,
		   uint32_t userns_base, char *err, size_t errlen)
{
	char ns_dir[CTR_PATH_MAX], text[4096];
	int up[2], go[2], r;
	bool userns = userns_base != 0;

	snprintf(ns_dir, sizeof(ns_dir), "%s/ns", pod_dir);
	if ((r = mkdir_parents(ns_dir, 0755))) {
		snprintf(err, errlen, "%s: %s", ns_dir, strerror(-r));
		return r;
	}
	if (pipe2(up, O_CLOEXEC))
		return -errno;
	if (pipe2(go, O_CLOEXEC)) {
		r = -errno;
		close(up[0]);
		close(up[1]);
		return r;
	}
	int flags = (p->host_ipc ? 0 : CLONE_NEWIPC) |
		    (p->host_network ? 0 : CLONE_NEWUTS | CLONE_NEWNET) |
		    (p->share_pid ? CLONE_NEWPID : 0);
	pid_t pid1 = 0;
	pid_t holder = fork();
	if (!holder)
		holder_main(p, flags, userns, up[1], go[0]);
	close(up[1]);
	close(go[0]);
	r = holder < 0 ? -errno : 0;
	if (!r && userns && !(r = holder_step(up[0])) &&
	    !(r = write_map(holder, "uid_map", userns_base)) &&
	    !(r = write_map(holder, "gid_map", userns_base)))
		r = write(go[1], "", 1) == 1 ? 0 : -EIO;
	if (!r)
		r = holder_step(up[0]);
	if (!r && read(up[0], &pid1, sizeof(pid1)) != sizeof(pid1))
		r = -EIO;
	if (r)
		snprintf(err, errlen, "the pod's namespaces: %s", strerror(-r));
	else if ((userns && (r = pin(ns_dir, holder, "user"))) ||
		 (!p->host_ipc && (r = pin(ns_dir, holder, "ipc"))) ||
		 (!p->host_network && ((r = pin(ns_dir, holder, "uts")) ||
				       (r = pin(ns_dir, holder, "net")))) ||
		 (pid1 > 0 && (r = pause_keep(p, pod_dir, ns_dir, pid1))))
		snprintf(err, errlen, "pin the pod's namespaces: %s",
			 strerror(-r));
	close(up[0]);
	close(go[1]);
	if (holder > 0) {
		kill(holder, SIGKILL);
		waitpid(holder, NULL, 0);
	}
	if (r)
		return r;
	/* what the kubelet puts in a pod's /etc */
	char host[256] = "";
	if (p->host_network)
		gethostname(host, sizeof(host));
	snprintf(text, sizeof(text), "%s\n",
		 p->host_network ? host
		 : p->hostname	 ? p->hostname
				 : p->name);
	put(pod_dir, "hostname", text);
	ssize_t n = read_text("/etc/resolv.conf", text, sizeof(text));
	if (n >= 0)
		put(pod_dir, "resolv.conf", text);
	return 0;
}

void sandbox_remove(const char *pod_dir)
{
	static const char *const names[] = { "ipc", "uts", "net", "user",
					     "pid" };
	char path[CTR_PATH_MAX + 16];

	for (size_t i = 0; i < 5; i++) {
		snprintf(path, sizeof(path), "%s/ns/%s", pod_dir, names[i]);
		umount2(path, MNT_DETACH);
	}
	store_rm_tree(pod_dir);
}
