/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The rollout engine: carries out rollout.c's actions on the kernel,
 * journaling each one before its live write, judging health from the
 * in-kernel counters, and rolling back (or pausing) on a breached gate.
 */
#ifndef __TG_ENGINE_H
#define __TG_ENGINE_H

#include "plan.h"

/*
 * Run @plan from the start: preflight, install, then the steps.
 * @return 0 promoted (or paused by the plan), TG_ERR_PREFLIGHT,
 * TG_ERR_ROLLED_BACK, TG_ERR_INCONSISTENT, or negative errno.
 */
int engine__apply(struct plan *plan);

/* Resume the paused rollout (tailgate promote). Same returns. */
int engine__promote(void);

/* Roll the paused rollout back (tailgate abort). */
int engine__abort(void);

#endif /* __TG_ENGINE_H */
