// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The root dispatcher: stays attached to an interface and hands every
 * packet to slot 0 of the attach point's prog array, where the head of the
 * live generation sits. It never changes during a rollout; generations do.
 *
 * Slot 0 of "stats" holds its own counters: packets seen on the hook, and
 * tail misses when slot 0 is empty.
 */
#include "tailgate_maps.h"

/* Verdict when slot 0 is empty; set before load (plan: on_tail_miss). */
const volatile __u32 tg_fail_closed = 0;

static __always_inline enum tg_verdict tg__dispatch(void *ctx, __u32 len)
{
	struct tg_stats *s = tg__stats(TG_SLOT_ENTRY);

	if (s) {
		s->packets++;
		s->bytes += len;
		s->continued++;
	}
	bpf_tail_call_static(ctx, &slots, TG_SLOT_ENTRY);
	return tg__tail_missed(s, tg_fail_closed);
}

SEC("xdp")
int tg_dispatch_xdp(struct xdp_md *ctx)
{
	return tg__xdp_code(tg__dispatch(ctx, ctx->data_end - ctx->data));
}

SEC("tc")
int tg_dispatch_tc(struct __sk_buff *skb)
{
	return tg__tc_code(tg__dispatch(skb, skb->len));
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
