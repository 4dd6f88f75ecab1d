// SPDX-License-Identifier: MIT
#include "control.h"
#include "ctlsock.h"
#include "config.h"
#include "log.h"
#include "supervise.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

int control_open(void)
{
	return ctl_listen(CONTROL_SOCKET);
}

static void __attribute__((noreturn)) debug_hang(void)
{
	/* Test images only: wedge the main loop so the watchdog fires. */
	log_err("debug: main loop hanging on request");
	for (;;)
		pause();
}

enum shutdown_kind control_handle(int lfd)
{
	static char status[CTL_MSG_MAX - 1];
	char req[128], msg[160], *argv[CTL_ARGS_MAX + 1];
	enum shutdown_kind how = SHUTDOWN_NONE;
	int argc;
	int fd = ctl_accept(lfd, req, sizeof(req), argv, &argc);

	if (fd < 0)
		return SHUTDOWN_NONE;
	const char *verb = argv[0], *arg = argc == 2 ? argv[1] : NULL;
	if (argc > 2) {
		ctl_send(fd, CTL_ERR, "too many words in the request");
	} else if (!strcmp(verb, "status") && !arg) {
		services_status(status, sizeof(status));
		ctl_send(fd, CTL_OK, status);
	} else if (!strcmp(verb, "health") && !arg) {
		/* imaged's update health gate asks this */
		int r = services_health(status, sizeof(status));
		ctl_send(fd, r ? CTL_ERR : CTL_OK, status);
	} else if ((!strcmp(verb, "start") || !strcmp(verb, "stop") ||
		    !strcmp(verb, "restart")) &&
		   arg && *arg) {
		int r = service_control(verb, arg, msg, sizeof(msg));
		ctl_send(fd, r ? CTL_ERR : CTL_OK, msg);
	} else if (!arg && (how = shutdown_for_name(verb)) != SHUTDOWN_NONE) {
		ctl_sendf(fd, CTL_OK, "%s: going down", verb);
	} else if (CONFIG_KEEL_INIT_DEBUG_HOOKS &&
		   !strcmp(verb, "debug-hang")) {
		ctl_send(fd, CTL_OK, "hanging");
		close(fd);
		debug_hang();
	} else {
		ctl_sendf(fd, CTL_ERR, "unknown request '%s%s%s'", verb,
			  arg ? " " : "", arg ? arg : "");
	}
	close(fd);
	return how;
}

static int usage(void)
{
	fprintf(stderr, "usage: initctl status\n"
			"       initctl health\n"
			"       initctl start|stop|restart <service>\n"
			"       initctl reboot|poweroff|halt\n");
	return 2;
}

int initctl_main(int argc, char **argv)
{
	char err[160];

	if (argc < 2 || argc > 3 || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "--help"))
		return usage();
	int r = ctl_call(CONTROL_SOCKET, argv + 1, 10, ctl_print_reply, NULL,
			 err, sizeof(err));
	if (r < 0)
		fprintf(stderr, "initctl: %s\n", err);
	return r ? 1 : 0;
}
