// SPDX-License-Identifier: MIT
/* service_parse, service_should_restart and service_state_name. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "service.h"

/* Wait statuses as the kernel encodes them (see <bits/waitstatus.h>). */
#define EXITED(n) ((n) << 8)
#define KILLED(sig) (sig)

static void test_full(void **state)
{
	static const char text[] =
		"# the network daemon\n"
		"\n"
		"exec = /sbin/netd -c \"/etc/netd conf\" -v\n"
		"  restart=on-failure  \n"
		"console = yes\n"
		"\t# indented comment\n"
		"stop_signal = SIGINT\n"
		"stop_grace = 30\n";
	struct service svc;
	char err[128] = "";

	(void)state;
	assert_int_equal(service_parse(&svc, "netd", text, err, sizeof(err)),
			 0);
	assert_string_equal(err, "");
	assert_string_equal(svc.name, "netd");
	assert_string_equal(svc.argv[0], "/sbin/netd");
	assert_string_equal(svc.argv[1], "-c");
	assert_string_equal(svc.argv[2], "/etc/netd conf");
	assert_string_equal(svc.argv[3], "-v");
	assert_null(svc.argv[4]);
	assert_int_equal(svc.restart, RESTART_ON_FAILURE);
	assert_true(svc.console);
	assert_int_equal(svc.stop_signal, SIGINT);
	assert_int_equal(svc.stop_grace, 30);
	assert_int_equal(svc.state, SVC_STOPPED);
	assert_int_equal(svc.pid, -1);
	assert_int_equal(svc.restarts, 0);
}

static void test_defaults(void **state)
{
	struct service svc;
	char err[128];

	(void)state;
	/* no trailing newline on the last line */
	assert_int_equal(service_parse(&svc, "getty_1", "exec=/sbin/getty", err,
				       sizeof(err)),
			 0);
	assert_string_equal(svc.name, "getty_1");
	assert_string_equal(svc.argv[0], "/sbin/getty");
	assert_null(svc.argv[1]);
	assert_int_equal(svc.restart, RESTART_ALWAYS);
	assert_false(svc.console);
	assert_int_equal(svc.stop_signal, SIGTERM);
	assert_int_equal(svc.stop_grace, 5);
}

static void test_values(void **state)
{
	static const struct {
		const char *text;
		enum restart_policy restart;
		bool console;
		int sig;
		int grace;
	} cases[] = {
		{ "restart=always\nconsole=no\nstop_signal=TERM\n"
		  "stop_grace=0",
		  RESTART_ALWAYS, false, SIGTERM, 0 },
		{ "restart=never\nconsole=true\nstop_signal=KILL\n"
		  "stop_grace=300",
		  RESTART_NEVER, true, SIGKILL, 300 },
		{ "restart=on-failure\nconsole=1\nstop_signal=HUP\n",
		  RESTART_ON_FAILURE, true, SIGHUP, 5 },
		{ "console=false\nstop_signal=SIGUSR1\n", RESTART_ALWAYS, false,
		  SIGUSR1, 5 },
		{ "console=0\nstop_signal=QUIT\n", RESTART_ALWAYS, false,
		  SIGQUIT, 5 },
	};
	struct service svc;
	char text[256], err[128];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), "exec=/bin/x\n%s", cases[i].text);
		assert_int_equal(
			service_parse(&svc, "x", text, err, sizeof(err)), 0);
		assert_int_equal(svc.restart, cases[i].restart);
		assert_int_equal(svc.console, cases[i].console);
		assert_int_equal(svc.stop_signal, cases[i].sig);
		assert_int_equal(svc.stop_grace, cases[i].grace);
	}
}

/* Parse text that must fail; err must contain want1 and want2 (if any). */
static void expect_error(const char *name, const char *text, const char *want1,
			 const char *want2)
{
	struct service svc;
	char err[128] = "";

	assert_int_equal(service_parse(&svc, name, text, err, sizeof(err)),
			 -EINVAL);
	if (!strstr(err, want1))
		fail_msg("'%s' not in error '%s'", want1, err);
	if (want2 && !strstr(err, want2))
		fail_msg("'%s' not in error '%s'", want2, err);
}

static void test_errors(void **state)
{
	(void)state;
	expect_error("x", "exec=/bin/x\n# c\nusr = root\n", "line 3", "'usr'");
	expect_error("x", "\nexec /bin/x\n", "line 2", "key = value");
	expect_error("x", "exec = bin/x\n", "line 1", "absolute path");
	expect_error("x", "exec = ./x -v\n", "line 1", "'./x'");
	expect_error("x", "exec =\n", "line 1", "exec is empty");
	expect_error("x", "exec = /bin/sh -c \"echo\n", "line 1",
		     "unbalanced quote");
	expect_error("x", "exec=/bin/x\nrestart = sometimes\n", "line 2",
		     "'sometimes'");
	expect_error("x", "exec=/bin/x\nrestart = Always\n", "line 2",
		     "restart must be");
	expect_error("x", "exec=/bin/x\nconsole = maybe\n", "line 2",
		     "'maybe'");
	expect_error("x", "exec=/bin/x\nconsole =\n", "line 2", "console");
	/* a tty's name, never a path */
	expect_error("x", "exec=/bin/x\nconsole = tty\n", "line 2", "'tty'");
	expect_error("x", "exec=/bin/x\nconsole = tty/../sda\n", "line 2",
		     "a tty's name");
	expect_error("x", "exec=/bin/x\nconsole = ttyS0123456789abc\n",
		     "line 2", "console must be");
	expect_error("x", "exec=/bin/x\nconsole = sda1\n", "line 2", "'sda1'");
	expect_error("x", "exec=/bin/x\nstop_signal = STOP\n", "line 2",
		     "'STOP'");
	expect_error("x", "exec=/bin/x\nstop_signal = term\n", "line 2",
		     "stop_signal");
	expect_error("x", "exec=/bin/x\nstop_signal = 15\n", "line 2",
		     "stop_signal");
	expect_error("x", "exec=/bin/x\nstop_grace = 301\n", "line 2",
		     "0..300");
	expect_error("x", "exec=/bin/x\nstop_grace = -1\n", "line 2", "'-1'");
	expect_error("x", "exec=/bin/x\nstop_grace = 5s\n", "line 2", "'5s'");
	expect_error("x", "exec=/bin/x\nstop_grace =\n", "line 2",
		     "stop_grace");
	expect_error("x", "exec=/bin/x\nstop_grace = 99999999999999999999\n",
		     "line 2", "stop_grace");
	/* a file that sets things but never says what to run */
	expect_error("x", "restart=never\n", "no exec line", NULL);
	expect_error("x", "", "no exec line", NULL);
	expect_error("x", "# only a comment\n\n", "no exec line", NULL);
}

/* console = <tty>: the shell on a console other than /dev/console */
static void test_console_tty(void **state)
{
	struct service s;
	char err[160];

	(void)state;
	assert_int_equal(service_parse(&s, "console-tty0",
				       "exec = /bin/sh -l\nconsole = tty0\n",
				       err, sizeof(err)),
			 0);
	assert_true(s.console);
	assert_string_equal(s.console_tty, "tty0");
	assert_int_equal(service_parse(&s, "c",
				       "exec = /bin/sh\nconsole = "
				       "ttyS1\n",
				       err, sizeof(err)),
			 0);
	assert_string_equal(s.console_tty, "ttyS1");
	/* yes: the primary console, as before */
	assert_int_equal(service_parse(&s, "c",
				       "exec = /bin/sh\nconsole = yes\n", err,
				       sizeof(err)),
			 0);
	assert_true(s.console);
	assert_string_equal(s.console_tty, "");
	assert_int_equal(service_parse(&s, "c",
				       "exec = /bin/sh\nconsole = no\n", err,
				       sizeof(err)),
			 0);
	assert_false(s.console);
	/* a console service has no readiness line, whichever tty */
	assert_int_equal(service_parse(&s, "c",
				       "exec = /bin/sh\nconsole = tty1\n"
				       "ready = notify\n",
				       err, sizeof(err)),
			 -EINVAL);
}

static void test_too_many_args(void **state)
{
	char text[SERVICE_EXEC_MAX];
	int n;

	(void)state;
	/* "/a" and 32 more words: 33 arguments, one over the limit */
	n = snprintf(text, sizeof(text), "exec=/a");
	for (int i = 0; i < SERVICE_ARGS_MAX; i++)
		n += snprintf(text + n, sizeof(text) - n, " %c", 'a' + i % 26);
	assert_true(n < (int)sizeof(text));
	expect_error("x", text, "line 1", "more than 32 arguments");

	/* exactly the limit is fine */
	struct service svc;
	char err[128];
	text[n - 2] = '\0';
	assert_int_equal(service_parse(&svc, "x", text, err, sizeof(err)), 0);
	assert_non_null(svc.argv[SERVICE_ARGS_MAX - 1]);
	assert_null(svc.argv[SERVICE_ARGS_MAX]);
}

static void test_long_lines(void **state)
{
	char text[1024];
	struct service svc;
	char err[128];

	(void)state;
	/* the longest exec that fits: 255 bytes */
	strcpy(text, "exec=/");
	memset(text + 6, 'a', SERVICE_EXEC_MAX - 2);
	text[6 + SERVICE_EXEC_MAX - 2] = '\0';
	assert_int_equal(service_parse(&svc, "x", text, err, sizeof(err)), 0);
	assert_int_equal(strlen(svc.argv[0]), SERVICE_EXEC_MAX - 1);

	/* one more does not fit the exec buffer */
	strcat(text, "a");
	expect_error("x", text, "line 1", "longer than 255");

	/* longer than any line may be at all: refused, not cut */
	strcpy(text, "exec=/bin/x\nexec=/");
	memset(text + 18, 'a', 600);
	strcpy(text + 18 + 600, "\n");
	expect_error("x", text, "line 2", "line longer than 319 bytes");
}

static void test_names(void **state)
{
	char name[SERVICE_NAME_MAX + 1];

	(void)state;
	expect_error("Netd", "exec=/bin/x\n", "service name", NULL);
	expect_error("", "exec=/bin/x\n", "service name", NULL);
	expect_error("net.d", "exec=/bin/x\n", "service name", NULL);
	expect_error("../x", "exec=/bin/x\n", "service name", NULL);

	memset(name, 'n', SERVICE_NAME_MAX);
	name[SERVICE_NAME_MAX] = '\0';
	expect_error(name, "exec=/bin/x\n", "1-31", NULL);

	/* 31 characters is the longest name that fits */
	struct service svc;
	char err[128];
	name[SERVICE_NAME_MAX - 1] = '\0';
	assert_int_equal(
		service_parse(&svc, name, "exec=/bin/x", err, sizeof(err)), 0);
	assert_string_equal(svc.name, name);
}

static void test_small_err_buffer(void **state)
{
	struct service svc;
	char err[8];

	(void)state;
	/* a short buffer gets a cut message, never an overflow */
	assert_int_equal(
		service_parse(&svc, "x", "bogus_key = 1\n", err, sizeof(err)),
		-EINVAL);
	assert_string_equal(err, "line 1:");
}

static void test_should_restart(void **state)
{
	static const struct {
		enum restart_policy restart;
		int status;
		bool want;
	} cases[] = {
		{ RESTART_ALWAYS, EXITED(0), true },
		{ RESTART_ALWAYS, EXITED(1), true },
		{ RESTART_ALWAYS, KILLED(SIGKILL), true },
		{ RESTART_ON_FAILURE, EXITED(0), false },
		{ RESTART_ON_FAILURE, EXITED(1), true },
		{ RESTART_ON_FAILURE, EXITED(255), true },
		{ RESTART_ON_FAILURE, KILLED(SIGSEGV), true },
		{ RESTART_ON_FAILURE, KILLED(SIGTERM), true },
		{ RESTART_NEVER, EXITED(0), false },
		{ RESTART_NEVER, EXITED(1), false },
		{ RESTART_NEVER, KILLED(SIGKILL), false },
	};
	struct service svc;

	(void)state;
	memset(&svc, 0, sizeof(svc));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		svc.restart = cases[i].restart;
		if (service_should_restart(&svc, cases[i].status) !=
		    cases[i].want)
			fail_msg("case %zu: policy %d status %#x", i,
				 cases[i].restart, cases[i].status);
	}
}

static void test_state_name(void **state)
{
	(void)state;
	assert_string_equal(service_state_name(SVC_STOPPED), "stopped");
	assert_string_equal(service_state_name(SVC_BLOCKED), "blocked");
	assert_string_equal(service_state_name(SVC_STARTING), "starting");
	assert_string_equal(service_state_name(SVC_READY), "ready");
	assert_string_equal(service_state_name(SVC_BACKOFF), "backoff");
	assert_string_equal(service_state_name(SVC_DONE), "done");
	assert_string_equal(service_state_name(SVC_STOPPING), "stopping");
	assert_string_equal(service_state_name(SVC_FAILED), "failed");
	assert_string_equal(service_state_name((enum service_state)42), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_console_tty),
		cmocka_unit_test(test_too_many_args),
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_small_err_buffer),
		cmocka_unit_test(test_should_restart),
		cmocka_unit_test(test_state_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
