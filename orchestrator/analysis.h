/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * One analysis step: every judged target's new generation over a window,
 * sampled at every interval and judged (health.c) against the old
 * generation over the same window: the same interface's other flows for
 * a weighted canary, else the interfaces still on it, else the target's
 * own window before its flip. The exec gate runs per judged interface.
 * A breach ends the window at once.
 */
#ifndef __TG_ANALYSIS_H
#define __TG_ANALYSIS_H

#include "rollout.h"
#include "runner.h"

enum analysis_outcome {
	ANALYSIS_HEALTHY = 0,
	ANALYSIS_UNHEALTHY,	/* a gate breached: r->ro->breach, reason */
	ANALYSIS_INCONCLUSIVE,	/* never healthy: too few packets, all lost */
	ANALYSIS_STOPPED,	/* SIGINT/SIGTERM */
};

enum analysis_outcome analysis__run(struct run *r, const struct ro_action *a);

#endif /* __TG_ANALYSIS_H */
