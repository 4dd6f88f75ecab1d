// SPDX-License-Identifier: MIT
#include "run/seccomp.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/keyctl.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
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
#else
#define NATIVE AUDIT_ARCH_AARCH64
#define FOREIGN AUDIT_ARCH_ARM
#endif

#define EPERM_RET (SECCOMP_RET_ERRNO | EPERM)
#define ENOSYS_RET (SECCOMP_RET_ERRNO | ENOSYS)

/* calls past the build host's headers: one number on every architecture */
#define NR_SET_MEMPOLICY_HOME_NODE 450
#define NR_CACHESTAT 451
#define NR_FCHMODAT2 452
#define NR_LSM_GET_SELF_ATTR 459
#define NR_REMOVEXATTRAT 466
#define NR_OPEN_TREE_ATTR 467

static struct sock_filter prog[SECCOMP_PROG_MAX];
static size_t prog_len;

static int setup(void **state)
{
	(void)state;
	return seccomp_default_program(prog, SECCOMP_PROG_MAX, &prog_len);
}

/*
 * Every instruction one the kernel takes, every jump forward and inside
 * the program, the last a return: so every path ends in a return.
 */
static void test_well_formed(void **state)
{
	struct sock_filter small[16];
	size_t n;

	(void)state;
	bpf_check_well_formed(prog, prog_len);
	assert_int_equal(seccomp_default_program(small, 16, &n), -E2BIG);
}

static uint32_t run(const struct seccomp_data *d)
{
	return bpf_run(prog, prog_len, d);
}

static uint32_t verdict(uint32_t arch, uint32_t nr, uint64_t arg0)
{
	struct seccomp_data d = { .nr = (int)nr, .arch = arch };

	d.args[0] = arg0;
	return run(&d);
}

#define CALL(nr) verdict(NATIVE, (nr), 0)
#define CALL1(nr, a) verdict(NATIVE, (nr), (a))

/* Synthetic calls through the program: what is hard to make for real. */
static void test_verdicts(void **state)
{
	(void)state;
	/* another ABI is killed; x32 and numbers past the profile: ENOSYS */
	assert_int_equal(verdict(FOREIGN, SYS_getpid, 0),
			 SECCOMP_RET_KILL_PROCESS);
	assert_int_equal(verdict(0, SYS_getpid, 0), SECCOMP_RET_KILL_PROCESS);
#if defined(__x86_64__)
	assert_int_equal(CALL(__X32_SYSCALL_BIT | SYS_getpid), ENOSYS_RET);
	assert_int_equal(CALL(SYS_arch_prctl), SECCOMP_RET_ALLOW);
	assert_int_equal(CALL(SYS_open), SECCOMP_RET_ALLOW);
	assert_int_equal(CALL(SYS_iopl), EPERM_RET);
	assert_int_equal(CALL(SYS_uselib), EPERM_RET);
	assert_int_equal(CALL(SYS__sysctl), EPERM_RET);
#endif
	assert_int_equal(CALL(NR_OPEN_TREE_ATTR), ENOSYS_RET);
	assert_int_equal(CALL(1000), ENOSYS_RET);
	assert_int_equal(CALL(0xffffffff), ENOSYS_RET);

	/* the list, its neighbours, its newest */
	assert_int_equal(CALL(SYS_read), SECCOMP_RET_ALLOW);
	assert_int_equal(CALL(SYS_openat), SECCOMP_RET_ALLOW);
	assert_int_equal(CALL(SYS_io_pgetevents), SECCOMP_RET_ALLOW);
	assert_int_equal(CALL(SYS_name_to_handle_at), SECCOMP_RET_ALLOW);
	assert_int_equal(CALL(SYS_adjtimex), SECCOMP_RET_ALLOW);
	assert_int_equal(CALL(SYS_ptrace), SECCOMP_RET_ALLOW);
	assert_int_equal(CALL(SYS_process_vm_readv), SECCOMP_RET_ALLOW);
	assert_int_equal(CALL(SYS_chroot), SECCOMP_RET_ALLOW);
	assert_int_equal(CALL(NR_CACHESTAT), SECCOMP_RET_ALLOW);
	assert_int_equal(CALL(NR_FCHMODAT2), SECCOMP_RET_ALLOW);
	assert_int_equal(CALL(NR_REMOVEXATTRAT), SECCOMP_RET_ALLOW);
	assert_int_equal(CALL(NR_SET_MEMPOLICY_HOME_NODE), EPERM_RET);
	assert_int_equal(CALL(NR_LSM_GET_SELF_ATTR), EPERM_RET);
	assert_int_equal(CALL(SYS_mount), EPERM_RET);
	assert_int_equal(CALL(SYS_umount2), EPERM_RET);
	assert_int_equal(CALL(SYS_pivot_root), EPERM_RET);
	assert_int_equal(CALL(SYS_unshare), EPERM_RET);
	assert_int_equal(CALL(SYS_setns), EPERM_RET);
	assert_int_equal(CALL(SYS_keyctl), EPERM_RET);
	assert_int_equal(CALL(SYS_add_key), EPERM_RET);
	assert_int_equal(CALL(SYS_bpf), EPERM_RET);
	assert_int_equal(CALL(SYS_kexec_load), EPERM_RET);
	assert_int_equal(CALL(SYS_finit_module), EPERM_RET);
	assert_int_equal(CALL(SYS_open_by_handle_at), EPERM_RET);
	assert_int_equal(CALL(SYS_userfaultfd), EPERM_RET);
	assert_int_equal(CALL(SYS_io_uring_setup), EPERM_RET);
	assert_int_equal(CALL(SYS_kcmp), EPERM_RET);
	assert_int_equal(CALL(SYS_pidfd_getfd), EPERM_RET);
	assert_int_equal(CALL(SYS_clock_settime), EPERM_RET);
	assert_int_equal(CALL(SYS_mbind), EPERM_RET);
	assert_int_equal(CALL(SYS_syslog), EPERM_RET);
	assert_int_equal(CALL(SYS_vhangup), EPERM_RET);
	assert_int_equal(CALL(SYS_acct), EPERM_RET);
	assert_int_equal(CALL(SYS_reboot), EPERM_RET);
	assert_int_equal(CALL(SYS_swapon), EPERM_RET);
	assert_int_equal(CALL(SYS_fsopen), EPERM_RET);
	assert_int_equal(CALL(SYS_move_pages), EPERM_RET);

	/* clone: namespace flags in the low half only */
	assert_int_equal(CALL1(SYS_clone, SIGCHLD), SECCOMP_RET_ALLOW);
	assert_int_equal(CALL1(SYS_clone, CLONE_VM | CLONE_THREAD),
			 SECCOMP_RET_ALLOW);
	assert_int_equal(CALL1(SYS_clone, 1ULL << 40 | SIGCHLD),
			 SECCOMP_RET_ALLOW);
	assert_int_equal(CALL1(SYS_clone, CLONE_NEWUSER | SIGCHLD), EPERM_RET);
	assert_int_equal(CALL1(SYS_clone, CLONE_NEWNS), EPERM_RET);
	assert_int_equal(CALL1(SYS_clone, CLONE_NEWCGROUP), EPERM_RET);
	assert_int_equal(CALL(SYS_clone3), ENOSYS_RET);

	/* socket: Docker's families; all 64 bits compared */
	assert_int_equal(CALL1(SYS_socket, AF_UNIX), SECCOMP_RET_ALLOW);
	assert_int_equal(CALL1(SYS_socket, AF_INET6), SECCOMP_RET_ALLOW);
	assert_int_equal(CALL1(SYS_socket, AF_NETLINK), SECCOMP_RET_ALLOW);
	assert_int_equal(CALL1(SYS_socket, AF_NFC), SECCOMP_RET_ALLOW);
	assert_int_equal(CALL1(SYS_socket, 45), SECCOMP_RET_ALLOW);
	assert_int_equal(CALL1(SYS_socket, AF_VSOCK), EPERM_RET);
	assert_int_equal(CALL1(SYS_socket, AF_ALG), EPERM_RET);
	assert_int_equal(CALL1(SYS_socket, 12), EPERM_RET);
	assert_int_equal(CALL1(SYS_socket, 46), EPERM_RET);
	assert_int_equal(CALL1(SYS_socket, 1ULL << 32 | AF_INET), EPERM_RET);

	/* personality: five values */
	assert_int_equal(CALL1(SYS_personality, 0), SECCOMP_RET_ALLOW);
	assert_int_equal(CALL1(SYS_personality, 0x8), SECCOMP_RET_ALLOW);
	assert_int_equal(CALL1(SYS_personality, 0x20008), SECCOMP_RET_ALLOW);
	assert_int_equal(CALL1(SYS_personality, 0xffffffff), SECCOMP_RET_ALLOW);
	assert_int_equal(CALL1(SYS_personality, 0x0040000), EPERM_RET);
	assert_int_equal(CALL1(SYS_personality, 0x0400000), EPERM_RET);
	assert_int_equal(CALL1(SYS_personality, 0xffffffffffffffff), EPERM_RET);
}

/*
 * The child under the filter makes raw calls (no libc or sanitizer
 * wrapper in the way), with arguments that are harmless should the filter
 * let them through, and says what went wrong on stderr.
 */
static int bad;

static void note(bool ok, const char *what)
{
	if (ok)
		return;
	bad++;
	if (write(2, what, strlen(what)) < 0 || write(2, "\n", 1) < 0)
		bad++;
}

#define REFUSED(call, e)                                               \
	do {                                                           \
		errno = 0;                                             \
		long r_ = (call);                                      \
		note(r_ == -1 && errno == (e), "not refused: " #call); \
	} while (0)

#define WORKS(call)                               \
	do {                                      \
		errno = 0;                        \
		long r_ = (call);                 \
		note(r_ >= 0, "refused: " #call); \
	} while (0)

/* allowed, and the kernel's own error is not one the filter gives */
#define PASSES(call, e)                                                     \
	do {                                                                \
		errno = 0;                                                  \
		long r_ = (call);                                           \
		note(r_ == -1 && errno == (e), "not the kernel's: " #call); \
	} while (0)

static int under_filter(void)
{
	long r, fd;
	int status;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1L, 0L, 0L, 0L) < 0)
		return 100;
	if (seccomp_install_default() < 0)
		return 101;

	/* a type no kernel has: ENODEV, were the call let through */
	REFUSED(syscall(SYS_mount, "none", "/", "keel-no-such-fs", 0UL, NULL),
		EPERM);
	REFUSED(syscall(SYS_unshare, (long)CLONE_NEWNS), EPERM);
	r = syscall(SYS_clone, (long)(CLONE_NEWUSER | SIGCHLD), 0L, 0L, 0L, 0L);
	if (r == 0)
		_exit(0);
	note(r == -1 && errno == EPERM, "not refused: clone(CLONE_NEWUSER)");
	if (r > 0)
		waitpid((pid_t)r, &status, 0);
	REFUSED(syscall(SYS_keyctl, (long)KEYCTL_GET_KEYRING_ID,
			(long)KEY_SPEC_SESSION_KEYRING, 0L),
		EPERM);
	REFUSED(syscall(SYS_setns, -1L, 0L), EPERM);
	REFUSED(syscall(SYS_personality, 0x0040000UL), EPERM);
	REFUSED(syscall(SYS_socket, (long)AF_VSOCK, (long)SOCK_STREAM, 0L),
		EPERM);
	REFUSED(syscall(SYS_socket, (long)AF_ALG, (long)SOCK_SEQPACKET, 0L),
		EPERM);
	REFUSED(syscall(SYS_socket, 1L << 32 | AF_UNIX, (long)SOCK_STREAM, 0L),
		EPERM);
	REFUSED(syscall(SYS_userfaultfd, 0L), EPERM);
	REFUSED(syscall(SYS_io_uring_setup, 0L, NULL), EPERM);
	REFUSED(syscall(SYS_open_by_handle_at, -1L, NULL, 0L), EPERM);
	/* settimeofday(NULL, NULL) does nothing, were it let through */
	REFUSED(syscall(SYS_settimeofday, NULL, NULL), EPERM);
	/* without the magic numbers, EINVAL, were it let through */
	REFUSED(syscall(SYS_reboot, 0L, 0L, 0L, NULL), EPERM);
	/* a size too small for any version: EINVAL, were it let through */
	REFUSED(syscall(SYS_clone3, NULL, 0UL), ENOSYS);
	REFUSED(syscall(NR_OPEN_TREE_ATTR, -1L, NULL, 0L, NULL, 0L), ENOSYS);
#if defined(__x86_64__)
	REFUSED(syscall(__X32_SYSCALL_BIT | SYS_getpid), ENOSYS);
#endif

	WORKS(syscall(SYS_getpid));
	WORKS(syscall(SYS_personality, 0xffffffffUL));
	WORKS(fd = syscall(SYS_openat, (long)AT_FDCWD, "/dev/null",
			   (long)(O_WRONLY | O_CLOEXEC)));
	WORKS(syscall(SYS_write, fd, "x", 1UL));
	WORKS(fd = syscall(SYS_socket, (long)AF_UNIX, (long)SOCK_STREAM, 0L));
	WORKS(syscall(SYS_close, fd));
	PASSES(syscall(SYS_chroot, "/keel-no-such-dir"), ENOENT);
	PASSES(syscall(SYS_ptrace, (long)PTRACE_ATTACH, 0x3fffffffL, NULL,
		       NULL),
	       ESRCH);

	/* fork, as libc does it: clone without a namespace flag */
	r = fork();
	if (r == 0)
		_exit(7);
	note(r > 0, "refused: fork()");
	if (r > 0) {
		note(waitpid((pid_t)r, &status, 0) == r && WIFEXITED(status) &&
			     WEXITSTATUS(status) == 7,
		     "fork(): the child did not exit 7");
	}
	return bad;
}

static void test_installed(void **state)
{
	pid_t pid;
	int status;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(under_filter());
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFSIGNALED(status))
		fail_msg("the child was killed by signal %d", WTERMSIG(status));
	assert_true(WIFEXITED(status));
	/*
	 * qemu-user (make unit-aarch64 says so in KEEL_QEMU_USER) refuses
	 * PR_SET_SECCOMP: a filter in the guest's numbering would apply to
	 * QEMU's own calls, in the host's. The verdicts above still ran.
	 */
	if (WEXITSTATUS(status) == 101 && getenv("KEEL_QEMU_USER"))
		skip();
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_well_formed),
		cmocka_unit_test(test_verdicts),
		cmocka_unit_test(test_installed),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
