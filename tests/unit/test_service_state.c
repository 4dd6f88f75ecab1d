// SPDX-License-Identifier: MIT
/*
 * The service state machine (service.c): which changes service_set_state
 * makes, which it refuses, and the one line it logs for each.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "service.h"

#define NSTATES (SVC_FAILED + 1)

/* Every line logged, as the init.log sink sees it. */
static char lines[8][256];
static int nlines;

static void capture(const char *line, size_t len)
{
	if (nlines < 8)
		snprintf(lines[nlines], sizeof(lines[0]), "%.*s", (int)len,
			 line);
	nlines++;
}

static int setup(void **state)
{
	(void)state;
	log_name("init");
	log_set_sink(capture);
	nlines = 0;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	log_set_sink(NULL);
	return 0;
}

static void load(struct service *s, const char *name, const char *text)
{
	char err[160];

	assert_int_equal(service_parse(s, name, text, err, sizeof(err)), 0);
}

/* The machine of init/README.md, written out pair by pair. */
static const struct {
	enum service_state from, to;
} legal[] = {
	/* start, fail to start, wait, or be stopped, from any down state */
	{ SVC_STOPPED, SVC_BLOCKED },
	{ SVC_STOPPED, SVC_STARTING },
	{ SVC_STOPPED, SVC_READY },
	{ SVC_STOPPED, SVC_BACKOFF },
	{ SVC_STOPPED, SVC_FAILED },
	{ SVC_BLOCKED, SVC_STOPPED },
	{ SVC_BLOCKED, SVC_STARTING },
	{ SVC_BLOCKED, SVC_READY },
	{ SVC_BLOCKED, SVC_BACKOFF },
	{ SVC_BLOCKED, SVC_FAILED },
	{ SVC_BACKOFF, SVC_STOPPED },
	{ SVC_BACKOFF, SVC_BLOCKED },
	{ SVC_BACKOFF, SVC_STARTING },
	{ SVC_BACKOFF, SVC_READY },
	{ SVC_BACKOFF, SVC_BACKOFF },
	{ SVC_BACKOFF, SVC_FAILED },
	{ SVC_DONE, SVC_STOPPED },
	{ SVC_DONE, SVC_BLOCKED },
	{ SVC_DONE, SVC_STARTING },
	{ SVC_DONE, SVC_READY },
	{ SVC_DONE, SVC_BACKOFF },
	{ SVC_DONE, SVC_FAILED },
	{ SVC_FAILED, SVC_STOPPED },
	{ SVC_FAILED, SVC_BLOCKED },
	{ SVC_FAILED, SVC_STARTING },
	{ SVC_FAILED, SVC_READY },
	{ SVC_FAILED, SVC_BACKOFF },
	{ SVC_FAILED, SVC_FAILED },
	/* its readiness line */
	{ SVC_STARTING, SVC_READY },
	/* a stop, or its end: by policy, or at shutdown */
	{ SVC_STARTING, SVC_STOPPING },
	{ SVC_STARTING, SVC_BACKOFF },
	{ SVC_STARTING, SVC_DONE },
	{ SVC_STARTING, SVC_FAILED },
	{ SVC_STARTING, SVC_STOPPED },
	{ SVC_READY, SVC_STOPPING },
	{ SVC_READY, SVC_BACKOFF },
	{ SVC_READY, SVC_DONE },
	{ SVC_READY, SVC_FAILED },
	{ SVC_READY, SVC_STOPPED },
	/* a stop ends */
	{ SVC_STOPPING, SVC_STOPPED },
};

static bool is_legal(enum service_state from, enum service_state to)
{
	for (size_t i = 0; i < sizeof(legal) / sizeof(*legal); i++)
		if (legal[i].from == from && legal[i].to == to)
			return true;
	return false;
}

static void test_every_change_logged_once(void **state)
{
	struct service s;
	int made = 0, refused = 0;

	(void)state;
	load(&s, "t-svc", "exec = /bin/x\n");
	for (int from = 0; from < NSTATES; from++) {
		for (int to = 0; to < NSTATES; to++) {
			bool want = is_legal(from, to);
			s.state = from;
			s.pid = 42;
			nlines = 0;
			int r = service_set_state(&s, to, "exited with 1");
			if (service_may_go(from, to) != want)
				fail_msg("%s -> %s: service_may_go says %d",
					 service_state_name(from),
					 service_state_name(to), !want);
			/* one line, whether made or refused */
			if (nlines != 1)
				fail_msg("%s -> %s: %d lines logged",
					 service_state_name(from),
					 service_state_name(to), nlines);
			if (want) {
				assert_int_equal(r, 0);
				assert_int_equal(s.state, to);
				if (!strstr(lines[0], "t-svc"))
					fail_msg("%s -> %s: '%s' does not "
						 "name the service",
						 service_state_name(from),
						 service_state_name(to),
						 lines[0]);
				made++;
			} else {
				assert_int_equal(r, -EINVAL);
				assert_int_equal(s.state, from);
				assert_non_null(
					strstr(lines[0], "not a transition"));
				refused++;
			}
		}
	}
	assert_int_equal(made, sizeof(legal) / sizeof(*legal));
	assert_int_equal(made + refused, NSTATES * NSTATES);
}

static void test_refused_changes(void **state)
{
	struct service s;

	(void)state;
	load(&s, "web", "exec = /bin/x\n");
	/* a running service is never blocked without a stop first */
	s.state = SVC_READY;
	nlines = 0;
	assert_int_equal(service_set_state(&s, SVC_BLOCKED, "db"), -EINVAL);
	assert_int_equal(s.state, SVC_READY);
	assert_int_equal(nlines, 1);
	assert_string_equal(lines[0], "init: unable to move web from ready "
				      "to blocked: not a transition\n");
	/* a stop under way ends only in stopped */
	s.state = SVC_STOPPING;
	assert_int_equal(service_set_state(&s, SVC_READY, NULL), -EINVAL);
	assert_int_equal(service_set_state(&s, SVC_BACKOFF, "x"), -EINVAL);
	/* no change is no transition: nothing to log */
	s.state = SVC_READY;
	assert_int_equal(service_set_state(&s, SVC_READY, NULL), -EINVAL);
	s.state = SVC_STOPPED;
	assert_int_equal(service_set_state(&s, SVC_STOPPED, NULL), -EINVAL);
	/* out of the enum */
	assert_false(service_may_go(SVC_READY, (enum service_state)42));
	assert_false(service_may_go((enum service_state)42, SVC_READY));
}

/* The lines the system tests and people watching the console read. */
static void test_lines(void **state)
{
	static const struct {
		enum service_state from, to;
		const char *why, *want;
	} cases[] = {
		{ SVC_STOPPED, SVC_READY, NULL, "t: started, pid 42" },
		{ SVC_BLOCKED, SVC_STARTING, NULL,
		  "t: started, pid 42, waiting for readiness" },
		{ SVC_STARTING, SVC_READY, NULL, "t: ready" },
		{ SVC_STOPPED, SVC_BLOCKED, "db", "t: waiting for db" },
		{ SVC_READY, SVC_BACKOFF, "exited with 3",
		  "t: exited with 3; restart 2 in 2000 ms" },
		{ SVC_BLOCKED, SVC_BACKOFF, "fork: Out of memory",
		  "unable to start t: fork: Out of memory; again in 2000 ms" },
		{ SVC_READY, SVC_DONE, "exited with 0",
		  "t: exited with 0; not restarting" },
		{ SVC_STARTING, SVC_FAILED, "exited with 3",
		  "t: exited with 3 4 times in a row; giving up" },
		{ SVC_BLOCKED, SVC_FAILED, "unknown user www",
		  "unable to start t: unknown user www" },
		{ SVC_STOPPED, SVC_FAILED, "needs unknown service db",
		  "unable to start t: needs unknown service db" },
		{ SVC_READY, SVC_STOPPING, NULL,
		  "t: stopping (SIGINT, killed after 7 s)" },
		{ SVC_STOPPING, SVC_STOPPED, "killed by signal 2",
		  "t: stopped (killed by signal 2)" },
		{ SVC_BACKOFF, SVC_STOPPED, NULL, "t: stopped" },
	};
	struct service s;
	char want[256];

	(void)state;
	load(&s, "t", "exec = /bin/x\nstop_signal = INT\nstop_grace = 7\n");
	s.pid = 42;
	s.restarts = 2;
	s.delay_ms = 2000;
	s.crashes = 4;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		s.state = cases[i].from;
		nlines = 0;
		assert_int_equal(
			service_set_state(&s, cases[i].to, cases[i].why), 0);
		snprintf(want, sizeof(want), "init: %s\n", cases[i].want);
		assert_int_equal(nlines, 1);
		if (strcmp(lines[0], want))
			fail_msg("case %zu: got '%s', want '%s'", i, lines[0],
				 want);
	}
}

/* services_order fails a service through the machine: one line each. */
static void test_order_failures_logged_once(void **state)
{
	static struct service t[3];
	int order[SERVICES_MAX];

	(void)state;
	load(&t[0], "app", "exec = /x\nneeds = gone, also-gone\n");
	load(&t[1], "web", "exec = /x\nneeds = app\n");
	load(&t[2], "db", "exec = /x\n");
	nlines = 0;
	assert_int_equal(services_order(t, 3, order), 1);
	assert_int_equal(nlines, 2);
	assert_string_equal(lines[0], "init: unable to start app: needs "
				      "unknown service gone\n");
	assert_string_equal(lines[1], "init: unable to start web: needs "
				      "failed service app\n");
	assert_int_equal(t[0].state, SVC_FAILED);
	assert_int_equal(t[1].state, SVC_FAILED);
	assert_int_equal(t[2].state, SVC_STOPPED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_every_change_logged_once,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_changes, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_order_failures_logged_once,
						setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
