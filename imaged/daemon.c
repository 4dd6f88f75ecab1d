// SPDX-License-Identifier: MIT
#include "clock.h"
#include "ctlsock.h"
#include "imaged.h"
#include "images.h"
#include "log.h"
#include "pods.h"
#include "slots.h"
#include "update.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/*
 * imaged, the daemon: answers imagectl on /run/imaged.sock. Long work (an
 * install, the boot-time health gate) runs in a child process so status
 * requests are answered throughout.
 */

static struct imaged_conf conf;

static pid_t install_pid, gate_pid;
static bool pods_on; /* the daemon of a keel host, not --images-only */

static struct store store;
static struct images_ctx images = { .store = &store };

/* The image's settings, then the user's on the ESP over them. */
static void conf_load(struct imaged_conf *c)
{
	const char *paths[] = { IMAGED_CONF, ESP_UPDATE_CONF };
	char text[8192], err[160];

	conf_defaults(c);
	for (int i = 0; i < 2; i++) {
		long n = read_text(paths[i], text, sizeof(text));
		if (n == -ENOENT)
			continue;
		if (n < 0)
			say("%s: %s; ignored", paths[i], strerror(-n));
		else if (conf_parse(c, text, err, sizeof(err)))
			say("%s: %s; the whole file is ignored", paths[i], err);
	}
}

/* interval +-25%, so a fleet does not poll in step */
static long next_poll_ms(void)
{
	long ms = conf.poll_interval * 1000L;
	return monotonic_ms() + ms * 3 / 4 + random() % (ms / 2 + 1);
}

static bool flag(char **argv, int argc, const char *name)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], name))
			return true;
	return false;
}

static void os_update(int fd, int argc, char **argv)
{
	const char *source = NULL;
	bool reboot = conf.update_reboot;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--force"))
			continue;
		else if (!strcmp(argv[i], "--reboot"))
			reboot = true;
		else if (!strcmp(argv[i], "--no-reboot"))
			reboot = false;
		else if (!source && argv[i][0] != '-')
			source = argv[i];
		else {
			ctl_sendf(fd, CTL_ERR, "os update: unexpected '%s'",
				  argv[i]);
			return;
		}
	}
	if (!source) {
		ctl_send(fd, CTL_ERR, "os update: which bundle?");
		return;
	}
	if (install_pid > 0) {
		ctl_send(fd, CTL_ERR,
			 "an update is already being installed "
			 "(imagectl os status)");
		return;
	}
	install_pid = fork();
	if (install_pid < 0) {
		install_pid = 0;
		ctl_sendf(fd, CTL_ERR, "fork: %s", strerror(errno));
		return;
	}
	if (install_pid)
		return;

	struct progress p = { .fd = fd, .status_file = UPDATE_STATUS_FILE };
	char err[512];
	int r = update_install(&conf, source, flag(argv, argc, "--force"), &p,
			       err, sizeof(err));
	if (r) {
		char line[600];
		snprintf(line, sizeof(line), "failed: %s", err);
		write_atomic(UPDATE_STATUS_FILE, line, strlen(line), 0644);
		say("update from %s %s", source, line);
		ctl_send(fd, CTL_ERR, err);
		_exit(1);
	}
	if (!reboot) {
		ctl_send(fd, CTL_OK, "it starts at the next reboot");
		_exit(0);
	}
	if (!window_wait_s(conf.window_start, conf.window_end,
			   time(NULL) % 86400)) {
		ctl_send(fd, CTL_OK, "rebooting into it now");
		request_reboot();
		_exit(0);
	}
	/* the client need not wait for the window */
	ctl_sendf(fd, CTL_OK,
		  "it starts at a reboot in the window %02d:%02d-%02d:%02d UTC",
		  conf.window_start / 60, conf.window_start % 60,
		  conf.window_end / 60, conf.window_end % 60);
	p.fd = -1;
	reboot_when_allowed(&conf, &p);
	_exit(0);
}

static void handle(int fd, int argc, char **argv)
{
	static char text[8192];
	char msg[512];
	pid_t child;

	const char *user;
	if (pods_on && argc == 2 && !strcmp(argv[0], "rm") &&
	    (user = pods_image_user(argv[1]))) {
		ctl_sendf(fd, CTL_ERR,
			  "%s is used by pod %s (imagectl delete "
			  "it first)",
			  argv[1], user);
		return;
	}
	if (images_handle(&images, fd, argc, argv, &child))
		return;
	if (pods_on && pods_handle(fd, argc, argv))
		return;
	if (argc >= 2 && !strcmp(argv[0], "os")) {
		argv++;
		argc--;
		if (!strcmp(argv[0], "status") && argc == 1) {
			update_status(text, sizeof(text));
			ctl_send(fd, CTL_OK, text);
			return;
		}
		if (!strcmp(argv[0], "update")) {
			os_update(fd, argc, argv);
			return;
		}
		if (!strcmp(argv[0], "rollback") &&
		    (argc == 1 ||
		     (argc == 2 && flag(argv, argc, "--no-reboot")))) {
			if (install_pid > 0) {
				ctl_send(fd, CTL_ERR,
					 "an update is being "
					 "installed");
				return;
			}
			/* the gate would mark the slot we leave good again */
			if (gate_pid > 0) {
				kill(gate_pid, SIGKILL);
				waitpid(gate_pid, NULL, 0);
				gate_pid = 0;
				esp_writable(false);
			}
			int r = update_rollback(msg, sizeof(msg));
			if (r || argc == 2) {
				ctl_send(fd, r ? CTL_ERR : CTL_OK, msg);
				return;
			}
			ctl_sendf(fd, CTL_OK, "%s; rebooting now", msg);
			request_reboot();
			return;
		}
	}
	ctl_sendf(fd, CTL_ERR, "unknown request '%s%s%s' (imagectl --help)",
		  argv[0], argc > 1 ? " " : "", argc > 1 ? argv[1] : "");
}

static void reap(void)
{
	pid_t pid;
	int status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pid == install_pid)
			install_pid = 0;
		if (pid == gate_pid)
			gate_pid = 0;
		if (pods_on)
			pods_reaped(pid, status);
	}
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

int imaged_main(int argc, char **argv)
{
	char req[CTL_MSG_MAX], *args[CTL_ARGS_MAX + 1], err[600];
	const char *store_dir = STORE_DIR, *sock = IMAGED_SOCKET;
	bool os_parts = true;
	int nargs;

	shim_argv0 = argv[0];
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--images-only"))
			os_parts = false;
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
	conf_load(&conf);
	unsigned seed;
	/* a fleet booted together must not poll together */
	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != sizeof(seed))
		seed = getpid() ^ (unsigned)monotonic_ms();
	srandom(seed);
	mkdir(IMAGED_RUN_DIR, 0700);
	if (store_open(&store, store_dir, err, sizeof(err)))
		say("image store: %s; pulls will fail", err);
	else
		store_clean_tmp(&store);
	if (os_parts) {
		unlink(UPDATE_STATUS_FILE);
		/* an install killed midway (crash, OOM) may have left it writable */
		esp_writable(false);
	}
	int lfd = ctl_listen(sock);
	if (lfd < 0) {
		say("unable to listen on %s: %s", sock, strerror(-lfd));
		return 1;
	}
	/* images the build preloaded: in the background, once */
	if (os_parts && !access(PRELOAD_DIR, F_OK) && !fork()) {
		images_preload(&images, PRELOAD_DIR);
		_exit(0);
	}
	if (os_parts) {
		gate_pid = fork();
		if (!gate_pid) {
			update_boot_check(&conf);
			_exit(0);
		}
		if (gate_pid < 0) {
			say("fork: %s; no health gate this boot",
			    strerror(errno));
			gate_pid = 0;
		}
	}
	if (os_parts) {
		/* init hears "ready" once the image's and the ESP's pods run */
		const char *env = getenv("READY_FD");
		int rfd = env ? atoi(env) : -1;
		if (rfd > 2)
			fcntl(rfd, F_SETFD, FD_CLOEXEC);
		pods_on = true;
		pods_init(&images, rfd > 2 ? rfd : -1, conf.default_host_users);
		pods_tick(); /* no pods: ready at once, not a poll later */
	}
	say("listening on %s", sock);
	long poll_at = os_parts && conf.channel_url[0] ? next_poll_ms() : -1;
	for (;;) {
		struct pollfd pfd = { .fd = lfd, .events = POLLIN };
		int n = poll(&pfd, 1, 1000);
		reap();
		if (pods_on)
			pods_tick();
		if (poll_at >= 0 && monotonic_ms() >= poll_at) {
			/* not while the gate judges this boot or an install runs */
			if (!gate_pid && !install_pid &&
			    !(install_pid = fork())) {
				autoupdate_poll(&conf);
				_exit(0);
			}
			if (install_pid < 0)
				install_pid = 0;
			poll_at = next_poll_ms();
		}
		if (n <= 0)
			continue;
		int fd = ctl_accept(lfd, req, sizeof(req), args, &nargs);
		if (fd < 0)
			continue;
		handle(fd, nargs, args);
		close(fd);
	}
}
