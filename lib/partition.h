/* SPDX-License-Identifier: MIT */
#ifndef KEEL_PARTITION_H
#define KEEL_PARTITION_H

#include <stddef.h>

/*
 * Block devices are found through sysfs, not /dev names: the kernel names
 * disks in probe order, while a GPT partition name ("root-a") is ours.
 * sysfs_block is normally "/sys/class/block"; tests pass a fake tree.
 */

/*
 * The value of KEY=value ("PARTNAME", "DEVNAME", "MAJOR") in the text of
 * a sysfs uevent file. 0, -ENOENT when there is no such line,
 * -ENAMETOOLONG when the value does not fit len - 1 bytes.
 */
int uevent_value(const char *uevent, const char *key, char *val, size_t len);

/*
 * Resolve "PARTLABEL=<name>" or "/dev/<dev>" to a device name ("vda2").
 * Returns 0, -ENOENT when nothing matches, -EINVAL for a spec we do not
 * understand, -EEXIST when two partitions carry the same label (booting
 * the wrong one would be worse than stopping).
 */
int partition_find(const char *sysfs_block, const char *spec, char *dev,
		   size_t len);

/* "vda1(esp) vda2(root-a)", sorted, for error messages; "none" if
 * empty. */
void partition_list(const char *sysfs_block, char *buf, size_t len);

#endif
