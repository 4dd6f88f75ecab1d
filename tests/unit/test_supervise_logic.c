// SPDX-License-Identifier: MIT
/* Restart backoff, crash loops and dependency order (service.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "service.h"

#define EXITED(n) ((n) << 8)

static void load(struct service *s, const char *name, const char *text)
{
	char err[160];

	assert_int_equal(service_parse(s, name, text, err, sizeof(err)), 0);
}

static void test_new_keys(void **state)
{
	struct service s;
	char err[160];

	(void)state;
	load(&s, "web",
	     "exec = /bin/web\n"
	     "user = nobody\n"
	     "group = 65534\n"
	     "workdir = /var/lib/web\n"
	     "env = A=1\n"
	     "env = B=two words\n"
	     "needs = net, store\n"
	     "ready = notify\n"
	     "ready_fd = 5\n"
	     "critical = yes\n"
	     "restart_limit = 4\n"
	     "autostart = no\n");
	assert_string_equal(s.user, "nobody");
	assert_string_equal(s.group, "65534");
	assert_string_equal(s.workdir, "/var/lib/web");
	assert_int_equal(s.nenv, 2);
	assert_string_equal(s.envbuf, "A=1");
	assert_string_equal(s.envbuf + 4, "B=two words");
	assert_int_equal(s.nneeds, 2);
	assert_string_equal(s.needs[0], "net");
	assert_string_equal(s.needs[1], "store");
	assert_int_equal(s.ready, READY_NOTIFY);
	assert_int_equal(s.ready_fd, 5);
	assert_true(s.critical);
	assert_false(s.autostart);
	assert_int_equal(s.restart_limit, 4);

	load(&s, "min", "exec = /bin/x\n");
	assert_int_equal(s.ready, READY_STARTED);
	assert_int_equal(s.ready_fd, 3);
	assert_true(s.autostart);
	assert_false(s.critical);
	assert_int_equal(s.restart_limit, 10);

	static const struct {
		const char *text, *want;
	} bad[] = {
		{ "exec = /x\nenv = NOVALUE\n",
		  "line 2: env must be NAME=value" },
		{ "exec = /x\nenv = A-B=1\n", "line 2: env name 'A-B'" },
		{ "exec = /x\nworkdir = tmp\n", "line 2: workdir must be" },
		{ "exec = /x\nuser = a b\n", "line 2: user must be" },
		{ "exec = /x\nneeds = me\n",
		  "line 2: a service cannot need itself" },
		{ "exec = /x\nready = later\n", "line 2: ready must be" },
		{ "exec = /x\nready_fd = 2\n",
		  "line 2: ready_fd must be 3..63" },
		{ "exec = /x\nrestart_limit = 0\n", "line 2: restart_limit" },
		{ "exec = /x\ncritical = maybe\n", "line 2: critical must be" },
		{ "exec = /x\nautostart = 2\n", "line 2: autostart must be" },
		{ "exec = /x\nconsole = yes\nready = notify\n",
		  "a console service cannot use ready = notify" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		assert_int_equal(
			service_parse(&s, "me", bad[i].text, err, sizeof(err)),
			-EINVAL);
		if (!strstr(err, bad[i].want))
			fail_msg("%s: got '%s'", bad[i].want, err);
	}
}

static void test_reserved_name(void **state)
{
	struct service s;
	char err[160];

	(void)state;
	assert_int_equal(
		service_parse(&s, "init", "exec = /x\n", err, sizeof(err)),
		-EINVAL);
	assert_string_equal(err, "the name 'init' is reserved");
}

static void test_too_much_env(void **state)
{
	char text[2048] = "exec = /x\n", err[160];
	struct service s;

	(void)state;
	for (int i = 0; i <= SERVICE_ENV_MAX; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text),
			 "env = V%d=1\n", i);
	assert_int_equal(service_parse(&s, "x", text, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "more environment than"));
}

static void test_backoff(void **state)
{
	(void)state;
	assert_int_equal(service_backoff_ms(1), 1000);
	assert_int_equal(service_backoff_ms(2), 2000);
	assert_int_equal(service_backoff_ms(3), 4000);
	assert_int_equal(service_backoff_ms(6), 32000);
	assert_int_equal(service_backoff_ms(7), 60000);
	assert_int_equal(service_backoff_ms(100), 60000);
}

static void test_exit_decisions(void **state)
{
	struct service s;

	(void)state;
	load(&s, "c", "exec = /x\nrestart_limit = 3\n");
	assert_int_equal(service_exited(&s, EXITED(1), 10), EXIT_RESTART);
	assert_int_equal(s.delay_ms, 1000);
	assert_int_equal(service_exited(&s, EXITED(1), 10), EXIT_RESTART);
	assert_int_equal(s.delay_ms, 2000);
	assert_int_equal(service_exited(&s, SIGSEGV, 10), EXIT_RESTART);
	assert_int_equal(s.delay_ms, 4000);
	assert_int_equal(s.restarts, 3);
	assert_int_equal(service_exited(&s, EXITED(1), 10), EXIT_CRASH_LOOP);
	assert_int_equal(s.restarts, 3);

	/* a stable run forgets the crashes, not the restart count */
	load(&s, "c", "exec = /x\nrestart_limit = 2\n");
	service_exited(&s, EXITED(1), 10);
	service_exited(&s, EXITED(1), 10);
	assert_int_equal(service_exited(&s, EXITED(1), BACKOFF_RESET_MS),
			 EXIT_RESTART);
	assert_int_equal(s.crashes, 1);
	assert_int_equal(s.delay_ms, 1000);
	assert_int_equal(s.restarts, 3);

	load(&s, "o", "exec = /x\nrestart = on-failure\n");
	assert_int_equal(service_exited(&s, EXITED(0), 10), EXIT_STAY_DOWN);
	assert_int_equal(service_exited(&s, EXITED(2), 10), EXIT_RESTART);
	load(&s, "n", "exec = /x\nrestart = never\n");
	assert_int_equal(service_exited(&s, SIGKILL, 10), EXIT_STAY_DOWN);
}

static int position(const int *order, int n, int idx)
{
	for (int i = 0; i < n; i++)
		if (order[i] == idx)
			return i;
	return -1;
}

static void test_order(void **state)
{
	static struct service t[6];
	int order[SERVICES_MAX];

	(void)state;
	load(&t[0], "app", "exec = /x\nneeds = db net\n");
	load(&t[1], "db", "exec = /x\nneeds = net\n");
	load(&t[2], "net", "exec = /x\n");
	load(&t[3], "loop-a", "exec = /x\nneeds = loop-b\n");
	load(&t[4], "loop-b", "exec = /x\nneeds = loop-a\n");
	load(&t[5], "orphan", "exec = /x\nneeds = nowhere\n");
	int n = services_order(t, 6, order);
	assert_int_equal(n, 3);
	assert_true(position(order, n, 2) < position(order, n, 1));
	assert_true(position(order, n, 1) < position(order, n, 0));
	assert_int_equal(t[3].state, SVC_FAILED);
	assert_string_equal(t[3].status, "dependency cycle");
	assert_int_equal(t[4].state, SVC_FAILED);
	assert_int_equal(t[5].state, SVC_FAILED);
	assert_string_equal(t[5].status, "needs unknown service nowhere");
}

static void test_order_failed_dependency(void **state)
{
	static struct service t[3];
	int order[SERVICES_MAX];

	(void)state;
	load(&t[0], "a", "exec = /x\nneeds = b\n");
	load(&t[1], "b", "exec = /x\nneeds = gone\n");
	load(&t[2], "c", "exec = /x\n");
	assert_int_equal(services_order(t, 3, order), 1);
	assert_int_equal(order[0], 2);
	assert_string_equal(t[0].status, "needs failed service b");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_keys),
		cmocka_unit_test(test_reserved_name),
		cmocka_unit_test(test_too_much_env),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_exit_decisions),
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_order_failed_dependency),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
