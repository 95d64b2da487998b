/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * A generation on one attach point: every stage prepared (stage.c),
 * wrapped (compose.c) and verified by the kernel into the inactive bank's
 * slots, in one of two shapes:
 *
 *   chained  one program per stage, each tail-calling the next with a
 *            constant key (the shape tailgate was specified with)
 *   fused    the whole generation as one program whose main calls each
 *            stage as a subprogram: only the dispatcher's tail call left
 *
 * Loading writes nothing live; gen__install() writes the bank, tail to
 * head, and only the inactive one. Going live is ap__flip().
 */
#ifndef __TG_GEN_H
#define __TG_GEN_H

#include <stdbool.h>
#include <stdint.h>

#include "ap.h"
#include "plan.h"
#include "stage.h"
#include "store.h"

/* Loading the same plan onto every target of a run. */
struct gen_spec {
	const struct plan *plan;
	const struct stage_src *src;	/* plan->nr_stages captured objects */
	uint64_t gen;			/* for program names (0: preflight only) */
	enum plan_datapath datapath;	/* chained, fused, or auto */
};

/* What the kernel said about one stage (or the fused program, in [0]). */
struct gen_stage_info {
	char program[PLAN_MAX_NAME];	/* the operator's program */
	uint32_t continue_on;		/* resolved */
	bool run_config;		/* continue_on from XDP_RUN_CONFIG */
	__u32 insns;			/* the operator's program */
	__u32 verified;			/* instructions the verifier processed, on its own */
	__u32 stack;			/* estimated deepest stack of the stage */
	__u32 wrapped_stack;		/* the verifier's, once wrapped */
	struct stage_facts facts;
};

struct gen_load {
	unsigned int bank;
	enum gen_shape shape;		/* what the datapath resolved to */
	char shape_why[256];
	int nr_stages;
	int nr_progs;			/* chained: nr_stages; fused: 1 */
	int prog_fd[TG_MAX_STAGES];	/* at bank base + i */
	__u32 prog_id[TG_MAX_STAGES];
	struct kept_set kept;
	struct gen_stage_info st[TG_MAX_STAGES];
	__u32 fused_verified;		/* the fused program's processed insns */
	size_t map_bytes;
};

/*
 * Load @spec for @ap into @bank (nothing written). @warn: print what the
 * static analysis finds (once per run). The shape is decided once the
 * stages are known (auto: fused where it fits). Every failure is
 * explained. @return 0, -E2BIG when fused was asked for and cannot fit,
 * or another negative errno.
 */
int gen__load(struct ap *ap, const struct gen_spec *spec, unsigned int bank, bool warn,
	      struct gen_load *gl);

/*
 * Pin the new kept maps, then write the bank: its head emptied first,
 * the slots past the new chain cleared, the stages tail to head, the head
 * last. Refuses (-EBUSY) a live bank. @return 0 or negative errno.
 */
int gen__install(struct ap *ap, struct gen_load *gl);

void gen__release(struct gen_load *gl);

/*
 * Which shape @dp gets for stages with these facts, and why (into @why).
 * @return the shape, or -E2BIG when fused was asked for and cannot fit.
 */
int gen__choose_shape(enum plan_datapath dp, const struct gen_stage_info *st, int n, char *why,
		      size_t len);

/* The kernel's limits that decide (exposed for tests and messages). */
#define GEN_MAX_STACK		512u
#define GEN_TAIL_CALL_STACK	256	/* frames above a tail call in a subprogram */
#define GEN_MAX_INSNS		1000000u	/* program size and processed instructions */

#endif /* __TG_GEN_H */
