// SPDX-License-Identifier: MIT
/*
 * runrecord.c against fake shims: processes that write the run and exit
 * records as runtime.c's shim does, around a child that plays the
 * container.
 */
#include "file.h"
#include "run/runrecord.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#define PEER_WAIT_MS 3000 /* a polite container's wait for its peer */

static char top[64];

struct fake {
	char run_dir[128], cgroup[128], mark[160];
	const char *peer_mark; /* polite: exits 0 once this exists */
	bool deaf; /* ignores SIGTERM; exits 137 once its cgroup is killed */
};

static volatile sig_atomic_t termed;

static void on_term(int sig)
{
	(void)sig;
	termed = 1;
}

static bool exists(const char *path)
{
	return access(path, F_OK) == 0;
}

static bool cgroup_killed(const struct fake *f)
{
	char path[160], text[8];

	snprintf(path, sizeof(path), "%s/cgroup.kill", f->cgroup);
	return read_text(path, text, sizeof(text)) > 0 && text[0] == '1';
}

static void put_file(const char *dir, const char *name, const char *text)
{
	char path[192];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(write_atomic(path, text, strlen(text), 0644), 0);
}

/* The container: a polite one stops only once its peer was asked too. */
static void container(const struct fake *f)
{
	for (int waited = 0; waited < 60000; waited += 10) {
		if (f->deaf && cgroup_killed(f))
			_exit(137);
		if (!f->deaf && termed) {
			write_atomic(f->mark, "", 0, 0644);
			for (int w = 0; w < PEER_WAIT_MS; w += 10) {
				if (exists(f->peer_mark))
					_exit(0);
				usleep(10000);
			}
			_exit(1);
		}
		usleep(10000);
	}
	_exit(2);
}

/* The shim's part: run record, wait, exit record. */
static pid_t fake_shim(const struct fake *f)
{
	pid_t shim = fork(), pid;
	char text[128];
	int status;

	assert_true(shim >= 0);
	if (shim)
		return shim;
	signal(SIGTERM, f->deaf ? SIG_IGN : on_term);
	if (!(pid = fork()))
		container(f);
	signal(SIGTERM, SIG_IGN); /* the container is stopped, not its shim */
	snprintf(text, sizeof(text), "pid=%d\nshim=%d\nstarted=1000\n", pid,
		 getpid());
	put_file(f->run_dir, "run", text);
	waitpid(pid, &status, 0);
	snprintf(text, sizeof(text),
		 "code=%d\nsignal=0\noom=0\nfinished=2000\nreason=\n",
		 WIFEXITED(status) ? WEXITSTATUS(status) : 128);
	put_file(f->run_dir, "exit", text);
	_exit(0);
}

static void make_fake(struct fake *f, const char *name, const char *peer)
{
	char path[192];

	memset(f, 0, sizeof(*f));
	snprintf(f->run_dir, sizeof(f->run_dir), "%s/%s", top, name);
	snprintf(f->cgroup, sizeof(f->cgroup), "%s/%s.cg", top, name);
	snprintf(f->mark, sizeof(f->mark), "%s/%s.termed", top, name);
	f->peer_mark = peer;
	assert_int_equal(mkdir(f->run_dir, 0755), 0);
	assert_int_equal(mkdir(f->cgroup, 0755), 0);
	/* what the kernel has in every cgroup: opened, never created */
	snprintf(path, sizeof(path), "%s/cgroup.kill", f->cgroup);
	assert_int_equal(write_atomic(path, "", 0, 0644), 0);
}

static void start(const struct fake *f, pid_t *shim)
{
	char path[192];

	*shim = fake_shim(f);
	snprintf(path, sizeof(path), "%s/run", f->run_dir);
	for (int t = 0; t < 500 && !exists(path); t++)
		usleep(10000);
	assert_true(exists(path));
}

static void test_read_live_then_ended(void **state)
{
	struct fake f;
	struct run_info r;

	(void)state;
	make_fake(&f, "read", "");
	put_file(f.run_dir, "run", "pid=4242\nshim=1\nstarted=1234\n");
	run_read(f.run_dir, &r);
	assert_true(r.live);
	assert_false(r.ended);
	assert_int_equal(r.pid, 4242);
	assert_int_equal(r.started, 1234);
	put_file(f.run_dir, "exit",
		 "code=128\nsignal=0\noom=0\nfinished=99\n"
		 "reason=exec /x: No such file or directory\n");
	run_read(f.run_dir, &r);
	assert_false(r.live);
	assert_true(r.ended);
	assert_int_equal(r.code, 128);
	assert_int_equal(r.finished, 99);
	assert_string_equal(r.reason, "exec /x: No such file or directory");
}

/* a shim killed outright wrote no exit record: its container goes too */
static void test_read_dead_shim(void **state)
{
	struct fake f;
	struct run_info r;
	char text[96];
	pid_t shim, ctr;
	int status;

	(void)state;
	make_fake(&f, "dead", "");
	if (!(shim = fork()))
		_exit(0);
	waitpid(shim, &status, 0);
	if (!(ctr = fork()))
		for (;;)
			pause();
	snprintf(text, sizeof(text), "pid=%d\nshim=%d\nstarted=1\n", ctr, shim);
	put_file(f.run_dir, "run", text);
	run_read(f.run_dir, &r);
	assert_false(r.live);
	assert_true(r.ended);
	assert_int_equal(r.code, 128);
	assert_string_equal(r.reason,
			    "its shim died; the container was killed");
	assert_int_equal(waitpid(ctr, &status, 0), ctr);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

/*
 * Each container ends cleanly only if the other was asked to stop while
 * it waits: one at a time, the first gives up (exit 1).
 */
static void test_stop_asks_all_at_once(void **state)
{
	struct fake a, b;
	struct run_info r;
	pid_t sa, sb;
	char mark_a[160], mark_b[160];

	(void)state;
	snprintf(mark_a, sizeof(mark_a), "%s/a.termed", top);
	snprintf(mark_b, sizeof(mark_b), "%s/b.termed", top);
	make_fake(&a, "a", mark_b);
	make_fake(&b, "b", mark_a);
	start(&a, &sa);
	start(&b, &sb);
	struct run_ref runs[] = { { a.run_dir, a.cgroup },
				  { b.run_dir, b.cgroup } };
	runs_stop(runs, 2, 2 * PEER_WAIT_MS);
	run_read(a.run_dir, &r);
	assert_true(r.ended);
	assert_int_equal(r.code, 0);
	run_read(b.run_dir, &r);
	assert_true(r.ended);
	assert_int_equal(r.code, 0);
	/* stopped by SIGTERM alone */
	assert_false(cgroup_killed(&a) || cgroup_killed(&b));
	waitpid(sa, NULL, 0);
	waitpid(sb, NULL, 0);
}

/* one that ignores SIGTERM: its cgroup is killed after the grace */
static void test_stop_kills_after_grace(void **state)
{
	struct fake d, gone;
	struct run_info r;
	pid_t sd;

	(void)state;
	make_fake(&d, "deaf", "");
	d.deaf = true;
	start(&d, &sd);
	/* a run that already ended is left alone */
	make_fake(&gone, "gone", "");
	put_file(gone.run_dir, "run", "pid=999999999\nshim=999999999\n");
	put_file(gone.run_dir, "exit", "code=0\n");
	struct run_ref runs[] = { { gone.run_dir, gone.cgroup },
				  { d.run_dir, d.cgroup } };
	runs_stop(runs, 2, 200);
	run_read(d.run_dir, &r);
	assert_true(r.ended);
	assert_int_equal(r.code, 137);
	assert_true(cgroup_killed(&d));
	assert_false(cgroup_killed(&gone));
	waitpid(sd, NULL, 0);
}

static int make_top(void **state)
{
	(void)state;
	snprintf(top, sizeof(top), "/tmp/keel-test-runrecord.XXXXXX");
	return mkdtemp(top) ? 0 : -1;
}

static int remove_top(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", top);
	return system(cmd) ? -1 : 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_live_then_ended),
		cmocka_unit_test(test_read_dead_shim),
		cmocka_unit_test(test_stop_asks_all_at_once),
		cmocka_unit_test(test_stop_kills_after_grace),
	};
	return cmocka_run_group_tests(tests, make_top, remove_top);
}
