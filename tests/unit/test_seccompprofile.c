// SPDX-License-Identifier: MIT
/*
 * seccompProfile Localhost: the profile reader (run/seccompprofile.c).
 * Each program is checked for shape, then run through a classic BPF
 * interpreter here against synthetic calls (every action, every
 * operator on 64-bit arguments against a C reference).
 * test_seccompprofile_errors.c has the refusals and a real install.
 */
#include "run/seccompprofile.h"
#include "run/seccomp.h"
#include "run/syscalltab.h"

#include <asm/unistd.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "bpf_check.h"

#if defined(__x86_64__)
#define NATIVE AUDIT_ARCH_X86_64
#define FOREIGN AUDIT_ARCH_I386
#define ARCH "SCMP_ARCH_X86_64"
#else
#define NATIVE AUDIT_ARCH_AARCH64
#define FOREIGN AUDIT_ARCH_ARM
#define ARCH "SCMP_ARCH_AARCH64"
#endif

#define ERRNO(e) (SECCOMP_RET_ERRNO | (e))

static struct seccomp_filter flt;
static char err[512];

static int compile(const char *json)
{
	err[0] = '\0';
	return seccomp_profile_compile(json, strlen(json), &flt, err,
				       sizeof(err));
}

/* Every instruction one seccomp takes; jumps forward and inside; a return */
static void well_formed(void)
{
	bpf_check_well_formed(flt.f, flt.n);
}

static uint32_t run_bpf(uint32_t arch, int nr, const uint64_t args[6])
{
	struct seccomp_data d = { .nr = nr, .arch = arch };

	memcpy(d.args, args, sizeof(d.args));
	return bpf_run(flt.f, flt.n, &d);
}

static uint32_t call(const char *name, uint64_t arg0, uint64_t arg1)
{
	uint64_t args[6] = { arg0, arg1 };
	int nr = syscalltab_number(name);

	assert_true(nr >= 0);
	return run_bpf(NATIVE, nr, args);
}

static void must_compile(const char *json)
{
	if (compile(json))
		fail_msg("%s\n%s", err, json);
	well_formed();
}

static void test_actions(void **state)
{
	static const struct {
		const char *action, *extra;
		uint32_t ret;
	} cases[] = {
		{ "SCMP_ACT_ALLOW", "", SECCOMP_RET_ALLOW },
		{ "SCMP_ACT_ERRNO", "", ERRNO(EPERM) },
		{ "SCMP_ACT_ERRNO", ", \"errnoRet\": 38", ERRNO(38) },
		{ "SCMP_ACT_ERRNO", ", \"errnoRet\": 0", ERRNO(0) },
		{ "SCMP_ACT_KILL", "", SECCOMP_RET_KILL_THREAD },
		{ "SCMP_ACT_KILL_THREAD", "", SECCOMP_RET_KILL_THREAD },
		{ "SCMP_ACT_KILL_PROCESS", "", SECCOMP_RET_KILL_PROCESS },
		{ "SCMP_ACT_TRAP", "", SECCOMP_RET_TRAP },
		{ "SCMP_ACT_LOG", "", SECCOMP_RET_LOG },
		{ "SCMP_ACT_TRACE", "", ERRNO(ENOSYS) },
	};
	char json[512];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		/*
		 * as a rule's action, then as the default (open_tree_attr,
		 * the newest call, named so that none is past the profile)
		 */
		snprintf(json, sizeof(json),
			 "{\"defaultAction\": \"SCMP_ACT_ERRNO\", "
			 "\"defaultErrnoRet\": 1000, \"syscalls\": "
			 "[{\"names\": [\"getpid\"], \"action\": \"%s\"%s}, "
			 "{\"names\": [\"open_tree_attr\"], \"action\": "
			 "\"SCMP_ACT_ALLOW\"}]}",
			 cases[i].action, cases[i].extra);
		must_compile(json);
		assert_int_equal(call("getpid", 0, 0), cases[i].ret);
		assert_int_equal(call("getppid", 0, 0), ERRNO(1000));
		snprintf(json, sizeof(json),
			 "{\"defaultAction\": \"%s\"%s, \"syscalls\": "
			 "[{\"names\": [\"getpid\", \"open_tree_attr\"], "
			 "\"action\": \"SCMP_ACT_ALLOW\"}]}",
			 cases[i].action,
			 cases[i].extra[0] ? ", \"defaultErrnoRet\": 38" : "");
		if (!strcmp(cases[i].extra, ", \"errnoRet\": 0"))
			continue;
		must_compile(json);
		assert_int_equal(call("getppid", 0, 0), cases[i].ret);
		assert_int_equal(call("getpid", 0, 0), SECCOMP_RET_ALLOW);
	}
}

/* The architecture first: another ABI killed, x32 answered ENOSYS */
static void test_arch(void **state)
{
	uint64_t args[6] = { 0 };

	(void)state;
	must_compile("{\"defaultAction\": \"SCMP_ACT_ALLOW\", "
		     "\"architectures\": [\"SCMP_ARCH_X86\", \"" ARCH "\"]}");
	assert_int_equal(run_bpf(NATIVE, __NR_getpid, args), SECCOMP_RET_ALLOW);
	assert_int_equal(run_bpf(FOREIGN, __NR_getpid, args),
			 SECCOMP_RET_KILL_PROCESS);
#if defined(__x86_64__)
	assert_int_equal(run_bpf(NATIVE, __X32_SYSCALL_BIT | __NR_getpid, args),
			 ERRNO(ENOSYS));
#endif
	must_compile("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"archMap\": "
		     "[{\"architecture\": \"SCMP_ARCH_PPC64\"}, "
		     "{\"architecture\": \"SCMP_ARCH_X86\", "
		     "\"subArchitectures\": [\"" ARCH "\"]}]}");
}

/* each operator against 64-bit values whose halves differ */
static bool reference(int op, uint64_t v, uint64_t a, uint64_t b)
{
	switch (op) {
	case 0:
		return v == a;
	case 1:
		return v != a;
	case 2:
		return v < a;
	case 3:
		return v <= a;
	case 4:
		return v > a;
	case 5:
		return v >= a;
	default:
		return (v & a) == b;
	}
}

static void test_operators(void **state)
{
	static const char *const ops[] = {
		"SCMP_CMP_EQ",	      "SCMP_CMP_NE", "SCMP_CMP_LT",
		"SCMP_CMP_LE",	      "SCMP_CMP_GT", "SCMP_CMP_GE",
		"SCMP_CMP_MASKED_EQ",
	};
	/* around each half's edges (JSON numbers: exact to 2^53) */
	static const uint64_t values[] = {
		0,
		1,
		5,
		0xffffffff,
		0x100000000,
		0x100000004,
		0x100000005,
		0x100000006,
		0x1ffffffff,
		0x200000000,
		0x200000005,
		0x1fffff00000000,
		(1ULL << 53) - 1,
	};
	static const uint64_t extra[] = { 0xffffffffffffffff,
					  0x8000000000000005,
					  0xffffffff00000005 };
	char json[512];
	size_t nv = sizeof(values) / sizeof(*values);

	(void)state;
	for (size_t o = 0; o < 7; o++)
		for (size_t i = 0; i < nv; i++) {
			uint64_t a = values[i], b = values[(i * 7 + 3) % nv];
			if (o == 6)
				b &= a; /* a datum the mask can give */
			snprintf(json, sizeof(json),
				 "{\"defaultAction\": \"SCMP_ACT_ALLOW\", "
				 "\"syscalls\": [{\"names\": [\"personality\"]"
				 ", \"action\": \"SCMP_ACT_ERRNO\", \"args\": "
				 "[{\"index\": 1, \"value\": %llu, "
				 "\"valueTwo\": %llu, \"op\": \"%s\"}]}]}",
				 (unsigned long long)a, (unsigned long long)b,
				 ops[o]);
			must_compile(json);
			for (size_t j = 0; j < nv + 3; j++) {
				uint64_t v = j < nv ? values[j] : extra[j - nv];
				bool hit = reference((int)o, v, a, b);
				uint32_t want =
					hit ? ERRNO(EPERM) : SECCOMP_RET_ALLOW;
				if (call("personality", 0, v) != want)
					fail_msg("%s %#llx %#llx: arg %#llx",
						 ops[o], (unsigned long long)a,
						 (unsigned long long)b,
						 (unsigned long long)v);
			}
		}
}

/*
 * Args on different indexes: all must hold. The same index twice: each
 * is a rule of its own (runc's split), so either may.
 */
static void test_args_and_or(void **state)
{
	(void)state;
	must_compile("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": "
		     "[{\"names\": [\"personality\"], \"action\": "
		     "\"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 0, "
		     "\"value\": 8, \"op\": \"SCMP_CMP_EQ\"}, {\"index\": 1, "
		     "\"value\": 9, \"op\": \"SCMP_CMP_EQ\"}]}]}");
	assert_int_equal(call("personality", 8, 9), ERRNO(EPERM));
	assert_int_equal(call("personality", 8, 0), SECCOMP_RET_ALLOW);
	assert_int_equal(call("personality", 0, 9), SECCOMP_RET_ALLOW);
	must_compile("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": "
		     "[{\"names\": [\"personality\"], \"action\": "
		     "\"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 0, "
		     "\"value\": 8, \"op\": \"SCMP_CMP_EQ\"}, {\"index\": 0, "
		     "\"value\": 9, \"op\": \"SCMP_CMP_EQ\"}]}]}");
	assert_int_equal(call("personality", 8, 0), ERRNO(EPERM));
	assert_int_equal(call("personality", 9, 0), ERRNO(EPERM));
	assert_int_equal(call("personality", 10, 0), SECCOMP_RET_ALLOW);
}

/*
 * Several rules for one call: the one without args decides, wherever it
 * is; else the first whose args hold, in the order written.
 */
static void test_rule_order(void **state)
{
	(void)state;
	must_compile(
		"{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": ["
		"{\"names\": [\"personality\"], \"action\": \"SCMP_ACT_ERRNO\","
		" \"errnoRet\": 5, \"args\": [{\"index\": 0, \"value\": 1, "
		"\"op\": \"SCMP_CMP_EQ\"}]},"
		"{\"names\": [\"personality\"], \"action\": \"SCMP_ACT_ALLOW\"}"
		"]}");
	assert_int_equal(call("personality", 1, 0), SECCOMP_RET_ALLOW);
	must_compile(
		"{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": ["
		"{\"names\": [\"personality\"], \"action\": \"SCMP_ACT_ERRNO\","
		" \"errnoRet\": 5, \"args\": [{\"index\": 0, \"value\": 1, "
		"\"op\": \"SCMP_CMP_GE\"}]},"
		"{\"names\": [\"personality\"], \"action\": \"SCMP_ACT_ALLOW\","
		" \"args\": [{\"index\": 0, \"value\": 3, "
		"\"op\": \"SCMP_CMP_LE\"}]}]}");
	assert_int_equal(call("personality", 2, 0), ERRNO(5));
	assert_int_equal(call("personality", 0, 0), SECCOMP_RET_ALLOW);
	assert_int_equal(call("read", 0, 0), ERRNO(EPERM));
	assert_int_equal(
		compile("{\"defaultAction\": \"SCMP_ACT_ALLOW\", "
			"\"syscalls\": [{\"names\": [\"getpid\"], "
			"\"action\": \"SCMP_ACT_ERRNO\"}, {\"names\": "
			"[\"getpid\"], \"action\": \"SCMP_ACT_LOG\"}]}"),
		-EINVAL);
	assert_string_equal(err, "syscalls[1]: a call has two rules without "
				 "args and different actions (the other: "
				 "syscalls[0])");
}

/*
 * Unless the default lets it through, a call past every call the
 * profile names gets ENOSYS (runc's stub): newer than the profile. A
 * rule with the default's action is dropped (runc): it does not keep
 * the call's other rules from deciding.
 */
static void test_newer_and_dropped(void **state)
{
	(void)state;
	/* getppid is past getpid on both architectures; read before it */
	must_compile("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": "
		     "[{\"names\": [\"getpid\"], \"action\": "
		     "\"SCMP_ACT_ALLOW\"}]}");
	assert_int_equal(call("getpid", 0, 0), SECCOMP_RET_ALLOW);
	assert_int_equal(call("getppid", 0, 0), ERRNO(ENOSYS));
	assert_int_equal(call("open_tree_attr", 0, 0), ERRNO(ENOSYS));
	assert_int_equal(call("read", 0, 0), ERRNO(EPERM));
	must_compile("{\"defaultAction\": \"SCMP_ACT_LOG\", \"syscalls\": "
		     "[{\"names\": [\"getpid\"], \"action\": "
		     "\"SCMP_ACT_KILL\"}]}");
	assert_int_equal(call("getppid", 0, 0), SECCOMP_RET_LOG);
	must_compile(
		"{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": ["
		"{\"names\": [\"personality\", \"open_tree_attr\"], "
		"\"action\": \"SCMP_ACT_ERRNO\"},"
		"{\"names\": [\"personality\"], \"action\": \"SCMP_ACT_ALLOW\","
		" \"args\": [{\"index\": 0, \"value\": 8, "
		"\"op\": \"SCMP_CMP_EQ\"}]}]}");
	assert_int_equal(call("personality", 8, 0), SECCOMP_RET_ALLOW);
	assert_int_equal(call("personality", 1, 0), ERRNO(EPERM));
}

/* An allow list as runs; a name this architecture lacks, skipped */
static void test_names(void **state)
{
	static const char *const allowed[] = {
		"read",	  "write",   "close",	"exit_group",	"openat",
		"getpid", "getppid", "mkdirat", "clock_gettime"
	};
	static const char *const refused[] = { "unshare", "mount", "setns",
					       "kexec_load", "reboot" };

	(void)state;
	must_compile(
		"{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": "
		"[{\"names\": [\"read\", \"write\", \"close\", "
		"\"exit_group\", \"openat\", \"no_such_call\", \"getpid\", "
		"\"open_tree_attr\","
		" \"getppid\", \"mkdirat\", \"clock_gettime\", "
		"\"Getpid\"], \"action\": \"SCMP_ACT_ALLOW\", "
		"\"comment\": \"\", \"includes\": {}, \"excludes\": {}}]}");
	for (size_t i = 0; i < sizeof(allowed) / sizeof(*allowed); i++)
		assert_int_equal(call(allowed[i], 0, 0), SECCOMP_RET_ALLOW);
	for (size_t i = 0; i < sizeof(refused) / sizeof(*refused); i++)
		assert_int_equal(call(refused[i], 0, 0), ERRNO(EPERM));
	assert_int_equal(
		compile("{\"defaultAction\": \"SCMP_ACT_ALLOW\", "
			"\"syscalls\": [{\"names\": [\"nope\", "
			"\"nada\"], \"action\": \"SCMP_ACT_ERRNO\"}]}"),
		-EINVAL);
	assert_string_equal(err, "syscalls: none of the 2 calls it names "
				 "exists on this architecture");
	/* only a default: every call gets it */
	must_compile("{\"defaultAction\": \"SCMP_ACT_LOG\"}");
	assert_int_equal(call("getpid", 0, 0), SECCOMP_RET_LOG);
}

static void test_syscalltab(void **state)
{
	(void)state;
	assert_int_equal(syscalltab_number("read"), __NR_read);
	assert_int_equal(syscalltab_number("mkdirat"), __NR_mkdirat);
	assert_int_equal(syscalltab_number("personality"), __NR_personality);
	assert_int_equal(syscalltab_number("clone3"), __NR_clone3);
	assert_int_equal(syscalltab_number("futex_waitv"), __NR_futex_waitv);
	assert_int_equal(syscalltab_number("open_tree_attr"), 467);
#if defined(__x86_64__)
	assert_int_equal(syscalltab_number("mkdir"), __NR_mkdir);
	assert_int_equal(syscalltab_number("arch_prctl"), __NR_arch_prctl);
	assert_int_equal(syscalltab_number("uretprobe"), 335);
#else
	assert_int_equal(syscalltab_number("mkdir"), -1);
	assert_int_equal(syscalltab_number("newfstatat"), __NR_newfstatat);
#endif
	assert_int_equal(syscalltab_number("read:0"), -1);
	assert_int_equal(syscalltab_number("ead"), -1);
	assert_int_equal(syscalltab_number(""), -1);
	assert_int_equal(syscalltab_number("READ"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_actions),
		cmocka_unit_test(test_arch),
		cmocka_unit_test(test_operators),
		cmocka_unit_test(test_args_and_or),
		cmocka_unit_test(test_rule_order),
		cmocka_unit_test(test_newer_and_dropped),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_syscalltab),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
