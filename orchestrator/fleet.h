/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The attach points one plan targets, and the live operations on them:
 * resolve names (globs) to interfaces, preflight (load and verify on each
 * attach point, nothing live), install (dispatchers attached, generation
 * written into each inactive bank), then flip or roll back one target at
 * a time with one write each.
 */
#ifndef __TG_FLEET_H
#define __TG_FLEET_H

#include <stdbool.h>
#include <stdint.h>

#include "attach.h"
#include "loader.h"
#include "plan.h"
#include "state.h"

struct target {
	struct ap ap;
	struct state_ap st;
	struct loaded_gen gen;
	bool canary;
	bool existed;		/* dispatcher was attached before this run */
	int prev_bank;		/* live bank before the run, SLOTS_BANK_NONE */
	bool flipped;		/* the new generation is live here */
	bool lost;		/* the interface went away during the run */
};

struct fleet {
	const struct plan *plan;
	uint64_t gen_id;	/* the generation this run rolls out */
	int nr;
	int nr_canary;		/* targets [0, nr_canary) are the canaries */
	struct target *t;
	struct loader_objs objs;
};

/*
 * Expand the plan's interface names and globs into targets: canaries
 * first, then the fleet in name order (tg2 before tg10).
 * @return 0 or negative errno (message printed naming the interface).
 */
int fleet__resolve(const struct plan *plan, struct fleet *f);

/*
 * Preflight: read objects, prepare attach points and load + verify every
 * stage on every target. Nothing is attached, pinned or written.
 * @return 0 or negative errno (message printed).
 */
int fleet__preflight(struct fleet *f);

/*
 * Attach the dispatchers that are missing, write generation f->gen_id into
 * every target's inactive bank and record it. Nothing goes live: slot 0 is
 * not touched. @return 0 or negative errno.
 */
int fleet__install(struct fleet *f);

/* Make the new generation live on target @i: one write of slot 0. */
int fleet__flip(struct fleet *f, int i);

/*
 * Put target @i back on the generation it ran before this rollout (one
 * write), or empty slot 0 when it had none. @return 0 or negative errno.
 */
int fleet__rollback(struct fleet *f, int i);

/* Release everything; NULL is fine. Pins and live state stay. */
void fleet__free(struct fleet *f);

/* Record @ap's banks in the state dir after a change. */
int fleet__save_state(struct target *t);

#endif /* __TG_FLEET_H */
