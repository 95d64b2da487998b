/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Everything before a rollout's first live write, in order: the process
 * may touch the kernel (privileges, a bpffs that outlives it, the state
 * directory), the plan and its objects are read and their fingerprint
 * taken, the plan's interfaces become targets, each one is checked and
 * gets the generation loaded (not installed) into its inactive bank, the
 * plan and objects are captured, and finally the generation is installed
 * beside the live one. `tailgate plan` stops before the capture.
 */
#ifndef __TG_PREPARE_H
#define __TG_PREPARE_H

#include <stdbool.h>

#include "runner.h"

/*
 * What every verb that touches the kernel needs: CAP_BPF/CAP_SYS_ADMIN,
 * CAP_NET_ADMIN, a bpffs under the pin root that outlives this process
 * (never a private one of an `ip netns exec` mount namespace), and, when
 * @state, the state directory (created when @create). @return 0 or
 * TG_ERR_PREFLIGHT / negative errno (message printed).
 */
int prepare__environment(const char *verb, bool state, bool create);

/* Read and parse the plan at @path (kept for capture). */
int prepare__plan(struct run *r, const char *path);

/* The plan and objects from the store, as the rollout captured them. */
int prepare__captured(struct run *r);

/* Read the stage objects from the plan's paths. */
int prepare__objects(struct run *r);

/*
 * Resolve the targets, open or prepare each attach point, check it, and
 * mark the ones already running this plan's fingerprint (RT_DONE, unless
 * @force). @return 0, or TG_ERR_PREFLIGHT / TG_ERR_INCONSISTENT.
 */
int prepare__targets(struct run *r, bool force);

/* How many targets the rollout moves (not RT_DONE). */
int prepare__moving(const struct run *r);

/* Load the generation on every moving target. @return 0 or TG_ERR_PREFLIGHT. */
int prepare__load(struct run *r, uint64_t gen);

/* Capture plan and objects, record the generation. @return 0 or -errno. */
int prepare__capture(struct run *r);

/* Attach what is missing and write each target's inactive bank. */
int prepare__install(struct run *r);

/* Remove what a failed install attached; the journal then ends aborted. */
void prepare__undo_install(struct run *r);

/* Reopen the targets of the journaled rollout (promote, abort, recover). */
int prepare__reopen(struct run *r);

#endif /* __TG_PREPARE_H */
