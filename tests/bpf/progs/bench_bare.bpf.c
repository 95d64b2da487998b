// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bench_bare: the floor under any tail-call design on this kernel. A
 * dispatcher and stages that do nothing but the direct tail call (same
 * rodata keys, same "slots" prog array, no counters at all), so a chain of
 * them costs the kernel's own tail-call sequence per hop: tail-call count
 * check, callee-saved register pops, the patched jmp, the next prologue.
 * Not a usable stage (it counts nothing); tools/bench_dispatch only uses
 * it to show what bounds tailgate's per-hop cost.
 */
#include "tailgate_stage.h"

static __always_inline int bare_run(void *ctx)
{
	if (tg_next_slot == TG_SLOT_NONE)
		return 0;
	tg_tail_call_rodata(ctx, &slots, tg_next_slot);
	return 1;
}

SEC("xdp")
int bench_bare(struct xdp_md *ctx)
{
	return bare_run(ctx) ? XDP_ABORTED : XDP_PASS;
}

SEC("tc")
int bench_bare_tc(struct __sk_buff *skb)
{
	return bare_run(skb) ? TC_ACT_SHOT : TC_ACT_OK;
}

/* Dispatcher: slot 0, nothing else. */
SEC("xdp")
int bench_bare_disp(struct xdp_md *ctx)
{
	bpf_tail_call_static(ctx, &slots, TG_SLOT_ENTRY);
	return XDP_ABORTED;
}

SEC("tc")
int bench_bare_disp_tc(struct __sk_buff *skb)
{
	bpf_tail_call_static(skb, &slots, TG_SLOT_ENTRY);
	return TC_ACT_SHOT;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
