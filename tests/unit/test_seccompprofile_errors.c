// SPDX-License-Identifier: MIT
/*
 * seccompProfile Localhost: what the profile reader refuses, each with
 * the error a user reads; the bounds (file size, instructions); a
 * profile read from a file; and one installed in a child for real.
 */
#include "run/seccomp.h"
#include "run/seccompprofile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#if defined(__x86_64__)
#define ARCH "SCMP_ARCH_X86_64"
#else
#define ARCH "SCMP_ARCH_AARCH64"
#endif

static struct seccomp_filter flt;
static char err[512];

static int compile(const char *json)
{
	err[0] = '\0';
	return seccomp_profile_compile(json, strlen(json), &flt, err,
				       sizeof(err));
}

#define DEF "\"defaultAction\": \"SCMP_ACT_ALLOW\""
#define RULE(x) "{" DEF ", \"syscalls\": [{\"names\": [\"getpid\"], " x "}]}"
#define ARG(x)                                                         \
	RULE("\"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": " \
	     "0, " x "}]")

/* each refusal, with the whole message a user reads */
static const struct {
	const char *json, *why;
} error_cases[] = {
	{ "", "not a JSON object" },
	{ "{\"defaultAction\": ", "not a JSON object" },
	{ "[]", "not a JSON object" },
	{ "{" DEF "} {}", "not a JSON object (text after it)" },
	{ "{}", "profile: defaultAction is missing" },
	{ "{\"defaultAction\": 1}", "defaultAction: not a string" },
	{ "{\"defaultAction\": \"SCMP_ACT_MAYBE\"}",
	  "defaultAction: \"SCMP_ACT_MAYBE\" is not an action" },
	{ "{\"defaultAction\": \"SCMP_ACT_NOTIFY\"}",
	  "defaultAction: SCMP_ACT_NOTIFY is not supported by keel "
	  "(no listener)" },
	{ "{" DEF ", \"defaultErrnoRet\": 1}",
	  "defaultErrnoRet: goes with SCMP_ACT_ERRNO or SCMP_ACT_TRACE "
	  "only" },
	{ "{\"defaultAction\": \"SCMP_ACT_ERRNO\", "
	  "\"defaultErrnoRet\": 4096}",
	  "defaultErrnoRet: not a whole number from 0 to 4095" },
	{ "{" DEF ", \"listenerPath\": \"/x\"}",
	  "profile: unknown field \"listenerPath\"" },
	{ "{" DEF ", " DEF "}", "profile: \"defaultAction\" twice" },
	{ "{" DEF ", \"flags\": [\"SECCOMP_FILTER_FLAG_LOG\"]}",
	  "flags: not supported by keel" },
	{ "{" DEF ", \"architectures\": [\"SCMP_ARCH_PPC64\"]}",
	  "architectures: the profile is not for " ARCH },
	{ "{" DEF ", \"architectures\": [1]}",
	  "architectures[0]: not a string" },
	{ "{" DEF ", \"archMap\": [{\"architecture\": "
	  "\"SCMP_ARCH_S390\", \"subArchitectures\": [\"x\"]}]}",
	  "architectures: the profile is not for " ARCH },
	{ "{" DEF ", \"archMap\": [{\"arch\": \"x\"}]}",
	  "archMap[0]: unknown field \"arch\"" },
	{ "{" DEF ", \"syscalls\": {}}", "syscalls: not a list" },
	{ "{" DEF ", \"syscalls\": [1]}", "syscalls[0]: not an object" },
	{ RULE("\"errnoRet\": 1"), "syscalls[0]: action is missing" },
	{ RULE("\"action\": \"SCMP_ACT_KILL\", \"errnoRet\": 1"),
	  "syscalls[0].errnoRet: goes with SCMP_ACT_ERRNO or "
	  "SCMP_ACT_TRACE only" },
	{ RULE("\"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": -1"),
	  "syscalls[0].errnoRet: not a whole number from 0 to 4095" },
	{ RULE("\"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": \"1\""),
	  "syscalls[0].errnoRet: not a number" },
	{ RULE("\"action\": \"SCMP_ACT_ALLOW\", \"name\": \"x\""),
	  "syscalls[0]: names and name: one or the other" },
	{ "{" DEF ", \"syscalls\": [{\"action\": \"SCMP_ACT_ALLOW\", "
	  "\"names\": []}]}",
	  "syscalls[0]: names: missing, or not a list of names" },
	{ "{" DEF ", \"syscalls\": [{\"action\": \"SCMP_ACT_ALLOW\", "
	  "\"names\": [\"getpid\", 7]}]}",
	  "syscalls[0].names[1]: not a string" },
	{ "{" DEF ", \"syscalls\": [{\"action\": \"SCMP_ACT_ALLOW\", "
	  "\"name\": [\"getpid\"]}]}",
	  "syscalls[0].name: not a string" },
	{ RULE("\"action\": \"SCMP_ACT_ALLOW\", \"minKernel\": "
	       "\"4.8\""),
	  "syscalls[0]: unknown field \"minKernel\"" },
	{ RULE("\"action\": \"SCMP_ACT_ALLOW\", \"includes\": "
	       "{\"caps\": [\"CAP_SYS_ADMIN\"]}"),
	  "syscalls[0]: includes: not supported by keel (it would "
	  "apply the rule whatever the condition)" },
	{ RULE("\"action\": \"SCMP_ACT_ALLOW\", \"args\": {}"),
	  "syscalls[0]: args: not a list" },
	{ ARG("\"value\": 1, \"op\": \"SCMP_CMP_ABOUT\""),
	  "syscalls[0].args[0].op: \"SCMP_CMP_ABOUT\" is not an "
	  "operator (SCMP_CMP_EQ, NE, LT, LE, GT, GE, MASKED_EQ)" },
	{ ARG("\"value\": 1"),
	  "syscalls[0].args[0].op: missing, or not a string" },
	{ ARG("\"value\": -1, \"op\": \"SCMP_CMP_EQ\""),
	  "syscalls[0].args[0].value: not a whole number from 0 to "
	  "9007199254740992" },
	{ ARG("\"value\": 1.5, \"op\": \"SCMP_CMP_EQ\""),
	  "syscalls[0].args[0].value: not a whole number from 0 to "
	  "9007199254740992" },
	{ ARG("\"value\": 18446744073709551615, \"op\": "
	      "\"SCMP_CMP_EQ\""),
	  "syscalls[0].args[0].value: not a whole number from 0 to "
	  "9007199254740992" },
	{ ARG("\"value\": \"1\", \"op\": \"SCMP_CMP_EQ\""),
	  "syscalls[0].args[0].value: not a number" },
	{ ARG("\"valueTwo\": true, \"op\": \"SCMP_CMP_EQ\""),
	  "syscalls[0].args[0].valueTwo: not a number" },
	{ RULE("\"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": "
	       "6, \"op\": \"SCMP_CMP_EQ\"}]"),
	  "syscalls[0].args[0].index: not a whole number from 0 to 5" },
	{ RULE("\"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"op\": "
	       "\"SCMP_CMP_EQ\"}]"),
	  "syscalls[0].args[0]: index is missing" },
	{ ARG("\"value\": 1, \"op\": \"SCMP_CMP_EQ\", \"extra\": 1"),
	  "syscalls[0].args[0]: unknown field \"extra\"" },
	{ RULE("\"action\": \"SCMP_ACT_ERRNO\", \"args\": ["
	       "{\"index\": 0, \"op\": \"SCMP_CMP_EQ\"},"
	       "{\"index\": 1, \"op\": \"SCMP_CMP_EQ\"},"
	       "{\"index\": 2, \"op\": \"SCMP_CMP_EQ\"},"
	       "{\"index\": 3, \"op\": \"SCMP_CMP_EQ\"},"
	       "{\"index\": 4, \"op\": \"SCMP_CMP_EQ\"},"
	       "{\"index\": 5, \"op\": \"SCMP_CMP_EQ\"},"
	       "{\"index\": 0, \"op\": \"SCMP_CMP_EQ\"}]"),
	  "syscalls[0].args[6]: more than 6 args" },
};

static void test_errors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(error_cases) / sizeof(*error_cases);
	     i++) {
		int r = compile(error_cases[i].json);
		if (r != -EINVAL || strcmp(err, error_cases[i].why))
			fail_msg("case %zu: %d '%s', not '%s'", i, r, err,
				 error_cases[i].why);
	}
}

/* a profile of n rules for getpid, each with six args */
static char *big(size_t n)
{
	static const char head[] = "{" DEF ", \"syscalls\": [";
	static const char rule[] =
		"{\"names\": [\"getpid\"], \"action\": \"SCMP_ACT_LOG\", "
		"\"args\": [{\"index\": 0, \"value\": 1, \"valueTwo\": 1, "
		"\"op\": \"SCMP_CMP_MASKED_EQ\"}, {\"index\": 1, \"op\": "
		"\"SCMP_CMP_GT\"}, {\"index\": 2, \"op\": \"SCMP_CMP_GE\"}, "
		"{\"index\": 3, \"op\": \"SCMP_CMP_LE\"}, {\"index\": 4, "
		"\"op\": \"SCMP_CMP_LT\"}, {\"index\": 5, \"op\": "
		"\"SCMP_CMP_NE\", \"value\": 7}]},";
	char *text = malloc(sizeof(head) + n * sizeof(rule) + 4), *p = text;

	assert_non_null(text);
	p += sprintf(p, "%s", head);
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "%s", rule);
	sprintf(p - 1, "]}");
	return text;
}

/* Bounded: the file's size, the program's length; long blocks still jump */
static void test_bounds(void **state)
{
	char *text;
	size_t len = SECCOMP_PROFILE_MAX + 1;

	(void)state;
	/* 10 rules of 31 instructions: a block past a short jump's reach */
	text = big(10);
	assert_int_equal(compile(text), 0);
	assert_true(flt.n > 300);
	free(text);
	/* 4096 instructions at most */
	text = big(200);
	assert_int_equal(compile(text), -E2BIG);
	assert_string_equal(err, "the profile makes more than 4096 BPF "
				 "instructions");
	free(text);
	/* past 1 MiB, however well-formed */
	text = malloc(len);
	assert_non_null(text);
	memset(text, ' ', len);
	memcpy(text, "{" DEF "}", strlen("{" DEF "}"));
	assert_int_equal(
		seccomp_profile_compile(text, len, &flt, err, sizeof(err)),
		-EFBIG);
	assert_string_equal(err, "larger than 1048576 bytes");
	assert_int_equal(
		seccomp_profile_compile(text, len - 1, &flt, err, sizeof(err)),
		0);
	free(text);
}

static char dir[64];

static void put(const char *name, const char *text, size_t len)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
}

static void test_load(void **state)
{
	char want[256], *text;

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/keel-seccomp-XXXXXX");
	assert_non_null(mkdtemp(dir));
	put("ok.json", "{" DEF "}", strlen("{" DEF "}"));
	put("bad.json", "{\"defaultAction\": \"SCMP_ACT_NO\"}", 32);
	text = calloc(1, SECCOMP_PROFILE_MAX + 1);
	assert_non_null(text);
	put("big.json", text, SECCOMP_PROFILE_MAX + 1);
	free(text);

	assert_int_equal(
		seccomp_profile_load(dir, "ok.json", &flt, err, sizeof(err)),
		0);
	assert_int_equal(
		seccomp_profile_load(dir, "gone.json", &flt, err, sizeof(err)),
		-ENOENT);
	snprintf(want, sizeof(want),
		 "seccomp profile %s/gone.json: No such file or directory",
		 dir);
	assert_string_equal(err, want);
	assert_int_equal(
		seccomp_profile_load(dir, "bad.json", &flt, err, sizeof(err)),
		-EINVAL);
	snprintf(want, sizeof(want),
		 "seccomp profile %s/bad.json: defaultAction: "
		 "\"SCMP_ACT_NO\" is not an action",
		 dir);
	assert_string_equal(err, want);
	assert_int_equal(
		seccomp_profile_load(dir, "big.json", &flt, err, sizeof(err)),
		-EFBIG);
	snprintf(want, sizeof(want),
		 "seccomp profile %s/big.json: larger than 1 MiB", dir);
	assert_string_equal(err, want);
	assert_int_equal(
		seccomp_profile_load("/tmp", "", &flt, err, sizeof(err)),
		-EINVAL);
	assert_string_equal(err, "seccomp profile /tmp/: not a regular file");
	for (const char *const *f =
		     (const char *const[]){ "ok.json", "bad.json", "big.json",
					    NULL };
	     *f; f++) {
		char path[128];
		snprintf(path, sizeof(path), "%s/%s", dir, *f);
		unlink(path);
	}
	rmdir(dir);
}

/*
 * For real: mkdirat refused with errno 42, personality(0x0040000)
 * refused with EPERM but personality(0xffffffff) let through, the rest
 * allowed.
 */
static int under_profile(void)
{
	if (compile("{" DEF ", \"syscalls\": ["
		    "{\"names\": [\"mkdir\", \"mkdirat\"], \"action\": "
		    "\"SCMP_ACT_ERRNO\", \"errnoRet\": 42},"
		    "{\"names\": [\"personality\"], \"action\": "
		    "\"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 0, "
		    "\"value\": 262144, \"op\": \"SCMP_CMP_EQ\"}]}]}"))
		return 99;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1L, 0L, 0L, 0L) < 0)
		return 100;
	if (seccomp_install(flt.f, flt.n) < 0)
		return 101;
	errno = 0;
	if (syscall(SYS_mkdirat, AT_FDCWD, "/tmp/keel-never-made", 0700) !=
		    -1 ||
	    errno != 42)
		return 1;
	errno = 0;
	if (syscall(SYS_personality, 0x0040000UL) != -1 || errno != EPERM)
		return 2;
	if (syscall(SYS_personality, 0xffffffffUL) < 0)
		return 3;
	if (syscall(SYS_getpid) != getpid())
		return 4;
	return 0;
}

static void test_installed(void **state)
{
	pid_t pid;
	int status;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(under_profile());
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFSIGNALED(status))
		fail_msg("the child was killed by signal %d", WTERMSIG(status));
	/* qemu-user refuses PR_SET_SECCOMP (test_seccomp.c says why) */
	if (WEXITSTATUS(status) == 101 && getenv("KEEL_QEMU_USER"))
		skip();
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_true(access("/tmp/keel-never-made", F_OK) != 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_installed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
