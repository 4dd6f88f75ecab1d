/* SPDX-License-Identifier: MIT */
#ifndef KEEL_FILE_H
#define KEEL_FILE_H

#include <stddef.h>
#include <sys/types.h>

/* Small whole files and full writes, for init and imaged. */

/* Read a small file whole, NUL-terminated. Returns length or -errno. */
ssize_t read_text(const char *path, char *buf, size_t len);

/* All of buf, through EINTR and short writes; 0 or -errno. */
int write_full(int fd, const void *buf, size_t len);

/*
 * text into a file that exists (a kernel knob: /proc, /sys, cgroupfs),
 * one write. 0 or -errno.
 */
int write_text(const char *path, const char *text);

/*
 * A whole file under a temporary name, fsync, rename, fsync of the
 * folder: a reader sees the old file or the new one, never a mix, and a
 * power cut does not forget the rename. 0 or -errno.
 */
int write_atomic(const char *path, const void *buf, size_t len, mode_t mode);

/* A new name is only durable once its directory is: fsync that. */
int sync_dir_of(const char *path);

/* path and the parents it lacks (as mkdir -p); one there already is
 * fine. 0 or -errno. */
int mkdir_parents(const char *path, mode_t mode);

#endif
