// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The root dispatcher: stays attached to an interface and hands every
 * packet to slot 0 of the attach point's prog array, where the head of the
 * live generation sits. It never changes during a rollout; generations do.
 *
 * Its hot path is the tail call alone: the head stage counts the packet
 * under its own slot, so counting it here too would only cost every
 * packet a second map update. Slot 0 of "stats" holds what the dispatcher
 * itself decided: packets that found slot 0 empty (tail misses, passed,
 * or dropped when fail-closed). A hook's total is slot 0's packets plus
 * the live head's.
 */
#include "tailgate_maps.h"

/* Verdict when slot 0 is empty; set before load (plan: on_tail_miss). */
const volatile __u32 tg_fail_closed = 0;

static __always_inline enum tg_verdict tg__dispatch(void *ctx, __u32 len)
{
	bpf_tail_call_static(ctx, &slots, TG_SLOT_ENTRY);
	/* Only reached when slot 0 is empty. */
	return tg__entry_missed(len, tg_fail_closed);
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
