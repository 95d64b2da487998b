// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bench_oldhdr: BASELINE ONLY, not a tailgate stage. A pass-through stage
 * written the way the stage header of datapath ABI 1 (tailgate 0.1) made
 * every stage: the stage counts itself into stats[tg_self_slot] (packets,
 * bytes, one verdict counter: continued, or pass for the last stage) and
 * tail-calls tg_next_slot itself, both slots set in .rodata before load.
 * tools/bench_dispatch loads a chain of them behind the real dispatcher to
 * measure what wrapping (ABI 2) costs per stage against that design.
 */
#include "tailgate_maps.h"

const volatile __u32 tg_self_slot = TG_SLOT_NONE;	/* own slot: stats key */
const volatile __u32 tg_next_slot = TG_SLOT_NONE;	/* NONE: last stage */
const volatile __u32 tg_fail_closed = 0;		/* verdict on a tail miss */

/* tg__stage_run() of the ABI 1 header, with its tail-miss accounting. */
static __always_inline enum tg_verdict oldhdr_run(void *ctx, __u32 len)
{
	struct tg_stats *s = tg__stats(tg_self_slot);
	enum tg_verdict v = TG_CONTINUE, fb;

	if (s) {
		s->packets++;
		s->bytes += len;
	}
	if (tg_next_slot == TG_SLOT_NONE)
		v = TG_PASS;
	tg__count_verdict(s, v);
	if (v != TG_CONTINUE)
		return v;
	tg_tail_call_rodata(ctx, &slots, tg_next_slot);
	fb = tg_fail_closed ? TG_DROP : TG_PASS;
	if (s) {
		s->continued--;
		s->tail_miss++;
	}
	tg__count_verdict(s, fb);
	return fb;
}

SEC("xdp")
int bench_oldhdr(struct xdp_md *ctx)
{
	return tg__xdp_code(oldhdr_run(ctx, ctx->data_end - ctx->data));
}

SEC("tc")
int bench_oldhdr_tc(struct __sk_buff *skb)
{
	return tg__tc_code(oldhdr_run(skb, skb->len));
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
