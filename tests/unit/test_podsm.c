// SPDX-License-Identifier: MIT
/* pods/podsm: a pod's states, each step from the facts of the moment. */
#include "pods/podsm.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <string.h>

/* a pod whose images are here, namespaces made, one container, running */
static struct pod_facts settled(void)
{
	return (struct pod_facts){ .config = true,
				   .images = true,
				   .pull_due = true,
				   .sandbox = true,
				   .sandbox_due = true,
				   .n_ctrs = 1 };
}

static void expect(enum pod_state from, const struct pod_facts *f,
		   enum pod_state to, enum pod_action want)
{
	enum pod_action a;
	enum pod_state got = pod_step(from, f, &a);

	if (got != to || a != want)
		fail_msg("%s: got %s (action %d), want %s (action %d)",
			 pod_state_name(from), pod_state_name(got), a,
			 pod_state_name(to), want);
}

static void test_images(void **state)
{
	struct pod_facts f = settled();

	(void)state;
	f.config = false;
	expect(POD_PENDING, &f, POD_CONFIG_ERROR, POD_ACT_NONE);
	expect(POD_CONFIG_ERROR, &f, POD_CONFIG_ERROR, POD_ACT_NONE);
	f.config = true;
	expect(POD_CONFIG_ERROR, &f, POD_PENDING, POD_ACT_NONE);
	f.images = false;
	expect(POD_PENDING, &f, POD_PULLING, POD_ACT_PULL);
	f.pulling = true;
	expect(POD_PENDING, &f, POD_PULLING, POD_ACT_NONE);
	expect(POD_PULLING, &f, POD_PULLING, POD_ACT_NONE);
	/* the pull failed: back-off, then again */
	f.pulling = false;
	f.pull_due = false;
	expect(POD_PULLING, &f, POD_PULL_BACKOFF, POD_ACT_NONE);
	expect(POD_PENDING, &f, POD_PULL_BACKOFF, POD_ACT_NONE);
	expect(POD_PULL_BACKOFF, &f, POD_PULL_BACKOFF, POD_ACT_NONE);
	f.pull_due = true;
	expect(POD_PULL_BACKOFF, &f, POD_PENDING, POD_ACT_NONE);
	f.images = true;
	expect(POD_PULLING, &f, POD_CREATING, POD_ACT_NONE);
	expect(POD_PENDING, &f, POD_CREATING, POD_ACT_NONE);
}

static void test_sandbox(void **state)
{
	struct pod_facts f = settled();

	(void)state;
	f.sandbox = false;
	expect(POD_CREATING, &f, POD_CREATING, POD_ACT_SANDBOX);
	f.sandbox_due = false;
	expect(POD_CREATING, &f, POD_SANDBOX_ERROR, POD_ACT_NONE);
	expect(POD_SANDBOX_ERROR, &f, POD_SANDBOX_ERROR, POD_ACT_NONE);
	f.sandbox_due = true;
	expect(POD_SANDBOX_ERROR, &f, POD_CREATING, POD_ACT_NONE);
	/* made: the containers start at once */
	f.sandbox = true;
	f.due = true;
	expect(POD_CREATING, &f, POD_RUNNING, POD_ACT_START);
}

static void test_init(void **state)
{
	struct pod_facts f = settled();

	(void)state;
	f.n_init = 2;
	f.init_due = true;
	f.due = true; /* the containers wait for them all the same */
	expect(POD_CREATING, &f, POD_INIT, POD_ACT_START_INIT);
	f.init_due = false;
	f.init_live = true;
	expect(POD_INIT, &f, POD_INIT, POD_ACT_NONE);
	/* the first failed: back-off */
	f.init_live = false;
	expect(POD_INIT, &f, POD_INIT_BACKOFF, POD_ACT_NONE);
	f.init_due = true;
	expect(POD_INIT_BACKOFF, &f, POD_INIT, POD_ACT_START_INIT);
	f.init_done = 2;
	expect(POD_INIT, &f, POD_RUNNING, POD_ACT_START);
	/* restartPolicy Never: a failed one is the end */
	f.init_done = 1;
	f.init_failed = true;
	expect(POD_INIT, &f, POD_INIT_ERROR, POD_ACT_NONE);
	expect(POD_INIT_ERROR, &f, POD_INIT_ERROR, POD_ACT_NONE);
}

static void test_running(void **state)
{
	struct pod_facts f = settled();

	(void)state;
	expect(POD_RUNNING, &f, POD_RUNNING, POD_ACT_NONE);
	f.crash_wait = true;
	expect(POD_RUNNING, &f, POD_CRASH_LOOP, POD_ACT_NONE);
	f.oom_wait = true;
	expect(POD_CRASH_LOOP, &f, POD_OOM_KILLED, POD_ACT_NONE);
	f.create_error = true;
	expect(POD_OOM_KILLED, &f, POD_CREATE_ERROR, POD_ACT_NONE);
	/* its back-off over: started again, running */
	f = settled();
	f.due = true;
	expect(POD_CRASH_LOOP, &f, POD_RUNNING, POD_ACT_START);
	f = settled();
	f.n_ctrs = 2;
	f.succeeded = 2;
	expect(POD_RUNNING, &f, POD_SUCCEEDED, POD_ACT_NONE);
	f.succeeded = 1;
	f.failed = 1;
	expect(POD_RUNNING, &f, POD_FAILED, POD_ACT_NONE);
	/* one done, one running: running */
	f.failed = 0;
	expect(POD_RUNNING, &f, POD_RUNNING, POD_ACT_NONE);
}

/* Only a request leaves these: nothing in the facts does. */
static void test_resting(void **state)
{
	static const enum pod_state resting[] = { POD_STOPPED, POD_SUCCEEDED,
						  POD_FAILED, POD_INIT_ERROR };
	struct pod_facts f = settled();

	(void)state;
	f.due = true;
	f.images = false;
	for (size_t i = 0; i < sizeof(resting) / sizeof(*resting); i++)
		expect(resting[i], &f, resting[i], POD_ACT_NONE);
}

/* A whole start, step after step, as pods.c drives it */
static void test_walk(void **state)
{
	struct pod_facts f = { .config = true,
			       .pull_due = true,
			       .sandbox_due = true,
			       .n_init = 1,
			       .n_ctrs = 1 };
	enum pod_state s = POD_PENDING, seen[16];
	enum pod_action a;
	size_t n = 0;

	(void)state;
	f.init_due = f.due = true;
	while (n < 16) {
		s = pod_step(s, &f, &a);
		seen[n++] = s;
		if (a == POD_ACT_PULL)
			f.images = true; /* as if the puller were done */
		if (a == POD_ACT_SANDBOX)
			f.sandbox = true;
		if (a == POD_ACT_START_INIT)
			f.init_done = 1;
		if (a == POD_ACT_START)
			f.due = false;
		if (s == POD_RUNNING && a == POD_ACT_NONE)
			break;
	}
	static const enum pod_state want[] = { POD_PULLING,  POD_CREATING,
					       POD_CREATING, POD_INIT,
					       POD_RUNNING,  POD_RUNNING };
	assert_int_equal(n, sizeof(want) / sizeof(*want));
	assert_memory_equal(seen, want, sizeof(want));
}

static void test_names(void **state)
{
	(void)state;
	for (int s = 0; s < POD_STATES; s++) {
		assert_non_null(pod_state_name(s));
		assert_string_not_equal(pod_state_name(s), "?");
		assert_string_not_equal(pod_state_status(s), "?");
	}
	assert_string_equal(pod_state_status(POD_PULLING), "ContainerCreating");
	assert_string_equal(pod_state_status(POD_SUCCEEDED), "Completed");
	assert_string_equal(pod_state_name(POD_CRASH_LOOP), "CrashLoopBackOff");
	assert_true(pod_state_starts(POD_CRASH_LOOP));
	assert_false(pod_state_starts(POD_STOPPED));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_images),	cmocka_unit_test(test_sandbox),
		cmocka_unit_test(test_init),	cmocka_unit_test(test_running),
		cmocka_unit_test(test_resting), cmocka_unit_test(test_walk),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
