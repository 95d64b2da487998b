/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Wrapping stages at load: any XDP or tc program becomes a tailgate stage
 * without a change to its source, and a whole generation can become one
 * program.
 *
 * The stage's relocated instructions (map fds already in place) are kept
 * as they are and called as a BPF-to-BPF subprogram from a small main that
 * tailgate generates:
 *
 *	main:	r6 = ctx; r8 = packet length
 *		r0 = call stage(ctx)		// the program, untouched
 *		r7 = r0				// its verdict, as returned
 *		s = stats[SELF]			// per-CPU, constant key
 *		s->packets++, s->bytes += r8, s->VERDICT++
 *		if VERDICT in continue_on:	// shadow: every verdict
 *			s->continued++
 *			tail call slots[NEXT]	// constant key: direct jump
 *			s->continued--, s->tail_miss++; return fallback
 *		return r7
 *
 * Fused, the same main calls every stage of the generation in turn and
 * goes on to the next stage where a chained wrapper would tail-call.
 * The ctx stays in callee-saved r6 across the call, so the stage sees
 * exactly the context the kernel gave. Why not freplace: this kernel
 * refuses it (and fentry), and it needs BTF; a subprogram call needs
 * neither and keeps slot 0 a single write.
 *
 * Inlined: where the kernel's accounting allows, the stage's own code is
 * not called but placed in main, its exits turned into jumps to the
 * verdict code that follows and its subprograms moved to the end (their
 * calls re-aimed). A call costs several ns where the kernel routes every
 * return through a mitigation thunk (SRSO "Safe RET"), more than all of a
 * stage's counting. The stage's frame is its own, as verified on its own:
 * main keeps ctx and the length in slots below it (the stage never
 * touches what lies deeper than its frame), reloads them after the stage,
 * and the stage still gets ctx in r1 and sees nothing else of main.
 * Not inlined: stages that make their own tail calls (one from main would
 * leave the wrapper uncounted), stages whose frames the caller does not
 * give, or frames that would not fit the kernel's 512 bytes once shared;
 * then the stages are called as above.
 */
#ifndef __TG_COMPOSE_H
#define __TG_COMPOSE_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>

#include "../bpf/include/tailgate_abi.h"

struct compose_stage {
	const struct bpf_insn *insns;	/* relocated program, subprograms appended */
	size_t cnt;
	__u32 slot;			/* its own slot: the stats key */
	__u32 continue_on;		/* TG_VERDICT_BIT()s handed to the next stage */
	bool shadow;			/* every verdict goes on, counted as decided */
};

/* What inlining a stage needs to know of its stack. */
struct compose_frame {
	unsigned int frame;		/* its own frame, bytes, as the verifier measured it alone */
	unsigned int stack;		/* its deepest call chain, own frame included */
};

struct compose_opts {
	bool xdp;			/* else tc (SCHED_CLS) */
	int stats_fd;
	int slots_fd;
	bool fail_closed;		/* verdict of a missed tail call: drop */
	/* One per stage, in order: inline where possible; NULL: call every stage. */
	const struct compose_frame *frames;
};

struct compose_prog {
	struct bpf_insn *insns;
	size_t cnt;
	int nr;				/* stages in it */
	bool inlined;			/* stages inlined, not called */
	size_t stage_off[TG_MAX_STAGES];	/* first insn of each stage (its main part) */
	size_t stage_cnt[TG_MAX_STAGES];
	size_t sub_off[TG_MAX_STAGES];	/* inlined: where its subprograms went */
	size_t sub_cnt[TG_MAX_STAGES];
};

/*
 * One stage, chained: it tail-calls @next_slot (TG_SLOT_NONE: it is the
 * last stage, and a verdict that would go on is the chain's pass).
 * @return 0 or negative errno.
 */
int compose__chained(const struct compose_opts *o, const struct compose_stage *s,
		     __u32 next_slot, struct compose_prog *out);

/* @n stages in chain order as one program. @return 0 or negative errno. */
int compose__fused(const struct compose_opts *o, const struct compose_stage *s, int n,
		   struct compose_prog *out);

void compose__free(struct compose_prog *p);

/*
 * Where instruction @idx of a composed program came from: the stage index
 * with *@stage_insn its instruction in the stage's own program, or -1 for
 * tailgate's wrapper code.
 */
int compose__origin(const struct compose_prog *p, size_t idx, size_t *stage_insn);

/*
 * First instruction of every subprogram of @p (the main at 0, call and
 * callback targets), ascending, as the verifier splits the program.
 * @return how many (at most @max), or negative errno.
 */
int compose__subprogs(const struct compose_prog *p, __u32 *start, int max);

/*
 * BTF function info for a composed program. The kernel refuses
 * bpf_tail_call() in a subprogram of a program loaded without it ("tail_call
 * is not allowed in subprogs without BTF"), and wrapped, a stage is a
 * subprogram: a stage that makes its own tail calls needs it. So does any
 * callback (bpf_loop() and the like: "missing btf func_info"). The least
 * that lifts both rules: one static "int f(void)" per subprogram. Static
 * functions are verified in their callers' context, as without BTF.
 */
struct compose_btf {
	struct btf *btf;		/* loaded into the kernel */
	__u32 nr;
	struct bpf_func_info *fi;
};

/* Does @p need function info: a callback, or a subprogram calling bpf_tail_call()? */
bool compose__needs_func_info(const struct compose_prog *p);

/* Build and load @p's function info. @return 0 or negative errno. */
int compose__func_info(const struct compose_prog *p, struct compose_btf *out);

/* Point load options at @b (prog_btf_fd, func_info, its count and size). */
void compose__func_info_opts(const struct compose_btf *b, struct bpf_prog_load_opts *o);

void compose__func_info_free(struct compose_btf *b);

/* Verdict class of a program's return code (XDP_* or TC_ACT_*). */
enum tg_verdict compose__verdict(bool xdp, int code);

/*
 * Frame the wrapper's main adds below the stage: bytes, as the verifier
 * rounds it (called stages; inlined, main's frame is the stage's + 20).
 */
#define COMPOSE_MAIN_STACK	32u

#endif /* __TG_COMPOSE_H */
