/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Small pieces the verbs share: plan loading with errors, privileges, JSON. */
#ifndef __TG_CLI_H
#define __TG_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "plan.h"

/*
 * Parse @path, printing "FILE:LINE:COL: message" on error.
 * @return the plan, or NULL (the verb returns TG_ERR_USAGE).
 */
struct plan *cli__load_plan(const char *path);

/*
 * Everything a verb that touches the kernel needs: root-equivalent
 * capabilities and a bpffs under the pin root.
 * @return 0 or negative errno (message printed).
 */
int cli__need_kernel(const char *verb);

/* @s as a JSON string, quotes included. */
void cli__json_str(FILE *f, const char *s);

/*
 * Call @cb for every attach point (all hooks) of the interfaces named in
 * argv, or of every attach point with "--all".
 * @return 0, TG_ERR_USAGE for bad arguments, or the first error of @cb.
 */
int cli__foreach_named(int argc, char **argv, const char *verb,
		       int (*cb)(const char *ifname, enum plan_hook hook, void *ctx),
		       void *ctx);

#endif /* __TG_CLI_H */
