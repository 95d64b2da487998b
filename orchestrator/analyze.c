// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "analyze.h"

#define NREGS		11
#define MAX_DEPTH	(ANALYZE_MAX_SUBPROGS + 1)

/* __sk_buff's data and data_meta (uapi offsets). */
#define SKB_DATA_OFF		76
#define SKB_DATA_META_OFF	140

unsigned int analyze__frame(unsigned int bytes)
{
	return ((bytes ? bytes : 1) + 31) / 32 * 32;
}

static const struct {
	int id;
	const char *name;
} rewriters[] = {
	{ BPF_FUNC_skb_store_bytes, "bpf_skb_store_bytes" },
	{ BPF_FUNC_l3_csum_replace, "bpf_l3_csum_replace" },
	{ BPF_FUNC_l4_csum_replace, "bpf_l4_csum_replace" },
	{ BPF_FUNC_clone_redirect, "bpf_clone_redirect" },
	{ BPF_FUNC_skb_vlan_push, "bpf_skb_vlan_push" },
	{ BPF_FUNC_skb_vlan_pop, "bpf_skb_vlan_pop" },
	{ BPF_FUNC_redirect, "bpf_redirect" },
	{ BPF_FUNC_skb_change_proto, "bpf_skb_change_proto" },
	{ BPF_FUNC_skb_change_type, "bpf_skb_change_type" },
	{ BPF_FUNC_skb_change_tail, "bpf_skb_change_tail" },
	{ BPF_FUNC_skb_change_head, "bpf_skb_change_head" },
	{ BPF_FUNC_xdp_adjust_head, "bpf_xdp_adjust_head" },
	{ BPF_FUNC_skb_adjust_room, "bpf_skb_adjust_room" },
	{ BPF_FUNC_redirect_map, "bpf_redirect_map" },
	{ BPF_FUNC_xdp_adjust_meta, "bpf_xdp_adjust_meta" },
	{ BPF_FUNC_xdp_adjust_tail, "bpf_xdp_adjust_tail" },
	{ BPF_FUNC_redirect_neigh, "bpf_redirect_neigh" },
	{ BPF_FUNC_redirect_peer, "bpf_redirect_peer" },
	{ BPF_FUNC_xdp_store_bytes, "bpf_xdp_store_bytes" },
};

const char *analyze__helper_name(int id)
{
	size_t i;

	for (i = 0; i < sizeof(rewriters) / sizeof(rewriters[0]); i++)
		if (rewriters[i].id == id)
			return rewriters[i].name;
	return NULL;
}

static bool is_ld_imm64(const struct bpf_insn *in)
{
	return in->code == (BPF_LD | BPF_IMM | BPF_DW);
}

static bool is_pseudo_call(const struct bpf_insn *in)
{
	return in->code == (BPF_JMP | BPF_CALL) && in->src_reg == BPF_PSEUDO_CALL;
}

static bool is_helper_call(const struct bpf_insn *in)
{
	return in->code == (BPF_JMP | BPF_CALL) && in->src_reg == 0;
}

/* Start of every subprogram: 0, call targets and callback addresses. */
struct subprogs {
	int n;
	size_t start[ANALYZE_MAX_SUBPROGS + 1];	/* sorted; start[n] = cnt */
	unsigned int frame[ANALYZE_MAX_SUBPROGS];
	bool tail_call[ANALYZE_MAX_SUBPROGS];
	unsigned char callee[ANALYZE_MAX_SUBPROGS][ANALYZE_MAX_SUBPROGS];
};

static int add_start(struct subprogs *sp, long at, size_t cnt)
{
	int i;

	if (at < 0 || (size_t)at >= cnt)
		return -EINVAL;
	for (i = 0; i < sp->n; i++)
		if (sp->start[i] == (size_t)at)
			return 0;
	if (sp->n >= ANALYZE_MAX_SUBPROGS)
		return -E2BIG;
	sp->start[sp->n++] = at;
	return 0;
}

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

static int find_subprogs(const struct bpf_insn *insns, size_t cnt, struct subprogs *sp)
{
	size_t i;
	int err = add_start(sp, 0, cnt);

	for (i = 0; i < cnt && !err; i++) {
		if (is_pseudo_call(&insns[i]) ||
		    (is_ld_imm64(&insns[i]) && insns[i].src_reg == BPF_PSEUDO_FUNC))
			err = add_start(sp, (long)i + insns[i].imm + 1, cnt);
		if (is_ld_imm64(&insns[i]))
			i++;
	}
	if (err)
		return err;
	qsort(sp->start, sp->n, sizeof(sp->start[0]), cmp_size);
	sp->start[sp->n] = cnt;
	return 0;
}

static int subprog_of(const struct subprogs *sp, size_t at)
{
	int i;

	for (i = sp->n - 1; i >= 0; i--)
		if (at >= sp->start[i])
			return i;
	return 0;
}

/* Frame of one subprogram: the deepest fp-relative byte it touches. */
static unsigned int frame_of(const struct bpf_insn *insns, size_t from, size_t to)
{
	bool fp[NREGS] = { [BPF_REG_10] = true };
	long off[NREGS] = {}, deepest = 0;
	size_t i;

	for (i = from; i < to; i++) {
		const struct bpf_insn *in = &insns[i];
		int cls = BPF_CLASS(in->code), base = -1;

		if (cls == BPF_LDX)
			base = in->src_reg;
		else if (cls == BPF_ST || cls == BPF_STX)
			base = in->dst_reg;
		if (base >= 0 && base < NREGS && fp[base] && off[base] + in->off < -deepest)
			deepest = -(off[base] + in->off);
		if (cls == BPF_ALU64 && in->dst_reg < NREGS && in->dst_reg != BPF_REG_10) {
			int d = in->dst_reg;

			if (BPF_OP(in->code) == BPF_MOV && BPF_SRC(in->code) == BPF_X &&
			    in->src_reg < NREGS && fp[in->src_reg]) {
				fp[d] = true;
				off[d] = off[in->src_reg];
			} else if (BPF_OP(in->code) == BPF_ADD && BPF_SRC(in->code) == BPF_K && fp[d]) {
				off[d] += in->imm;
				if (off[d] < -deepest)
					deepest = -off[d];
			} else {
				fp[d] = false;
			}
		} else if ((cls == BPF_LDX || cls == BPF_ALU) && in->dst_reg < NREGS &&
			   in->dst_reg != BPF_REG_10) {
			fp[in->dst_reg] = false;
		} else if (in->code == (BPF_JMP | BPF_CALL)) {
			int r;

			for (r = BPF_REG_0; r <= BPF_REG_5; r++)
				fp[r] = false;
		}
		if (is_ld_imm64(in)) {
			if (in->dst_reg < NREGS)
				fp[in->dst_reg] = false;
			i++;
		}
	}
	return analyze__frame(deepest);
}

/*
 * Deepest chain from @k down; *tc gets the deepest stack above a tail
 * call: the frames of the callers of the function that makes it, not its
 * own (a tail call unwinds that one; the kernel's 256-byte rule counts
 * the "previous frames").
 */
static unsigned int chain(const struct subprogs *sp, int k, unsigned int above, int depth,
			  unsigned int *tc)
{
	unsigned int here = above + sp->frame[k], best = 0, d;
	int c;

	if (depth > MAX_DEPTH)
		return here;
	if (sp->tail_call[k] && above > *tc)
		*tc = above;
	for (c = 0; c < sp->n; c++) {
		if (!sp->callee[k][c] || c == k)
			continue;
		d = chain(sp, c, here, depth + 1, tc) - here;
		if (d > best)
			best = d;
	}
	return here + best;
}

static void note_rewriter(struct stage_facts *f, int id, size_t at)
{
	if (!f->rewrite_helper && analyze__helper_name(id)) {
		f->rewrite_helper = id;
		f->rewrite_insn = at;
	}
}

/*
 * Packet writes: registers derived from ctx->data (or data_meta) of the
 * program's own ctx, followed through moves and adds.
 */
static void scan_packet(const struct bpf_insn *insns, size_t cnt, bool xdp, struct stage_facts *f)
{
	bool ctx[NREGS] = { [BPF_REG_1] = true }, pkt[NREGS] = {};
	size_t i;

	for (i = 0; i < cnt; i++) {
		const struct bpf_insn *in = &insns[i];
		int cls = BPF_CLASS(in->code), d = in->dst_reg, s = in->src_reg;

		if (d >= NREGS || s >= NREGS)
			continue;
		if ((cls == BPF_ST || cls == BPF_STX) && pkt[d] && BPF_MODE(in->code) == BPF_MEM)
			f->writes_packet = true;
		if (cls == BPF_LDX) {
			bool data = xdp ? in->off == 0 || in->off == 8 :
					  in->off == SKB_DATA_OFF || in->off == SKB_DATA_META_OFF;

			pkt[d] = ctx[s] && data;
			ctx[d] = false;
		} else if (cls == BPF_ALU64 && BPF_OP(in->code) == BPF_MOV && BPF_SRC(in->code) == BPF_X) {
			pkt[d] = pkt[s];
			ctx[d] = ctx[s];
		} else if (cls == BPF_ALU64 && BPF_OP(in->code) == BPF_ADD) {
			ctx[d] = false;
		} else if (cls == BPF_ALU64 || cls == BPF_ALU) {
			pkt[d] = ctx[d] = false;
		} else if (in->code == (BPF_JMP | BPF_CALL)) {
			int r;

			if (is_helper_call(in))
				note_rewriter(f, in->imm, i);
			for (r = BPF_REG_0; r <= BPF_REG_5; r++)
				pkt[r] = ctx[r] = false;
		}
		if (is_ld_imm64(in)) {
			pkt[d] = ctx[d] = false;
			i++;
		}
	}
}

/*
 * The seed's race: v = *p; v op= x; *p = v, with p into a shared map value:
 * one a lookup returned, or a global's (libbpf's .bss and .data are
 * arrays every CPU shares, so "count++" on a global is the same race).
 */
static void scan_races(const struct bpf_insn *insns, size_t cnt, bool (*shared)(int, void *),
		       void *sctx, struct stage_facts *f)
{
	int map[NREGS], val[NREGS], from[NREGS], from_off[NREGS] = {};
	bool changed[NREGS];
	size_t i;
	int r;

	for (r = 0; r < NREGS; r++)
		map[r] = val[r] = from[r] = -1;
	memset(changed, 0, sizeof(changed));
	for (i = 0; i < cnt && f->nr_races < ANALYZE_MAX_RACES; i++) {
		const struct bpf_insn *in = &insns[i];
		int cls = BPF_CLASS(in->code), d = in->dst_reg, s = in->src_reg;

		if (d >= NREGS || s >= NREGS)
			continue;
		if (is_ld_imm64(in)) {
			map[d] = in->src_reg == BPF_PSEUDO_MAP_FD ? in->imm : -1;
			/* A global (.bss, .data) is already a pointer into a map value. */
			val[d] = in->src_reg == BPF_PSEUDO_MAP_VALUE && shared(in->imm, sctx) ? in->imm :
									       -1;
			from[d] = -1;
			i++;
			continue;
		}
		if (in->code == (BPF_JMP | BPF_CALL)) {
			int fd = is_helper_call(in) && in->imm == BPF_FUNC_map_lookup_elem ? map[1] : -1;

			for (r = BPF_REG_0; r <= BPF_REG_5; r++)
				map[r] = val[r] = from[r] = -1;
			if (fd >= 0 && shared(fd, sctx))
				val[0] = fd;
			continue;
		}
		if (cls == BPF_STX && BPF_MODE(in->code) == BPF_MEM && val[d] >= 0 &&
		    from[s] == d && from_off[s] == in->off && changed[s]) {
			f->race[f->nr_races].insn = i;
			f->race[f->nr_races].map_fd = val[d];
			f->race[f->nr_races].off = in->off;
			f->nr_races++;
			continue;
		}
		if (cls == BPF_LDX && BPF_MODE(in->code) == BPF_MEM) {
			from[d] = val[s] >= 0 ? s : -1;
			from_off[d] = in->off;
			changed[d] = false;
			map[d] = val[d] = -1;
		} else if (cls == BPF_ALU64 && BPF_OP(in->code) == BPF_MOV && BPF_SRC(in->code) == BPF_X) {
			map[d] = map[s];
			val[d] = val[s];
			from[d] = from[s];
			from_off[d] = from_off[s];
			changed[d] = changed[s];
		} else if ((cls == BPF_ALU64 || cls == BPF_ALU) && from[d] >= 0 &&
			   BPF_OP(in->code) != BPF_MOV) {
			changed[d] = true;
		} else if (cls == BPF_ALU64 || cls == BPF_ALU) {
			map[d] = val[d] = from[d] = -1;
		}
	}
}

int analyze__stage(const struct bpf_insn *insns, size_t cnt, bool xdp,
		   bool (*map_shared)(int fd, void *ctx), void *ctx, struct stage_facts *f)
{
	struct subprogs *sp = calloc(1, sizeof(*sp));
	unsigned int tc = 0;
	size_t i;
	int k, err;

	memset(f, 0, sizeof(*f));
	if (!sp)
		return -ENOMEM;
	err = find_subprogs(insns, cnt, sp);
	if (err)
		goto out;
	for (k = 0; k < sp->n; k++)
		sp->frame[k] = frame_of(insns, sp->start[k], sp->start[k + 1]);
	for (i = 0; i < cnt; i++) {
		const struct bpf_insn *in = &insns[i];
		int cls = BPF_CLASS(in->code);

		k = subprog_of(sp, i);
		if (is_helper_call(in) && in->imm == BPF_FUNC_tail_call)
			sp->tail_call[k] = f->tail_calls = true;
		if (cls == BPF_LD && (BPF_MODE(in->code) == BPF_ABS || BPF_MODE(in->code) == BPF_IND))
			f->ld_abs = true;
		if (is_pseudo_call(in) || (is_ld_imm64(in) && in->src_reg == BPF_PSEUDO_FUNC))
			sp->callee[k][subprog_of(sp, i + in->imm + 1)] = 1;
		if (is_ld_imm64(in))
			i++;
	}
	f->nr_subprogs = sp->n;
	f->frame0 = sp->frame[0];
	f->stack = chain(sp, 0, 0, 0, &tc);
	f->tail_call_depth = tc;
	scan_packet(insns, cnt, xdp, f);
	if (map_shared)
		scan_races(insns, cnt, map_shared, ctx, f);
out:
	free(sp);
	return err;
}
