/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The step state machine of a rollout: given the journal and the plan,
 * what to do next. Pure logic (no kernel, no clock), so every transition
 * is unit-tested; the engine (engine.c) carries the actions out.
 *
 * Targets move PENDING -> (SPLIT: a weighted share of their flows) ->
 * FLIPPED (live, not yet judged) -> LIVE (judged healthy, or no judgement
 * asked). Analysis judges the SPLIT and FLIPPED targets against the old
 * generation: on the same interface (a split's other flows) and on the
 * PENDING interfaces.
 */
#ifndef __TG_ROLLOUT_H
#define __TG_ROLLOUT_H

#include <stdbool.h>
#include <stdint.h>

#include "journal.h"
#include "plan.h"

enum ro_action_kind {
	ACT_FLIP,	/* flip targets idx[0..n) to the new generation */
	ACT_SPLIT,	/* weighted canary: send weight_bp of idx[0..n)'s flows to it */
	ACT_ANALYZE,	/* judge FLIPPED vs PENDING for duration_ms */
	ACT_PAUSE,	/* stop; `promote` resumes, `abort` rolls back */
	ACT_DONE,	/* every target live: promoted */
};

struct ro_action {
	enum ro_action_kind kind;
	int step;		/* plan step it belongs to (-1: past the end) */
	int n;
	int idx[PLAN_MAX_IFACES];
	uint64_t duration_ms;
	uint64_t interval_ms;
	uint32_t weight_bp;	/* ACT_SPLIT */
	bool all_live;		/* ACT_ANALYZE: also re-judge LIVE targets */
	const char *why;	/* ACT_PAUSE: reason */
};

/*
 * Decide the next action and advance @ro's step bookkeeping past it.
 * Target states are left to the engine (it changes them around the live
 * writes); call again after carrying out the action.
 */
void rollout__next(struct rollout *ro, const struct plan *plan, struct ro_action *a);

/*
 * Does analysis @a judge target @i? A promote wave's analysis judges what
 * it just flipped (FLIPPED); a plan's analyze step judges everything on
 * the new generation, so a soak after a pause or a second look still has
 * interfaces to judge.
 */
bool rollout__judges(const struct rollout *ro, const struct ro_action *a, int i);

/* An analysis passed: its FLIPPED targets become LIVE. */
void rollout__judged(struct rollout *ro);

/* Still to flip: PENDING, or SPLIT (a share of its flows only). */
bool rollout__pending(enum ro_target_state st);

/* Count targets in @state. */
int rollout__count(const struct rollout *ro, enum ro_target_state state);

/* Default interval of a promote wave's analysis. */
#define ROLLOUT_WAVE_INTERVAL_MS 1000

#endif /* __TG_ROLLOUT_H */
