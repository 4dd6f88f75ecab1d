/* SPDX-License-Identifier: MIT */
#ifndef KEEL_SECCOMPPROFILE_H
#define KEEL_SECCOMPPROFILE_H

#include <linux/filter.h>
#include <stddef.h>

/*
 * seccompProfile type Localhost: a profile file in the OCI runtime
 * spec's seccomp format (config.json's linux.seccomp, which is also what
 * Docker's and containerd's profile files hold), read and turned into
 * one classic BPF program here, the way the default filter is
 * (seccomp.c), without libseccomp. README.md, "Seccomp profiles", says
 * which of the format keel takes.
 */

/* Where a pod's localhostProfile is, relative to: the image's root */
#define SECCOMP_PROFILE_DIR "/etc/keel/seccomp"
/* A profile file larger than this is refused */
#define SECCOMP_PROFILE_MAX (1 << 20)
/* Rules (a call's name in one entry, or one of runc's split rules) */
#define SECCOMP_RULES_MAX 4096

struct seccomp_filter {
	struct sock_filter f[BPF_MAXINSNS];
	size_t n;
};

/*
 * len bytes of a profile into out: 0, or -EINVAL (or -E2BIG past
 * BPF_MAXINSNS instructions) with err saying where and why
 * ("syscalls[2].args[0].op: ..."). Pure: the unit tests run it.
 */
int seccomp_profile_compile(const char *json, size_t len,
			    struct seccomp_filter *out, char *err,
			    size_t errlen);

/*
 * The profile dir/name, read and compiled: 0 or -errno with err
 * naming the file.
 */
int seccomp_profile_load(const char *dir, const char *name,
			 struct seccomp_filter *out, char *err, size_t errlen);

#endif
