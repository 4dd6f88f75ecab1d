/* SPDX-License-Identifier: MIT */
#ifndef KEEL_MODULES_H
#define KEEL_MODULES_H

/*
 * The build resolves the board's module list against modules.dep and
 * writes the files in load order, one path per line, to MODULES_LIST.
 */
#define MODULES_LIST "/lib/modules/load.list"

/* Called for each module path in order; returns 0 or -errno. */
typedef int (*module_loader)(const char *path, void *ctx);

/*
 * Load every module in the list text. A module that fails is logged by the
 * caller's loader and the rest still load. Returns the number that failed
 * (-ENODEV is no failure: the machine lacks what the module is for).
 */
int modules_load_list(const char *text, module_loader load, void *ctx);

/*
 * The real loader: finit_module(2); a module already loaded is fine.
 * -ENODEV (not for this machine) goes back unlogged.
 */
int module_load_file(const char *path, void *ctx);

#endif
