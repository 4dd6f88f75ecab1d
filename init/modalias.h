/* SPDX-License-Identifier: MIT */
#ifndef KEEL_MODALIAS_H
#define KEEL_MODALIAS_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Which modules a device needs, from its modalias ("pci:v00008086d...")
 * and the kernel's modules.alias ("alias <fnmatch pattern> <module>"
 * lines), and in which order to load a module, from modules.dep
 * ("<path>: <dependency paths>", the one to load first last). The build
 * writes both files for a board's candidates only (scripts/resolve-
 * modules --probe); these functions are pure, over the text.
 */

#define MODULE_NAME_MAX 64
#define MODULE_PATH_MAX 256

/* Called with each module name that matches; nonzero stops the walk. */
typedef int (*modalias_found)(const char *module, void *ctx);

/*
 * Each line of alias_text whose pattern matches modalias, in file order:
 * found(module). A module named on several matching lines is passed each
 * time. Returns the number of matches, or found's nonzero value.
 */
int modalias_match(const char *alias_text, const char *modalias,
		   modalias_found found, void *ctx);

/* Is a modalias well formed: "<bus>:<printable, no spaces>", bounded. */
bool modalias_valid(const char *modalias);

/* The module name of a path: "kernel/.../usb-storage.ko" -> usb_storage. */
int module_name_of(const char *path, char *name, size_t len);

/* Called with each path to load, in order; nonzero stops. */
typedef int (*moddep_step)(const char *path, void *ctx);

/*
 * The line of module `name` in dep_text: step() for each dependency from
 * the last listed to the first, then for the module itself. Names compare
 * with - and _ alike. Returns 0, -ENOENT when no line names it, -EINVAL
 * for a path too long, or step's nonzero value.
 */
int moddep_load_order(const char *dep_text, const char *name, moddep_step step,
		      void *ctx);

/*
 * The MODALIAS of a kernel uevent ("add@/devices/...\0ACTION=add\0...
 * MODALIAS=...\0"), len bytes: for an "add" event that has one, else NULL.
 */
const char *uevent_modalias(const char *msg, size_t len);

#endif
