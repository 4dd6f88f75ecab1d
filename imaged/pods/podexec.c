// SPDX-License-Identifier: MIT
#include "pods/podexec.h"
#include "pods/enter.h"
#include "pods/term.h"
#include "run/console.h"
#include "run/container.h"
#include "imaged.h"
#include "run/seccomp.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

/* how long imagectl exec waits for a container still setting up */
#define EXEC_SETUP_WAIT_MS 5000

/*
 * What imagectl does itself for pods, being root on the same host: read
 * a container's log, and exec into it. exec needs no help from imaged:
 * the container's process tells everything (its namespaces, cgroup,
 * user, capabilities, environment), so it works while imaged restarts.
 */

static int die(const char *fmt, const char *a, const char *b)
{
	fprintf(stderr, "imagectl: ");
	fprintf(stderr, fmt, a, b);
	fputc('\n', stderr);
	return 1;
}

int pod_pick(const char *dir, const char *pod, const char *ctr,
	     const char *suffix, char *out, size_t len)
{
	char path[CTR_PATH_MAX];
	struct dirent *e;
	int found = 0;
	/* a log is <ctr>.log; a run is a folder <ctr>/ with a run file */

	if (ctr) {
		snprintf(out, len, "%s", ctr);
		return 0;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, pod);
	DIR *d = opendir(path);
	if (!d)
		return die("no pod %s here (imagectl pods)", pod, "");
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name), s = strlen(suffix);
		char run[CTR_PATH_MAX + 300];
		snprintf(run, sizeof(run), "%s/%s/run", path, e->d_name);
		if (e->d_name[0] == '.' || n <= s ||
		    strcmp(e->d_name + n - s, suffix) ||
		    (!s && access(run, F_OK)))
			continue;
		if (found++) {
			closedir(d);
			return die("pod %s has more than one container: say "
				   "which with -c%s",
				   pod, "");
		}
		snprintf(out, len, "%.*s", (int)(n - s), e->d_name);
	}
	closedir(d);
	return found ? 0 : die("pod %s has no container to show%s", pod, "");
}

static void copy(int fd, off_t *pos)
{
	char buf[16384];
	ssize_t n;

	while ((n = pread(fd, buf, sizeof(buf), *pos)) > 0) {
		if (write_full(1, buf, n))
			exit(0); /* the reader went away */
		*pos += n;
	}
}

int pod_logs_main(int argc, char **argv)
{
	const char *pod = NULL, *ctr = NULL, *ns = "default";
	bool follow = false;
	char name[256], path[CTR_PATH_MAX + 300], key[POD_NAME_MAX + 1];
	struct stat st;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-f") || !strcmp(argv[i], "--follow"))
			follow = true;
		else if (!strcmp(argv[i], "-n") && i + 1 < argc)
			ns = argv[++i];
		else if (!strcmp(argv[i], "-c") && i + 1 < argc)
			ctr = argv[++i];
		else if (!pod && argv[i][0] != '-')
			pod = argv[i];
		else if (!ctr && argv[i][0] != '-')
			ctr = argv[i];
		else
			return die("logs: unexpected '%s'%s", argv[i], "");
	}
	if (!pod)
		return die("usage: imagectl logs [-f] [-n NS] POD [-c "
			   "CONTAINER]%s%s",
			   "", "");
	/* a pod's folders go by its key: <ns>_<name> beside default's */
	if (pod_key(ns, pod, key, sizeof(key)))
		return die("no pod %s in namespace %s", pod, ns);
	pod = key;
	if (pod_pick(PODS_LOG_DIR, pod, ctr, ".log", name, sizeof(name)))
		return 1;
	/* the rotated half first */
	snprintf(path, sizeof(path), PODS_LOG_DIR "/%s/%s.log.1", pod, name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	off_t pos = 0;
	if (fd >= 0) {
		copy(fd, &pos);
		close(fd);
	}
	snprintf(path, sizeof(path), PODS_LOG_DIR "/%s/%s.log", pod, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return die("%s: %s", path, strerror(errno));
	pos = 0;
	copy(fd, &pos);
	while (follow) {
		usleep(200000);
		copy(fd, &pos);
		/* rotated: the new file from its start */
		if (stat(path, &st) == 0 && st.st_size < pos) {
			close(fd);
			fd = open(path, O_RDONLY | O_CLOEXEC);
			pos = 0;
		} else if (stat(path, &st) == 0) {
			struct stat cur;
			if (fstat(fd, &cur) == 0 && cur.st_ino != st.st_ino) {
				copy(fd, &pos);
				close(fd);
				fd = open(path, O_RDONLY | O_CLOEXEC);
				pos = 0;
			}
		}
		if (fd < 0)
			return 1;
	}
	close(fd);
	return 0;
}

/* The exit code of child as a shell gives it */
static int exit_code(int st)
{
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/*
 * Between our terminal (raw, so keys reach the container's as typed)
 * and the container's, until the program ends; its exit code.
 */
static int relay(int master, pid_t child)
{
	struct termios saved;
	bool restore = term_raw(&saved);
	char buf[4096];
	int st = 0;

	term_watch_size();
	for (;;) {
		struct pollfd p[2] = { { .fd = 0, .events = POLLIN },
				       { .fd = master, .events = POLLIN } };
		struct winsize ws;
		if (term_resized(&ws))
			ioctl(master, TIOCSWINSZ, &ws);
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents) {
			ssize_t n = read(master, buf, sizeof(buf));
			/* EIO: every process holding the terminal is gone */
			if (n <= 0 || write_full(1, buf, n))
				break;
		}
		if (p[0].revents & POLLIN) {
			ssize_t n = read(0, buf, sizeof(buf));
			if (n <= 0 || write_full(master, buf, n))
				p[0].fd = -1;
		} else if (p[0].revents)
			break;
	}
	if (restore)
		term_restore(&saved);
	close(master);
	while (waitpid(child, &st, 0) < 0)
		if (errno != EINTR)
			return 1;
	return exit_code(st);
}

static pid_t forward_to;

static void forward(int sig)
{
	if (forward_to > 0)
		kill(forward_to, sig);
}

/*
 * Our stdin into the program's, its stdout and stderr out to ours, until
 * it has ended and said all it had (a process it left behind holding
 * the pipes does not keep us). A signal for imagectl goes to it.
 */
static int relay_pipes(pid_t child, int in, int out, int err)
{
	struct pollfd p[3] = { { .fd = 0, .events = POLLIN },
			       { .fd = out, .events = POLLIN },
			       { .fd = err, .events = POLLIN } };
	static const int dest[3] = { -1, 1, 2 };
	char buf[16384];
	int st = 0, ended = 0;

	forward_to = child;
	for (int sig = 1; sig < NSIG; sig++)
		if (sig == SIGINT || sig == SIGTERM || sig == SIGQUIT ||
		    sig == SIGHUP)
			signal(sig, forward);
	signal(SIGPIPE, SIG_IGN);
	fcntl(out, F_SETFL, O_NONBLOCK);
	fcntl(err, F_SETFL, O_NONBLOCK);
	while (p[1].fd >= 0 || p[2].fd >= 0) {
		if (!ended && waitpid(child, &st, WNOHANG) == child)
			ended = 1;
		/* once it has ended: what is in the pipes, then done */
		int n = poll(p, 3, ended ? 0 : 200);
		if (n < 0 && errno != EINTR)
			break;
		if (n == 0 && ended)
			break;
		for (int k = 0; k < 3 && n > 0; k++) {
			if (p[k].fd < 0 || !p[k].revents)
				continue;
			ssize_t got = read(p[k].fd, buf, sizeof(buf));
			if (got < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (k == 0) {
				if (got <= 0 || write_full(in, buf, got)) {
					close(in);
					p[0].fd = -1;
				}
			} else if (got <= 0) {
				close(p[k].fd);
				p[k].fd = -1;
			} else
				write_full(dest[k], buf, got);
		}
	}
	if (p[0].fd >= 0)
		close(in);
	while (!ended && waitpid(child, &st, 0) < 0)
		if (errno != EINTR)
			return 1;
	return exit_code(st);
}

/* exec's arguments: the pod, the container, -t, where the command is */
struct exec_args {
	const char *pod, *ctr, *ns;
	bool tty;
	char **argv; /* the command */
	char key[POD_NAME_MAX + 1];
};

static int exec_args(int argc, char **argv, struct exec_args *a)
{
	int i = 1;

	for (; i < argc; i++) {
		if (!strcmp(argv[i], "--")) {
			i++;
			break;
		}
		if (!strcmp(argv[i], "-t") || !strcmp(argv[i], "-it") ||
		    !strcmp(argv[i], "-ti"))
			a->tty = true;
		else if (!strcmp(argv[i], "-i"))
			continue; /* stdin is always passed */
		else if (!strcmp(argv[i], "-c") && i + 1 < argc)
			a->ctr = argv[++i];
		else if (!strcmp(argv[i], "-n") && i + 1 < argc)
			a->ns = argv[++i];
		else if (!a->pod && argv[i][0] != '-')
			a->pod = argv[i];
		else
			break;
	}
	if (a->pod &&
	    pod_key(a->ns ? a->ns : "default", a->pod, a->key, sizeof(a->key)))
		return die("no pod %s in namespace %s", a->pod,
			   a->ns ? a->ns : "default");
	if (a->pod)
		a->pod = a->key;
	if (!a->pod || i >= argc)
		return die("usage: imagectl exec [-t] [-n NS] [-c CONTAINER] "
			   "POD -- "
			   "COMMAND [ARG]...%s%s",
			   "", "");
	if (a->tty && !isatty(0))
		return die("exec -t: standard input is not a terminal%s%s", "",
			   "");
	a->argv = argv + i;
	return 0;
}

/* from its run file */
int pod_target(const char *pod, const char *name, pid_t *pid, char *cwd,
	       size_t len)
{
	char path[CTR_PATH_MAX + 300], text[4096];

	snprintf(path, sizeof(path), PODS_RUN_DIR "/%s/%s/exit", pod, name);
	bool ended = !access(path, F_OK);
	snprintf(path, sizeof(path), PODS_RUN_DIR "/%s/%s/run", pod, name);
	if (ended || read_text(path, text, sizeof(text)) <= 0)
		return die("container %s of pod %s is not running", name, pod);
	const char *p = strstr(text, "pid="), *c = strstr(text, "cwd=");
	*pid = p ? atoi(p + 4) : 0;
	snprintf(cwd, len, "%.*s", c ? (int)strcspn(c + 4, "\n") : 1,
		 c ? c + 4 : "/");
	if (*pid <= 0 || kill(*pid, 0))
		return die("container %s of pod %s is not running", name, pod);
	return 0;
}

/* -t: a terminal of the container's own devpts, as kubectl exec -t */
static int open_tty(int *master, int *slave)
{
	int r = pty_open(master, slave);
	struct winsize ws;

	if (r)
		return die("a terminal in the container: %s%s", strerror(-r),
			   "");
	/* before the program starts: it may ask for its size at once */
	if (!ioctl(0, TIOCGWINSZ, &ws))
		ioctl(*master, TIOCSWINSZ, &ws);
	return 0;
}

/* The program, started in its own session on the terminal or pipes */
static int spawn(const struct exec_args *a, const struct ctr_entry *e,
		 const char *cwd)
{
	int master = -1, slave = -1;
	/*
	 * Without -t: pipes, never the caller's own descriptors. A program
	 * that kept the caller's terminal could type into the admin's shell
	 * with TIOCSTI once imagectl returns.
	 */
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, errp[2] = { -1, -1 };

	if (a->tty && open_tty(&master, &slave))
		return 1;
	if (!a->tty && (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) ||
			pipe2(errp, O_CLOEXEC)))
		return die("pipes for the program: %s%s", strerror(errno), "");
	pid_t child = fork();
	if (child < 0)
		return die("fork: %s%s", strerror(errno), "");
	if (!child) {
		/* a session of its own: no controlling terminal of ours */
		if (setsid() < 0)
			_exit(die("setsid: %s%s", strerror(errno), ""));
		if (a->tty &&
		    (ioctl(slave, TIOCSCTTY, 0) || dup2(slave, 0) < 0 ||
		     dup2(slave, 1) < 0 || dup2(slave, 2) < 0))
			_exit(die("the terminal: %s%s", strerror(errno), ""));
		if (!a->tty && (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0 ||
				dup2(errp[1], 2) < 0))
			_exit(die("stdio: %s%s", strerror(errno), ""));
		enter_exec(e, cwd, a->argv);
	}
	if (a->tty) {
		close(slave);
		return relay(master, child);
	}
	close(in[0]);
	close(out[1]);
	close(errp[1]);
	return relay_pipes(child, in[1], out[0], errp[0]);
}

int pod_exec_main(int argc, char **argv)
{
	struct exec_args a = { .tty = false };
	struct ctr_entry e;
	char name[256], cwd[CTR_PATH_MAX], err[600];
	pid_t pid = 0;

	if (exec_args(argc, argv, &a) ||
	    pod_pick(PODS_RUN_DIR, a.pod, a.ctr, "", name, sizeof(name)) ||
	    pod_target(a.pod, name, &pid, cwd, sizeof(cwd)))
		return 1;
	char run_dir[CTR_PATH_MAX];
	snprintf(run_dir, sizeof(run_dir), "%s/%s/%s", PODS_RUN_DIR, a.pod,
		 name);
	/* a container just started: its setup may take a moment more */
	int r, tries = EXEC_SETUP_WAIT_MS / 50;
	while ((r = enter_open(pid, run_dir, &e, err, sizeof(err))) ==
		       -EAGAIN &&
	       tries--) {
		enter_close(&e);
		usleep(50 * 1000);
	}
	if (r || enter_join(&e, true, err, sizeof(err)))
		return die("%s%s", err, "");
	return spawn(&a, &e, cwd);
}
