// SPDX-License-Identifier: MIT
/*
 * imagectl attach's pieces: the detach keys in what is typed, and the
 * shim's side (run/attach.c) driven step by step against a pipe as the
 * container's stdin and a socket as imagectl.
 */
#include "ctlsock.h"
#include "pods/detachkeys.h"
#include "run/attach.h"
#include "run/console.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <termios.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

static size_t scan(struct detach_keys *d, const char *in, char *out,
		   bool *detached)
{
	return detach_scan(d, in, strlen(in), out, detached);
}

static void test_detach_keys(void **state)
{
	struct detach_keys d = { 0 };
	char out[16];
	bool detached;
	size_t n;

	(void)state;
	/* plain input passes */
	n = scan(&d, "ls\r", out, &detached);
	assert_false(detached);
	assert_memory_equal(out, "ls\r", n);
	/* Ctrl-P Ctrl-Q: what came before, then detached */
	n = scan(&d, "ab\x10\x11zz", out, &detached);
	assert_true(detached);
	assert_int_equal(n, 2);
	assert_memory_equal(out, "ab", 2);
	/* Ctrl-P then another key: both are the user's */
	n = scan(&d, "\x10x", out, &detached);
	assert_false(detached);
	assert_int_equal(n, 2);
	assert_memory_equal(out, "\x10x", 2);
	/* split across reads: held, then detached */
	n = scan(&d, "q\x10", out, &detached);
	assert_false(detached);
	assert_int_equal(n, 1);
	n = scan(&d, "\x11", out, &detached);
	assert_true(detached);
	assert_int_equal(n, 0);
	/* held, then not the keys: the held Ctrl-P comes out first */
	scan(&d, "\x10", out, &detached);
	n = scan(&d, "y", out, &detached);
	assert_int_equal(n, 2);
	assert_memory_equal(out, "\x10y", 2);
	/* Ctrl-P Ctrl-P Ctrl-Q: the first is the user's */
	n = scan(&d, "\x10\x10\x11", out, &detached);
	assert_true(detached);
	assert_int_equal(n, 1);
	assert_int_equal(out[0], 0x10);
	/* held at the end of input: flushed */
	scan(&d, "\x10", out, &detached);
	assert_int_equal(detach_flush(&d, out), 1);
	assert_int_equal(detach_flush(&d, out), 0);
}

struct rig {
	char dir[64];
	int stdin_r, stdin_w;
	struct attach a;
};

static struct rig rig;

static int rig_up(void **state)
{
	int p[2];

	(void)state;
	snprintf(rig.dir, sizeof(rig.dir), "/tmp/keel-test-attach.%d",
		 (int)getpid());
	mkdir(rig.dir, 0755);
	if (pipe2(p, O_CLOEXEC))
		return -1;
	rig.stdin_r = p[0];
	rig.stdin_w = p[1];
	return 0;
}

static int rig_down(void **state)
{
	char path[128];

	(void)state;
	attach_close(&rig.a);
	close(rig.stdin_r);
	snprintf(path, sizeof(path), "%s/" ATTACH_DIR, rig.dir);
	rmdir(path);
	rmdir(rig.dir);
	return 0;
}

/* One turn of the shim's loop over its attach fds, not waiting */
static void turn(void)
{
	struct pollfd p[ATTACH_POLL_MAX];
	size_t n = attach_poll(&rig.a, p);

	assert_true(poll(p, n, 1000) >= 0);
	attach_step(&rig.a, p, n);
}

static int client(void)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	snprintf(a.sun_path, sizeof(a.sun_path),
		 "%s/" ATTACH_DIR "/" ATTACH_SOCK, rig.dir);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	turn();
	return fd;
}

/* read, failing rather than hanging when nothing comes within 5 s */
static ssize_t read_soon(int fd, char *buf, size_t len)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	assert_int_equal(poll(&p, 1, 5000), 1);
	return read(fd, buf, len);
}

static void expect(int fd, const char *want, size_t len)
{
	char buf[1 + ATTACH_DATA_MAX];
	ssize_t n = recv(fd, buf, sizeof(buf), 0);

	assert_int_equal(n, len);
	assert_memory_equal(buf, want, len);
}

static void test_shim_side(void **state)
{
	char buf[256], path[128];
	struct stat st;

	(void)state;
	if (geteuid()) /* clients are checked as control sockets': root */
		skip();
	assert_int_equal(attach_open(&rig.a, rig.dir, rig.stdin_w, false, true),
			 0);
	snprintf(path, sizeof(path), "%s/" ATTACH_DIR, rig.dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	int c = client();
	expect(c, "0pipe", 5);
	/* one client at a time */
	int second = client();
	recv(second, buf, sizeof(buf), 0);
	assert_int_equal(buf[0], CTL_ERR);
	close(second);
	/* its input to stdin; output to it */
	assert_int_equal(send(c, "ihello", 6, 0), 6);
	turn();
	assert_int_equal(read_soon(rig.stdin_r, buf, sizeof(buf)), 5);
	assert_memory_equal(buf, "hello", 5);
	attach_output(&rig.a, "out", 3);
	expect(c, "oout", 4);
	/* a client that does not read: output dropped for it, counted */
	static char big[ATTACH_DATA_MAX];
	unsigned long long sent = 0;
	for (int i = 0; i < 1000; i++) {
		attach_output(&rig.a, big, sizeof(big));
		sent += sizeof(big);
	}
	assert_true(rig.a.lost > 0 && rig.a.lost < sent);
	unsigned long long lost = rig.a.lost;
	while (recv(c, buf, 1, MSG_DONTWAIT | MSG_TRUNC) > 0)
		;
	attach_output(&rig.a, "x", 1);
	ssize_t n = recv(c, buf, sizeof(buf) - 1, 0);
	buf[n] = '\0';
	assert_int_equal(buf[0], ATTACH_LOST);
	assert_int_equal(strtoull(buf + 1, NULL, 10), lost);
	expect(c, "ox", 2);
	/* stdinOnce: the first attach's end closes stdin, and no more */
	close(c);
	turn();
	assert_int_equal(read_soon(rig.stdin_r, buf, sizeof(buf)), 0);
	c = client();
	n = recv(c, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	assert_int_equal(buf[0], CTL_ERR);
	assert_non_null(strstr(buf, "stdinOnce"));
	close(c);
	/* the socket goes with the container */
	attach_close(&rig.a);
	snprintf(path, sizeof(path), "%s/" ATTACH_DIR "/" ATTACH_SOCK, rig.dir);
	assert_int_equal(access(path, F_OK), -1);
}

/* A terminal container: the size is passed on; stdinOnce sends EOF */
static void test_shim_tty(void **state)
{
	struct attach_winsize w = { .rows = 33, .cols = 121 };
	char pkt[1 + sizeof(w)] = { ATTACH_RESIZE }, buf[256];
	struct winsize ws;
	struct termios t;
	int master, slave;

	(void)state;
	if (geteuid())
		skip();
	int r = pty_open(&master, &slave);
	if (r && getenv("KEEL_QEMU_USER"))
		skip(); /* an ioctl qemu-user may not translate */
	assert_int_equal(r, 0);
	assert_int_equal(attach_open(&rig.a, rig.dir, master, true, true), 0);
	int c = client();
	expect(c, "0tty", 4);
	memcpy(pkt + 1, &w, sizeof(w));
	assert_int_equal(send(c, pkt, sizeof(pkt), 0), sizeof(pkt));
	turn();
	assert_int_equal(ioctl(slave, TIOCGWINSZ, &ws), 0);
	assert_int_equal(ws.ws_row, 33);
	assert_int_equal(ws.ws_col, 121);
	/* typed keys reach the terminal's reader as a line */
	assert_int_equal(send(c, "iab\n", 4, 0), 4);
	turn();
	assert_int_equal(read_soon(slave, buf, sizeof(buf)), 3);
	/* the first attach's end: an empty read, EOF to a reader of lines */
	assert_int_equal(tcgetattr(slave, &t), 0);
	assert_true(t.c_lflag & ICANON);
	close(c);
	turn();
	assert_int_equal(read_soon(slave, buf, sizeof(buf)), 0);
	/* the master is the container's output too: it stays open */
	assert_true(fcntl(master, F_GETFD) >= 0);
	attach_close(&rig.a);
	close(master);
	close(slave);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_detach_keys),
		cmocka_unit_test_setup_teardown(test_shim_side, rig_up,
						rig_down),
		cmocka_unit_test_setup_teardown(test_shim_tty, rig_up,
						rig_down),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
