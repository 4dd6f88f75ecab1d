// SPDX-License-Identifier: MIT
/*
 * ctr_harness: one container started by imaged's own container.c on the
 * build host, for tests/integration/test_container.py.
 *
 *   ctr_harness [-u USER] [-m LOG] [-S SECCOMP_DIR] POD.yaml LOWER DIR NS_DIR
 *               [CMD [ARG]...]
 *
 * The first container of POD.yaml (and the pod's volumes) over the
 * overlay lowerdir LOWER (top layer first). DIR holds what runtime.c and
 * pods.c would make under /run and /var/lib: upper/, work/, rootfs/ and
 * volumes/<emptyDir>/. NS_DIR's ../hosts, ../hostname, ../resolv.conf go
 * over the container's /etc. CMD replaces the container's command and
 * args; -u is the image config's User (a name is looked up in the
 * image's /etc/passwd). The image config is otherwise empty. -m appends
 * each mount(2) container.c makes to LOG, "TARGET\tTYPE\tSOURCE\n" with the
 * target as the kernel resolved it on the host side (before pivot_root),
 * so a test sees where every mount landed. -S is where a seccompProfile
 * Localhost's file is looked up, in place of /etc/keel/seccomp (read
 * as pods/podspec.c reads it, before the container's process starts).
 *
 * As runtime.c's shim does it: new PID, IPC and UTS namespaces, then in
 * the child (PID 1 there) new mount and cgroup namespaces. Exits
 * with the container's status (128 + signal when killed), or 127 with
 * "ctr_harness: <step>: <reason>" on stderr when the setup failed. No
 * cgroup limits: that is the shim's part, not container.c's.
 */
#include "run/console.h"
#include "run/container.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/*
 * container.c raises RLIMIT_NOFILE's hard limit to containerd's 524288,
 * which needs CAP_SYS_RESOURCE; a build host (a container itself, or a
 * VM's sandbox) may not have it. Linked with -Wl,--wrap=setrlimit: try
 * as asked, and only when the kernel refuses a raise, keep the current
 * hard limit (the soft one, 1024, is still set and checked).
 */
int __real_setrlimit(__rlimit_resource_t res, const struct rlimit *rl);
int __wrap_setrlimit(__rlimit_resource_t res, const struct rlimit *rl);
int __wrap_setrlimit(__rlimit_resource_t res, const struct rlimit *rl)
{
	struct rlimit cur, capped;

	if (!__real_setrlimit(res, rl))
		return 0;
	if (errno != EPERM || getrlimit(res, &cur) ||
	    rl->rlim_max <= cur.rlim_max)
		return -1;
	capped = (struct rlimit){ rl->rlim_cur, cur.rlim_max };
	if (capped.rlim_cur > capped.rlim_max)
		capped.rlim_cur = capped.rlim_max;
	return __real_setrlimit(res, &capped);
}

static int mount_log = -1;

/*
 * Linked with -Wl,--wrap=mount: container.c mounts on /proc/self/fd/N,
 * whose link says where that is.
 */
/* an fd's path as its /proc/self/fd link says, other paths as they are */
static void fd_path(const char *path, char *out, size_t len)
{
	ssize_t n = -1;

	if (path && !strncmp(path, "/proc/self/fd/", 14))
		n = readlink(path, out, len - 1);
	if (n < 0)
		n = snprintf(out, len, "%s", path ? path : "-");
	out[n] = '\0';
}

int __real_mount(const char *src, const char *target, const char *type,
		 unsigned long flags, const void *data);
int __wrap_mount(const char *src, const char *target, const char *type,
		 unsigned long flags, const void *data);
int __wrap_mount(const char *src, const char *target, const char *type,
		 unsigned long flags, const void *data)
{
	char where[4096], from[4096], line[8300];
	int n;

	if (mount_log >= 0) {
		fd_path(target, where, sizeof(where));
		fd_path(src, from, sizeof(from));
		n = snprintf(line, sizeof(line), "%s\t%s\t%s\n", where,
			     type ? type : "-", from);
		if (write(mount_log, line, n) != n)
			return -1;
	}
	return __real_mount(src, target, type, flags, data);
}

static struct pod pod;
static struct oci_config config;
static struct ctr_spec spec;
static struct seccomp_filter seccomp;

static void usage(void)
{
	fprintf(stderr,
		"usage: ctr_harness [-u USER] [-m LOG] [-S SECCOMP_DIR] "
		"POD.yaml LOWER DIR NS_DIR [CMD [ARG]...]\n");
	exit(2);
}

static void die(const char *what, int e)
{
	fprintf(stderr, "ctr_harness: %s: %s\n", what, strerror(e));
	exit(127);
}

static char *slurp(const char *file, size_t *len)
{
	FILE *f = fopen(file, "re");
	char *text = malloc(POD_TEXT_MAX + 1);

	if (!f || !text)
		die(file, errno);
	*len = fread(text, 1, POD_TEXT_MAX + 1, f);
	if (ferror(f) || *len > POD_TEXT_MAX)
		die(file, ferror(f) ? EIO : EFBIG);
	fclose(f);
	return text;
}

static void path(char *out, const char *dir, const char *name)
{
	if ((size_t)snprintf(out, CTR_PATH_MAX, "%s/%s", dir, name) >=
	    CTR_PATH_MAX)
		die(dir, ENAMETOOLONG);
}

static void make_dir(const char *dir, mode_t mode)
{
	if (mkdir(dir, mode) && errno != EEXIST)
		die(dir, errno);
}

/* What the container's terminal shows, to our stdout, until it closes */
static void relay_terminal(int master)
{
	char buf[4096];
	ssize_t n;

	if (master < 0)
		return;
	/* EIO: no process holds the terminal any more */
	while ((n = read(master, buf, sizeof(buf))) > 0 ||
	       (n < 0 && errno == EINTR))
		if (n > 0 && write(1, buf, n) != n)
			break;
	close(master);
}

int main(int argc, char **argv)
{
	char err[512];
	size_t len;
	const char *seccomp_dir = SECCOMP_PROFILE_DIR;
	int opt, status;

	while ((opt = getopt(argc, argv, "+u:m:S:")) != -1) {
		if (opt == 'S') {
			seccomp_dir = optarg;
		} else if (opt == 'm') {
			mount_log =
				open(optarg,
				     O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
				     0644);
			if (mount_log < 0)
				die(optarg, errno);
		} else if (opt != 'u' ||
			   snprintf(config.user, sizeof(config.user), "%s",
				    optarg) >= (int)sizeof(config.user))
			usage();
	}
	if (argc - optind < 4)
		usage();
	const char *file = argv[optind], *dir = argv[optind + 2];
	char *text = slurp(file, &len);
	if (pod_parse(text, len, file, &pod, err, sizeof(err))) {
		fprintf(stderr, "ctr_harness: %s\n", err);
		return 127;
	}
	free(text);
	if (!pod.n_containers)
		usage();
	struct pod_container *k = &pod.containers[0];
	char **cmd = argv + optind + 4;
	if (*cmd) {
		k->n_command = k->n_args = 0;
		for (; *cmd && k->n_command < POD_ARGS_MAX; cmd++)
			k->command[k->n_command++] = *cmd;
		k->command[k->n_command] = NULL;
		k->args[0] = NULL;
	}
	if (exec_merge(k, &config, &spec.e, err, sizeof(err))) {
		fprintf(stderr, "ctr_harness: %s\n", err);
		return 127;
	}
	spec.pod = &pod;
	spec.k = k;
	if (k->seccomp == POD_SECCOMP_LOCALHOST && !k->privileged) {
		if (seccomp_profile_load(seccomp_dir, k->seccomp_profile,
					 &seccomp, err, sizeof(err))) {
			fprintf(stderr, "ctr_harness: %s\n", err);
			return 127;
		}
		spec.seccomp = &seccomp;
	}
	if ((size_t)snprintf(spec.lower, sizeof(spec.lower), "%s",
			     argv[optind + 1]) >= sizeof(spec.lower))
		die("LOWER", ENAMETOOLONG);
	if ((size_t)snprintf(spec.ns_dir, sizeof(spec.ns_dir), "%s",
			     argv[optind + 3]) >= sizeof(spec.ns_dir))
		die("NS_DIR", ENAMETOOLONG);
	path(spec.upper, dir, "upper");
	path(spec.work, dir, "work");
	path(spec.rootfs, dir, "rootfs");
	path(spec.volumes, dir, "volumes");
	make_dir(dir, 0755);
	make_dir(spec.upper, 0755);
	make_dir(spec.work, 0755);
	make_dir(spec.rootfs, 0755);
	make_dir(spec.volumes, 0755);
	/* each volume's source: emptyDir made as pods/podvols.c makes it */
	for (size_t i = 0; i < pod.n_volumes; i++)
		if (pod.volumes[i].kind == POD_VOL_EMPTY_DIR) {
			path(spec.vol_src[i], spec.volumes,
			     pod.volumes[i].name);
			make_dir(spec.vol_src[i], 0777);
		} else if (pod.volumes[i].kind == POD_VOL_HOST_PATH) {
			snprintf(spec.vol_src[i], sizeof(spec.vol_src[i]), "%s",
				 pod.volumes[i].host_path);
		}

	/* the shim's namespaces (the pod's IPC and UTS made here) */
	if (unshare(CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS))
		die("unshare", errno);
	/* tty: its terminal comes back as it comes to the shim */
	int console[2] = { -1, -1 };
	if (k->tty &&
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, console))
		die("socketpair", errno);
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		die("fork", errno);
	if (!pid) {
		/* pivot_root moves every process of the mount namespace */
		if (unshare(CLONE_NEWNS | CLONE_NEWCGROUP))
			snprintf(err, sizeof(err), "unshare: %s",
				 strerror(errno));
		else
			ctr_setup_and_exec(&spec, console[1], err, sizeof(err));
		fprintf(stderr, "ctr_harness: %s\n", err);
		_exit(127);
	}
	if (k->tty) {
		close(console[1]);
		relay_terminal(console_receive(console[0]));
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			die("waitpid", errno);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
