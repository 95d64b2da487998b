/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Running a rollout: the plan and its objects captured when it starts,
 * preflight on every target, the generation installed beside the live
 * one, then rollout.c's steps carried out against the kernel (steps.c),
 * judged from the counters (analysis.c), and ended: promoted, rolled back
 * or paused. The journal (journal.c) is written before every live write
 * it announces; a failure to record never stops a move back to the
 * previous generation, and is never reported as success.
 */
#ifndef __TG_RUNNER_H
#define __TG_RUNNER_H

#include <stdbool.h>
#include <stdint.h>

#include "ap.h"
#include "gen.h"
#include "health.h"
#include "journal.h"
#include "plan.h"
#include "sample.h"
#include "stage.h"
#include "store.h"
#include "tailgate.h"

/* One attach point of the rollout. Its journal record is the one truth
 * of what the rollout did to it; nothing here repeats it. */
struct target {
	struct ro_target *rt;
	struct ap ap;
	struct gen_load gl;
	bool loaded;			/* gl holds a loaded generation */
	struct gen_view old_view;	/* the generation it ran before */
	struct gen_view new_view;
	/* The old generation's counters at install, and its window before
	 * the flip: the interface's own baseline and rate. */
	struct health_sample mark;
	uint64_t mark_ms;
	bool has_mark;
	struct health_sample before;
	double rate_before;		/* packets/s, < 0 unknown */
	bool has_before;
};

/* What a run tells its caller (and `apply --json`). */
struct run_result {
	const char *outcome;		/* promoted, unchanged, rolled_back, paused, ... */
	bool changed;			/* anything live changed */
	uint64_t generation;
	uint64_t previous_generation;
	char message[600];
};

struct run {
	struct plan *plan;
	char *plan_text;		/* the captured plan */
	size_t plan_len;
	struct stage_src src[TG_MAX_STAGES];
	struct rollout *ro;
	struct target *t;		/* ro->nr of them */
	struct gen_record rec;		/* the generation this run rolls out */
	char shape_why[256];
	bool force;
	bool record_failed;		/* a journal, history or state write failed */
	bool own_plan;
	struct run_result res;
};

/* apply PLAN: @path the plan file, @force roll out again what is live. */
int runner__apply(const char *path, bool force, struct run **out);

/* promote / abort the paused rollout. */
int runner__promote(struct run **out);
int runner__abort(struct run **out);

/* The plan's fingerprint against its targets' live generations; nothing loaded. */
int runner__check(const char *path, struct run **out);

/* plan PLAN: everything apply checks, nothing written. */
int runner__preflight(const char *path, struct run **out);

void runner__free(struct run *r);

/* Internals shared by runner.c, steps.c and analysis.c. */
int runner__save(struct run *r);
void runner__target_fields(const struct run *r, int i, char *buf, size_t len);
const char *runner__hook(const struct run *r);
bool runner__check_lost(struct run *r, int i);

#endif /* __TG_RUNNER_H */
