// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * indirect_stage: the control of the direct-tail-call check (test_jit.c).
 * It breaks the house rule on purpose: its tail-call key is read from a
 * writable global (.data), which the verifier must treat as unknown, so
 * the JIT emits the indirect tail call (bounds check, array load, jump
 * through a register: the retpoline thunk). It is loaded straight into an
 * attach point's "slots" (not as a stage) and counts nothing: the wrapper
 * around real stages does that. Never use it outside tests.
 */
#include "tailgate_maps.h"

__u32 tg_next_key = TG_SLOT_NONE;	/* tail-call key: NOT constant */

SEC("xdp")
int indirect_stage(struct xdp_md *ctx)
{
	bpf_tail_call(ctx, &slots, tg_next_key);
	return XDP_PASS;
}

SEC("tc")
int indirect_stage_tc(struct __sk_buff *skb)
{
	bpf_tail_call(skb, &slots, tg_next_key);
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
