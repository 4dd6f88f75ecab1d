// SPDX-License-Identifier: MIT
/*
 * Docker's default seccomp profile, for a container with Docker's default
 * capabilities, as one classic BPF program.
 *
 * The reference is the profile's source, moby/profiles
 * seccomp/default_linux.go (commit 02e898b1), and how runc loads it. For a
 * container without CAP_SYS_ADMIN and the other capabilities Docker does
 * not grant by default, what applies of it is: the calls on its allow list
 * (below, name for name); ptrace and process_vm_{readv,writev} (kernels
 * from 4.8 on); chroot (CAP_SYS_CHROOT is a default capability); clone
 * without a namespace flag; clone3 answered ENOSYS, so that libcs fall
 * back to clone; socket for the address families it lists; personality
 * for five values; and on x86_64 arch_prctl and modify_ldt. Everything else
 * is refused with EPERM (the profile's defaultErrnoRet), except a call
 * numbered past every call the profile names, which gets ENOSYS as runc
 * answers it (libcontainer/seccomp/patchbpf), so that a libc probing a
 * call newer than the profile falls back as on an older kernel.
 *
 * Where we differ: Docker maps the profile onto the 32-bit ABIs too
 * (i386 and x32 beside x86_64, arm beside aarch64); we kill a process that
 * makes a call in a foreign ABI, and answer ENOSYS to x32, as a kernel
 * built without it does. README.md, "Seccomp", has the whole account.
 */
#include "run/seccomp.h"
#include "run/bpf.h"

#include <asm/unistd.h>
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * The kernel's own numbering (<asm/unistd.h>), the same whichever libc we
 * are built with; the architecture is bpf.h's BPF_NATIVE_ARCH.
 */

/*
 * Calls newer than the build's kernel headers. From pidfd_send_signal (424)
 * on, a new call gets the same number on every architecture, so these
 * hold for x86_64 and aarch64 alike.
 */
#ifndef __NR_cachestat
#define __NR_cachestat 451
#endif
#ifndef __NR_fchmodat2
#define __NR_fchmodat2 452
#endif
#ifndef __NR_map_shadow_stack
#define __NR_map_shadow_stack 453
#endif
#ifndef __NR_futex_wake
#define __NR_futex_wake 454
#endif
#ifndef __NR_futex_wait
#define __NR_futex_wait 455
#endif
#ifndef __NR_futex_requeue
#define __NR_futex_requeue 456
#endif
#ifndef __NR_statmount
#define __NR_statmount 457
#endif
#ifndef __NR_listmount
#define __NR_listmount 458
#endif
#ifndef __NR_mseal
#define __NR_mseal 462
#endif
#ifndef __NR_setxattrat
#define __NR_setxattrat 463
#endif
#ifndef __NR_getxattrat
#define __NR_getxattrat 464
#endif
#ifndef __NR_listxattrat
#define __NR_listxattrat 465
#endif
#ifndef __NR_removexattrat
#define __NR_removexattrat 466
#endif
/* x86_64's own (Linux 6.11): the kernel's uretprobe trampoline calls it */
#if defined(__x86_64__) && !defined(__NR_uretprobe)
#define __NR_uretprobe 335
#endif

/*
 * Docker's allow list, in its order: the calls every 64-bit ABI has
 * (asm-generic's table, which x86_64 has too), so a misspelt name fails
 * the build.
 *
 * Left out, as only 32-bit ABIs have them (we refuse those ABIs whole):
 * the *32 uid/gid calls, the *_time64 calls, *64 file calls (fstat64,
 * fstatat64, fstatfs64, ftruncate64, lstat64, sendfile64, stat64,
 * statfs64, truncate64, fcntl64, fadvise64_64), _llseek, _newselect,
 * mmap2, ipc, recv, send, socketcall, sigprocmask, sigreturn, ugetrlimit,
 * waitpid; and riscv_hwprobe, riscv64's.
 */
static const uint16_t allowed[] = {
	__NR_accept,
	__NR_accept4,
	__NR_adjtimex,
	__NR_bind,
	__NR_brk,
	__NR_cachestat,
	__NR_capget,
	__NR_capset,
	__NR_chdir,
	__NR_clock_adjtime,
	__NR_clock_getres,
	__NR_clock_gettime,
	__NR_clock_nanosleep,
	__NR_close,
	__NR_close_range,
	__NR_connect,
	__NR_copy_file_range,
	__NR_dup,
	__NR_dup3,
	__NR_epoll_create1,
	__NR_epoll_ctl,
	__NR_epoll_pwait,
	__NR_epoll_pwait2,
	__NR_eventfd2,
	__NR_execve,
	__NR_execveat,
	__NR_exit,
	__NR_exit_group,
	__NR_faccessat,
	__NR_faccessat2,
	__NR_fadvise64,
	__NR_fallocate,
	__NR_fanotify_mark,
	__NR_fchdir,
	__NR_fchmod,
	__NR_fchmodat,
	__NR_fchmodat2,
	__NR_fchown,
	__NR_fchownat,
	__NR_fcntl,
	__NR_fdatasync,
	__NR_fgetxattr,
	__NR_flistxattr,
	__NR_flock,
	__NR_fremovexattr,
	__NR_fsetxattr,
	__NR_fstatfs,
	__NR_fsync,
	__NR_ftruncate,
	__NR_futex,
	__NR_futex_requeue,
	__NR_futex_wait,
	__NR_futex_waitv,
	__NR_futex_wake,
	__NR_getcpu,
	__NR_getcwd,
	__NR_getdents64,
	__NR_getegid,
	__NR_geteuid,
	__NR_getgid,
	__NR_getgroups,
	__NR_getitimer,
	__NR_getpeername,
	__NR_getpgid,
	__NR_getpid,
	__NR_getppid,
	__NR_getpriority,
	__NR_getrandom,
	__NR_getresgid,
	__NR_getresuid,
	__NR_get_robust_list,
	__NR_getrusage,
	__NR_getsid,
	__NR_getsockname,
	__NR_getsockopt,
	__NR_gettid,
	__NR_gettimeofday,
	__NR_getuid,
	__NR_getxattr,
	__NR_getxattrat,
	__NR_inotify_add_watch,
	__NR_inotify_init1,
	__NR_inotify_rm_watch,
	__NR_io_cancel,
	__NR_ioctl,
	__NR_io_destroy,
	__NR_io_getevents,
	__NR_io_pgetevents,
	__NR_ioprio_get,
	__NR_ioprio_set,
	__NR_io_setup,
	__NR_io_submit,
	__NR_kill,
	__NR_landlock_add_rule,
	__NR_landlock_create_ruleset,
	__NR_landlock_restrict_self,
	__NR_lgetxattr,
	__NR_linkat,
	__NR_listen,
	__NR_listmount,
	__NR_listxattr,
	__NR_listxattrat,
	__NR_llistxattr,
	__NR_lremovexattr,
	__NR_lseek,
	__NR_lsetxattr,
	__NR_madvise,
	__NR_map_shadow_stack,
	__NR_membarrier,
	__NR_memfd_create,
	__NR_mincore,
	__NR_mkdirat,
	__NR_mknodat,
	__NR_mlock,
	__NR_mlock2,
	__NR_mlockall,
	__NR_mmap,
	__NR_mprotect,
	__NR_mq_getsetattr,
	__NR_mq_notify,
	__NR_mq_open,
	__NR_mq_timedreceive,
	__NR_mq_timedsend,
	__NR_mq_unlink,
	__NR_mremap,
	__NR_mseal,
	__NR_msgctl,
	__NR_msgget,
	__NR_msgrcv,
	__NR_msgsnd,
	__NR_msync,
	__NR_munlock,
	__NR_munlockall,
	__NR_munmap,
	__NR_name_to_handle_at,
	__NR_nanosleep,
	__NR_openat,
	__NR_openat2,
	__NR_pidfd_open,
	__NR_pidfd_send_signal,
	__NR_pipe2,
	__NR_pkey_alloc,
	__NR_pkey_free,
	__NR_pkey_mprotect,
	__NR_ppoll,
	__NR_prctl,
	__NR_pread64,
	__NR_preadv,
	__NR_preadv2,
	__NR_prlimit64,
	__NR_process_mrelease,
	__NR_pselect6,
	__NR_pwrite64,
	__NR_pwritev,
	__NR_pwritev2,
	__NR_read,
	__NR_readahead,
	__NR_readlinkat,
	__NR_readv,
	__NR_recvfrom,
	__NR_recvmmsg,
	__NR_recvmsg,
	__NR_remap_file_pages,
	__NR_removexattr,
	__NR_removexattrat,
	__NR_renameat2,
	__NR_restart_syscall,
	__NR_rseq,
	__NR_rt_sigaction,
	__NR_rt_sigpending,
	__NR_rt_sigprocmask,
	__NR_rt_sigqueueinfo,
	__NR_rt_sigreturn,
	__NR_rt_sigsuspend,
	__NR_rt_sigtimedwait,
	__NR_rt_tgsigqueueinfo,
	__NR_sched_getaffinity,
	__NR_sched_getattr,
	__NR_sched_getparam,
	__NR_sched_get_priority_max,
	__NR_sched_get_priority_min,
	__NR_sched_getscheduler,
	__NR_sched_rr_get_interval,
	__NR_sched_setaffinity,
	__NR_sched_setattr,
	__NR_sched_setparam,
	__NR_sched_setscheduler,
	__NR_sched_yield,
	__NR_seccomp,
	__NR_semctl,
	__NR_semget,
	__NR_semop,
	__NR_semtimedop,
	__NR_sendfile,
	__NR_sendmmsg,
	__NR_sendmsg,
	__NR_sendto,
	__NR_setfsgid,
	__NR_setfsuid,
	__NR_setgid,
	__NR_setgroups,
	__NR_setitimer,
	__NR_setpgid,
	__NR_setpriority,
	__NR_setregid,
	__NR_setresgid,
	__NR_setresuid,
	__NR_setreuid,
	__NR_set_robust_list,
	__NR_setsid,
	__NR_setsockopt,
	__NR_set_tid_address,
	__NR_setuid,
	__NR_setxattr,
	__NR_setxattrat,
	__NR_shmat,
	__NR_shmctl,
	__NR_shmdt,
	__NR_shmget,
	__NR_shutdown,
	__NR_sigaltstack,
	__NR_signalfd4,
	__NR_socketpair,
	__NR_splice,
	__NR_statfs,
	__NR_statmount,
	__NR_statx,
	__NR_symlinkat,
	__NR_sync,
	__NR_sync_file_range,
	__NR_syncfs,
	__NR_sysinfo,
	__NR_tee,
	__NR_tgkill,
	__NR_timer_create,
	__NR_timer_delete,
	__NR_timer_getoverrun,
	__NR_timer_gettime,
	__NR_timer_settime,
	__NR_timerfd_create,
	__NR_timerfd_gettime,
	__NR_timerfd_settime,
	__NR_times,
	__NR_tkill,
	__NR_truncate,
	__NR_umask,
	__NR_uname,
	__NR_unlinkat,
	__NR_utimensat,
	__NR_vmsplice,
	__NR_wait4,
	__NR_waitid,
	__NR_write,
	__NR_writev,
};

/*
 * The rest of the list: calls an architecture may lack. asm-generic's
 * table, which aarch64 uses, has no open, stat, fork, pipe and the other
 * calls superseded by an *at or a newer form, and leaves fstat, newfstatat,
 * renameat, getrlimit, setrlimit and memfd_secret to each architecture
 * (aarch64 takes them). x86_64 has all of these.
 */
static const uint16_t allowed_if_present[] = {
#ifdef __NR_access
	__NR_access,
#endif
#ifdef __NR_alarm
	__NR_alarm,
#endif
#ifdef __NR_chmod
	__NR_chmod,
#endif
#ifdef __NR_chown
	__NR_chown,
#endif
#ifdef __NR_creat
	__NR_creat,
#endif
#ifdef __NR_dup2
	__NR_dup2,
#endif
#ifdef __NR_epoll_create
	__NR_epoll_create,
#endif
#ifdef __NR_epoll_ctl_old
	__NR_epoll_ctl_old,
#endif
#ifdef __NR_epoll_wait
	__NR_epoll_wait,
#endif
#ifdef __NR_epoll_wait_old
	__NR_epoll_wait_old,
#endif
#ifdef __NR_eventfd
	__NR_eventfd,
#endif
#ifdef __NR_fork
	__NR_fork,
#endif
#ifdef __NR_fstat
	__NR_fstat,
#endif
#ifdef __NR_futimesat
	__NR_futimesat,
#endif
#ifdef __NR_getdents
	__NR_getdents,
#endif
#ifdef __NR_getpgrp
	__NR_getpgrp,
#endif
#ifdef __NR_getrlimit
	__NR_getrlimit,
#endif
#ifdef __NR_get_thread_area
	__NR_get_thread_area,
#endif
#ifdef __NR_inotify_init
	__NR_inotify_init,
#endif
#ifdef __NR_lchown
	__NR_lchown,
#endif
#ifdef __NR_link
	__NR_link,
#endif
#ifdef __NR_lstat
	__NR_lstat,
#endif
#ifdef __NR_memfd_secret
	__NR_memfd_secret,
#endif
#ifdef __NR_mkdir
	__NR_mkdir,
#endif
#ifdef __NR_mknod
	__NR_mknod,
#endif
#ifdef __NR_newfstatat
	__NR_newfstatat,
#endif
#ifdef __NR_open
	__NR_open,
#endif
#ifdef __NR_pause
	__NR_pause,
#endif
#ifdef __NR_pipe
	__NR_pipe,
#endif
#ifdef __NR_poll
	__NR_poll,
#endif
#ifdef __NR_readlink
	__NR_readlink,
#endif
#ifdef __NR_rename
	__NR_rename,
#endif
#ifdef __NR_renameat
	__NR_renameat,
#endif
#ifdef __NR_rmdir
	__NR_rmdir,
#endif
#ifdef __NR_select
	__NR_select,
#endif
#ifdef __NR_setrlimit
	__NR_setrlimit,
#endif
#ifdef __NR_set_thread_area
	__NR_set_thread_area,
#endif
#ifdef __NR_signalfd
	__NR_signalfd,
#endif
#ifdef __NR_stat
	__NR_stat,
#endif
#ifdef __NR_symlink
	__NR_symlink,
#endif
#ifdef __NR_time
	__NR_time,
#endif
#ifdef __NR_unlink
	__NR_unlink,
#endif
#ifdef __NR_uretprobe
	__NR_uretprobe,
#endif
#ifdef __NR_utime
	__NR_utime,
#endif
#ifdef __NR_utimes
	__NR_utimes,
#endif
#ifdef __NR_vfork
	__NR_vfork,
#endif
};

/* Docker's rules beside the list that apply to such a container */
static const uint16_t allowed_by_rule[] = {
	/* "minKernel": "4.8", and keel's kernel is past it */
	__NR_ptrace, __NR_process_vm_readv, __NR_process_vm_writev,
	/* CAP_SYS_CHROOT is a default capability */
	__NR_chroot,
#ifdef __NR_arch_prctl
	__NR_arch_prctl, /* amd64 */
#endif
#ifdef __NR_modify_ldt
	__NR_modify_ldt, /* amd64 */
#endif
};

/*
 * clone with any of these is refused: Docker allows clone when (flags &
 * these) == 0. CLONE_NEWTIME is not among them: in clone's flags its bit
 * is the exit signal's; only clone3 and unshare can ask for a time
 * namespace, and both are refused.
 */
#define CLONE_NAMESPACES                                             \
	(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | \
	 CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWCGROUP)

/*
 * personality(2): PER_LINUX, PER_LINUX32, either with UNAME26, and the
 * query 0xffffffff; no other (READ_IMPLIES_EXEC, ADDR_NO_RANDOMIZE, ...).
 */
static const uint32_t personalities[] = { 0x0, 0x8, 0x20000, 0x20008,
					  0xffffffff };

/*
 * socket(2): the address families Docker's list leaves out. A family from
 * FAMILY_END on (past AF_MCTP, 45, the last the list names) is refused
 * too. Numbers, not AF_ names: libcs lack some of these.
 */
static const uint8_t refused_families[] = {
	12, /* AF_DECnet, gone from Linux 6.1 */
	19, /* AF_ECONET, gone from 3.5 */
	20, /* AF_ATMSVC, gone from 7.2 */
	23, /* AF_IRDA, gone from 4.17 */
	25, /* AF_WANPIPE, never implemented */
	34, /* AF_ISDN, gone from 7.1 */
	37, /* AF_CAIF, gone from 7.1 */
	38, /* AF_ALG, the kernel's crypto API (CVE-2026-31431) */
	40, /* AF_VSOCK, which reaches the host's virtual machines */
};
#define FAMILY_END 46

/* The jumps to these go forward, to the program's tail (bpf.h) */
enum label {
	TO_CLONE,
	TO_SOCKET,
	TO_PERSONALITY,
	TO_EPERM,
	TO_ALLOW,
	TO_ENOSYS,
	TO_KILL,
	N_LABELS
};
#define L(label) BPF_L(label)
_Static_assert(N_LABELS <= BPF_LABELS, "bpf.h: more labels");

static void build(struct bpf_prog *p, const uint16_t *nr, size_t count,
		  uint32_t top)
{
	size_t i, j;

	/* Another ABI's calls: the numbers below are not its numbers. */
	bpf_load(p, BPF_OFF_ARCH);
	bpf_jump(p, BPF_JEQ, BPF_NATIVE_ARCH, 0, L(TO_KILL));
	bpf_load(p, BPF_OFF_NR);
#if defined(__x86_64__)
	/* x32 shares AUDIT_ARCH_X86_64 and sets this bit in the number */
	bpf_jump(p, BPF_JGE, __X32_SYSCALL_BIT, L(TO_ENOSYS), 0);
#endif
	/* past every call the profile names: as runc answers */
	bpf_jump(p, BPF_JGT, top, L(TO_ENOSYS), 0);
	bpf_jump(p, BPF_JEQ, __NR_clone, L(TO_CLONE), 0);
	bpf_jump(p, BPF_JEQ, __NR_clone3, L(TO_ENOSYS), 0);
	bpf_jump(p, BPF_JEQ, __NR_socket, L(TO_SOCKET), 0);
	bpf_jump(p, BPF_JEQ, __NR_personality, L(TO_PERSONALITY), 0);

	/*
	 * The allowed numbers as runs of consecutive ones, ascending: past a
	 * run's end, try the next run; else allowed if not before its start.
	 */
	for (i = 0; i < count; i = j) {
		for (j = i + 1; j < count && nr[j] == nr[j - 1] + 1; j++)
			;
		bpf_jump(p, BPF_JGT, nr[j - 1], 1, 0);
		bpf_jump(p, BPF_JGE, nr[i], L(TO_ALLOW), L(TO_EPERM));
	}
	bpf_ret(p, SECCOMP_RET_ERRNO | EPERM);

	/* Flags are an unsigned long, but the kernel reads the low half. */
	bpf_label(p, TO_CLONE);
	bpf_load(p, BPF_OFF_LO(0));
	bpf_jump(p, BPF_JSET, CLONE_NAMESPACES, L(TO_EPERM), L(TO_ALLOW));

	/*
	 * socket's family and personality's value are ints, but Docker
	 * compares all 64 bits: a high half that is not 0 is refused.
	 */
	bpf_label(p, TO_SOCKET);
	bpf_load(p, BPF_OFF_HI(0));
	bpf_jump(p, BPF_JEQ, 0, 0, L(TO_EPERM));
	bpf_load(p, BPF_OFF_LO(0));
	bpf_jump(p, BPF_JGE, FAMILY_END, L(TO_EPERM), 0);
	for (i = 0; i < ARRAY_SIZE(refused_families); i++)
		bpf_jump(p, BPF_JEQ, refused_families[i], L(TO_EPERM), 0);
	bpf_ret(p, SECCOMP_RET_ALLOW);

	bpf_label(p, TO_PERSONALITY);
	bpf_load(p, BPF_OFF_HI(0));
	bpf_jump(p, BPF_JEQ, 0, 0, L(TO_EPERM));
	bpf_load(p, BPF_OFF_LO(0));
	for (i = 0; i < ARRAY_SIZE(personalities); i++)
		bpf_jump(p, BPF_JEQ, personalities[i], L(TO_ALLOW), 0);

	bpf_label(p, TO_EPERM);
	bpf_ret(p, SECCOMP_RET_ERRNO | EPERM);
	bpf_label(p, TO_ALLOW);
	bpf_ret(p, SECCOMP_RET_ALLOW);
	bpf_label(p, TO_ENOSYS);
	bpf_ret(p, SECCOMP_RET_ERRNO | ENOSYS);
	bpf_label(p, TO_KILL);
	bpf_ret(p, SECCOMP_RET_KILL_PROCESS);
}

/* Into nr, ascending, each once: the count. */
static size_t insert(uint16_t *nr, size_t n, uint16_t v)
{
	size_t i = n;

	while (i > 0 && nr[i - 1] > v)
		i--;
	if (i > 0 && nr[i - 1] == v)
		return n;
	memmove(nr + i + 1, nr + i, (n - i) * sizeof(*nr));
	nr[i] = v;
	return n + 1;
}

int seccomp_default_program(struct sock_filter *out, size_t max, size_t *n)
{
	uint16_t nr[ARRAY_SIZE(allowed) + ARRAY_SIZE(allowed_if_present) +
		    ARRAY_SIZE(allowed_by_rule)];
	size_t count = 0, i;
	uint32_t top;
	struct bpf_prog p = { .max = max };

	for (i = 0; i < ARRAY_SIZE(allowed); i++)
		count = insert(nr, count, allowed[i]);
	for (i = 0; i < ARRAY_SIZE(allowed_if_present); i++)
		count = insert(nr, count, allowed_if_present[i]);
	for (i = 0; i < ARRAY_SIZE(allowed_by_rule); i++)
		count = insert(nr, count, allowed_by_rule[i]);

	/* the highest number the profile names, conditional rules included */
	top = nr[count - 1];
	if (top < __NR_clone3)
		top = __NR_clone3;

	build(&p, nr, count, top);
	if (p.err)
		return p.err;
	p.f = out;
	p.n = 0;
	build(&p, nr, count, top);
	if (p.err)
		return p.err;
	*n = p.n;
	return 0;
}

int seccomp_install(const struct sock_filter *f, size_t n)
{
	struct sock_fprog prog = { .filter = (struct sock_filter *)f,
				   .len = (unsigned short)n };

	if (!n || n > BPF_MAXINSNS)
		return -EINVAL;
	if (prctl(PR_SET_SECCOMP, (unsigned long)SECCOMP_MODE_FILTER, &prog) <
	    0)
		return -errno;
	return 0;
}

int seccomp_install_default(void)
{
	struct sock_filter f[SECCOMP_PROG_MAX];
	size_t n;
	int err;

	err = seccomp_default_program(f, ARRAY_SIZE(f), &n);
	if (err)
		return err;
	return seccomp_install(f, n);
}
