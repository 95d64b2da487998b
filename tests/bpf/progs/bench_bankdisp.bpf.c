// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bench_bankdisp: a prototype for flipping without re-patching code.
 *
 * tailgate's flip writes slot 0, which the dispatcher tail-calls with a
 * constant key, so the kernel re-patches the dispatcher's direct jump
 * (text poke: IPIs to every CPU) on every flip. Here there is one
 * dispatcher per bank instead, each jumping straight to its bank's head
 * (tg_entry_slot = TG_BANK_BASE(bank), set before load); the jump is
 * patched once, when the bank is installed, and a flip is
 * bpf_link_update() of the attach point's link to the other bank's
 * dispatcher. Same counters as the real dispatcher, same direct tail
 * calls. tools/bench_flip times it next to the slot-0 flip.
 */
#include "tailgate_maps.h"

const volatile __u32 tg_entry_slot = TG_BANK_BASE(0);
const volatile __u32 tg_fail_closed = 0;

static __always_inline enum tg_verdict bank_dispatch(void *ctx, __u32 len)
{
	enum tg_verdict v = tg_fail_closed ? TG_DROP : TG_PASS;
	struct tg_stats *s;

	/* as bpf/dispatcher.bpf.c: only a miss is counted, under slot 0 */
	tg_tail_call_rodata(ctx, &slots, tg_entry_slot);
	s = tg__stats(TG_SLOT_ENTRY);
	if (s) {
		s->packets++;
		s->bytes += len;
		s->tail_miss++;
	}
	tg__count_verdict(s, v);
	return v;
}

SEC("xdp")
int bench_bankdisp(struct xdp_md *ctx)
{
	return tg__xdp_code(bank_dispatch(ctx, ctx->data_end - ctx->data));
}

SEC("tc")
int bench_bankdisp_tc(struct __sk_buff *skb)
{
	return tg__tc_code(bank_dispatch(skb, skb->len));
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
