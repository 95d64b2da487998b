// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <stdbool.h>
#include <string.h>

#include "rollout.h"

int rollout__count(const struct rollout *ro, enum ro_target_state state)
{
	int i, n = 0;

	for (i = 0; i < ro->nr; i++)
		n += ro->t[i].state == state;
	return n;
}

bool rollout__pending(enum ro_target_state st)
{
	return st == RT_PENDING || st == RT_SPLIT;
}

bool rollout__judges(const struct rollout *ro, const struct ro_action *a, int i)
{
	enum ro_target_state st = ro->t[i].state;

	return st == RT_FLIPPED || st == RT_SPLIT || (a->all_live && st == RT_LIVE);
}

void rollout__judged(struct rollout *ro)
{
	int i;

	for (i = 0; i < ro->nr; i++)
		if (ro->t[i].state == RT_FLIPPED)
			ro->t[i].state = RT_LIVE;
}

/* Up to @max PENDING targets in order (canaries first), optionally only canaries. */
static int pick_pending(const struct rollout *ro, struct ro_action *a, int max, bool canary_only)
{
	int i;

	a->n = 0;
	for (i = 0; i < ro->nr && a->n < max; i++) {
		if (!rollout__pending(ro->t[i].state) || (canary_only && !ro->t[i].canary))
			continue;
		a->idx[a->n++] = i;
	}
	return a->n;
}

static void set_analyze(struct ro_action *a, uint64_t duration, uint64_t interval)
{
	a->kind = ACT_ANALYZE;
	a->duration_ms = duration;
	a->interval_ms = interval < duration ? interval : duration;
}

static void next_step(struct rollout *ro)
{
	ro->step++;
	ro->wave = 0;
}

/*
 * One promote step: waves of `batch` flips, each followed by its analysis
 * when the step asks for one. ro->wave is odd while a flipped wave awaits
 * its judgement.
 */
static bool promote_step(struct rollout *ro, const struct plan_step *s, struct ro_action *a)
{
	if ((ro->wave & 1) && s->analyze_ms) {
		ro->wave++;
		set_analyze(a, s->analyze_ms, ROLLOUT_WAVE_INTERVAL_MS);
		return true;
	}
	if (!pick_pending(ro, a, s->batch, false))
		return false;
	a->kind = ACT_FLIP;
	ro->wave += s->analyze_ms ? 1 : 2;
	return true;
}

/* The action for the current step, or false when the step is used up. */
static bool step_action(struct rollout *ro, const struct plan_step *s, struct ro_action *a)
{
	switch (s->kind) {
	case PLAN_STEP_CANARY:
		if (s->weight_bp && s->weight_bp < TG_WEIGHT_FULL) {
			/* One split (or raise) of the canaries, then the next step. */
			if (ro->wave || !pick_pending(ro, a, PLAN_MAX_IFACES, true))
				return false;
			ro->wave = 1;
			a->kind = ACT_SPLIT;
			a->weight_bp = s->weight_bp;
			return true;
		}
		if (!pick_pending(ro, a, PLAN_MAX_IFACES, true))
			return false;
		a->kind = ACT_FLIP;
		return true;
	case PLAN_STEP_ANALYZE:
	case PLAN_STEP_PAUSE:
		if (ro->wave)
			return false;
		ro->wave = 1;
		if (s->kind == PLAN_STEP_PAUSE) {
			a->kind = ACT_PAUSE;
			a->why = "the plan's pause step";
		} else {
			set_analyze(a, s->duration_ms, s->interval_ms);
			a->all_live = true;
		}
		return true;
	case PLAN_STEP_PROMOTE:
		return promote_step(ro, s, a);
	}
	return false;
}

void rollout__next(struct rollout *ro, const struct plan *plan, struct ro_action *a)
{
	memset(a, 0, sizeof(*a));
	for (; ro->step < plan->nr_steps; next_step(ro)) {
		a->step = ro->step;
		if (step_action(ro, &plan->steps[ro->step], a))
			return;
	}
	a->step = -1;
	/* Steps used up with targets left: wait for the operator. */
	if (pick_pending(ro, a, PLAN_MAX_IFACES, false)) {
		if (ro->wave)	/* `promote` after that pause flips them */
			return (void)(a->kind = ACT_FLIP);
		ro->wave = 1;
		a->kind = ACT_PAUSE;
		a->why = "the plan's steps ended before every interface was flipped";
		return;
	}
	a->kind = ACT_DONE;
}
