// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <bpf/btf.h>

#include "compose.h"
#include "insn.h"

/* Return codes (uapi enums vmlinux.h would carry; linux/pkt_cls.h has them). */
#define XDP_CODE_ABORTED	0
#define XDP_CODE_DROP		1
#define XDP_CODE_PASS		2
#define XDP_CODE_TX		3
#define XDP_CODE_REDIRECT	4
#define TC_CODE_OK		0
#define TC_CODE_SHOT		2
#define TC_CODE_STOLEN		4
#define TC_CODE_QUEUED		5
#define TC_CODE_REDIRECT	7
#define TC_CODE_TRAP		8

/* Registers the generated main keeps across calls (callee-saved). */
#define R_CTX		BPF_REG_6
#define R_VERDICT	BPF_REG_7
#define R_LEN		BPF_REG_8
#define R_STATS		BPF_REG_9
#define MAX_STACK	512	/* the kernel's, per call chain */

/*
 * Where main keeps its state on the stack. Called stages: only the stats
 * key, at the top of main's own frame. Inlined ones share main's frame,
 * so its state goes below the largest stage frame: ctx (saved once) and
 * the length (per stage), reloaded after each stage, and the key.
 */
struct frame {
	bool inl;
	__s16 key, ctx, len;	/* fp offsets */
};

#define STAT_OFF(f)	((__s16)offsetof(struct tg_stats, f))

enum tg_verdict compose__verdict(bool xdp, int code)
{
	if (xdp) {
		switch (code) {
		case XDP_CODE_PASS:
			return TG_PASS;
		case XDP_CODE_DROP:
			return TG_DROP;
		case XDP_CODE_TX:
			return TG_TX;
		case XDP_CODE_REDIRECT:
			return TG_REDIRECT;
		default:
			/* XDP_ABORTED, and codes the kernel treats as invalid */
			return TG_ABORTED;
		}
	}
	switch (code) {
	case TC_CODE_SHOT:
	case TC_CODE_STOLEN:
	case TC_CODE_QUEUED:
	case TC_CODE_TRAP:
		return TG_DROP;
	case TC_CODE_REDIRECT:
		return TG_REDIRECT;
	default:
		/* TC_ACT_OK, UNSPEC (tcx: next), PIPE, RECLASSIFY, REPEAT */
		return TG_PASS;
	}
}

static int pass_code(const struct compose_opts *o)
{
	return o->xdp ? XDP_CODE_PASS : TC_CODE_OK;
}

static int drop_code(const struct compose_opts *o)
{
	return o->xdp ? XDP_CODE_DROP : TC_CODE_SHOT;
}

static __s16 verdict_off(enum tg_verdict v)
{
	switch (v) {
	case TG_DROP:
		return STAT_OFF(drop);
	case TG_ABORTED:
		return STAT_OFF(aborted);
	case TG_TX:
		return STAT_OFF(tx);
	case TG_REDIRECT:
		return STAT_OFF(redirect);
	default:
		return STAT_OFF(pass);
	}
}

/* R_STATS->field += @delta (per-CPU value: a plain add is exact). */
static void count(struct insn_buf *b, __s16 off, __s32 delta)
{
	insn__emit(b, I_LDX_DW(BPF_REG_1, R_STATS, off));
	insn__emit(b, I_ADD64_IMM(BPF_REG_1, delta));
	insn__emit(b, I_STX_DW(R_STATS, BPF_REG_1, off));
}

/* Bytes of the packet as the stage gets it. */
static void load_len(struct insn_buf *b, const struct compose_opts *o)
{
	if (o->xdp) {
		/* struct xdp_md: data at 0, data_end at 4 */
		insn__emit(b, I_LDX_W(R_LEN, R_CTX, 4));
		insn__emit(b, I_LDX_W(BPF_REG_2, R_CTX, 0));
		insn__emit(b, I_SUB64_REG(R_LEN, BPF_REG_2));
	} else {
		/* struct __sk_buff: len at 0 */
		insn__emit(b, I_LDX_W(R_LEN, R_CTX, 0));
	}
}

/* R_STATS = stats[@slot], or NULL: then jump to @uncounted. */
static void lookup_stats(struct insn_buf *b, const struct compose_opts *o, const struct frame *f,
			 __u32 slot, int uncounted)
{
	insn__emit(b, I_ST_W(BPF_REG_10, f->key, slot));
	insn__emit(b, I_MOV64_REG(BPF_REG_2, BPF_REG_10));
	insn__emit(b, I_ADD64_IMM(BPF_REG_2, f->key));
	insn__ld_map_fd(b, BPF_REG_1, o->stats_fd);
	insn__emit(b, I_CALL_HELPER(BPF_FUNC_map_lookup_elem));
	insn__emit(b, I_MOV64_REG(R_STATS, BPF_REG_0));
	insn__jmp_imm(b, BPF_JEQ, BPF_REG_0, 0, uncounted);
	count(b, STAT_OFF(packets), 1);
	insn__emit(b, I_LDX_DW(BPF_REG_1, R_STATS, STAT_OFF(bytes)));
	insn__emit(b, I_ADD64_REG(BPF_REG_1, R_LEN));
	insn__emit(b, I_STX_DW(R_STATS, BPF_REG_1, STAT_OFF(bytes)));
}

/* if (w7 == @code) goto @label; 32-bit compare: programs return int. */
static void jeq32(struct insn_buf *b, int code, int label)
{
	insn__jmp_imm(b, BPF_JEQ, R_VERDICT, code, label);
	if (!b->err)
		b->insns[b->cnt - 1].code = BPF_JMP32 | BPF_JEQ | BPF_K;
}

/*
 * Jump to the label of the verdict class of R_VERDICT. XDP codes map one
 * to one (anything else is aborted); tc codes fold into drop, redirect,
 * or pass for the rest.
 */
static void classify(struct insn_buf *b, const struct compose_opts *o,
		     const int label[TG_NR_VERDICTS])
{
	if (o->xdp) {
		jeq32(b, XDP_CODE_PASS, label[TG_PASS]);
		jeq32(b, XDP_CODE_DROP, label[TG_DROP]);
		jeq32(b, XDP_CODE_TX, label[TG_TX]);
		jeq32(b, XDP_CODE_REDIRECT, label[TG_REDIRECT]);
		insn__ja(b, label[TG_ABORTED]);
		return;
	}
	jeq32(b, TC_CODE_SHOT, label[TG_DROP]);
	jeq32(b, TC_CODE_REDIRECT, label[TG_REDIRECT]);
	jeq32(b, TC_CODE_STOLEN, label[TG_DROP]);
	jeq32(b, TC_CODE_QUEUED, label[TG_DROP]);
	jeq32(b, TC_CODE_TRAP, label[TG_DROP]);
	insn__ja(b, label[TG_PASS]);
}

static bool goes_on(const struct compose_stage *s, enum tg_verdict v)
{
	return s->shadow || (s->continue_on & TG_VERDICT_BIT(v));
}

/*
 * Verdict classes the hook's return codes can have: tc has no aborted and
 * no tx. Code for the others would be unreachable, and the verifier
 * refuses a program with unreachable instructions.
 */
static bool produces(const struct compose_opts *o, enum tg_verdict v)
{
	return o->xdp || (v != TG_ABORTED && v != TG_TX);
}

/* Can the stage hand a packet on at all? Else the hand-over is dead code. */
static bool hands_on(const struct compose_opts *o, const struct compose_stage *s)
{
	enum tg_verdict v;

	for (v = TG_PASS; v < TG_NR_VERDICTS; v++)
		if (produces(o, v) && goes_on(s, v))
			return true;
	return false;
}

/* Leave the chain with the stage's own return code. */
static void exit_verdict(struct insn_buf *b)
{
	insn__emit(b, I_MOV64_REG(BPF_REG_0, R_VERDICT));
	insn__emit(b, I_EXIT());
}

/*
 * A verdict that goes on past the last stage is the chain's pass. A pass
 * keeps the stage's own code (tc's TC_ACT_UNSPEC is not TC_ACT_OK).
 */
static void exit_chain_pass(struct insn_buf *b, const struct compose_opts *o, enum tg_verdict v)
{
	if (v == TG_PASS)
		return exit_verdict(b);
	insn__emit(b, I_MOV64_IMM(BPF_REG_0, pass_code(o)));
	insn__emit(b, I_EXIT());
}

/*
 * The verdict labels of one stage: count the class (when @counted), then
 * either leave, or jump to @next (the hand-over; -1: none, this is the last
 * stage).
 */
static void verdict_tails(struct insn_buf *b, const struct compose_opts *o,
			  const struct compose_stage *s, const int label[TG_NR_VERDICTS],
			  bool counted, int next)
{
	enum tg_verdict v;

	for (v = TG_PASS; v < TG_NR_VERDICTS; v++) {
		if (!produces(o, v))
			continue;
		insn__place(b, label[v]);
		if (counted)
			count(b, verdict_off(v), 1);
		if (!goes_on(s, v))
			exit_verdict(b);
		else if (next < 0)
			exit_chain_pass(b, o, v);
		else
			insn__ja(b, next);
	}
}

static void new_labels(struct insn_buf *b, int label[TG_NR_VERDICTS])
{
	int v;

	for (v = 0; v < TG_NR_VERDICTS; v++)
		label[v] = insn__new_label(b);
}

static bool is_pseudo_call(const struct bpf_insn *in)
{
	return in->code == (BPF_JMP | BPF_CALL) && in->src_reg == BPF_PSEUDO_CALL;
}

static bool is_pseudo_func(const struct bpf_insn *in)
{
	return in->code == (BPF_LD | BPF_DW | BPF_IMM) && in->src_reg == BPF_PSEUDO_FUNC;
}

/* The stage's own code: everything before its first subprogram. */
static size_t main_len(const struct compose_stage *s)
{
	size_t i, len = s->cnt;
	long t;

	for (i = 0; i < s->cnt; i++) {
		if (is_pseudo_call(&s->insns[i]) || is_pseudo_func(&s->insns[i])) {
			t = (long)i + s->insns[i].imm + 1;
			if (t > 0 && (size_t)t < len)
				len = t;
		}
		if (s->insns[i].code == (BPF_LD | BPF_DW | BPF_IMM))
			i++;
	}
	return len;
}

/*
 * Does the stage's own code (its subprograms keep r6-r9, helpers too)
 * write @reg? Every ALU op and load writes its dst, a fetching atomic its
 * src.
 */
static bool writes_reg(const struct compose_stage *s, __u8 reg)
{
	size_t len = main_len(s), i;

	for (i = 0; i < len; i++) {
		const struct bpf_insn *in = &s->insns[i];
		__u8 cls = BPF_CLASS(in->code);

		if ((cls == BPF_ALU || cls == BPF_ALU64 || cls == BPF_LDX) && in->dst_reg == reg)
			return true;
		if (in->code == (BPF_LD | BPF_DW | BPF_IMM)) {
			if (in->dst_reg == reg)
				return true;
			i++;
		}
		if (cls == BPF_STX && BPF_MODE(in->code) == BPF_ATOMIC && (in->imm & BPF_FETCH) &&
		    in->src_reg == reg)
			return true;
	}
	return false;
}

/* Does any stage write @reg? */
static bool any_writes_reg(const struct compose_stage *s, int n, __u8 reg)
{
	int i;

	for (i = 0; i < n; i++)
		if (writes_reg(&s[i], reg))
			return true;
	return false;
}

/*
 * The stage's own code in place of a call: its exits jump to what
 * follows it, where r0 holds its verdict as a return would leave it.
 */
static void inline_body(struct insn_buf *b, struct compose_prog *out, const struct compose_stage *s)
{
	size_t base = b->cnt, len = main_len(s), j;

	out->stage_off[out->nr] = base;
	out->stage_cnt[out->nr] = len;
	out->sub_cnt[out->nr] = s->cnt - len;
	out->nr++;
	insn__append(b, s->insns, len);
	if (b->err)
		return;
	for (j = 0; j < len; j++) {
		struct bpf_insn *in = &b->insns[base + j];

		if (in->code == (BPF_JMP | BPF_EXIT))
			*in = insn__make(BPF_JMP | BPF_JA, 0, 0, len - j - 1, 0);
		else if (in->code == (BPF_LD | BPF_DW | BPF_IMM))
			j++;
	}
}

/*
 * Run stage @s (its code at @entry, when called) and sort out its
 * verdict. @on_counted and @on_uncounted are where a verdict that goes
 * on continues, with and without R_STATS (-1: last stage).
 */
static void run_stage(struct insn_buf *b, const struct compose_opts *o, const struct frame *f,
		      const struct compose_stage *s, int entry, int on_counted, int on_uncounted,
		      struct compose_prog *out)
{
	int counted[TG_NR_VERDICTS], bare[TG_NR_VERDICTS], uncounted;

	new_labels(b, counted);
	new_labels(b, bare);
	uncounted = insn__new_label(b);
	load_len(b, o);
	insn__emit(b, I_MOV64_REG(BPF_REG_1, R_CTX));
	if (f->inl) {
		/* Only what the stage's own code overwrites is saved and reloaded. */
		bool ctx = writes_reg(s, R_CTX), len = writes_reg(s, R_LEN);

		if (len)
			insn__emit(b, I_STX_DW(BPF_REG_10, R_LEN, f->len));
		inline_body(b, out, s);
		insn__emit(b, I_MOV64_REG(R_VERDICT, BPF_REG_0));
		if (ctx)
			insn__emit(b, I_LDX_DW(R_CTX, BPF_REG_10, f->ctx));
		if (len)
			insn__emit(b, I_LDX_DW(R_LEN, BPF_REG_10, f->len));
	} else {
		insn__call_label(b, entry);
		insn__emit(b, I_MOV64_REG(R_VERDICT, BPF_REG_0));
	}
	lookup_stats(b, o, f, s->slot, uncounted);
	classify(b, o, counted);
	verdict_tails(b, o, s, counted, true, on_counted);
	/* stats[] cannot miss for a key below max_entries; the verifier
	 * still wants the NULL path, and it must not change the verdict. */
	insn__place(b, uncounted);
	classify(b, o, bare);
	verdict_tails(b, o, s, bare, false, on_uncounted);
}

/* A called stage: all of it, at @entry. */
static void append_stage(struct insn_buf *b, struct compose_prog *out, const struct compose_stage *s,
			 int entry)
{
	insn__place(b, entry);
	out->stage_off[out->nr] = b->cnt;
	out->stage_cnt[out->nr] = s->cnt;
	out->nr++;
	insn__append(b, s->insns, s->cnt);
}

/* An inlined stage's subprograms, at the end; its calls re-aimed at them. */
static void append_subprogs(struct insn_buf *b, struct compose_prog *out, int k,
			    const struct compose_stage *s)
{
	size_t base = out->stage_off[k], len = out->stage_cnt[k], j;

	out->sub_off[k] = b->cnt;
	insn__append(b, s->insns + len, s->cnt - len);
	if (b->err)
		return;
	for (j = 0; j < len; j++) {
		struct bpf_insn *in = &b->insns[base + j];

		if (is_pseudo_call(in) || is_pseudo_func(in))
			in->imm = (long)out->sub_off[k] + ((long)j + in->imm + 1 - (long)len) -
				  (long)(base + j + 1);
		if (in->code == (BPF_LD | BPF_DW | BPF_IMM))
			j++;
	}
}

/* Does the stage call bpf_tail_call() itself? */
static bool own_tail_calls(const struct compose_stage *s)
{
	size_t i;

	for (i = 0; i < s->cnt; i++)
		if (s->insns[i].code == (BPF_JMP | BPF_CALL) && s->insns[i].src_reg == 0 &&
		    s->insns[i].imm == BPF_FUNC_tail_call)
			return true;
	return false;
}

/*
 * Inline when every stage allows it and the shared frame fits: main's
 * frame (the largest stage frame + 20 bytes of main's state, rounded as
 * the verifier does) above the deepest chain of any stage's subprograms.
 */
static void plan_frame(const struct compose_opts *o, const struct compose_stage *s, int n,
		       struct frame *f)
{
	unsigned int top = 0, below = 0;
	const struct compose_frame *fr;
	int i;

	memset(f, 0, sizeof(*f));
	f->key = -4;
	if (!o->frames)
		return;
	for (i = 0; i < n; i++) {
		fr = &o->frames[i];
		/* exits become 16-bit jumps */
		if (own_tail_calls(&s[i]) || fr->frame > MAX_STACK || main_len(&s[i]) > 32767)
			return;
		top = fr->frame > top ? fr->frame : top;
		if (fr->stack > fr->frame && fr->stack - fr->frame > below)
			below = fr->stack - fr->frame;
	}
	top = (top + 7) & ~7u;
	if (((top + 20 + 31) & ~31u) + below > MAX_STACK)
		return;
	f->inl = true;
	f->ctx = -(__s16)(top + 8);
	f->len = -(__s16)(top + 16);
	f->key = -(__s16)(top + 20);
}

static int finish(struct insn_buf *b, struct compose_prog *out)
{
	int err = insn__finish(b);

	if (err) {
		insn__free(b);
		memset(out, 0, sizeof(*out));
		return err;
	}
	out->insns = b->insns;
	out->cnt = b->cnt;
	return 0;
}

static int check_stage(const struct compose_stage *s)
{
	return s->insns && s->cnt && s->slot < TG_NR_SLOTS ? 0 : -EINVAL;
}

int compose__chained(const struct compose_opts *o, const struct compose_stage *s,
		     __u32 next_slot, struct compose_prog *out)
{
	int entry, cont, cont_bare, last = next_slot == TG_SLOT_NONE;
	struct insn_buf b;
	struct frame f;

	memset(out, 0, sizeof(*out));
	if (check_stage(s) || (!last && next_slot >= TG_NR_SLOTS))
		return -EINVAL;
	plan_frame(o, s, 1, &f);
	out->inlined = f.inl;
	insn__init(&b);
	entry = insn__new_label(&b);
	cont = insn__new_label(&b);
	cont_bare = insn__new_label(&b);
	insn__emit(&b, I_MOV64_REG(R_CTX, BPF_REG_1));
	if (f.inl && writes_reg(s, R_CTX))
		insn__emit(&b, I_STX_DW(BPF_REG_10, R_CTX, f.ctx));
	run_stage(&b, o, &f, s, entry, last ? -1 : cont, last ? -1 : cont_bare, out);
	if (!last && hands_on(o, s)) {
		/* The hand-over: count it, tail-call with a constant key. */
		insn__place(&b, cont);
		count(&b, STAT_OFF(continued), 1);
		insn__emit(&b, I_MOV64_REG(BPF_REG_1, R_CTX));
		insn__ld_map_fd(&b, BPF_REG_2, o->slots_fd);
		insn__emit(&b, I_MOV64_IMM(BPF_REG_3, next_slot));
		insn__emit(&b, I_CALL_HELPER(BPF_FUNC_tail_call));
		/* Only reached when the slot is empty (or the kernel's limit). */
		count(&b, STAT_OFF(continued), -1);
		count(&b, STAT_OFF(tail_miss), 1);
		insn__emit(&b, I_MOV64_IMM(BPF_REG_0, o->fail_closed ? drop_code(o) : pass_code(o)));
		insn__emit(&b, I_EXIT());
		insn__place(&b, cont_bare);
		insn__emit(&b, I_MOV64_REG(BPF_REG_1, R_CTX));
		insn__ld_map_fd(&b, BPF_REG_2, o->slots_fd);
		insn__emit(&b, I_MOV64_IMM(BPF_REG_3, next_slot));
		insn__emit(&b, I_CALL_HELPER(BPF_FUNC_tail_call));
		insn__emit(&b, I_MOV64_IMM(BPF_REG_0, o->fail_closed ? drop_code(o) : pass_code(o)));
		insn__emit(&b, I_EXIT());
	}
	if (f.inl)
		append_subprogs(&b, out, 0, s);
	else
		append_stage(&b, out, s, entry);
	return finish(&b, out);
}

int compose__fused(const struct compose_opts *o, const struct compose_stage *s, int n,
		   struct compose_prog *out)
{
	int entry[TG_MAX_STAGES], next[TG_MAX_STAGES], next_bare[TG_MAX_STAGES];
	struct insn_buf b;
	struct frame f;
	int i;

	memset(out, 0, sizeof(*out));
	if (n < 1 || n > TG_MAX_STAGES)
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (check_stage(&s[i]))
			return -EINVAL;
	plan_frame(o, s, n, &f);
	out->inlined = f.inl;
	insn__init(&b);
	for (i = 0; i < n; i++) {
		entry[i] = insn__new_label(&b);
		next[i] = insn__new_label(&b);
		next_bare[i] = insn__new_label(&b);
	}
	/* Stages after one that never hands on can never run: leave them out. */
	for (i = 0; i < n - 1; i++)
		if (!hands_on(o, &s[i]))
			n = i + 1;
	insn__emit(&b, I_MOV64_REG(R_CTX, BPF_REG_1));
	if (f.inl && any_writes_reg(s, n, R_CTX))
		insn__emit(&b, I_STX_DW(BPF_REG_10, R_CTX, f.ctx));
	for (i = 0; i < n; i++) {
		bool last = i == n - 1;

		run_stage(&b, o, &f, &s[i], entry[i], last ? -1 : next[i], last ? -1 : next_bare[i],
			  out);
		if (last)
			break;
		/* Handed on: counted as such, then the next stage runs. */
		insn__place(&b, next[i]);
		count(&b, STAT_OFF(continued), 1);
		insn__place(&b, next_bare[i]);
	}
	for (i = 0; i < n; i++) {
		if (f.inl)
			append_subprogs(&b, out, i, &s[i]);
		else
			append_stage(&b, out, &s[i], entry[i]);
	}
	return finish(&b, out);
}

void compose__free(struct compose_prog *p)
{
	if (!p)
		return;
	free(p->insns);
	memset(p, 0, sizeof(*p));
}

int compose__origin(const struct compose_prog *p, size_t idx, size_t *stage_insn)
{
	int i;

	for (i = 0; i < p->nr; i++) {
		if (idx >= p->stage_off[i] && idx < p->stage_off[i] + p->stage_cnt[i]) {
			*stage_insn = idx - p->stage_off[i];
			return i;
		}
		if (p->inlined && idx >= p->sub_off[i] && idx < p->sub_off[i] + p->sub_cnt[i]) {
			*stage_insn = p->stage_cnt[i] + idx - p->sub_off[i];
			return i;
		}
	}
	return -1;
}

static int add_start(__u32 *start, int n, int max, long at, size_t cnt)
{
	int i, j;

	if (at < 0 || (size_t)at >= cnt)
		return -EINVAL;
	for (i = 0; i < n && start[i] < at; i++)
		;
	if (i < n && start[i] == at)
		return n;
	if (n >= max)
		return -E2BIG;
	for (j = n; j > i; j--)
		start[j] = start[j - 1];
	start[i] = at;
	return n + 1;
}

int compose__subprogs(const struct compose_prog *p, __u32 *start, int max)
{
	const struct bpf_insn *in;
	int n = add_start(start, 0, max, 0, p->cnt);
	size_t i;

	for (i = 0; i < p->cnt && n > 0; i++) {
		in = &p->insns[i];
		if ((in->code == (BPF_JMP | BPF_CALL) && in->src_reg == BPF_PSEUDO_CALL) ||
		    (in->code == (BPF_LD | BPF_IMM | BPF_DW) && in->src_reg == BPF_PSEUDO_FUNC))
			n = add_start(start, n, max, (long)i + in->imm + 1, p->cnt);
		if (in->code == (BPF_LD | BPF_IMM | BPF_DW))
			i++;
	}
	return n;
}

bool compose__needs_func_info(const struct compose_prog *p)
{
	size_t i, first_sub = p->cnt;
	long at;

	/*
	 * The verifier wants BTF function info for two things: a callback
	 * (bpf_loop, bpf_for_each_map_elem, timers: a function pointer loaded
	 * with BPF_PSEUDO_FUNC, "missing btf func_info"), and a tail call
	 * outside the main (up to the first call target).
	 */
	for (i = 0; i < p->cnt; i++) {
		const struct bpf_insn *in = &p->insns[i];

		if (in->code == (BPF_LD | BPF_IMM | BPF_DW) && in->src_reg == BPF_PSEUDO_FUNC)
			return true;
		if (in->code == (BPF_JMP | BPF_CALL) && in->src_reg == BPF_PSEUDO_CALL) {
			at = (long)i + in->imm + 1;
			if (at > 0 && (size_t)at < first_sub)
				first_sub = at;
		}
		if (in->code == (BPF_LD | BPF_IMM | BPF_DW))
			i++;
	}
	for (i = first_sub; i < p->cnt; i++) {
		if (p->insns[i].code == (BPF_JMP | BPF_CALL) && p->insns[i].src_reg == 0 &&
		    p->insns[i].imm == BPF_FUNC_tail_call)
			return true;
		if (p->insns[i].code == (BPF_LD | BPF_IMM | BPF_DW))
			i++;
	}
	return false;
}

void compose__func_info_free(struct compose_btf *b)
{
	if (!b)
		return;
	btf__free(b->btf);
	free(b->fi);
	memset(b, 0, sizeof(*b));
}

int compose__func_info(const struct compose_prog *p, struct compose_btf *out)
{
	int i, n, id, proto, err, max = (int)p->cnt;
	__u32 *start = calloc(max, sizeof(*start));
	char name[32];

	memset(out, 0, sizeof(*out));
	out->fi = calloc(max, sizeof(*out->fi));
	out->btf = btf__new_empty();
	err = !start || !out->fi || !out->btf ? -ENOMEM : 0;
	n = err ?: compose__subprogs(p, start, max);
	id = n < 0 ? n : btf__add_int(out->btf, "int", 4, BTF_INT_SIGNED);
	proto = id < 0 ? id : btf__add_func_proto(out->btf, id);
	err = proto < 0 ? proto : 0;
	for (i = 0; i < n && !err; i++) {
		snprintf(name, sizeof(name), i ? "tg_sub%d" : "tg_main", i);
		id = btf__add_func(out->btf, name, BTF_FUNC_STATIC, proto);
		err = id < 0 ? id : 0;
		out->fi[i].insn_off = start[i];
		out->fi[i].type_id = id;
	}
	out->nr = n < 0 ? 0 : n;
	if (!err && btf__load_into_kernel(out->btf))
		err = -errno;
	free(start);
	if (err)
		compose__func_info_free(out);
	return err;
}

void compose__func_info_opts(const struct compose_btf *b, struct bpf_prog_load_opts *o)
{
	o->prog_btf_fd = btf__fd(b->btf);
	o->func_info = b->fi;
	o->func_info_cnt = b->nr;
	o->func_info_rec_size = sizeof(*b->fi);
}
