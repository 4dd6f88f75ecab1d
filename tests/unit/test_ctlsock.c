// SPDX-License-Identifier: MIT
#include "ctlsock.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

static char sock[64];

static int make_sock(void **state)
{
	(void)state;
	snprintf(sock, sizeof(sock), "/tmp/keel-test-ctl.%d", (int)getpid());
	return 0;
}

static int drop_sock(void **state)
{
	(void)state;
	unlink(sock);
	return 0;
}

struct answer {
	char kind;
	char text[256];
};

static void keep(char kind, const char *text, void *ctx)
{
	struct answer *a = ctx;

	a->kind = kind;
	snprintf(a->text, sizeof(a->text), "%s", text);
}

/* ctl_accept's answer to the last refused client (-EACCES), or 0 */
static int refusal;

/*
 * A client (forked, in a mount namespace of its own when other_ns) asks
 * "status"; what ctl_accept made of it, and what the client was told.
 */
static int ask(bool other_ns, struct answer *got)
{
	char req[128], *argv[CTL_ARGS_MAX + 1];
	int lfd = ctl_listen(sock), argc, fds[2];

	assert_true(lfd >= 0);
	assert_int_equal(pipe(fds), 0);
	pid_t pid = fork();
	if (!pid) {
		char *words[] = { "status", NULL }, err[128];
		struct answer a = { 0 };
		if (other_ns && unshare(CLONE_NEWNS))
			_exit(2);
		int r = ctl_call(sock, words, 5, keep, &a, err, sizeof(err));
		if (r < 0)
			snprintf(a.text, sizeof(a.text), "%s", err);
		(void)!write(fds[1], &a, sizeof(a));
		_exit(r < 0 ? 1 : 0);
	}
	close(fds[1]);
	/* the listener is non-blocking: wait for the client */
	int fd = -1;
	refusal = 0;
	for (int i = 0; i < 500 && fd < 0; i++) {
		fd = ctl_accept(lfd, req, sizeof(req), argv, &argc);
		/* no client yet (the listener is non-blocking), or refused */
		if (fd < 0 && fd != -EAGAIN)
			assert_int_equal(fd, -EACCES);
		if (fd == -EACCES)
			refusal = fd;
		if (fd < 0)
			usleep(10000);
		else if (!strcmp(argv[0], "status"))
			ctl_send(fd, CTL_OK, "fine");
		/* a refusal is answered inside ctl_accept: stop waiting */
		if (fd < 0 && waitpid(pid, NULL, WNOHANG) == pid) {
			pid = 0;
			break;
		}
	}
	int was_accepted = fd >= 0;
	if (fd >= 0)
		close(fd);
	close(lfd);
	memset(got, 0, sizeof(*got));
	assert_int_equal(read(fds[0], got, sizeof(*got)), sizeof(*got));
	close(fds[0]);
	if (pid)
		waitpid(pid, NULL, 0);
	return was_accepted;
}

static void test_host_peer_is_heard(void **state)
{
	struct answer a;

	(void)state;
	assert_null(ctl_peer_refused(getpid()));
	assert_true(ask(false, &a));
	assert_int_equal(refusal, 0);
	assert_int_equal(a.kind, CTL_OK);
	assert_string_equal(a.text, "fine");
}

/* a peer the kernel could not name in our PID namespace */
static void test_unseen_peer_is_refused(void **state)
{
	(void)state;
	assert_non_null(strstr(ctl_peer_refused(0), "PID namespace"));
}

/*
 * root in another mount namespace (a container's) is refused before its
 * request is looked at, and is told so
 */
static void test_other_mount_namespace_is_refused(void **state)
{
	struct answer a;

	(void)state;
	if (getuid() || getenv("KEEL_QEMU_USER"))
		skip(); /* unshare needs root; qemu-user's /proc differs */
	assert_false(ask(true, &a));
	assert_int_equal(refusal, -EACCES);
	assert_int_equal(a.kind, CTL_ERR);
	assert_non_null(strstr(a.text, "permission denied"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_host_peer_is_heard,
						make_sock, drop_sock),
		cmocka_unit_test(test_unseen_peer_is_refused),
		cmocka_unit_test_setup_teardown(
			test_other_mount_namespace_is_refused, make_sock,
			drop_sock),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
