// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * indirect_stage: a test-only stage that breaks the house rule on purpose.
 * It tail-calls with a key read from a writable global (.data), which the
 * verifier must treat as unknown at run time, so the tail call stays an
 * indirect jump through the prog array. test_datapath.c loads it beside a
 * real stage to show what a constant key buys (see case "direct tail call").
 *
 * It counts like a stage (packets, continued, tail_miss + pass on a miss)
 * so the stats identity holds for it too. Never use it outside tests.
 */
#include "tailgate_maps.h"

const volatile __u32 tg_self_slot = TG_SLOT_NONE;	/* stats key: constant */
__u32 tg_next_key = TG_SLOT_NONE;			/* tail-call key: NOT constant */

static __always_inline enum tg_verdict indirect_run(void *ctx, __u32 len)
{
	struct tg_stats *s = tg__stats(tg_self_slot);

	if (s) {
		s->packets++;
		s->bytes += len;
		s->continued++;
	}
	bpf_tail_call(ctx, &slots, tg_next_key);
	if (s) {
		s->continued--;
		s->tail_miss++;
		s->pass++;
	}
	return TG_PASS;
}

SEC("xdp")
int indirect_stage(struct xdp_md *ctx)
{
	return tg__xdp_code(indirect_run(ctx, ctx->data_end - ctx->data));
}

SEC("tc")
int indirect_stage_tc(struct __sk_buff *skb)
{
	return tg__tc_code(indirect_run(skb, skb->len));
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
