// SPDX-License-Identifier: MIT
#include "daemon.h"
#include "clock.h"
#include "ctlsock.h"
#include "imaged.h"
#include "imaged_conf.h"
#include "images/images.h"
#include "log.h"
#include "os/osreq.h"
#include "os/revision.h"
#include "pods/podreq.h"
#include "pods/pods.h"

#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/*
 * imaged, the daemon. It answers imagectl on /run/imaged.sock; images
 * (images/) are pulled and kept in the store (store/); pods (pods/) run
 * as containers (run/) that outlive it; the OS (os/) is updated into the
 * other slot and judged at boot. One loop: a request, a child that
 * ended (SIGCHLD), or the time something is due wakes it.
 */

static struct imaged_conf conf;
static struct store store;
static struct images_ctx images = { .store = &store };
static bool host_parts; /* a keel host's daemon, not --images-only */

static sigset_t handled;

/* A child starts with none of the daemon's signals held back. */
static void child_unblock(void)
{
	sigprocmask(SIG_UNBLOCK, &handled, NULL);
}

static int signals_open(void)
{
	sigemptyset(&handled);
	sigaddset(&handled, SIGCHLD);
	sigaddset(&handled, SIGTERM);
	sigaddset(&handled, SIGINT);
	sigprocmask(SIG_BLOCK, &handled, NULL);
	pthread_atfork(NULL, NULL, child_unblock);
	return signalfd(-1, &handled, SFD_CLOEXEC | SFD_NONBLOCK);
}

static void handle(int fd, int argc, char **argv)
{
	const char *user;
	pid_t child;

	if (host_parts && argc == 2 && !strcmp(argv[0], "rm") &&
	    (user = pods_image_user(argv[1]))) {
		ctl_sendf(fd, CTL_ERR,
			  "%s is used by pod %s (imagectl delete it first)",
			  argv[1], user);
		return;
	}
	if (images_handle(&images, fd, argc, argv, &child) ||
	    (host_parts &&
	     (pods_handle(fd, argc, argv) || os_handle(fd, argc, argv))))
		return;
	ctl_sendf(fd, CTL_ERR, "unknown request '%s%s%s' (imagectl --help)",
		  argv[0], argc > 1 ? " " : "", argc > 1 ? argv[1] : "");
}

/* Every child that ended, to whoever started it. */
static void reap(void)
{
	pid_t pid;
	int status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		if (host_parts && !os_reaped(pid, status))
			pods_reaped(pid, status);
}

/* ms until the next thing is due, for poll: -1 for none */
static int timeout_ms(void)
{
	long long due = -1;

	if (host_parts) {
		long long os = os_due_in_ms(), p = pods_due_in_ms();
		due = os < 0 ? p : p < 0 || os < p ? os : p;
	}
	return due > INT32_MAX ? INT32_MAX : (int)due;
}

static int usage(void)
{
	fprintf(stderr,
		"usage: imaged [--images-only] [--store DIR] [--socket PATH] "
		"[--registries FILE]\n"
		"  (settings: /etc/keel/imaged.conf, "
		"/etc/keel/registries.conf)\n");
	return 2;
}

/* init hears "ready" once the image's and the ESP's pods run */
static int ready_fd(void)
{
	const char *env = getenv("READY_FD");
	int fd = env ? atoi(env) : -1;

	if (fd <= 2)
		return -1;
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	return fd;
}

int imaged_main(int argc, char **argv)
{
	char req[CTL_MSG_MAX], *args[CTL_ARGS_MAX + 1], err[600];
	const char *store_dir = STORE_DIR, *sock = IMAGED_SOCKET;
	int nargs;
	unsigned seed;

	host_parts = true;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--images-only"))
			host_parts = false;
		else if (!strcmp(argv[i], "--store") && i + 1 < argc)
			store_dir = argv[++i];
		else if (!strcmp(argv[i], "--socket") && i + 1 < argc)
			sock = argv[++i];
		else if (!strcmp(argv[i], "--registries") && i + 1 < argc)
			images.regconf_path = argv[++i];
		else
			return usage();
	}
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stderr, NULL, _IOLBF, 0);
	log_name("imaged");
	int sfd = signals_open();
	if (sfd < 0) {
		log_err("unable to open a signalfd: %s", strerror(errno));
		return 1;
	}
	conf_load(&conf);
	/* a fleet booted together must not poll together */
	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != sizeof(seed))
		seed = getpid() ^ (unsigned)monotonic_ms();
	srandom(seed);
	mkdir(IMAGED_RUN_DIR, 0700);
	if (store_open(&store, store_dir, err, sizeof(err)))
		log_err("unable to open the image store: %s; pulls will fail",
			err);
	else
		store_clean_tmp(&store);
	int lfd = ctl_listen(sock);
	if (lfd < 0) {
		log_err("unable to listen on %s: %s", sock, strerror(-lfd));
		return 1;
	}
	if (host_parts) {
		/* images the build preloaded: in the background, once */
		if (!access(PRELOAD_DIR, F_OK) && !fork()) {
			images_preload(&images, PRELOAD_DIR);
			_exit(0);
		}
		os_start(&conf);
		pods_init(&images, ready_fd(), conf.default_host_users,
			  revision_file(), revision_cut_off());
		pods_tick(); /* no pods: ready at once, not a poll later */
	}
	log_info("listening on %s", sock);
	for (;;) {
		struct pollfd pfd[2 + PODS_WATCH_MAX] = {
			{ .fd = lfd, .events = POLLIN },
			{ .fd = sfd, .events = POLLIN },
		};
		int n = 2 +
			(host_parts ? pods_watch(pfd + 2, PODS_WATCH_MAX) : 0);
		if (poll(pfd, n, timeout_ms()) < 0 && errno != EINTR) {
			log_err("unable to poll: %s", strerror(errno));
			return 1;
		}
		struct signalfd_siginfo si;
		while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
			if (si.ssi_signo != SIGCHLD) {
				log_info("signal %d: exiting",
					 (int)si.ssi_signo);
				return 0;
			}
			reap();
		}
		if (pfd[0].revents) {
			int fd =
				ctl_accept(lfd, req, sizeof(req), args, &nargs);
			if (fd >= 0) {
				handle(fd, nargs, args);
				close(fd);
			}
		}
		if (host_parts) {
			os_tick();
			pods_tick();
		}
	}
}
