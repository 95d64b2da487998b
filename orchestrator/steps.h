/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The live writes of a rollout, each announced in the journal first:
 * flipping a wave of targets to the new generation, splitting (or
 * raising) a weighted share of the canaries' flows, and putting every
 * target the rollout moved back where it was.
 */
#ifndef __TG_STEPS_H
#define __TG_STEPS_H

#include "rollout.h"
#include "runner.h"

enum step_outcome {
	STEP_OK = 0,
	STEP_FAILED,		/* a live write failed: r->ro->reason says which */
	STEP_STOPPED,		/* SIGINT/SIGTERM: end as a breached gate would */
	STEP_UNRECORDED,	/* the journal could not announce the next write */
};

enum step_outcome steps__flip(struct run *r, const struct ro_action *a);
enum step_outcome steps__split(struct run *r, const struct ro_action *a);

/*
 * Every target this rollout moved goes back (first installs are
 * detached, leaving the interface as it was), even when the journal
 * cannot be written. @return 0, or TG_ERR_INCONSISTENT when a target
 * could not be put back.
 */
int steps__revert_all(struct run *r);

/*
 * Put one target back: @rt says where it was. Shared with recover.
 * @return 0 or negative errno.
 */
int steps__revert_target(struct ap *ap, const struct ro_target *rt);

/* The window of the old generation before a flip (steps.c takes it). */
void steps__mark(struct run *r, int i);

#endif /* __TG_STEPS_H */
